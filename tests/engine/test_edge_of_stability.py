"""The stability limit 2/lr, measured: the edge-of-stability scenario climbs to it and hovers
there while the loss falls in fits and starts, and the lr-too-high story's numbers are its
run's (the sharpness where it broke against the lr)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradtui.engine import SCENARIOS, Trainer
from gradtui.engine.train.stability import breakdown, track_sharpness

EDGE = SCENARIOS["edge-of-stability"]
STEPS = 2000


def edge(track, lr: float) -> dict:
    """Where the sharpness first comes within 10% of 2/lr, and what follows."""
    share = np.array(track.sharpness) / (2 / lr)
    reached = np.flatnonzero(share >= 0.9)
    assert reached.size, f"the sharpness never came within 10% of 2/lr (at most {share.max():.0%})"
    at = int(reached[0])
    losses = np.array(track.losses)
    return {"at": at, "step": track.steps[at], "after": share[at:], "loss_at": losses[at],
            "rises_after": int(np.sum(np.diff(losses[at:]) > 0)), "rises_before": int(np.sum(np.diff(losses[:at]) > 0))}


@pytest.fixture(scope="module")
def run():
    return track_sharpness(Trainer(EDGE.config), STEPS)


def test_the_sharpness_climbs_to_2_over_lr_and_hovers_while_the_loss_falls_unevenly(run):
    e = edge(run, EDGE.config.lr)
    assert run.sharpness[0] < 0.7 * 2 / EDGE.config.lr  # it starts well below the limit and climbs
    assert np.all(np.abs(e["after"] - 1) <= 0.2)  # within 20% of 2/lr for the rest of the run
    assert run.losses[-1] < e["loss_at"]  # the loss ends lower than at the crossing
    assert e["rises_before"] == 0 and e["rises_after"] >= 50  # smooth before the edge, uneven at it
    assert all(math.isfinite(x) for x in run.losses)


def test_the_story_quotes_the_run(run):
    e = edge(run, EDGE.config.lr)
    limit = 2 / EDGE.config.lr
    after = np.array(run.sharpness[e["at"]:])
    for said in (f"2/lr = {limit:.1f}", f"starts at {run.sharpness[0]:.1f}", f"at step {e['step']}",
                 f"({after.min():.0f} to {after.max():.0f} until step 2,000)"):
        assert said in EDGE.story, said


@pytest.mark.parametrize("seed", [1, 2])
def test_other_seeds_reach_the_edge_too(seed):
    track = track_sharpness(Trainer(EDGE.config.replace(seed=seed)), STEPS)
    e = edge(track, EDGE.config.lr)
    assert np.all(np.abs(e["after"] - 1) <= 0.2)
    assert track.losses[-1] < e["loss_at"] and e["rises_after"] >= 20


def test_the_hint_a_lower_lr_falls_at_every_step_but_ends_higher(run):
    assert EDGE.fix == {"lr": 0.01}
    slow = [s.loss for s in Trainer(EDGE.config.replace(**EDGE.fix)).run(STEPS)]
    assert all(b <= a for a, b in zip(slow, slow[1:]))  # without a single rise
    assert slow[-1] > 0.005 and run.losses[-1] < 0.002


def test_lr_too_high_story_quotes_the_sharpness_where_it_broke():
    scenario = SCENARIOS["lr-too-high"]
    broke = breakdown(Trainer(scenario.config), 300)
    assert broke is not None and broke.lr == scenario.config.lr == 0.3
    assert broke.times_over > 1  # above the limit: every step overshoots along the sharpest direction
    for said in (f"is {broke.sharpness:.1f} at the start", f"below lr 2/{broke.sharpness:.1f} = {broke.limit:.3f}",
                 f"0.3 is {broke.times_over:.1f} times that", f"rises from step {broke.step}",
                 f"overflows at step {broke.nonfinite_step}"):
        assert said in scenario.story, said


def test_a_run_that_does_not_diverge_has_no_breakdown():
    assert breakdown(Trainer(SCENARIOS["lr-too-low"].config), 50) is None
