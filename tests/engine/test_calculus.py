"""Calculus mode: analytic objectives, descents through the shared optimizers, secants."""

import json

import numpy as np
import pytest

from gradtui.engine.calculus.secant import (
    DIVERGENCE_LIMIT, OBJECTIVES, Descent, Race, central_secant, get_objective, secant,
    secant_slopes,
)
from gradtui.engine.optim.optimizers import SGD, Adam, RMSprop
from gradtui.engine.nn.parameter import Parameter

PARAMETRISED = [("quadratic", {"a": 2.0, "b": -3.0, "c": 1.0}), ("rosenbrock", {"a": 2.0, "b": 50.0})]
ALL_OBJECTIVES = [(name, {}) for name in OBJECTIVES] + PARAMETRISED


def test_sgd_on_x_squared_matches_float64_exactly():
    d = Descent(get_objective("quadratic"), "sgd", lr=0.1)
    d.run(20)
    xs = [row.x[0] for row in d.trajectory]
    assert xs[:6] == [10.0, 8.0, 6.4, 5.12, 4.096, 3.2768]
    assert d.trajectory[4].f == 16.777216
    assert xs[20] == 0.11529215046068471
    assert d.trajectory[20].f == 0.013292279957849162
    start, first = d.trajectory[:2]
    assert (start.step, start.step_size, start.grad.tolist()) == (0, 0.0, [20.0])
    assert (first.step, first.step_size, first.grad.tolist()) == (1, 2.0, [16.0])


@pytest.mark.parametrize("name, params", ALL_OBJECTIVES)
def test_gradient_matches_central_differences(name, params):
    obj = get_objective(name, **params)
    rng = np.random.default_rng(0)
    bounds = np.array(obj.window, dtype=float).reshape(obj.dim, 2)
    points = [np.array(obj.start)] + [rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(5)]
    for p in points:
        numeric = np.array([central_secant(lambda t: obj.f(p + t * e), 0.0, 1e-6)
                            for e in np.eye(obj.dim)])
        exact = obj.grad(p)
        assert np.linalg.norm(exact - numeric) < 1e-6 * np.linalg.norm(exact), p


@pytest.mark.parametrize("name, params", ALL_OBJECTIVES)
def test_minima_are_stationary_and_f_grid_agrees_with_f(name, params):
    obj = get_objective(name, **params)
    for m in obj.minima:
        assert np.linalg.norm(obj.grad(m)) < 1e-10
        assert obj.distance_to_minimum(m) == 0.0
    axes = [np.linspace(lo, hi, 7) for lo, hi in np.array(obj.window).reshape(obj.dim, 2)]
    mesh = np.meshgrid(*axes)
    grid = obj.f_grid(*mesh)
    assert grid.shape == mesh[0].shape
    for idx in np.ndindex(grid.shape):
        assert grid[idx] == obj.f([c[idx] for c in mesh])


def test_saddle_has_no_minima_and_descent_escapes_along_y():
    saddle = get_objective("saddle")
    assert saddle.minima == ()
    assert saddle.distance_to_minimum((0.0, 0.0)) == np.inf
    d = Descent(saddle, "sgd")
    d.run(10_000)
    assert d.diverged and abs(d.trajectory[-1].x[1]) > DIVERGENCE_LIMIT
    assert d.steps_to_minimum(1e-3) is None


ADAM_BUDGETS = {"quadratic": 150, "bowl": 200, "rosenbrock": 1500, "himmelblau": 200, "beale": 300}


@pytest.mark.parametrize("name, budget", ADAM_BUDGETS.items())
def test_adam_reaches_a_minimum_within_budget(name, budget):
    """Adam at the surface's default lr, from the default start, gets within 1e-3 of a
    known minimum within: quadratic 150, bowl 200, rosenbrock 1500, himmelblau 200,
    beale 300 steps (measured: 127, 169, 1220, 153, 227)."""
    d = Descent(get_objective(name), "adam")
    d.run(budget)
    assert d.steps_to_minimum(1e-3) is not None
    assert not d.diverged


def test_lr_one_oscillates_forever_and_lr_above_one_diverges():
    quadratic = get_objective("quadratic")
    d = Descent(quadratic, "sgd", lr=1.0)
    d.run(100)
    assert [row.x[0] for row in d.trajectory] == [10.0, -10.0] * 50 + [10.0]
    assert not d.diverged
    d = Descent(quadratic, "sgd", lr=1.1)
    rows = d.run(100)
    assert d.diverged and len(rows) < 100
    assert abs(rows[-1].x[0]) > DIVERGENCE_LIMIT


def test_reset_replays_the_same_trajectory():
    d = Descent(get_objective("rosenbrock"), "momentum")
    first = [row.x.tolist() for row in d.run(30)]
    d.reset()
    assert len(d.trajectory) == 1
    assert [row.x.tolist() for row in d.run(30)] == first


