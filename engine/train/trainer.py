"""Trainer: one optimizer update at a time, with gradient-health statistics for each.

All statistics are computed on the model's flat parameter and gradient vectors with
segmented reductions over layer offsets (``fastops.segment_dots``, ``np.maximum.reduceat``),
so they cost a few vector operations per step, whatever the depth of the network, and
no pass over the parameters writes a temporary it does not need.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradtui.engine.optim.clip import clip_coefficient, combine_norms
from gradtui.engine.train.blas import BlasLimit
from gradtui.engine.train.checkpoint import (CheckpointError, content_hash, read_checkpoint,
                                             write_checkpoint)
from gradtui.engine.train.changes import (STRUCTURAL, Change, Rebuild, commit, conform, describe,
                                          differences, n_outputs, plan)
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.train.replay import apply_planned
from gradtui.engine.data.catalog import make_dataset
from gradtui.engine.data.dataset import Dataset
from gradtui.engine.data.files import DataError
from gradtui.engine.train.health import (ALIVE, DEAD, SATURATED, Flag, LayerArrays, StepStats, UnitGradients,
                                         gradient_flags, nonfinite_flags, probe_unit_states, unit_flags)
from gradtui.engine.nn.fastops import segment_dots
from gradtui.engine.nn.losses import Loss, get_loss
from gradtui.engine.nn.mlp import MLP
from gradtui.engine.optim.optimizers import Optimizer, make_optimizer
from gradtui.engine.optim.schedule import Schedule
from gradtui.engine.train.snapshot import Snapshot
from gradtui.engine.train.stop import Stop, run_until
from gradtui.engine.data.sampler import BatchSampler
from gradtui.engine.inspect.landscape import Landscape, loss_landscape
from gradtui.engine.inspect.trace import Trace, trace_sample
from gradtui.engine.curvature.hvp import HessianOperator
from gradtui.engine.curvature.lanczos import DEFAULT_TOL, Eigen, lanczos
from gradtui.engine.curvature.noise_scale import NoiseScale, gradient_noise_scale
from gradtui.engine.curvature.lr_finder import RangeTest, lr_schedule, range_test
from gradtui.engine.curvature.spectrum import full_hessian, layer_sharpness
from gradtui.engine.curvature.trace import TraceEstimate, hutchinson_trace

OVERFLOW_MARGIN = 1e4
"""How far below sqrt(largest number) a step stays to be sure no optimizer arithmetic overflows."""


def risky_size(dtype: np.dtype) -> float:
    """Gradient (times max(lr, 1)) or weight sizes beyond which g * g, lr * g, a momentum buffer
    or a weight may overflow ``dtype`` inside an optimizer step: 1.3e150 for float64, 1.8e15
    for float32. Below it every optimizer's state and update stay finite."""
    return math.sqrt(float(np.finfo(dtype).max)) / OVERFLOW_MARGIN


CURVATURE_SETS = ("train", "probe", "batch")
"""What the curvature methods' ``on`` may name: the whole training set as one batch, the
probe sample, or the minibatch of the last step (before the first step, of the next one)."""

UPDATABLE = ("lr", "momentum", "optimizer", "activation", "clip_mode", "clip",
             "batch_size", "weight_decay", "explode_norm", "explode_ratio", "vanish_ratio",
             "dead_fraction", "saturated_fraction", "saturation_grad",
             "schedule", "warmup", "schedule_start", *STRUCTURAL)


@dataclass
class Evaluation:
    """Losses on the whole train and test sets (eval mode); accuracies for classification."""

    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None


