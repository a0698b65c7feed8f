"""The chain rule as a computation graph: forward values, local derivatives, paths back.

Each operation that depends on a variable is a node named f (the whole function), u, v, w,
... and written in terms of the nodes it reads (f = u^2, u = 2x + 3). A constant multiple
(2x, -u) folds into the node that uses it, as a textbook writes it. Going back, each edge
carries its local derivative (df/du = 2u = 10, du/dx = 2) and df/dx is the sum over paths
from f to x of the products along each path (here 10 · 2 = 20), which is also what
accumulating adjoints from f down gives (``GraphNode.adjoint``, reverse mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from gradtui.engine.symbolic.evaluate import evaluate
from gradtui.engine.symbolic.rules import derive
from gradtui.engine.symbolic.tree import Div, Expr, Neg, Product, Var, children, depends_on, substitute, variables

MAX_PATHS = 24
"""Paths listed per variable (all are counted in the total)."""

_NAMES = ("u", "v", "w", "p", "q", "r", "s", "a", "b", "c", "g", "h")


@dataclass(frozen=True)
class Edge:
    """From a node to one of its inputs: the local derivative, as a formula and a number."""

    to: str
    local: Expr
    value: float


@dataclass(frozen=True)
class GraphNode:
    """One node: ``formula`` in terms of its inputs' names, its forward ``value``, its
    ``edges`` to its inputs and ``adjoint`` = df/d(this node)."""

    name: str
    expr: Expr
    formula: Expr
    value: float
    edges: tuple[Edge, ...]
    adjoint: float


@dataclass(frozen=True)
class Path:
    """A path from f down to a variable: node names and the local derivatives along it."""

    names: tuple[str, ...]
    factors: tuple[float, ...]
    product: float


@dataclass(frozen=True)
class Graph:
    """Nodes from f down (breadth first, the variables last), paths per variable, and
    df/dvar as the sum over paths."""

    nodes: tuple[GraphNode, ...]
    paths: Mapping[str, tuple[Path, ...]]
    path_counts: Mapping[str, int]
    totals: Mapping[str, float]

    def node(self, name: str) -> GraphNode:
        return next(n for n in self.nodes if n.name == name)


def _absorbed(e: Expr) -> bool:
    """A constant multiple (c·u, -u, u/c): folded into the node that reads it."""
    if isinstance(e, Neg):
        return True
    if isinstance(e, Product):
        return sum(1 for f in e.factors if variables(f)) == 1
    return isinstance(e, Div) and not variables(e.den)


def _inputs(e: Expr) -> list[Expr]:
    """The nodes ``e`` reads directly: variable-dependent children, seen through constant multiples."""
    out: list[Expr] = []
    for c in children(e):
        if not variables(c):
            continue
        if _absorbed(c):
            out.extend(_inputs(c))
        else:
            out.append(c)
    return out


def computation_graph(expr: Expr, point: Mapping[str, float]) -> Graph:
    """The graph of ``expr`` at ``point`` (a value for each of its variables)."""
    order: list[Expr] = []  # post-order: every node after its inputs
    reads: dict[Expr, list[Expr]] = {}

    def visit(e: Expr) -> None:
        if e in reads:
            return
        reads[e] = [] if isinstance(e, Var) else list(dict.fromkeys(_inputs(e)))
        for c in reads[e]:
            visit(c)
        order.append(e)

    visit(expr)
    order.reverse()  # f first, each node before its inputs
    shown = _breadth_first(expr, reads)
    spare = iter(_NAMES + tuple(f"u{i}" for i in range(1, 10_000)))
    names = {e: e.name if isinstance(e, Var) else ("f" if e == expr else next(spare)) for e in shown}
    values = {e: float(evaluate(e, point)) for e in order}
    env = {names[e]: values[e] for e in order}
    adjoint = {e: 0.0 for e in order}
    adjoint[order[0]] = 1.0
    built: dict[Expr, GraphNode] = {}
    for e in order:
        formula = substitute(e, {c: Var(names[c]) for c in reads[e]}) if reads[e] else e
        edges = []
        for c in reads[e]:
            local = derive(formula, names[c]).result
            value = float(evaluate(local, env))
            adjoint[c] += adjoint[e] * value
            edges.append(Edge(names[c], local, value))
        built[e] = GraphNode(names[e], e, formula, values[e], tuple(edges), 0.0)
    nodes = tuple(GraphNode(built[e].name, e, built[e].formula, built[e].value, built[e].edges, adjoint[e])
                  for e in shown)
    by_name = {n.name: n for n in nodes}
    paths: dict[str, tuple[Path, ...]] = {}
    counts: dict[str, int] = {}
    for var in sorted(v for v in variables(expr) if depends_on(expr, v)):
        listed: list[Path] = []
        counts[var] = _walk(by_name, names[expr], var, (), (), listed)
        paths[var] = tuple(listed)
    return Graph(nodes, paths, counts, {v: adjoint[Var(v)] for v in paths if Var(v) in adjoint})


def _breadth_first(root: Expr, reads: Mapping[Expr, list[Expr]]) -> list[Expr]:
    """The nodes in the order a reader meets them from f down, the variables last."""
    seen: dict[Expr, None] = {root: None}
    queue = [root]
    while queue:
        e = queue.pop(0)
        for c in reads[e]:
            if c not in seen:
                seen[c] = None
                queue.append(c)
    return sorted(seen, key=lambda e: isinstance(e, Var) and e != root)


def _walk(nodes: Mapping[str, GraphNode], at: str, var: str, names: tuple[str, ...],
          factors: tuple[float, ...], listed: list[Path]) -> int:
    """Paths from ``at`` to ``var``: the first ``MAX_PATHS`` go into ``listed``; returns how many there are."""
    names = names + (at,)
    if at == var:
        if len(listed) < MAX_PATHS:
            product = 1.0
            for f in factors:
                product *= f
            listed.append(Path(names, factors, product))
        return 1
    return sum(_walk(nodes, edge.to, var, names, factors + (edge.value,), listed) for edge in nodes[at].edges)
