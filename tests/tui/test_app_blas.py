"""The app's training worker sets the BLAS thread count once for a run, not once per step,
and gives the caller's setting back when the run stops."""

from __future__ import annotations

import asyncio

from threadpoolctl import threadpool_info, threadpool_limits

from gradtui.engine.train import blas
from gradtui.tui.app import GradtuiApp


def blas_threads() -> set[int]:
    """Thread counts of the BLAS libraries the engine limits (NumPy's; another library
    loaded later in the process, such as torch's, is not the engine's)."""
    ours = {library.filepath for library in blas.blas_libraries()}
    return {lib["num_threads"] for lib in threadpool_info() if lib["filepath"] in ours}


async def test_a_run_in_the_apps_thread_sets_the_thread_count_once_and_restores_it(monkeypatch):
    """The fallback where the run trains in a thread of the app's process."""
    sets = []
    original = blas._set
    monkeypatch.setattr(blas, "_set", lambda counts: (sets.append(list(counts)), original(counts)))
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        app = GradtuiApp(worker="thread")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("space")
            while app.session.frame.step < 200:
                await asyncio.sleep(0.01)
            assert blas_threads() == {1}  # while it trains
            await pilot.press("space")
            while app.session.busy:
                await asyncio.sleep(0.01)
            steps = app.session.trainer.step_count
        assert blas_threads() == before
    assert steps >= 200
    # once for the run, and once per evaluation or output view computed while paused (before and
    # after): a handful, not one per step (3,030 sets for these 200+ steps when set per step)
    assert len([c for c in sets if c == [1] * len(c)]) <= 16


async def test_a_run_in_its_own_process_leaves_the_apps_thread_count_alone():
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        app = GradtuiApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("space")
            while app.session.frame.step < 200:
                await asyncio.sleep(0.01)
            assert blas_threads() == before  # the process that trains limits its own
            await pilot.press("space")
