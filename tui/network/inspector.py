"""The neuron inspector: one neuron's equations with the real numbers of one training sample.

Forward: z = sum_i w_i x_i + b (then batch norm when it is on), a = f(z), f'(z). Backward,
the chain rule: dL/dz = f'(z) x sum_k W_jk dL/dz_k over the next layer's neurons (times
gamma_k / sigma_k with batch norm), its largest terms listed; for an output neuron dL/dz
comes straight from the loss. Then dL/dw_i = x_i dL/dz for the incoming weights and dL/db.
After a manual step it shows what happened to those weights: the change against -lr times
the step's minibatch gradient (equal for plain SGD; momentum, RMSprop and Adam differ).
Every number is the trace's (``Trainer.trace``), so the inspector shows exactly what the
engine computed.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from gradtui.engine.inspect.trace import LayerTrace, chain_terms

from gradtui.tui.network.diagram import DEAD, SATURATED
from gradtui.engine.run.network_picture import NetworkPicture

HEAD, FORWARD, BACKWARD, NOTE = "bold", "bold #5fd7ff", "bold #ffaf00", "dim"
LOSS_GRADIENT = {
    "cross_entropy": "softmax(out) - target",
    "bce": "sigmoid(out) - target",
    "mse": "2 (out - target) / n_out",
    "mae": "sign(out - target) / n_out",
    "hinge": "-target inside the margin, else 0",
}


def num(value: float) -> str:
    """A number in 4 significant digits, wrapped in parentheses when negative (for products)."""
    value = float(value) + 0.0  # no -0
    text = f"{value:.4g}"
    return f"({text})" if value < 0 else text


def plain(value: float) -> str:
    return f"{float(value) + 0.0:.4g}"


def largest_first(terms: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` terms of largest magnitude, largest first (NaN first of all)."""
    key = np.nan_to_num(np.abs(terms), nan=np.inf)
    return np.argsort(-key, kind="stable")[:count]


DETAIL = ((6, True), (4, True), (3, True), (2, True), (2, False), (1, False))
"""Levels of detail, most first: terms listed per sum (and rows per table), and the notes
(section titles, the largest term, the probe-set summary). The inspector shows the most
detailed level that fits its panel."""
INDENT = "    "


class Lines:
    """Text in lines of at most ``width`` cells, wrapped between pieces (never inside one:
    a number is never split), continuation lines indented."""

    def __init__(self, width: int) -> None:
        self.width = max(width, 8)
        self.text = Text(no_wrap=True, overflow="ellipsis")
        self.column = 0

    def add(self, *pieces: str | tuple[str, str]) -> None:
        """One logical line of pieces (plain strings, or (string, style))."""
        for piece in pieces:
            text, style = (piece, "") if isinstance(piece, str) else piece
            if self.column and self.column + len(text.rstrip()) > self.width:
                self.text.append("\n" + INDENT)
                self.column = len(INDENT)
                text = text.lstrip()
            self.text.append(text, style=style)
            self.column += len(text)
        self.text.append("\n")
        self.column = 0

    @property
    def count(self) -> int:
        return self.text.plain.count("\n")


def _sum(lines: Lines, lhs: str, factors: list[tuple[float, float]], extra: str, total: float,
         n: int) -> None:
    products = [f"{num(a)}×{num(b)}" for a, b in factors]
    pieces = [f"  {lhs} = "] + products[:1] + [f" + {p}" for p in products[1:]]
    if n > len(factors):
        pieces.append(f" + … {n - len(factors)} more")
    if extra:
        pieces.append(f" + {extra}")
    lines.add(*pieces, " = ", (plain(total), "bold"))


def inspector_text(picture: NetworkPicture, layer_index: int, unit: int, width: int = 60,
                   height: int = 1000, previous: NetworkPicture | None = None) -> Text:
    """The inspector for neuron ``unit`` of dense layer ``layer_index`` in a ``width`` x
    ``height`` panel, at the most detailed level that fits (``DETAIL``); ``previous`` (the
    picture one manual step earlier) adds what the step did."""
    for terms, notes in DETAIL:
        lines = _inspector(picture, layer_index, unit, width, terms, notes, previous)
        if lines.count <= height:
            break
    return lines.text


def _inspector(picture: NetworkPicture, layer_index: int, unit: int, width: int, terms: int, notes: bool,
               previous: NetworkPicture | None) -> Lines:
    trace = picture.trace
    lt = trace.layers[layer_index]
    last = layer_index == len(trace.layers) - 1
    lines = Lines(width)
    lines.add((f"{lt.name} unit {unit}", HEAD), f" · {'output' if last else 'hidden'} · {lt.activation}")
    label = "" if trace.label is None else f" · label {trace.label}"
    lines.add((f"sample {trace.index}{label} · ", NOTE), (f"loss {plain(trace.loss)} · ", NOTE),
              (f"step {picture.step}", NOTE))
    _forward(lines, lt, unit, terms, notes)
    _backward(lines, picture, layer_index, unit, terms, notes, last)
    _incoming(lines, lt, unit, terms)
    _health(lines, picture, layer_index, unit, notes)
    if previous is not None and previous.step == picture.step - 1:
        _step(lines, previous, picture, layer_index, unit, terms)
    return lines


