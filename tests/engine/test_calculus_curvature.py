"""Calculus mode's curvature: exact Hessians, their eigen-decomposition, critical points,
and the lr limit that descent really stops converging at."""

import numpy as np
import pytest

from gradtui.engine.calculus.curvature import Curvature, critical_points, curvature, stability_point
from gradtui.engine.calculus.descent import Descent
from gradtui.engine.calculus.objectives import OBJECTIVES, REACH_TOL, get_objective
from gradtui.engine.optim.stability import lr_limit, sharpness_limit, stability_bound

PARAMETRISED = [("quadratic", {"a": 2.0, "b": -3.0, "c": 1.0}), ("quadratic", {"a": -1.5}),
                ("rosenbrock", {"a": 2.0, "b": 50.0})]
ALL_OBJECTIVES = [(name, {}) for name in OBJECTIVES] + PARAMETRISED


def sample_points(obj, n=6):
    rng = np.random.default_rng(1)
    bounds = np.array(obj.window, dtype=float).reshape(obj.dim, 2)
    return [np.array(obj.start, dtype=float)] + [rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(n)]


@pytest.mark.parametrize("name, params", ALL_OBJECTIVES)
def test_hessian_matches_central_differences_of_the_exact_gradient(name, params):
    obj = get_objective(name, **params)
    for p in sample_points(obj):
        h = 1e-5 * max(1.0, float(np.max(np.abs(p))))
        numeric = np.column_stack([(obj.grad(p + h * e) - obj.grad(p - h * e)) / (2 * h)
                                   for e in np.eye(obj.dim)])
        exact = obj.hessian(p)
        assert exact.shape == (obj.dim, obj.dim) and np.array_equal(exact, exact.T)
        assert np.linalg.norm(exact - numeric) <= 1e-7 * max(1.0, np.linalg.norm(exact)), p


@pytest.mark.parametrize("name", OBJECTIVES)
def test_eigenvectors_are_the_principal_axes(name):
    obj = get_objective(name)
    for p in sample_points(obj, 3):
        c = curvature(obj, p)
        assert np.all(np.diff(c.eigenvalues) >= 0)
        assert np.allclose(c.hessian @ c.eigenvectors, c.eigenvectors * c.eigenvalues, atol=1e-9)
        assert np.allclose(c.eigenvectors.T @ c.eigenvectors, np.eye(obj.dim))


def test_the_bowls_condition_number_25_is_lmax_over_lmin():
    c = curvature(get_objective("bowl"), (-9.0, 3.0))
    assert c.eigenvalues.tolist() == [1.0, 25.0] and c.condition_number == 25.0
    assert c.sharpness == 25.0 and c.lr_limit("sgd") == 2 / 25
    assert np.allclose(np.abs(c.eigenvectors), np.eye(2))  # x and y are the principal axes
    assert curvature(get_objective("quadratic"), 10.0).lr_limit("sgd") == 1.0  # 2/λ with λ = 2


def test_classification_by_the_hessians_signs():
    saddle = curvature(get_objective("saddle"), (0.0, 0.0))
    assert saddle.critical and saddle.kind == "saddle" and saddle.condition_number == 1.0
    assert not curvature(get_objective("saddle"), (1.5, 0.001)).critical
    assert curvature(get_objective("himmelblau"), (0.0, 0.0)).kind == "maximum"  # shape, not critical
    assert curvature(get_objective("bowl"), (0.0, 0.0)).kind == "minimum"
    flat = Curvature(np.zeros(1), np.zeros(1), np.zeros((1, 1)), np.zeros(1), np.eye(1))
    assert flat.kind == "degenerate" and flat.condition_number == np.inf and flat.lr_limit() == np.inf


def test_a_typed_function_has_its_symbolic_hessian():
    from gradtui.engine.symbolic.function import typed_objective
    surface = typed_objective("x^3 - 3x + y^2")
    c = curvature(surface, (1.0, 0.5))
    assert c.hessian.tolist() == [[6.0, 0.0], [0.0, 2.0]] and c.lr_limit() == 2 / 6
    assert [p.kind for p in critical_points(surface)] == ["saddle", "minimum"]


