"""Twin runs: A and B start bit-identical, a fork continues exactly like the original, and
every number of the summary matches one recomputed from two plain trainers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer, Twin, get_scenario
from gradtui.engine.train.twin import ACCURACY_TARGETS

SMALL = TrainConfig(hidden=(8, 8), n_samples=80)


def same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    return x.dtype == y.dtype and x.tobytes() == y.tobytes()


def sampler_state(trainer: Trainer) -> tuple:
    state = trainer.sampler.state()
    return state["perm"].tobytes(), state["pos"], repr(state["rng"])


# --- a fair start ------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [{"clip_mode": "norm"}, {"lr": 0.1}, {"optimizer": "sgd"},
                                     {"activation": "tanh"}])
def test_a_and_b_start_bit_identical_and_see_the_same_first_batch(changes):
    twin = Twin(SMALL, **changes)
    a, b = twin.a, twin.b
    assert same_bits(a.model.flat_value, b.model.flat_value)
    assert same_bits(a.X_probe, b.X_probe) and a.data is b.data
    assert sampler_state(a) == sampler_state(b)
    assert a.sampler.next().tolist() == b.sampler.next().tolist()
    assert twin.unshared == []


@pytest.mark.parametrize("changes", [{"clip_mode": "norm", "clip": 1e-3}, {"lr": 0.5}, {"weight_decay": 0.1}])
def test_a_change_outside_the_forward_pass_leaves_step_1_loss_equal(changes):
    twin = Twin(SMALL, **changes)
    stats_a, stats_b = twin.step()
    assert stats_a.loss == stats_b.loss and stats_a.grad_norm == stats_b.grad_norm
    assert not same_bits(twin.a.model.flat_value, twin.b.model.flat_value)  # the change acted
    stats_a, stats_b = twin.step()
    assert stats_a.loss != stats_b.loss and twin.parted_at == 2


def test_b_gets_a_s_weights_even_where_its_own_draw_would_differ():
    own = Trainer(SMALL.replace(activation="tanh"))  # He init scales by the activation's gain
    twin = Twin(SMALL, activation="tanh")
    assert not same_bits(own.model.flat_value, twin.a.model.flat_value)
    assert same_bits(twin.b.model.flat_value, twin.a.model.flat_value)
    assert twin.b.model.activations == ["tanh", "tanh"]


def test_what_cannot_be_shared_is_said():
    wider = Twin(SMALL, hidden=(16, 8))
    assert wider.unshared == ["B's layers.0.W, layers.0.b, layers.1.W start from a draw of its own "
                              "(A has no parameter of that shape)"]
    assert same_bits(wider.b.model.layers[2].W.value, wider.a.model.layers[2].W.value)
    assert "init changed" in Twin(SMALL, init="xavier").unshared[0]
    reseeded = Twin(SMALL, seed=3)
    assert reseeded.a.data is not reseeded.b.data and len(reseeded.unshared) == 2
    single = Twin(SMALL, dtype="float32")
    assert single.unshared == ["B's initial weights are A's rounded to float32"]
    assert same_bits(single.b.model.flat_value, single.a.model.flat_value.astype(np.float32))
    assert Twin(SMALL, batch_size=16).unshared == [
        "B cuts the same shuffled order into batches of 16 (A: 32)"]


def test_bad_changes_are_one_line_value_errors():
    with pytest.raises(ValueError, match="unknown config key 'learning_rate'"):
        Twin(SMALL, learning_rate=0.1)
    with pytest.raises(ValueError, match="lr must be greater than zero"):
        Twin(SMALL, lr=-1.0)
    with pytest.raises(ValueError, match="cannot change 'seed' mid-run"):
        Twin.from_trainer(Trainer(SMALL), seed=4)


# --- forks ---------------------------------------------------------------------------------

def test_a_fork_continues_exactly_like_the_original(fingerprint):
    config = SMALL.replace(batchnorm=True, optimizer="adam", batch_size=24)  # moments, running stats
    forked, original = Trainer(config), Trainer(config)
    forked.run(37)
    original.run(37)
    twin = Twin.from_trainer(forked)
    assert twin.a is forked and twin.b.step_count == 37
    for _ in range(25):
        stats_a, stats_b = twin.step()
        expected = original.step()
        assert fingerprint([stats_a]) == fingerprint([stats_b]) == fingerprint([expected])
    assert same_bits(twin.b.model.flat_value, original.model.flat_value)
    assert twin.parted_at is None


def test_a_fork_with_a_change_takes_the_original_s_next_batch_then_parts():
    forked, original = Trainer(SMALL), Trainer(SMALL)
    forked.run(20)
    original.run(20)
    twin = Twin.from_trainer(forked, lr=0.2)
    expected = original.step()
    stats_a, stats_b = twin.step()
    assert stats_a.loss == stats_b.loss == expected.loss
    assert twin.b.optimizer.lr == 0.2 and twin.a.optimizer.lr == SMALL.lr
    assert twin.differences() == {"lr": (0.01, 0.2)}
    twin.step()
    assert twin.parted_at == 22


# --- the summary, recomputed ----------------------------------------------------------------

def recompute(config: TrainConfig, changes: dict, steps: int, every: int) -> dict:
    """The summary's numbers from two plain trainers stepped alternately (same start as Twin)."""
    runs = {"A": Trainer(config), "B": Trainer(config.replace(**changes))}
    runs["B"].model.flat_value[...] = runs["A"].model.flat_value  # B starts from A's weights
    runs["B"].restore(runs["B"].snapshot())
    out = {side: {"evals": [], "first": {}, "nonfinite": [], "losses": []} for side in runs}
    for step in range(1, steps + 1):
        for side, trainer in runs.items():
            stats = trainer.step()
            rec = out[side]
            rec["losses"].append(stats.loss)
            for flag in stats.flags:
                rec["first"].setdefault(flag.kind, {}).setdefault(flag.layer, step)
            if any(f.kind == "nonfinite" for f in stats.flags):
                rec["nonfinite"].append(step)
            if step % every == 0 or step == steps:
                rec["evals"].append((step, trainer.evaluate()))
    return out


