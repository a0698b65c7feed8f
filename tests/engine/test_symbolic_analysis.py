"""Gradient, Hessian and classification, the computation graph, Riemann sums, presets, Objective."""

import numpy as np
import pytest

from gradtui.engine.calculus.descent import Descent, Race
from gradtui.engine.symbolic import (PRESETS, analyse, antiderivative, classify, computation_graph, critical_points,
                                     derive, evaluate, hessian, integral, jacobian, parse, riemann_sum, riemann_table,
                                     softmax_jacobian, to_text, total_derivative, typed_objective)


@pytest.mark.parametrize("text,point,kind", [
    ("x^2 + 3y^2", (0, 0), "minimum"), ("-(x^2 + y^2) + 2", (0, 0), "maximum"),
    ("x^2 - y^2", (0, 0), "saddle"), ("x^4 + y^4", (0, 0), "degenerate"),
    ("x^3 - 3xy + y^3", (1, 1), "minimum"), ("x^3 - 3xy + y^3", (0, 0), "saddle"),
    ("x^2", (0,), "minimum"), ("-cos(x)", (0,), "minimum"), ("x^3", (0,), "degenerate"),
])
def test_hessian_classifies_critical_points_as_worked_by_hand(text, point, kind):
    variables = ("x", "y")[:len(point)]
    a = analyse(parse(text), variables, point)
    assert a.curvature.critical and a.curvature.kind == kind


def test_hessian_entries_and_eigenvalues_by_hand():
    a = analyse(parse("x^3 - 3xy + y^3"), ("x", "y"), (1, 1))
    assert a.hessian == ((6.0, -3.0), (-3.0, 6.0))
    assert a.curvature.eigenvalues == pytest.approx((3.0, 9.0))
    assert [[to_text(e) for e in row] for row in hessian(parse("x^2 y + 3xy^2"), "xy")] == [["2y", "2x + 6y"],
                                                                                            ["2x + 6y", "6x"]]


def test_a_point_with_a_gradient_is_not_critical():
    c = analyse(parse("x^2 + y^2"), ("x", "y"), (1, 0)).curvature
    assert not c.critical and c.kind == "minimum" and "not a critical point" in c.sentence
    assert classify(np.array([[np.inf]]), np.array([0.0])).kind == "undefined"


def test_gradient_at_a_point_beside_its_central_difference():
    a = analyse(parse("x^2 + 2xy + y^2"), ("x", "y"), (1, 2))
    assert a.value == 9.0 and a.gradient == (6.0, 6.0)
    assert a.numeric_gradient == pytest.approx((6.0, 6.0), rel=1e-8)


def test_critical_points_of_a_two_variable_polynomial():
    found = critical_points(parse("x^3 - 3xy + y^3"), ("x", "y"), [(-2, 2), (-2, 2)])
    assert [(p, c.kind) for p, c in found] == [((0.0, 0.0), "saddle"), ((1.0, 1.0), "minimum")]


def test_jacobian_of_a_vector_function_and_of_the_softmax():
    j = jacobian([parse("x^2 y"), parse("5x + sin(y)")], ("x", "y"))
    assert [[to_text(e) for e in row] for row in j] == [["2xy", "x^2"], ["5", "cos(y)"]]
    z = np.array([1.0, 2.0, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    jac = softmax_jacobian(z)
    by_formula = np.array([[s[i] * ((i == j) - s[j]) for j in range(3)] for i in range(3)])
    assert np.allclose(jac, by_formula)
    h = 1e-6
    numeric = np.array([(np.exp(z + h * e) / np.exp(z + h * e).sum() - np.exp(z - h * e) / np.exp(z - h * e).sum()) / (2 * h)
                        for e in np.eye(3)]).T
    assert np.allclose(jac, numeric, atol=1e-9)


def test_total_derivative_dz_dt_along_a_path():
    td = total_derivative(parse("x^2 y"), {"x": parse("t^2", ("t",)), "y": parse("t^3", ("t",))})
    assert [to_text(t) for t in td.terms] == ["4t^6", "3t^6"] and to_text(td.result) == "7t^6"


def test_computation_graph_of_2x_plus_3_squared_at_1():
    g = computation_graph(parse("(2x+3)^2"), {"x": 1.0})
    f, u = g.node("f"), g.node("u")
    assert (to_text(f.formula), f.value, to_text(u.formula), u.value) == ("u^2", 25.0, "2x + 3", 5.0)
    assert [(e.to, to_text(e.local), e.value) for e in f.edges] == [("u", "2u", 10.0)]
    assert [(e.to, to_text(e.local), e.value) for e in u.edges] == [("x", "2", 2.0)]
    assert g.totals == {"x": 20.0} and g.paths["x"][0].names == ("f", "u", "x")


@pytest.mark.parametrize("text", ["sin(x) cos(x) + x^2 y", "e^(xy) + ln(1 + x^2)", "x^x", "sqrt(x) / (y + x)"])
def test_graph_paths_sum_to_the_symbolic_derivative(text):
    point = {"x": 0.7, "y": 1.3}
    g = computation_graph(parse(text), point)
    for v in g.paths:
        expected = float(evaluate(derive(parse(text), v).result, point))
        assert sum(p.product for p in g.paths[v]) == pytest.approx(expected, rel=1e-12)
        assert g.totals[v] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text,a,b,exact", [
    ("x^2", 0, 1, 1 / 3), ("3x^2 + 2x + 1", 1, 2, 11.0), ("1/x", 1, np.e, 1.0), ("sin(2x)", 0, np.pi / 2, 1.0),
    ("e^(3x)", 0, 1, (np.e**3 - 1) / 3), ("2cos(x + 1)", 0, 1, 2 * (np.sin(2) - np.sin(1))),
    ("4x^4 - 2x^3 + x^2 - 5x", 0, 2, 4 * 32 / 5 - 8 + 8 / 3 - 10),
    ("(2x+3)^2", 0, 2, (7**3 - 3**3) / 6), ("1/(2x + 1)", 0, 1, np.log(3) / 2),
])
def test_exact_integrals_by_the_antiderivative(text, a, b, exact):
    result = integral(parse(text), a, b)
    assert result.method == "antiderivative" and result.value == pytest.approx(exact, rel=1e-12)
    anti = antiderivative(parse(text))
    for x in (1.1, 1.5):  # F' = f
        assert float(evaluate(derive(anti, "x").result, {"x": x})) == pytest.approx(float(evaluate(parse(text), {"x": x})))


