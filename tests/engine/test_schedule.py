"""Learning-rate schedules: the lr of each step against values worked out by hand."""

import math

import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.optim.schedule import Schedule


def lrs(spec, base, steps, warmup=0, start=0):
    return list(Schedule.parse(spec, warmup, start).lrs(base, 1, steps + 1))


def test_constant():
    assert lrs("constant", 0.1, 4) == [0.1, 0.1, 0.1, 0.1]


def test_step_multiplies_by_the_factor_every_n_steps():
    assert lrs("step:0.5:2", 1.0, 7) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_cosine_falls_to_the_floor_and_stays():
    got = lrs("cosine:4:0.1", 1.0, 7)
    # floor + (base - floor) * (1 + cos(pi * t / 4)) / 2 for t = 0..4, then the floor
    want = [1.0, 0.1 + 0.9 * (1 + math.sqrt(0.5)) / 2, 0.55, 0.1 + 0.9 * (1 - math.sqrt(0.5)) / 2, 0.1, 0.1, 0.1]
    assert got == pytest.approx(want, abs=1e-15)


def test_warmup_ramps_linearly_then_the_schedule_starts():
    assert lrs("constant", 0.2, 5, warmup=4) == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2], abs=1e-16)
    assert lrs("step:0.1:1", 1.0, 5, warmup=2) == pytest.approx([0.5, 1.0, 1.0, 0.1, 0.01], abs=1e-16)


def test_a_schedule_counts_from_its_start():
    assert lrs("step:0.5:2", 1.0, 6, start=3) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_a_growing_lr_that_overflows_is_inf():
    assert Schedule.parse("step:10:1").lr(1.0, 400) == math.inf


def test_the_trainer_steps_with_the_scheduled_lr():
    trainer = Trainer(TrainConfig(dataset="circle", lr=0.1, schedule="step:0.5:3", warmup=2))
    assert [s.lr for s in trainer.run(7)] == pytest.approx([0.05, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], abs=1e-16)
    assert trainer.optimizer.lr == 0.05


def test_a_schedule_chosen_mid_run_starts_then():
    trainer = Trainer(TrainConfig(dataset="circle", lr=0.1))
    trainer.run(10)
    trainer.update(schedule="cosine:2:0.0")
    assert trainer.config.schedule_start == 10
    assert [s.lr for s in trainer.run(4)] == pytest.approx([0.1, 0.05, 0.0, 0.0], abs=1e-16)


@pytest.mark.parametrize("spec,message", [
    ("step:-0.5:10", "FACTOR must be greater than zero"),
    ("step:0.5:0", "EVERY must be a whole number"),
    ("cosine:100:-1", "FLOOR must be zero or more"),
    ("cosine:abc:0", "STEPS"),
    ("step:0.5", "unknown schedule"),
    ("linear", "unknown schedule"),
])
def test_bad_schedules_are_one_line_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(schedule=spec)


def test_a_negative_warmup_is_refused():
    with pytest.raises(ValueError, match="warmup"):
        TrainConfig(warmup=-1)