def _forward(lines: Lines, lt: LayerTrace, j: int, terms: int, notes: bool) -> None:
    if notes:
        lines.add(("forward", FORWARD))
    w, x = lt.W[:, j], lt.x
    order = largest_first(w * x, terms)
    _sum(lines, "z = Σ w·x + b" if lt.mean is None else "h = Σ w·x + b",
         [(w[i], x[i]) for i in order], num(lt.b[j]), lt.h[j], len(w))
    if lt.mean is not None and lt.std is not None and lt.gamma is not None and lt.beta is not None:
        lines.add(f"  z = γ(h-μ)/σ+β = ", f"{num(lt.gamma[j])}×", f"({plain(lt.h[j])}-{num(lt.mean[j])})",
                  f"/{plain(lt.std[j])}", f"+{num(lt.beta[j])}", " = ", (plain(lt.z[j]), "bold"))
    lines.add(f"  a = {lt.activation}(z) = ", (plain(lt.a[j]), "bold"), f"   f'(z) = {plain(lt.fprime[j])}")


def _backward(lines: Lines, picture: NetworkPicture, l: int, j: int, terms: int, notes: bool,
              last: bool) -> None:
    trace = picture.trace
    lt = trace.layers[l]
    if notes:
        lines.add(("backward: the chain rule", BACKWARD))
    if last:
        rule = LOSS_GRADIENT.get(picture.loss, "dloss/dout")
        lines.add(f"  dL/da = {rule}")
        lines.add(f"  out {plain(trace.output[j])}, ", f"target {plain(trace.target[j])}: ",
                  "dL/da = ", (plain(lt.da[j]), "bold"))
    else:
        contributions = chain_terms(trace, l, j)
        after = trace.layers[l + 1]
        order = largest_first(contributions, terms)
        scale = "" if after.mean is None else "·γ/σ"
        _sum(lines, f"dL/da = Σk W{scale}·dL/dz", [(after.W[j, k] * after.scale[k], after.dz[k]) for k in order],
             "", lt.da[j], len(contributions))
        if notes and len(order):
            top = order[0]
            lines.add((f"  largest: k={top} contributes {plain(contributions[top])}", NOTE))
    lines.add("  dL/dz = f'(z)×dL/da = ", f"{num(lt.fprime[j])}×{num(lt.da[j])}", " = ",
              (plain(lt.dz[j]), "bold"))


def _incoming(lines: Lines, lt: LayerTrace, j: int, terms: int) -> None:
    scale = "" if lt.mean is None else "·γ/σ"
    lines.add(f"  dL/db = dL/dz{scale} = {plain(lt.db[j])}")
    lines.add(("  dL/dw_i = x_i·dL/db (largest):", NOTE))
    lines.add((f"  {'i':>3} {'w_i':>9} {'x_i':>8} {'dL/dw_i':>10}", NOTE))
    grads = lt.dW[:, j]
    for i in largest_first(grads, terms):
        lines.add(f"  {i:>3} {plain(lt.W[i, j]):>9} {plain(lt.x[i]):>8} {plain(grads[i]):>10}")
    if len(grads) > terms:
        lines.add((f"  … {len(grads) - terms} more", NOTE))


def _health(lines: Lines, picture: NetworkPicture, l: int, j: int, notes: bool) -> None:
    layer = picture.layers[l]
    state = int(layer.state[j])
    if state == DEAD:
        lines.add((f"dead since step {layer.since[j]}: ", "bold #a0a0a0"),
                  ("0 on every probe sample", "bold #a0a0a0"))
    elif state == SATURATED:
        lines.add((f"saturated since step {layer.since[j]}: ", "bold #ff8c00"),
                  ("f'(z) tiny on every probe sample", "bold #ff8c00"))
    if notes and picture.extent is None:  # what the neuron's histogram shows, in numbers
        values = layer.values[:, j]
        finite = values[np.isfinite(values)]
        if finite.size:
            lines.add((f"over {len(values)} probe samples: ", NOTE),
                      (f"{plain(finite.min())} to {plain(finite.max())}, ", NOTE),
                      (f"{np.mean(finite == 0):.0%} exactly 0", NOTE))


def _step(lines: Lines, before: NetworkPicture, after: NetworkPicture, l: int, j: int, terms: int) -> None:
    """What the last manual step did to this neuron's incoming weights."""
    old, new, grad = before.layers[l].W[:, j], after.layers[l].W[:, j], after.layers[l].dW[:, j]
    lr = after.lr
    lines.add((f"step {before.step}→{after.step} ", FORWARD), (f"({after.optimizer}, lr {lr:g}, ", FORWARD),
              ("minibatch grad g)", FORWARD))
    lines.add((f"  {'i':>3} {'w before':>9} {'Δw':>10} {'-lr·g':>10}", NOTE))
    delta = new - old
    for i in largest_first(delta, terms):
        lines.add(f"  {i:>3} {plain(old[i]):>9} {plain(delta[i]):>10} {plain(-lr * grad[i]):>10}")
    if after.optimizer == "sgd":
        lines.add(("  plain SGD: Δw = -lr·g", NOTE))
    else:
        lines.add((f"  {after.optimizer}: Δw is not -lr·g ", NOTE), ("(state from past steps)", NOTE))
