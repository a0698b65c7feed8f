"""Control ladders and cycles."""

from __future__ import annotations

from gradtui.engine.train.ladders import CLIP_LADDER, LR_LADDER, cycle, step_ladder


def test_lr_ladder_is_1_3_10_from_1e_5_to_10():
    assert LR_LADDER[:4] == (1e-5, 3e-5, 1e-4, 3e-4)
    assert LR_LADDER[-3:] == (1.0, 3.0, 10.0)
    assert len(LR_LADDER) == 13


def test_step_ladder_moves_one_rung_and_stops_at_the_ends():
    assert step_ladder(LR_LADDER, 0.01, up=True) == 0.03
    assert step_ladder(LR_LADDER, 0.03, up=False) == 0.01
    assert step_ladder(LR_LADDER, 10.0, up=True) == 10.0
    assert step_ladder(LR_LADDER, 1e-5, up=False) == 1e-5


def test_off_ladder_values_move_to_the_nearest_rung_in_that_direction():
    assert step_ladder(LR_LADDER, 0.005, up=True) == 0.01
    assert step_ladder(LR_LADDER, 0.005, up=False) == 0.003
    assert step_ladder(LR_LADDER, 50.0, up=True) == 50.0
    assert step_ladder(LR_LADDER, 50.0, up=False) == 10.0
    assert step_ladder(CLIP_LADDER, 1.0, up=True) == 3.0


def test_cycle_wraps_and_starts_over_for_unknown_values():
    assert cycle(("a", "b", "c"), "c") == "a"
    assert cycle(("a", "b", "c"), "a") == "b"
    assert cycle((None, "norm", "value"), None) == "norm"
    assert cycle(("relu", "tanh"), ("relu", "tanh")) == "relu"