def test_himmelblau_has_four_minima_four_saddles_and_one_maximum():
    obj = get_objective("himmelblau")
    points = critical_points(obj)
    kinds = [p.kind for p in points]
    assert sorted(kinds) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    minima = {p.point for p in points if p.kind == "minimum"}
    assert minima == set(obj.minima)
    (peak,) = [p.point for p in points if p.kind == "maximum"]
    assert np.allclose(peak, (-0.270845, -0.923039), atol=1e-6)
    for p in points:
        assert np.linalg.norm(obj.grad(p.point)) < 1e-8


@pytest.mark.parametrize("name, expected", [("quadratic", ["minimum"]), ("bowl", ["minimum"]),
                                            ("saddle", ["saddle"]), ("rosenbrock", ["minimum"]),
                                            ("beale", ["saddle", "minimum"])])
def test_critical_points_of_the_other_surfaces(name, expected):
    obj = get_objective(name)
    points = critical_points(obj)
    assert [p.kind for p in points] == expected
    assert {p.point for p in points if p.kind == "minimum"} == set(obj.minima)
    assert [p.kind for p in critical_points(get_objective("quadratic", a=-1.5))] == ["maximum"]


def test_stability_bounds_per_optimizer():
    assert stability_bound("sgd") == 2.0
    assert stability_bound("momentum", 0.9) == pytest.approx(3.8)
    assert stability_bound("nesterov", 0.9) == pytest.approx(3.8 / 2.8)
    assert stability_bound("adam") is None and stability_bound("rmsprop") is None
    assert lr_limit(4.0, "sgd") == 0.5 and sharpness_limit(0.5, "sgd") == 4.0
    assert lr_limit(-1.0, "sgd") == np.inf and lr_limit(4.0, "adam") is None
    with pytest.raises(ValueError, match="unknown optimizer"):
        stability_bound("lbfgs")


def converges(obj, optimizer, lr, start, steps=20_000) -> bool:
    """Whether descent gets within 1e-9 of a minimum within ``steps``."""
    d = Descent(obj, optimizer, lr, start)
    while len(d.trajectory) <= steps and not d.diverged:
        if obj.distance_to_minimum(d.run(500)[-1].x) < 1e-9:
            return True
    return False


LIMIT_CASES = [(name, optimizer) for name in ("quadratic", "bowl", "rosenbrock", "himmelblau", "beale")
               for optimizer in ("sgd", "momentum", "nesterov")]


@pytest.mark.parametrize("name, optimizer", LIMIT_CASES)
def test_the_lr_limit_is_where_descent_stops_converging(name, optimizer):
    """Just below the limit (0.99x) descent converges to the minimum; just above (1.01x) it
    diverges (quadratic surfaces) or is left circling, never within REACH_TOL."""
    obj = get_objective(name)
    for minimum in obj.minima:
        c = curvature(obj, stability_point(obj, minimum))
        limit = c.lr_limit(optimizer)
        quadratic = name in ("quadratic", "bowl")
        start = obj.start if quadratic else np.array(minimum) + 1e-4 * c.eigenvectors[:, -1]
        assert converges(obj, optimizer, 0.99 * limit, start)
        above = Descent(obj, optimizer, 1.01 * limit, start)
        above.run(3_000)
        assert above.diverged if quadratic else obj.distance_to_minimum(above.trajectory[-1].x) > REACH_TOL


def test_on_the_saddle_the_limit_is_where_x_stops_closing_in():
    """Along x (curvature 2) the saddle is x^2: from y = 0, x shrinks to 0 below lr 1 and
    blows up above it."""
    obj = get_objective("saddle")
    limit = curvature(obj, stability_point(obj, obj.start)).lr_limit("sgd")
    assert limit == 1.0
    below, above = Descent(obj, "sgd", 0.99 * limit, (1.5, 0.0)), Descent(obj, "sgd", 1.01 * limit, (1.5, 0.0))
    below.run(2000)
    above.run(2000)
    assert abs(below.trajectory[-1].x[0]) < 1e-9 and above.diverged


def test_stability_point_is_the_nearest_minimum():
    obj = get_objective("himmelblau")
    assert tuple(stability_point(obj, (2.5, 1.5))) == (3.0, 2.0)
    assert tuple(stability_point(obj, (-3.0, 3.0))) == obj.minima[1]
    assert tuple(stability_point(get_objective("saddle"), (1.0, 1.0))) == (1.0, 1.0)