class Trainer:
    """Trains an ``MLP`` on a dataset as described by a ``TrainConfig``."""

    def __init__(self, config: TrainConfig, dataset: Dataset | None = None) -> None:
        self.config = config
        data = dataset if dataset is not None else self._load_dataset(config)
        self.blas_limit = BlasLimit(config.blas_threads)
        """Held by every public method that computes; hold it around a loop of ``step``
        calls to pay for setting the thread count once (``run`` does)."""
        self.loss: Loss = self._pick_loss(config, data)
        self._bind_model(MLP([data.n_features, *config.hidden, n_outputs(self.loss, data)],
                             config.activation, config.init, config.batchnorm, config.seed,
                             dtype=np.dtype(config.dtype).type, bias_init=config.bias_init))
        self.optimizer: Optimizer = self._make_optimizer(config)
        self.sampler = BatchSampler(len(data.X_train), config.batch_size,
                                    np.random.default_rng([config.seed, 1]),
                                    min_batch=2 if config.batchnorm else 1)
        self._bind_data(data)
        self.step_count = 0
        self.samples_seen = 0
        self.changes: list[Change] = []

    def _bind_model(self, model: MLP) -> None:
        """Make ``model`` the one trained, with statistics buffers of its sizes."""
        self.model = model
        self.unit_states = [np.zeros(layer.fan_out, dtype=np.int8) for layer in model.layers]
        self.probe_z: list[np.ndarray] = [np.zeros((0, layer.fan_out)) for layer in model.layers]
        self._unit_counts = [(0, 0)] * len(model.layers)
        self._unit_flags: list[Flag] = []
        self._probe_due = True
        self._widths = [layer.fan_out for layer in model.layers]
        self._names = [layer.name for layer in model.layers]
        self._zeros = np.zeros(len(model.layers))
        self._work = np.empty_like(model.flat_value)
        self._weight_sq = self._squared_norms()
        self._before = np.empty_like(model.flat_value)  # scratch for the step's statistics
        self._risky_size = risky_size(np.dtype(model.dtype))

    def _bind_data(self, data: Dataset) -> None:
        """Train on ``data`` (targets as the current loss wants them; a fresh probe sample)."""
        self.data = data
        self._targets_train = self._targets(data.y_train)
        self._targets_test = self._targets(data.y_test)
        self._X_train = self._in_range(data.X_train, "features")
        self._X_test = self._in_range(data.X_test, "test features")
        self._probe_index = self._probe_rows(len(self._X_train), self.config)
        self.X_probe = self._X_train[self._probe_index]
        self._last_batch: np.ndarray | None = None
        self.sampler.min_batch = 2 if self.config.batchnorm else 1
        self._probe_due = True

    def _in_range(self, X: np.ndarray, what: str) -> np.ndarray:
        """``X`` in the model's dtype; ValueError when a value overflows it (above 3.4e38 in
        float32), like any other non-finite input."""
        with np.errstate(over="ignore"):
            cast: np.ndarray = X.astype(self.model.dtype, copy=False)
        if cast is not X and not np.isfinite(cast).all():
            largest = float(np.abs(X).max())
            raise ValueError(f"{self.data.name}: {what} reach {largest:.3g}, beyond the range of "
                             f"{self.config.dtype}; scale them or use float64")
        return cast

    @np.errstate(over="ignore")  # huge weights have an Inf squared norm: a state, not a warning
    def _squared_norms(self) -> np.ndarray:
        """Per-layer squared norms of the weights."""
        w = self.model.flat_value
        return segment_dots(w, w, self.model.layer_starts, self._work)

    @staticmethod
    def _probe_rows(n: int, config: TrainConfig) -> np.ndarray:
        """A fixed, seeded random sample of up to ``probe_size`` training rows, in order."""
        if n <= config.probe_size:
            return np.arange(n)
        rng = np.random.default_rng([config.seed, 2])
        return np.sort(rng.choice(n, config.probe_size, replace=False))

    @classmethod
    def from_arrays(cls, X: np.ndarray, y: np.ndarray, config: TrainConfig | None = None,
                    X_test: np.ndarray | None = None, y_test: np.ndarray | None = None) -> "Trainer":
        """A trainer on your own arrays (integer labels = classification, floats = regression)."""
        config = (config or TrainConfig()).replace(dataset=None, data=None)
        data = Dataset.from_arrays(X, y, X_test, y_test, test_fraction=config.test_fraction,
                                   seed=config.seed)
        return cls(config, data)

    @staticmethod
    def _load_dataset(config: TrainConfig) -> Dataset:
        if config.data is not None:
            from gradtui.engine.data.files import load_data
            return load_data(config.data, test_fraction=config.test_fraction, seed=config.seed)
        if config.dataset is None:
            raise ValueError("config names no dataset and no data file; use Trainer.from_arrays for arrays")
        return make_dataset(config.dataset, n=config.n_samples, noise=config.noise,
                            seed=config.seed, test_fraction=config.test_fraction)

    @staticmethod
    def _pick_loss(config: TrainConfig, data: Dataset) -> Loss:
        classification = data.task == "classification"
        name = config.loss or ("cross_entropy" if classification else "mse")
        loss = get_loss(name)
        if not classification and name not in ("mse", "mae"):
            raise ValueError(f"loss {name} needs class labels but {data.name} is a regression dataset; use mse or mae")
        if loss.needs_binary and data.n_classes != 2:
            raise ValueError(f"loss {name} needs two classes but {data.name} has {data.n_classes}; use cross_entropy or mse")
        return loss

    def _make_optimizer(self, config: TrainConfig) -> Optimizer:
        return make_optimizer(config.optimizer, self.model.parameters(), config.lr,
                              momentum=config.momentum, weight_decay=config.weight_decay)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """What the loss compares outputs with, in the model's dtype where it is numeric."""
        if not self.is_classification:
            targets = y
        else:
            assert self.data.n_classes is not None  # a classification set counts its classes
            targets = self.loss.targets(y, self.data.n_classes)
        return self._in_range(targets, "targets") if targets.dtype.kind == "f" else targets

    @property
    def schedule(self) -> Schedule:
        """The lr schedule the config describes (``schedule.lr(config.lr, step)``)."""
        cfg = self.config
        return Schedule.parse(cfg.schedule, cfg.warmup, cfg.schedule_start)

    @property
    def is_classification(self) -> bool:
        return self.data.task == "classification"

    @property
    def epoch(self) -> float:
        """Passes over the training set so far (fractional)."""
        return self.samples_seen / len(self.data.X_train)

    # --- training -------------------------------------------------------------------

    def step(self, probe: bool = False) -> StepStats:
        """One optimizer update on one minibatch; returns what it measured.

        Unit states (dead/saturated) are re-probed every ``probe_every`` steps, or on
        this step when ``probe`` is True (e.g. when a person steps by hand).
        """
        with self.blas_limit, np.errstate(all="ignore"):  # NaN and Inf: states to report, not warnings
            return self._step(probe)

    def _step(self, probe: bool) -> StepStats:
        """``step`` inside the caller's BLAS limit and ``np.errstate(all="ignore")``."""
        if self.config.changes:  # changes planned for this step come first (they may reshape)
            apply_planned(self)
        cfg, model = self.config, self.model
        self.optimizer.lr = self.schedule.lr(cfg.lr, self.step_count + 1)
        idx = self._last_batch = self.sampler.next()
        if idx is None:
            X, T = self._X_train, self._targets_train
        else:
            X, T = self._X_train.take(idx, axis=0), self._targets_train.take(idx, axis=0)
        loss, dout = self.loss.value_and_grad(model.forward(X, train=True), T)
        model.backward(dout, need_input_grad=False)
        self.step_count += 1
        self.samples_seen += len(X)

        g, starts, work = model.flat_grad, model.layer_starts, self._work
        layer_sq = segment_dots(g, g, starts, work).tolist()
        abs_g = np.abs(g, out=self._before)  # (before is free until the update)
        grad_abs_sum = segment_dots(abs_g, None, starts, work)
        grad_max = np.maximum.reduceat(abs_g, starts)
        grad_norm = math.sqrt(sum(layer_sq))
        grads_finite = grad_norm < math.inf or bool(grad_max.max() < np.inf)  # NaN compares False
        grad_norms = list(map(math.sqrt, layer_sq))
        if not grads_finite:
            grad_norm = float("nan")
        elif grad_norm == np.inf:
            safe_norms = self._overflow_safe_norms(g, grad_max)
            grad_norm = combine_norms(safe_norms)
            grad_norms = safe_norms.tolist()

        flags: list[Flag] = []
        applied, clipped = False, False
        update_sq = self._zeros
        weight_sq: np.ndarray | None = None  # None: no step applied, the weights are as they were
        if not (loss < np.inf and grads_finite):
            flags = nonfinite_flags(float(loss), self._names, grad_max.tolist())
        else:
            clipped, largest = self._clip(g, grad_norm, float(grad_max.max()))
            decay = self.optimizer.weight_decay
            weight_norm = math.sqrt(sum(self._weight_sq.tolist()))
            step_scale = largest + (decay * weight_norm if decay else 0.0)  # 0 * Inf is NaN
            risky = (step_scale * max(self.optimizer.lr, 1.0) > self._risky_size
                     or weight_norm > self._risky_size)
            applied, update_sq, weight_sq = self._apply_update(risky)
            if not applied:
                flags.append(Flag("nonfinite", "model", "update would overflow to Inf/NaN; update undone"))
        if weight_sq is None:
            weight_sq = self._squared_norms()

        self._weight_sq = weight_sq
        if probe or self._probe_due or (self.step_count - 1) % cfg.probe_every == 0:
            self._probe()
        arrays = LayerArrays(self._names, self._widths, grad_norms, grad_abs_sum, model.layer_sizes,
                             grad_max, weight_sq, update_sq, self.unit_states, self._unit_counts,
                             UnitGradients([layer.dz for layer in model.layers]))
        flags = gradient_flags(cfg, self._names, grad_norms) + self._unit_flags + flags
        return StepStats(self.step_count, float(loss), grad_norm, clipped, self.optimizer.lr,
                         self.epoch, flags, applied, arrays)

    def _apply_update(self, risky: bool) -> tuple[bool, np.ndarray, np.ndarray | None]:
        """Run the optimizer; undo the step if any weight turned non-finite.

        Returns (applied, per-layer squared update norms, per-layer squared weight norms,
        None when the step was undone).
        Only gradients or weights beyond ``risky_size`` can overflow the optimizer's arithmetic
        or a weight, so only then is its state copied first, to be put back exactly with the
        weights: a refused step leaves the optimizer as it was (``t`` and moments included).
        """
        w, before, work, starts = self.model.flat_value, self._before, self._work, self.model.layer_starts
        np.copyto(before, w)
        saved_state = self.optimizer.state_dict() if risky else None
        self.optimizer.step()
        weight_sq = segment_dots(w, w, starts, work)
        # before is finite, so w is finite exactly when the step was.
        applied = sum(weight_sq.tolist()) < math.inf or bool(np.isfinite(w).all())
        if saved_state is not None and applied:
            applied = all(np.isfinite(a).all() for a in self.optimizer.state_dict()["arrays"].values())
        if not applied:
            np.copyto(w, before)
            if saved_state is not None:
                self.optimizer.load_state_dict(saved_state)
            return False, self._zeros, None
        delta = np.subtract(w, before, out=before)
        return True, segment_dots(delta, delta, starts, work), weight_sq

    def _probe(self) -> None:
        self.unit_states = probe_unit_states(self.model, self.X_probe, self.config.saturation_grad)
        # each layer's pre-activations z (after batch norm) over the probe set, as of this
        # probe: where on f(z) the layer's values fall (the activation gallery)
        self.probe_z = [layer.z.copy() for layer in self.model.layers]
        self._count_units()
        self._probe_due = False

    def _count_units(self) -> None:
        """Dead/saturated counts and their flags, which change only when the probe runs."""
        self._unit_counts = [(int(np.count_nonzero(s == DEAD)), int(np.count_nonzero(s == SATURATED)))
                             for s in self.unit_states]
        self._unit_flags = unit_flags(self.config, self._names, self._widths, self._unit_counts)

    def _overflow_safe_norms(self, g: np.ndarray, grad_max: np.ndarray) -> np.ndarray:
        """Per-layer norms of huge but finite gradients whose squares overflow float64."""
        scale = np.where(grad_max > 0, grad_max, 1.0)
        scaled = g / np.repeat(scale, self.model.layer_sizes)
        return scale * np.sqrt(np.add.reduceat(scaled * scaled, self.model.layer_starts))

    def _clip(self, g: np.ndarray, grad_norm: float, largest: float) -> tuple[bool, float]:
        """Clip ``g`` in place as configured; returns (clipped, largest |g| afterwards)."""
        mode, limit = self.config.clip_mode, self.config.clip
        if mode == "norm":
            scale = clip_coefficient(grad_norm, limit)
            if scale < 1.0:
                g *= scale
                return True, largest * scale
        elif mode == "value" and largest > limit:
            np.clip(g, -limit, limit, out=g)
            return True, limit
        return False, largest

    def run(self, n: int) -> list[StepStats]:
        """``n`` steps; returns their statistics (each released before the next step: see
        ``UnitGradients.release``)."""
        done: list[StepStats] = []
        with self.blas_limit, np.errstate(all="ignore"):  # entered once for the run, as the BLAS limit
            for _ in range(n):
                if done:
                    done[-1].arrays.unit_grads.release()
                done.append(self._step(False))
        return done

    def run_until(self, until: str, max_steps: int = 10_000) -> tuple[Stop | None, list[StepStats]]:
        """Steps until a condition such as ``"test_accuracy>=0.95, plateau:200"`` holds (see
        ``gradtui.engine.train.stop``) or ``max_steps`` ran: the ``Stop`` (None if no
        condition was met) and every step's statistics."""
        return run_until(self, until, max_steps)

    # --- inspection -----------------------------------------------------------------

    def predict(self, X: np.ndarray, raw: bool = False) -> np.ndarray:
        """Class labels (classification) or values (regression); ``raw`` gives the outputs."""
        with self.blas_limit:
            out = self.model.forward(np.asarray(X, dtype=self.model.dtype), train=False)
        if raw or not self.is_classification:
            return out
        return self.classify(out)

    def classify(self, outputs: np.ndarray) -> np.ndarray:
        """Class labels for raw outputs from ``predict(X, raw=True)`` (argmax, or the sign
        of a single score for bce/hinge), so one forward pass can serve both."""
        return self.loss.classes(outputs)

    @np.errstate(all="ignore")
    def evaluate(self) -> Evaluation:
        """Train and test loss, and accuracy for classification, in eval mode."""
        with self.blas_limit:
            train_loss, train_acc = self._measure(self._X_train, self.data.y_train, self._targets_train)
            if len(self.data.X_test):
                test_loss, test_acc = self._measure(self._X_test, self.data.y_test, self._targets_test)
            else:
                test_loss, test_acc = None, None
        return Evaluation(train_loss, test_loss, train_acc, test_acc)

    def _measure(self, X, y, T) -> tuple[float, float | None]:
        out = self.model.forward(X, train=False)
        loss = self.loss.value(out, T)
        acc = float(np.mean(self.loss.classes(out) == y)) if self.is_classification else None
        return loss, acc

    def trace(self, index: int) -> Trace:
        """Training sample ``index`` alone through the network in eval mode, with every
        layer's x, z, a, dL/da, dL/dz and its own dL/dW, dL/db (see ``inspect.trace``)."""
        n = len(self._X_train)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise ValueError(f"sample index {index!r} out of range: the training set has {n} samples (0..{n - 1})")
        label = int(self.data.y_train[index]) if self.is_classification else None
        with self.blas_limit:
            return trace_sample(self.model, self.loss, self._X_train[index], self._targets_train[index],
                                int(index), label)

    def loss_landscape(self, span: float = 1.0, steps: int = 21, seed: int = 0,
                       max_rows: int | None = None, model: MLP | None = None) -> Landscape:
        """Eval-mode train loss on a plane of filter-normalised random directions through the
        weights (see ``inspect.landscape``); with ``max_rows``, a bigger train set is measured
        on a fixed seeded sample of that many rows. The weights are not touched. ``model``,
        a replica of this network (``inspect.replica``), is measured instead of the live one:
        the app takes one between two steps and measures it in another thread."""
        X, T, n = self._X_train, self._targets_train, len(self._X_train)
        if max_rows is not None and n > max_rows:
            rows = np.sort(np.random.default_rng([self.config.seed, 3]).choice(n, max_rows, replace=False))
            X, T = X[rows], T[rows]
        with self.blas_limit:
            return loss_landscape(model or self.model, self.loss, X, T, span, steps, seed, of_rows=n,
                                  step=self.step_count)

    # --- curvature ------------------------------------------------------------------

    def curvature(self, on: str = "train") -> HessianOperator:
        """The Hessian of the training loss at the current weights, as an operator
        (``engine.curvature.hvp``): L = data loss + weight_decay/2 |w|^2, in training mode
        (batch norm on the batch's own statistics), so H = H_data + weight_decay I, because
        the optimizers add weight_decay * w to the gradient. ``on`` picks the batch (see
        ``CURVATURE_SETS``). The operator copies the weights: nothing of the run changes
        (weights, batch-norm statistics, optimizer, batch order), and it stays valid for
        another thread while the run trains on."""
        X, T = self._curvature_batch(on)
        with self.blas_limit:
            return HessianOperator(self.model, self.loss, X, T, self.optimizer.weight_decay)

    def _curvature_batch(self, on: str) -> tuple[np.ndarray, np.ndarray]:
        if on == "train":
            return self._X_train, self._targets_train
        if on == "probe":
            return self.X_probe, self._targets_train[self._probe_index]
        if on == "batch":
            idx = self._last_batch
            if idx is not None and idx.size and idx.max() >= len(self._X_train):
                idx = None  # the data changed since the last step
            if idx is None and not self.sampler.full_batch:
                idx = copy.deepcopy(self.sampler).next()  # the next step's, the run's order untouched
            if idx is None:
                return self._X_train, self._targets_train
            return self._X_train.take(idx, axis=0), self._targets_train.take(idx, axis=0)
        raise ValueError(f"unknown curvature batch {on!r}; valid: {', '.join(CURVATURE_SETS)}")

    def hessian_vector_product(self, v: np.ndarray, on: str = "train") -> np.ndarray:
        """H v, exact (forward-over-reverse, not finite differences), for ``v`` laid out like
        ``model.flat_value``; H as ``curvature`` describes it. The run is not touched."""
        op = self.curvature(on)
        with self.blas_limit:
            return op.matvec(v)

    def sharpness(self, on: str = "train", tol: float = DEFAULT_TOL, seed: int = 0,
                  start: np.ndarray | None = None) -> float:
        """The largest eigenvalue of H (``curvature``), by Lanczos to a relative residual of
        ``tol``; gradient descent at lr is stable on a quadratic only while lr < 2 / sharpness.
        ``start`` (e.g. ``hessian_eigen().vectors[:, 0]`` of an earlier step) warm-starts it."""
        return float(self.hessian_eigen(1, on, tol, seed, start).values[0])

    def hessian_eigen(self, k: int = 1, on: str = "train", tol: float = DEFAULT_TOL, seed: int = 0,
                      start: np.ndarray | None = None) -> Eigen:
        """The ``k`` largest eigenvalues of H with their eigenvectors (``curvature.lanczos``)."""
        op = self.curvature(on)
        with self.blas_limit:
            return lanczos(op.matvec, op.n, k, tol, seed=seed, start=start)

    def hessian_trace(self, samples: int = 100, on: str = "train", seed: int = 0) -> TraceEstimate:
        """Hutchinson's estimate of tr(H) with its standard error (``curvature.trace``)."""
        op = self.curvature(on)
        with self.blas_limit:
            return hutchinson_trace(op.matvec, op.n, samples, seed)

    def layer_sharpness(self, on: str = "train", tol: float = DEFAULT_TOL) -> list[float]:
        """The top eigenvalue of each layer's diagonal block of H, in layer order."""
        op = self.curvature(on)
        with self.blas_limit:
            return layer_sharpness(op, tol)

    def hessian(self, on: str = "train") -> np.ndarray:
        """The full H (n x n, up to ``curvature.spectrum.MAX_FULL_PARAMETERS`` parameters);
        ``numpy.linalg.eigvalsh`` of it is the whole spectrum."""
        op = self.curvature(on)
        with self.blas_limit:
            return full_hessian(op)

    def gradient_noise_scale(self, on: str = "train") -> NoiseScale:
        """B_simple = tr(Sigma)/|G|^2 from exact per-sample gradients of the rows ``on`` names
        (``CURVATURE_SETS``; ``curvature.noise_scale``, which says how batch norm is treated):
        the batch size below which the gradient's noise, not its direction, limits a step."""
        X, T = self._curvature_batch(on)
        with self.blas_limit, np.errstate(all="ignore"):
            return gradient_noise_scale(self.model, self.loss, X, T, self.optimizer.weight_decay)

    def lr_range_test(self, steps: int = 100, start: float = 1e-6, end: float = 10.0) -> RangeTest:
        """The learning-rate range test (``curvature.lr_finder``) from this run's state, on a
        fork of it: a new trainer restored from a snapshot (weights, batch-norm statistics,
        optimizer state, batch order) takes ``steps`` ordinary steps with the lr growing
        exponentially from ``start`` to ``end`` (schedule and planned changes left out) and
        stops at the blow-up. After each step the loss is measured on the probe sample (eval
        mode), not on the step's minibatch as fastai does: on gradtui's small data sets the
        minibatch noise would swamp the curve. The run itself is not touched; to apply the
        suggestion, ``update(lr=result.suggestion)``."""
        lrs = lr_schedule(start, end, steps)
        fork = Trainer(self.config, self.data)
        fork.restore(self.snapshot())
        fork.config = fork.config.replace(changes=(), schedule="constant", warmup=0, schedule_start=0)
        X, T = fork._curvature_batch("probe")

        @np.errstate(all="ignore")
        def step_at(lr: float) -> float:
            fork.config = fork.config.replace(lr=lr)
            fork._step(False)
            return fork.loss.value(fork.model.forward(X, train=False), T)

        with self.blas_limit:
            return range_test(step_at, lrs)

    # --- changing course ------------------------------------------------------------

    def update(self, **changes: Any) -> Change | None:
        """Change settings mid-run, keeping what was learned where the change allows.

        A new optimizer starts with fresh state; a new activation keeps the weights. A new
        shape reshapes the network (``reshape``), new data keeps the weights when the input
        and output sizes match, a new init re-initialises. A refused change raises
        ``ValueError`` and applies nothing. Returns the recorded ``Change`` (None if nothing changed).
        """
        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise ValueError(f"cannot change {unknown[0]!r} mid-run; changeable: {', '.join(UPDATABLE)}")
        old, new = self.config, self.config.replace(**changes)
        if "schedule_start" not in changes and (new.schedule, new.warmup) != (old.schedule, old.warmup):
            new = new.replace(schedule_start=self.step_count)  # a schedule starts when it is chosen
        with self.blas_limit:  # batch norm's starting statistics are matrix products
            rebuild = plan(self, new)
        return self._change(old, new, rebuild)

    def use_data(self, data: Dataset, what: str) -> Change:
        """Train on ``data`` from now on (e.g. points drawn by hand), keeping the weights;
        ``what`` says in the change log where the data came from."""
        new = self.config.replace(dataset=None, data=None)
        with self.blas_limit:
            rebuild = plan(self, new, data)
        change = self._change(self.config, new, rebuild, what, data.name)
        assert change is not None  # ``what`` names it, so the change always has a line
        return change

    def _change(self, old: TrainConfig, new: TrainConfig, rebuild: Rebuild | None,
                what: str = "", data_name: str | None = None) -> Change | None:
        if rebuild is not None:
            commit(self, rebuild)
            new = rebuild.config
        elif new.optimizer != old.optimizer:
            self.config = new
            self.optimizer = self._make_optimizer(new)
        self.config = new
        self.optimizer.lr = new.lr
        self.optimizer.weight_decay = new.weight_decay
        if hasattr(self.optimizer, "momentum") and new.optimizer != "sgd":
            self.optimizer.momentum = new.momentum
        if new.activation != old.activation:
            self.model.set_activation(new.activation)
            self._probe_due = True
        if new.saturation_grad != old.saturation_grad:
            self._probe_due = True
        self.sampler.batch_size = new.batch_size
        self._count_units()  # the dead/saturated fractions may have changed
        text = ", ".join(filter(None, [what, describe(old, new, rebuild.notes if rebuild else [], data_name)]))
        if not text:
            return None
        change = Change(self.step_count, text, *differences(old, new))
        self.changes.append(change)
        return change

    def snapshot(self, shared: bool = False) -> Snapshot:
        """A deep copy of the run's state; ``restore`` continues it bit-identically.

        ``shared`` leaves the weights and optimizer state as views of the live arrays (valid
        until the next step), so that ``save`` streams them out without a second copy."""
        return Snapshot(
            config=self.config.to_dict(),
            step=self.step_count,
            samples_seen=self.samples_seen,
            weights=self.model.flat_value if shared else self.model.flat_value.copy(),
            buffers={k: v.copy() for k, v in self.model.buffers().items()},
            optimizer={"name": self.config.optimizer, **self.optimizer.state_dict(copy=not shared)},
            sampler=copy.deepcopy(self.sampler.state()),
            unit_states=[s.copy() for s in self.unit_states],
            probe_due=self._probe_due,
            changes=tuple(self.changes),
            dataset=self.data,
        )

    def restore(self, snap: Snapshot) -> None:
        """Rewind to ``snap`` exactly (weights, optimizer, batch order, step, settings), also
        across reshapes and data changes made since."""
        config = TrainConfig.from_dict(snap.config)
        conform(self, config, snap.dataset)
        if snap.weights.shape != self.model.flat_value.shape:
            raise ValueError(f"snapshot holds {snap.weights.size} weights; a {self.model.architecture} "
                             f"network has {self.model.flat_value.size}")
        self._check_snapshot_arrays(snap)
        self.config = config
        self.blas_limit = BlasLimit(config.blas_threads)
        self.model.set_activation(config.activation)
        self.model.flat_value[...] = snap.weights
        self._weight_sq = self._squared_norms()
        self.model.load_buffers(snap.buffers)
        self.optimizer = self._make_optimizer(config)
        self.optimizer.load_state_dict(snap.optimizer)
        self.sampler.batch_size = config.batch_size
        self.sampler.load_state(copy.deepcopy(snap.sampler))
        self._last_batch = None  # "batch" curvature then means the next step's
        self.step_count, self.samples_seen = snap.step, snap.samples_seen
        self.unit_states = [s.copy() for s in snap.unit_states]
        self._count_units()
        self._probe_due = snap.probe_due
        self.changes = list(snap.changes)

    def _check_snapshot_arrays(self, snap: Snapshot) -> None:
        """ValueError unless the weights and unit states fit this network (dtype, shape, finite
        weights, known unit states); the optimizer, sampler and batch norm check their own."""
        dtype = self.model.flat_value.dtype
        if snap.weights.dtype != dtype:
            raise ValueError(f"weights are {snap.weights.dtype}; this run computes in {dtype}")
        if not np.isfinite(snap.weights).all():
            raise ValueError("weights are non-finite (NaN or Inf)")
        if len(snap.unit_states) != len(self.model.layers):
            raise ValueError(f"unit states for {len(snap.unit_states)} layers; the network has "
                             f"{len(self.model.layers)}")
        for layer, states in zip(self.model.layers, snap.unit_states):
            if (states.shape != (layer.fan_out,) or states.dtype != np.int8
                    or not np.isin(states, (ALIVE, DEAD, SATURATED)).all()):
                raise ValueError(f"unit states of {layer.name} must be {layer.fan_out} values "
                                 f"0, 1 or 2 (int8), got {states.dtype} {states.shape}")

    def save(self, path: str) -> None:
        """Write a checkpoint atomically (temp file, then rename). A ``data`` path is stored
        absolute, so the checkpoint finds its file when loaded from another folder."""
        own_arrays = self.config.dataset is None and self.config.data is None
        snap, data_hash = self.snapshot(shared=True), None
        if self.config.data is not None:
            snap.config["data"] = os.path.abspath(self.config.data)
            data_hash = self._data_hash()
        write_checkpoint(path, snap, self.data.name, self.data if own_arrays else None, data_hash)

    def _data_hash(self) -> str:
        """``content_hash`` of the data trained on, computed once per dataset."""
        if getattr(self, "_hashed", (None,))[0] is not self.data:
            self._hashed = (self.data, content_hash(self.data))
        return self._hashed[1]

    @classmethod
    def load(cls, path: str) -> "Trainer":
        """Open a checkpoint written by ``save``; raises ``CheckpointError`` for a bad file."""
        config, dataset, snap, data_hash = read_checkpoint(path)
        try:
            trainer = cls(config, dataset)
        except DataError:  # a missing or changed data file says so in its own words
            raise
        except ValueError as exc:  # e.g. a network too big to build
            raise CheckpointError(f"{path}: damaged gradtui checkpoint ({exc})") from None
        if config.data is not None and trainer._data_hash() != data_hash:
            raise CheckpointError(f"{path}: the data {config.data} has changed since this checkpoint "
                                  "was saved; it continues only on the data it was trained on")
        try:
            trainer.restore(snap)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: damaged gradtui checkpoint ({exc})") from None
        return trainer