@pytest.mark.parametrize("scenario, changes, steps, every", [
    ("exploding", {"clip_mode": "norm"}, 60, 7),
    ("default", {"lr": 0.05, "activation": "leaky_relu"}, 200, 20),
    ("lr-too-high", {"lr": 0.03}, 260, 13),
])
def test_summary_numbers_equal_those_recomputed_from_the_two_runs(scenario, changes, steps, every):
    config = get_scenario(scenario).config
    summary = Twin(config, **changes).run(steps, every=every)
    expected = recompute(config, changes, steps, every)
    for side in (summary.a, summary.b):
        rec = expected[side.label]
        step, last = rec["evals"][-1]
        assert step == steps == side.run.last_step and side.run.first_step == 1
        assert side.run.evaluation.train_loss == pytest.approx(last.train_loss, nan_ok=True, rel=0, abs=0)
        finite = [(ev.train_loss, s) for s, ev in rec["evals"] if math.isfinite(ev.train_loss)]
        assert (side.best_loss, side.best_loss_step) == min(finite)
        acc = [(ev.test_accuracy, s) for s, ev in rec["evals"] if math.isfinite(ev.train_loss)]
        if rec["evals"][0][1].test_accuracy is None:
            assert side.best_accuracy is None and side.accuracy is None
        else:
            best = max(a for a, _ in acc)
            assert side.best_accuracy == best
            assert side.best_accuracy_step == next(s for a, s in acc if a == best)
            assert side.reached == {t: next((s for a, s in acc if a >= t), None) for t in ACCURACY_TARGETS}
        assert side.first_flags == rec["first"]
        assert side.run.nonfinite_first == (rec["nonfinite"][0] if rec["nonfinite"] else None)
        assert side.run.nonfinite_steps == len(rec["nonfinite"])
        assert side.run.last_loss == pytest.approx(rec["losses"][-1], nan_ok=True, rel=0, abs=0)
    parted = next(i + 1 for i, (x, y) in enumerate(zip(expected["A"]["losses"], expected["B"]["losses"]))
                  if x != y and not (math.isnan(x) and math.isnan(y)))
    assert summary.parted_at == parted


def test_exploding_with_and_without_clipping():
    twin = Twin(get_scenario("exploding").config, clip_mode="norm")
    assert same_bits(twin.a.model.flat_value, twin.b.model.flat_value)
    summary = twin.run(300, every=50)
    assert summary.a.run.nonfinite_first is not None and summary.a.run.nonfinite_first <= 20
    assert summary.b.run.nonfinite_first is None and math.isfinite(summary.b.run.evaluation.train_loss)
    assert summary.verdict == f"B never went non-finite; A hit NaN at step {summary.a.run.nonfinite_first}"
    text = "\n".join(summary.lines())
    assert "clip_mode off" in text and "clip_mode norm" in text
    assert text.endswith(f"verdict: {summary.verdict}")


def test_verdicts_for_runs_that_stay_finite():
    same = Twin(SMALL, clip=1e6, clip_mode="norm").run(30, every=10)  # a limit never reached
    assert same.verdict == "A and B stayed bit-identical through step 30: the change never took effect"
    apart = Twin(get_scenario("default").config, lr=0.05).run(300, every=30)
    ahead, behind = (apart.b, apart.a) if apart.b.accuracy > apart.a.accuracy else (apart.a, apart.b)
    assert apart.verdict.startswith(f"{ahead.label} ended ahead: accuracy {ahead.accuracy:.1%} "
                                    f"against {behind.accuracy:.1%}")
    regression = Twin(get_scenario("lr-too-low").config, lr=0.03).run(100, every=50)
    assert regression.verdict.startswith("B ended with the lower loss: ")


def test_steps_taken_one_run_at_a_time_are_recorded_with_their_own_steps():
    twin = Twin(SMALL, lr=0.05)
    twin.step()
    twin.record(None, twin.b.step())
    summary = twin.summary()
    assert (summary.a.run.last_step, summary.b.run.last_step) == (1, 2)
    assert summary.parted_at is None  # step 1 losses are equal; step 2 has only B
