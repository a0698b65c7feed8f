"""What a bigger batch buys (McCandlish et al., 2018): with the best lr for each batch size,
the steps to a target loss follow S = S_min (1 + B_crit / B): well below the knee doubling
the batch about halves the steps, well above it they barely move. On moons (1,000 training
rows, 2-16-2 tanh, SGD) the knee is about 12, while B_simple = tr(Sigma)/|G|^2 grows from
1-8 at the start to 500-1,000 at the target loss: the knee lies between, not at either end
(B_simple ignores curvature; McCandlish's B_crit is its Hessian-weighted cousin)."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer

BASE = TrainConfig(dataset="moons", n_samples=2000, noise=0.2, hidden=(16,), activation="tanh",
                   optimizer="sgd")
TARGET = 0.2
LRS = (0.1, 0.2, 0.4, 0.8, 1.6)


def steps_to_target(config: TrainConfig, cap: int = 600, every: int = 2) -> int | None:
    """Steps until the whole training set's loss (eval mode) is at most ``TARGET``."""
    trainer = Trainer(config)
    for done in range(every, cap + 1, every):
        trainer.run(every)
        if trainer.evaluate().train_loss <= TARGET:
            return done
    return None


def fewest_steps(batch: int, seed: int) -> int:
    """The fewest steps to the target over the lr grid: each batch size at its own best lr."""
    found = [steps_to_target(BASE.replace(batch_size=batch, lr=lr, seed=seed)) for lr in LRS]
    return min(s for s in found if s is not None)


def noise_scales(seed: int) -> tuple[float, float]:
    """B_simple at the start and when full-batch descent first reaches the target (it grows
    as the gradient shrinks)."""
    trainer = Trainer(BASE.replace(seed=seed, batch_size=None, lr=0.8))
    first = trainer.gradient_noise_scale().value
    while trainer.evaluate().train_loss > TARGET:
        trainer.run(2)
    return first, trainer.gradient_noise_scale().value


SEEDS = (0, 1, 2, 4)


def test_doubling_the_batch_halves_the_steps_below_the_noise_scale_and_not_above():
    """Averaged over four seeds (one run at one batch size is noisy: single seeds give ratios
    from 1.2 to 3). The knee B_crit of S = S_min (1 + B_crit / B), fitted to the steps, lies
    between B_simple at the start and at the target, as B_simple grows along the way."""
    mean = {b: float(np.mean([fewest_steps(b, seed) for seed in SEEDS])) for b in (2, 4, 256, 1000)}
    assert 1.5 <= mean[2] / mean[4] <= 2.5, mean  # small batches: doubling about halves the steps
    assert 0.8 <= mean[1000] / mean[256] <= 1.25, mean  # large batches: about the same
    s_min = (mean[256] + mean[1000]) / 2
    knee = (mean[2] - s_min) * 2 / s_min  # S(2) = S_min (1 + B_crit / 2)
    starts, ends = zip(*(noise_scales(seed) for seed in SEEDS))
    assert np.exp(np.mean(np.log(starts))) < knee < np.exp(np.mean(np.log(ends))), (starts, knee, ends)
    assert 2 < knee < 256
