"""A typed function: parsed by a grammar of its own, differentiated by named rules, checked by numbers.

Nothing here evaluates Python: ``parse`` reads text with a recursive-descent (Pratt) parser
into an expression tree (``tree``); ``derive`` applies the textbook rules, one named step
per node; ``simplify`` and ``to_text`` bring the result to the form a textbook prints;
``evaluate`` computes in float64 (overflow is inf, never a hang).
"""

from gradtui.engine.symbolic.tree import Call, Const, Div, Expr, Neg, Num, Pow, Product, Sum, Var, substitute, variables
from gradtui.engine.symbolic.parser import MAX_DEPTH, MAX_LENGTH, ParseError, parse, parse_vector
from gradtui.engine.symbolic.printer import to_text
from gradtui.engine.symbolic.simplify import simplify
from gradtui.engine.symbolic.evaluate import evaluate
from gradtui.engine.symbolic.rules import Derivation, Step, derive
from gradtui.engine.symbolic.analysis import (CENTRAL_H, Analysis, Curvature, analyse, central_difference,
                                              classify, critical_points, gradient, hessian, jacobian,
                                              JacobianAt, jacobian_at,
                                              softmax_jacobian, TotalDerivative, total_derivative)
from gradtui.engine.symbolic.graph import Graph, GraphNode, computation_graph
from gradtui.engine.symbolic.riemann import (RIEMANN_RULES, Integral, RiemannRow, antiderivative, integral,
                                             riemann_sum, riemann_table)
from gradtui.engine.symbolic.function import (TypedCurve, TypedFunction, TypedSurface, TypedVector,
                                             typed_objective)
from gradtui.engine.symbolic.presets import PRESETS, Preset

__all__ = [
    "Call", "Const", "Div", "Expr", "Neg", "Num", "Pow", "Product", "Sum", "Var", "substitute", "variables",
    "MAX_DEPTH", "MAX_LENGTH", "ParseError", "parse", "parse_vector", "to_text", "simplify", "evaluate",
    "Derivation", "Step", "derive",
    "CENTRAL_H", "Analysis", "Curvature", "analyse", "central_difference", "classify", "critical_points", "gradient",
    "hessian", "jacobian", "JacobianAt", "jacobian_at", "softmax_jacobian", "TotalDerivative", "total_derivative",
    "Graph", "GraphNode", "computation_graph",
    "RIEMANN_RULES", "Integral", "RiemannRow", "antiderivative", "integral", "riemann_sum", "riemann_table",
    "TypedCurve", "TypedFunction", "TypedSurface", "TypedVector", "typed_objective", "PRESETS", "Preset",
]
