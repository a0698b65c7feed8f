"""Stop conditions: each stops at the first step where it holds, found independently by a twin run."""

import math

import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.run.headless import run_headless
from gradtui.engine.train.stop import parse_until

CONFIG = TrainConfig(dataset="circle", n_samples=200, lr=0.02)


def first_step(predicate, config=CONFIG, limit=400):
    """The first step of a fresh run where ``predicate(stats, evaluation)`` holds, stepping by hand."""
    twin = Trainer(config)
    for _ in range(limit):
        stats = twin.step()
        if predicate(stats, twin.evaluate()):
            return stats.step
    raise AssertionError("never met")


CASES = {
    "step>=37": lambda s, e: s.step >= 37,
    "loss<=0.3": lambda s, e: s.loss <= 0.3,
    "train_loss<=0.25": lambda s, e: e.train_loss <= 0.25,
    "test_loss<0.3": lambda s, e: e.test_loss < 0.3,
    "train_accuracy>=0.9": lambda s, e: e.train_accuracy >= 0.9,
    "test_accuracy>=95%": lambda s, e: e.test_accuracy >= 0.95,
}


@pytest.mark.parametrize("until", CASES)
def test_each_condition_stops_at_the_first_step_it_holds(until):
    expected = first_step(CASES[until])
    stop, history = Trainer(CONFIG).run_until(until)
    assert stop.step == expected == len(history) and stop.condition == until


def test_the_first_flag_of_a_kind():
    config = CONFIG.replace(dataset="spiral", lr=0.05)
    expected = first_step(lambda s, e: bool(s.flagged("dead")), config)
    stop, _ = Trainer(config).run_until("flag:dead")
    assert stop.step == expected and stop.detail.startswith("dead flag on layers.")


def test_a_plateau_stops_n_steps_after_the_best_loss():
    config = CONFIG.replace(lr=0.5, optimizer="sgd")
    twin, best, best_step = Trainer(config), math.inf, 0
    for _ in range(600):
        stats = twin.step()
        loss = twin.evaluate().test_loss
        if loss < best:
            best, best_step = loss, stats.step
        if stats.step - best_step >= 20:
            break
    stop, _ = Trainer(config).run_until("plateau:20", max_steps=600)
    assert stop.step == stats.step and f"(step {best_step})" in stop.detail


def test_whichever_comes_first():
    stop, _ = Trainer(CONFIG).run_until("test_accuracy>=0.99, step>=5")
    assert (stop.condition, stop.step) == ("step>=5", 5)


def test_unmet_within_the_limit_returns_none():
    stop, history = Trainer(CONFIG).run_until("loss<=0", max_steps=7)
    assert stop is None and len(history) == 7


def test_the_runner_stops_and_its_summary_names_the_condition():
    rows = []
    summary = run_headless(Trainer(CONFIG), 500, every=10, on_row=rows.append, until="step>=23")
    assert summary.last_step == 23 and rows[-1]["step"] == 23
    assert "stopped at step 23: step>=23 (step 23)" in summary.lines()
    summary = run_headless(Trainer(CONFIG), 5, until="loss<=0")
    assert "not met within 5 steps: loss<=0" in summary.lines()


@pytest.mark.parametrize("text,message", [
    ("", "a stop condition is needed"),
    ("accuracy>=0.9", "unknown quantity"),
    ("test_accuracy=>0.9", "cannot read"),
    ("test_loss<=abc", "not a finite number"),
    ("step>=0", "at least 1"),
    ("flag:sad", "unknown flag kind"),
    ("plateau:x", "at least 1"),
])
def test_unparsable_conditions_are_one_line_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_until(text)


def test_an_accuracy_on_regression_is_refused():
    with pytest.raises(ValueError, match="regression"):
        Trainer(TrainConfig(dataset="sine")).run_until("test_accuracy>=0.9")
