"""Every hint does what it promises when done exactly as it says, when it says, and every
prediction's evidence, read off the scenario's own run, bears out the answer it calls correct.

The hints name keys; here each key is the config change it makes in the app (] and [ move
the lr one rung of the 1-3-10 ladder, a and o move one step along ACTIVATIONS and
OPTIMIZERS). tests/tui/test_app_stories.py presses the keys themselves.
"""

from __future__ import annotations

import math

import pytest

from gradtui.engine import SCENARIOS, Descent, Race, Trainer, get_objective
from gradtui.engine.train.config import ACTIVATIONS, OPTIMIZERS


def trainer(name: str, **changes) -> Trainer:
    return Trainer(SCENARIOS[name].config.replace(**changes))


def accuracies(t: Trainer, steps: int, every: int = 100) -> list[float]:
    """Test accuracy every ``every`` steps over the next ``steps``."""
    out = []
    for _ in range(steps // every):
        t.run(every)
        out.append(t.evaluate().test_accuracy)
    return out


def holds_from(values: list[float], bound: float, every: int = 100) -> int | None:
    """The first step (a multiple of ``every``) from which every value is at least ``bound``."""
    bad = [i for i, v in enumerate(values) if v < bound]
    first = 0 if not bad else bad[-1] + 1
    return (first + 1) * every if first < len(values) else None


def test_hint_keys_are_the_ones_that_reach_the_promised_settings():
    # a three times from sigmoid is relu; a once from relu is leaky_relu, from linear relu;
    # o four times from sgd is adam.
    def after(options, start, presses):
        i = options.index(start)
        return options[(i + presses) % len(options)]
    assert after(ACTIVATIONS, "sigmoid", 3) == "relu"
    assert after(ACTIVATIONS, "relu", 1) == "leaky_relu"
    assert after(ACTIVATIONS, "linear", 1) == "relu"
    assert after(OPTIMIZERS, "sgd", 4) == "adam"


@pytest.mark.parametrize("at", [0, 1500])
def test_default_two_rungs_up_kills_units_and_accuracy_within_100_steps(at):
    t = trainer("default")
    t.run(at)
    t.update(lr=0.1)
    run = t.run(100)
    assert any(s.flagged("dead") for s in run)
    assert t.evaluate().test_accuracy < 0.8


@pytest.mark.parametrize("fix", [dict(clip_mode="norm"), dict(lr=0.03)])
def test_exploding_fix_from_step_0_stays_finite_and_passes_90_percent_by_step_1000(fix):
    # At the NaN pause the change applies from step 0, the last snapshot before the blow-up.
    t = trainer("exploding", **fix)
    acc = accuracies(t, 3000)
    assert holds_from(acc, 0.9) <= 1000
    assert t.evaluate().train_loss < math.inf


def test_vanishing_relu_clears_the_flag_and_holds_90_percent_from_1500_steps():
    t = trainer("vanishing")
    t.run(1)  # the flag is up from step 1
    t.update(activation="relu")
    run = t.run(100)
    assert not any(s.flagged("vanishing") for s in run)
    acc = accuracies(t, 10_000)
    assert holds_from(acc, 0.9) <= 1500


@pytest.mark.parametrize("later", [0, 2000, 3000, 4600])
def test_dying_relu_leaky_and_two_rungs_down_at_the_dead_badge_pass_90_then_hold_80_percent(later):
    # Pressed when the badge first shows or later (measured at every 100 steps up to 8,000,
    # accuracy every 50: 90% reached within 1,800 steps; the lowest in 10,000 steps after was 84%); 2,000 the
    # slowest press; at 4,600 the old hint's lr 0.03 never reached 90% in 3,000 steps.
    t = trainer("dying-relu")
    while not t.step().flagged("dead"):
        pass
    assert t.step_count <= 12  # the badge shows within a dozen steps
    assert all(s.flagged("dead") for s in t.run(later)[-1:])
    t.update(activation="leaky_relu")
    t.update(lr=0.01)
    acc = accuracies(t, 10_000, every=50)
    passed = next(i for i, a in enumerate(acc) if a >= 0.9)
    assert (passed + 1) * 50 <= 2000 and min(acc[passed:]) >= 0.8


def test_dying_relu_left_alone_stays_near_chance_with_the_second_layer_dead():
    t = trainer("dying-relu")
    run = t.run(3000)
    assert run[-1].layers[1].dead >= 14
    assert t.evaluate().test_accuracy < 0.65


@pytest.mark.parametrize("at", [0, 500, 5250])
def test_saturation_adam_at_lr_0_01_clears_within_200_steps_and_holds_90_percent_from_4000(at):
    # Pressed at any step of the stuck run (0 to 15,000 in steps of 250, measured) the flag
    # cleared within 160 steps and accuracy held 90% from 800-3,600 steps on; 500 and 5,250
    # are among the slowest.
    t = trainer("saturation")
    t.run(at)
    t.update(optimizer="adam")
    t.update(lr=0.01)
    run = t.run(200)
    assert not run[-1].flagged("saturated")
    acc = accuracies(t, 7800)
    assert holds_from(acc, 0.9) + 200 <= 4000


def below_from(losses: list[float], bound: float) -> int:
    """The first step (counted from 1) from which every loss is below ``bound``."""
    return max((i + 1 for i, loss in enumerate(losses) if not loss < bound), default=0) + 1


def test_lr_too_high_three_rungs_down_from_step_0_stays_below_0_01_from_2500_steps():
    # At lr 0.03, two rungs down, the loss reaches 0.01 by step 823 but climbs back to 0.09
    # near step 3,000 (full-batch SGD at the edge of stability); at 0.01 it never climbs back.
    losses = [s.loss for s in trainer("lr-too-high", lr=0.01).run(10_000)]
    assert all(math.isfinite(loss) for loss in losses)
    assert below_from(losses, 0.01) <= 2500


@pytest.mark.parametrize("at", [0, 1000, 10_000])
def test_lr_too_low_three_rungs_up_stays_below_0_01_from_2500_steps(at):
    t = trainer("lr-too-low")
    t.run(at)
    assert t.evaluate().train_loss > 0.05
    t.update(lr=0.01)
    assert below_from([s.loss for s in t.run(8000)], 0.01) <= 2500


def test_line_fit_at_lr_1_grows_the_loss_every_step_from_step_3():
    losses = [s.loss for s in trainer("line-fit", lr=1.0).run(50)]
    assert all(b > a for a, b in zip(losses[1:], losses[2:]))


@pytest.mark.parametrize("at", [0, 500])
def test_xor_linear_relu_passes_95_percent_within_200_steps(at):
    t = trainer("xor-linear")
    t.run(at)
    assert t.evaluate().test_accuracy < 0.65
    t.update(activation="relu")
    t.run(200)
    assert t.evaluate().test_accuracy > 0.95


def test_hints_name_no_setting_the_app_cannot_change():
    for s in SCENARIOS.values():
        for word in ("He init", "bias", "gradtui --"):
            assert word not in s.hint, (s.name, word)


NETWORKS = [n for n, s in SCENARIOS.items() if not s.is_calculus]
PREDICTED_CALCULUS = [n for n, s in SCENARIOS.items() if s.is_calculus and s.prediction]


def test_every_network_scenario_and_at_least_three_calculus_ones_ask_a_question():
    assert all(SCENARIOS[n].prediction for n in NETWORKS) and len(NETWORKS) >= 10
    assert len(PREDICTED_CALCULUS) >= 3


@pytest.mark.parametrize("name", NETWORKS)
def test_network_prediction_evidence_bears_out_the_answer(name):
    scenario = SCENARIOS[name]
    watch = scenario.prediction.watch()
    t = Trainer(scenario.config)
    while not watch.see(t, t.step()):
        assert t.step_count <= scenario.prediction.evidence.by
    assert watch.reveal.answer == scenario.prediction.correct
    assert f"step {watch.reveal.step}" in watch.reveal.evidence


@pytest.mark.parametrize("name", PREDICTED_CALCULUS)
def test_calculus_prediction_evidence_bears_out_the_answer(name):
    scenario = SCENARIOS[name]
    watch = scenario.prediction.watch()
    d = Descent(get_objective(scenario.objective))
    while not watch.see(d, d.step()):
        assert d.trajectory[-1].step <= scenario.prediction.evidence.by
    assert watch.reveal.answer == scenario.prediction.correct


def test_a_run_that_goes_another_way_is_judged_as_it_went():
    # the exploding network with clipping from the start does not blow up: the evidence says so
    prediction = SCENARIOS["exploding"].prediction
    watch = prediction.watch()
    t = trainer("exploding", clip_mode="norm")
    while not watch.see(t, t.step()):
        pass
    assert watch.reveal.answer == 0 and watch.reveal.step == 100
    assert "did not bear the answer out" in watch.lines()[-1]


def test_calculus_hints_quote_the_race_and_the_ladder():
    """Each calculus hint's numbers are what R's race (or the lr keys on x^2) produce."""
    def race(name: str, steps: int) -> dict:
        r = Race(get_objective(name))
        r.run(steps)
        return {res.optimizer: res for res in r.results()}

    def hint(name: str) -> str:
        return SCENARIOS[name].hint

    quadratic = get_objective("quadratic")
    overshoot = [float(r.x[0]) for r in Descent(quadratic, "sgd", 0.8).run(30)]
    assert all(a * b < 0 and abs(b) < abs(a) for a, b in zip(overshoot, overshoot[1:]))
    assert abs(overshoot[-1]) < 1e-4 and "(lr 0.8): x overshoots 0 every step yet closes in" in hint("quadratic")
    bounce = [float(r.x[0]) for r in Descent(quadratic, "sgd", 1.0).run(6)]
    assert bounce == [-10.0, 10.0] * 3 and "(lr 1, the limit 2/λmax" in hint("quadratic")
    assert abs(float(Descent(quadratic, "sgd", 1.2).run(100)[-1].x[0])) > 1e6 and "(lr 1.2): it diverges" in hint("quadratic")
    crawl = Descent(quadratic, "sgd", 0.01).run(30)
    assert float(crawl[-1].x[0]) > 5 and "(lr 0.01): it crawls" in hint("quadratic")

    bowl = race("bowl", 1000)
    assert (bowl["sgd"].steps_to_minimum, bowl["nesterov"].steps_to_minimum) == (126, 109)
    assert min(bowl.values(), key=lambda r: r.steps_to_minimum).optimizer == "nesterov"
    assert "step 126, nesterov first at step 109" in hint("bowl")

    rosen = race("rosenbrock", 10_000)
    assert min(rosen.values(), key=lambda r: r.steps_to_minimum or math.inf).optimizer == "adam"
    assert (rosen["adam"].steps_to_minimum, rosen["nesterov"].steps_to_minimum) == (1220, 1620)
    assert rosen["momentum"].steps_to_minimum <= 1620 and rosen["sgd"].steps_to_minimum is None
    assert "(step 1,220)" in hint("rosenbrock") and "by step 1,620" in hint("rosenbrock")

    r = Race(get_objective("saddle"))
    left: dict[str, int] = {}
    while len(left) < 5:
        for name, row in r.step().items():
            if abs(float(row.x[1])) > 1:
                left.setdefault(name, row.step)
    assert sorted(left, key=left.get)[0] == "adam" and sorted(left, key=left.get)[-1] == "momentum"
    assert (left["adam"], left["sgd"], left["momentum"]) == (11, 38, 46)
    assert "(|y| past 1 at step 11), sgd at step 38, momentum last (step 46)" in hint("saddle")

    beale = race("beale", 10_000)
    steps = {name: res.steps_to_minimum for name, res in beale.items()}
    assert (steps["sgd"], steps["adam"], steps["nesterov"]) == (1955, 227, 229)
    assert max(steps["adam"], steps["nesterov"]) < steps["sgd"] / 8
    assert "1,955 steps" in hint("beale") and "adam (227) and nesterov (229)" in hint("beale")