def test_set_lr_applies_from_the_next_step_and_survives_reset():
    d = Descent(get_objective("quadratic"), "momentum", lr=0.1)
    d.step()
    buffer = d.optimizer.state[0]["momentum_buffer"].copy()
    d.set_lr(0.01)
    assert d.optimizer.state[0]["momentum_buffer"].tolist() == buffer.tolist()
    x = d.trajectory[-1].x[0]
    d.step()
    assert d.trajectory[-1].x[0] == x - 0.01 * (0.9 * buffer[0] + 2 * x)
    d.reset()
    assert (d.lr, d.optimizer.lr) == (0.01, 0.01)
    with pytest.raises(ValueError, match="positive finite"):
        d.set_lr(float("inf"))


def test_rows_serialise_to_json():
    d = Descent(get_objective("bowl"), "adam")
    row = json.loads(json.dumps(d.step().to_dict()))
    assert row["step"] == 1 and len(row["x"]) == 2 and len(row["grad"]) == 2
    assert row["f"] == get_objective("bowl").f(row["x"])


def _shift_by_one(self, value, grad, state, *scratch):
    value -= 1.0


def test_race_and_plain_optimizers_share_one_update_rule(monkeypatch):
    for cls in (SGD, RMSprop, Adam):
        monkeypatch.setattr(cls, "_update", _shift_by_one)
    race = Race(get_objective("quadratic"))
    rows = race.step()
    assert {name: row.x.tolist() for name, row in rows.items()} == {
        name: [9.0] for name in ("sgd", "momentum", "nesterov", "rmsprop", "adam")}
    p = Parameter("w", np.array([5.0]))
    Adam([p], lr=0.1).step()
    assert p.value.tolist() == [4.0]


def test_race_reports_each_lane():
    race = Race(get_objective("quadratic"), ["sgd", "adam"], lrs={"sgd": 1.1})
    race.run(200)
    sgd, adam = race.results()
    assert (sgd.optimizer, sgd.lr, sgd.diverged, sgd.steps_to_minimum) == ("sgd", 1.1, True, None)
    assert sgd.steps < 200
    assert (adam.optimizer, adam.lr, adam.diverged, adam.steps) == ("adam", 0.3, False, 200)
    assert adam.steps_to_minimum is not None and adam.final_f < 1e-5
    race.reset()
    assert all(len(d.trajectory) == 1 for d in race.lanes.values())


def test_central_secant_error_shrinks_then_grows():
    hs = [10.0**-k for k in range(1, 14)]
    errors = [row.error for row in secant_slopes(np.exp, 1.0, hs, np.exp(1.0))]
    best = int(np.argmin(errors))
    assert 3 <= best <= 7
    assert all(a > b for a, b in zip(errors[:4], errors[1:4]))
    assert errors[-1] > 1e3 * errors[best]


def test_forward_secant_on_a_parabola_errs_by_h_until_rounding_wins():
    quadratic = get_objective("quadratic")
    rows = secant_slopes(quadratic.f, 3.0, [0.1, 0.01, 1e-3, 1e-4, 1e-13], 6.0, rule="forward")
    for row in rows[:4]:
        assert row.error == pytest.approx(row.h, rel=1e-3)
    assert rows[-1].error > 1e-3
    assert secant(quadratic.f, 3.0, 1.0) == 7.0
    assert central_secant(quadratic.f, 3.0, 1.0) == 6.0


@pytest.mark.parametrize("call, message", [
    (lambda: get_objective("sphere"), "valid: quadratic, bowl, rosenbrock"),
    (lambda: get_objective("bowl", a=2), "valid: none"),
    (lambda: get_objective("quadratic", d=1), "valid: a, b, c"),
    (lambda: Descent(get_objective("bowl"), "lbfgs"), "valid: sgd, momentum"),
    (lambda: Descent(get_objective("bowl"), "sgd", lr=0.0), "positive finite"),
    (lambda: Descent(get_objective("bowl"), start=(1.0,)), "2 coordinate"),
    (lambda: get_objective("bowl").f_grid(np.zeros(3)), "2 coordinate array"),
    (lambda: Race(get_objective("bowl"), ["sgd", "sgd"]), "distinct optimizers"),
    (lambda: Race(get_objective("bowl"), ["sgd"], lrs={"adam": 0.1}), "valid: sgd"),
    (lambda: secant_slopes(np.exp, 1.0, [0.1], 1.0, rule="backward"), "valid: central, forward"),
    (lambda: secant_slopes(np.exp, 1.0, [0.0], 1.0), "non-zero"),
])
def test_user_errors_name_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message):
        call()
