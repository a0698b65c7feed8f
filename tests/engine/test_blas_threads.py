"""The engine limits BLAS threads for its own work only, and results do not depend on the thread count."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.run.headless import run_headless
from gradtui.engine.train.blas import BlasLimit, blas_libraries


def blas_threads() -> int:
    """The thread count of the BLAS libraries the engine limits (NumPy's; another library
    loaded later in the process, such as torch's, is not the engine's)."""
    ours = {library.filepath for library in blas_libraries()}
    counts = {lib["num_threads"] for lib in threadpool_info() if lib["filepath"] in ours}
    assert len(counts) == 1, counts
    return counts.pop()


@pytest.fixture
def two_threads():
    """The caller's setting: two BLAS threads (as OpenBLAS starts on a 2-core machine)."""
    with threadpool_limits(2, user_api="blas"):
        if blas_threads() != 2:
            pytest.skip("this machine's BLAS cannot run two threads")
        yield


def small_trainer(**changes) -> Trainer:
    return Trainer(TrainConfig(dataset="circle", n_samples=200, hidden=(8,), **changes))


def spy_on_forward(trainer: Trainer) -> list[int]:
    """Record the BLAS thread count each time the model computes a forward pass or the
    loss is measured (inspection measures it on a replica of the model)."""
    seen = []

    def recording(method):
        def record(*args, **kwargs):
            seen.append(blas_threads())
            return method(*args, **kwargs)
        return record

    trainer.model.forward = recording(trainer.model.forward)
    trainer.loss.value = recording(trainer.loss.value)
    return seen


def test_every_engine_call_runs_on_one_thread_and_gives_the_callers_setting_back(two_threads):
    trainer = small_trainer()
    seen = spy_on_forward(trainer)
    trainer.step()
    trainer.run(3)
    trainer.evaluate()
    trainer.predict(trainer.data.X_test)
    before = len(seen)
    trainer.loss_landscape(steps=3)
    trainer.trace(0)
    assert len(seen) >= before + 9 and set(seen) == {1}
    assert blas_threads() == 2
    assert blas_threads() == 2


def test_a_run_holds_the_limit_around_its_steps_and_callbacks_and_releases_it(two_threads):
    trainer = small_trainer()
    during = []
    run_headless(trainer, 20, every=5, progress=lambda done: during.append(blas_threads()))
    assert during == [1] * 20
    assert blas_threads() == 2


def test_the_limit_is_released_when_the_engine_raises(two_threads):
    trainer = small_trainer()
    trainer.model.forward = lambda *a, **k: 1 / 0
    with pytest.raises(ZeroDivisionError):
        trainer.step()
    assert blas_threads() == 2


def test_blas_threads_none_leaves_the_callers_setting(two_threads):
    trainer = small_trainer(blas_threads=None)
    seen = spy_on_forward(trainer)
    trainer.run(2)
    assert set(seen) == {2}


def test_a_users_own_limit_around_the_engine_comes_back_after_it(two_threads):
    trainer = small_trainer()
    with BlasLimit(2):
        with BlasLimit(1):
            trainer.run(2)
            assert blas_threads() == 1
        assert blas_threads() == 2
    assert blas_threads() == 2


def test_a_limit_held_in_two_threads_is_released_by_the_last_to_leave(two_threads):
    entered, leave = threading.Event(), threading.Event()
    seen = []

    def hold():
        with BlasLimit(1):
            entered.set()
            leave.wait(5)
            seen.append(blas_threads())

    worker = threading.Thread(target=hold, daemon=True)
    worker.start()
    entered.wait(5)
    with BlasLimit(1):
        assert blas_threads() == 1
    assert blas_threads() == 1  # the worker still holds it
    leave.set()
    worker.join(5)
    assert seen == [1]
    assert blas_threads() == 2


def final_weights(config: TrainConfig, threads: int, steps: int = 4, arrays=None) -> np.ndarray:
    with threadpool_limits(threads, user_api="blas"):
        trainer = Trainer.from_arrays(*arrays, config) if arrays else Trainer(config)
        trainer.run(steps)
        trainer.step()
        evaluation = trainer.evaluate()
    return np.append(trainer.model.flat_value, [evaluation.train_loss, evaluation.test_loss])


@pytest.mark.parametrize("case", ["mnist-size full batch", "digits full batch"])
def test_results_are_the_same_bits_with_one_or_two_blas_threads(two_threads, case):
    if case == "digits full batch":
        pytest.importorskip("sklearn")
        config, arrays = TrainConfig(dataset="digits", hidden=(64, 32), batch_size=None), None
    else:
        rng = np.random.default_rng(0)
        arrays = (rng.normal(size=(1000, 784)), rng.integers(0, 10, 1000))
        config = TrainConfig(hidden=(128,), batch_size=None)
    one, two = final_weights(config, 1, arrays=arrays), final_weights(config, 2, arrays=arrays)
    assert one.tobytes() == two.tobytes()
    # The same comparison can fail: left to BLAS, these products split across threads.
    unlimited = config.replace(blas_threads=None)
    assert (final_weights(unlimited, 1, arrays=arrays).tobytes()
            != final_weights(unlimited, 2, arrays=arrays).tobytes())


def test_blas_threads_is_validated():
    with pytest.raises(ValueError, match="blas_threads must be at least 1"):
        TrainConfig(blas_threads=0)
    with pytest.raises(ValueError, match="whole number"):
        TrainConfig(blas_threads=1.5)
    assert TrainConfig(blas_threads=None).blas_threads is None
