"""The decimated step history: bounded, exact at width 1, spikes kept, rewinds truncate."""

from __future__ import annotations

import numpy as np

from gradtui.engine.run.history import MinMaxHistory


def test_short_runs_are_kept_exactly():
    history = MinMaxHistory(2, capacity=16)
    for step in range(1, 11):
        history.add(step, (step * 1.0, -step * 1.0))
    view = history.view()
    assert view.width == 1
    np.testing.assert_array_equal(view.steps, np.arange(1, 11))
    np.testing.assert_array_equal(view.lo[:, 0], np.arange(1, 11))
    np.testing.assert_array_equal(view.hi[:, 1], -np.arange(1, 11))


def test_a_million_steps_stay_bounded_and_keep_min_max_and_spikes():
    history = MinMaxHistory(1, capacity=64)
    values = np.sin(np.arange(1_000_000) / 1000.0)
    values[777_777] = 50.0
    for step, v in enumerate(values.tolist(), start=1):
        history.add(step, (v,))
    view = history.view()
    assert len(view) <= 64
    assert view.hi.max() == 50.0
    assert view.lo.min() == values.min()
    assert view.steps[-1] == 1_000_000
    assert history.nbytes < 64 * 8 * 5


def test_buckets_cover_contiguous_step_ranges():
    history = MinMaxHistory(1, capacity=8)
    for step in range(1, 101):
        history.add(step, (float(step),))
    view = history.view()
    # each bucket's max is its last step (values equal steps), its min the first
    np.testing.assert_array_equal(view.hi[:, 0], view.steps)
    np.testing.assert_array_equal(view.lo[1:, 0], view.steps[:-1] + 1)


def test_view_merges_down_to_the_points_asked_for():
    history = MinMaxHistory(1, capacity=512)
    for step in range(1, 501):
        history.add(step, (float(step),))
    view = history.view(max_points=50)
    assert len(view) <= 50
    assert view.hi.max() == 500 and view.lo.min() == 1


def test_nan_does_not_hide_the_finite_values_of_a_bucket():
    history = MinMaxHistory(1, capacity=2)
    for step, v in enumerate([1.0, float("nan"), 3.0, 4.0], start=1):
        history.add(step, (v,))
    view = history.view()
    assert np.isfinite(view.hi).all() and view.hi.max() == 4.0


def test_truncate_and_clear():
    history = MinMaxHistory(1, capacity=100)
    for step in range(1, 51):
        history.add(step, (float(step),))
    history.truncate(20)
    assert history.view().steps.max() == 20
    history.add(21, (0.5,))
    assert history.view().steps[-1] == 21
    history.clear()
    assert len(history.view()) == 0 and history.width == 1


def test_truncate_keeps_nothing_from_after_the_target_step():
    history = MinMaxHistory(1, capacity=3)
    for step in range(1, 17):
        history.add(step, (1000.0 if step == 14 else float(step),))
    history.flush()
    assert history.width == 8  # steps 8..15 share a bucket, spike at 14 included
    history.truncate(12)
    view = history.view()
    assert view.steps.max() <= 12 and view.hi.max() < 1000 and view.last[-1, 0] <= 12