def test_quadrature_is_named_when_there_is_no_antiderivative():
    result = integral(parse("x sin(x)"), 0, np.pi)
    assert result.method.startswith("Gauss-Legendre") and result.value == pytest.approx(np.pi, rel=1e-12)


def test_riemann_sums_against_the_exact_integral_as_n_grows():
    exact, rows = riemann_table(parse("x^2"), 0, 1, ns=(10, 100, 1000))
    assert exact.value == pytest.approx(1 / 3)
    for row in rows:  # x^2 on [0, 1]: left = 1/3 - 1/2n + 1/6n^2, midpoint = 1/3 - 1/12n^2
        n = row.n
        assert row.sums["left"] == pytest.approx(1 / 3 - 1 / (2 * n) + 1 / (6 * n * n), rel=1e-10)
        assert row.sums["right"] == pytest.approx(1 / 3 + 1 / (2 * n) + 1 / (6 * n * n), rel=1e-10)
        assert row.errors["midpoint"] == pytest.approx(-1 / (12 * n * n), rel=1e-6)
    assert riemann_sum(parse("5"), 0, 2, 3, "left") == pytest.approx(10.0)
    with pytest.raises(ValueError):
        riemann_sum(parse("x"), 0, 1, 0)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_hold_the_right_answers(name):
    p = PRESETS[name]
    expr = parse(p.text)
    want = p.expected
    if p.kind == "derivative":
        assert to_text(derive(expr, "x").result) == want["derivative"]
        assert float(evaluate(derive(expr, "x").result, {"x": p.point[0]})) == pytest.approx(want["slope"])
    elif p.kind == "gradient":
        a = analyse(expr, ("x", "y"), p.point)
        assert tuple(to_text(d.result) for d in a.derivations) == want["gradient"]
        assert a.gradient == pytest.approx(want["at"])
    elif p.kind == "critical":
        found = critical_points(expr, ("x", "y"), [(-2, 2), (-2, 2)])
        assert {pt: c.kind for pt, c in found} == want["points"]
    elif p.kind == "total":
        td = total_derivative(expr, {"x": parse(p.path[0], ("t",)), "y": parse(p.path[1], ("t",))})
        assert to_text(td.result) == want["derivative"] and tuple(to_text(t) for t in td.terms) == want["terms"]
    else:
        assert integral(expr, *p.interval).value == pytest.approx(want["integral"])


def test_a_typed_function_is_an_objective_for_descents_and_races():
    o = typed_objective("(x-1)^2 + 2(y+0.5)^2")
    assert o.dim == 2 and o.minima == ((1.0, -0.5),)
    assert o.grad((0, 0)) == pytest.approx((-2.0, 2.0))
    assert o.hessian((0, 0)).tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert o.f_grid(np.zeros((2, 3)), np.zeros((2, 3))).shape == (2, 3)
    d = Descent(o, "sgd")
    d.run(200)
    assert d.steps_to_minimum() is not None
    race = Race(o)
    race.run(300)
    assert all(r.steps_to_minimum is not None for r in race.results())
    one = typed_objective("x^4 - 3x^2 + x", start=(2.0,))
    assert one.dim == 1 and len(one.minima) == 2 and one.f_grid(np.linspace(0, 1, 5)).shape == (5,)
    assert typed_objective("7").f_grid(np.zeros(4)).shape == (4,)
