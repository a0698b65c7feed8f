"""Losses with exact gradients, mean reduction over all elements (as PyTorch does), and the
products of their second derivatives with a vector (``grad_jvp``) for exact Hessian-vector
products (``engine.curvature``)."""

from __future__ import annotations

import numpy as np

from gradtui.engine.nn.activations import sigmoid, softmax_jvp
from gradtui.engine.nn.fastops import ones
from gradtui.engine.registry import check_name


class Loss:
    """``value(pred, target)`` and ``grad(pred, target)`` = dL/dpred.

    ``targets(labels, n_out)`` turns class labels into what this loss compares
    predictions with; ``classes(pred)`` turns predictions back into labels.
    """

    name = "loss"
    needs_binary = False

    def value(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def grad(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def value_and_grad(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """Both at once; subclasses share intermediate work where they can."""
        return self.value(pred, target), self.grad(pred, target)

    def grad_jvp(self, pred: np.ndarray, target: np.ndarray, r: np.ndarray) -> np.ndarray:
        """The change of ``grad(pred, target)`` along ``r``: the loss's Hessian in the
        predictions times ``r`` (zero for the piecewise-linear mae and hinge, as autograd has it)."""
        return np.zeros_like(r)

    def check(self, pred: np.ndarray, target: np.ndarray) -> None:
        """ValueError naming both shapes when they differ: like PyTorch's BCE (and unlike a
        silent NumPy broadcast, which turns (N, 1) against (N,) into an (N, N) loss)."""
        if pred.shape != target.shape:
            raise ValueError(f"{self.name}: predictions have shape {pred.shape} but targets "
                             f"{target.shape}; they must match")

    def n_outputs(self, n_classes: int) -> int:
        return n_classes

    def targets(self, labels: np.ndarray, n_classes: int) -> np.ndarray:
        """Targets for integer class labels: one-hot by default."""
        return np.eye(n_classes)[labels]

    def classes(self, pred: np.ndarray) -> np.ndarray:
        return pred.argmax(axis=1)


class MSE(Loss):
    """mean((p - y)^2); gradient 2 (p - y) / numel."""

    name = "mse"

    def value(self, pred, target):
        self.check(pred, target)
        d = pred - target
        return float(np.mean(d * d))

    def grad(self, pred, target):
        self.check(pred, target)
        return (2.0 / pred.size) * (pred - target)

    def value_and_grad(self, pred, target):
        self.check(pred, target)
        d = pred - target
        return float(np.mean(d * d)), (2.0 / pred.size) * d

    def grad_jvp(self, pred, target, r):
        return (2.0 / pred.size) * r


class MAE(Loss):
    """mean(|p - y|); gradient sign(p - y) / numel, 0 where p == y."""

    name = "mae"

    def value(self, pred, target):
        self.check(pred, target)
        return float(np.mean(np.abs(pred - target)))

    def grad(self, pred, target):
        self.check(pred, target)
        return np.sign(pred - target) / pred.size


class CrossEntropy(Loss):
    """Softmax cross-entropy on logits and integer labels, via log-sum-exp.

    Targets may also be given one-hot (what ``targets`` returns for the trainer):
    the arithmetic is the same and avoids fancy indexing on every step.
    """

    name = "cross_entropy"

    def check(self, pred, target):
        """Integer labels 0..C-1, one per row (PyTorch: "Target -1 is out of bounds"), or
        one-hot rows of the predictions' shape."""
        if target.ndim != 1:
            return super().check(pred, target)
        n_classes = pred.shape[1]
        if target.dtype.kind not in "iu" or target.shape != pred.shape[:1]:
            raise ValueError(f"{self.name}: predictions have shape {pred.shape}; targets must be "
                             f"{pred.shape[0]} integer labels, got {target.dtype} {target.shape}")
        bad = target[(target < 0) | (target >= n_classes)]
        if bad.size:
            raise ValueError(f"{self.name}: label {bad[0]} is out of range for {n_classes} classes "
                             f"(0 to {n_classes - 1})")

    def value_and_grad(self, pred, target):
        self.check(pred, target)
        onehot = np.eye(pred.shape[1])[target] if target.ndim == 1 else target
        shifted = pred - np.maximum.reduce(pred, axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e @ ones(pred.shape[1], e.dtype.type)
        n = pred.shape[0]
        # sum of log-sum-exp minus the true classes' shifted logits (one dot over the rows:
        # no product array to sum)
        value = float(np.add.reduce(np.log(s)) - np.vdot(shifted, onehot)) / n
        g = e / s[:, None]
        g -= onehot
        g /= n
        return value, g

    def value(self, pred, target):
        return self.value_and_grad(pred, target)[0]

    def grad(self, pred, target):
        return self.value_and_grad(pred, target)[1]

    def grad_jvp(self, pred, target, r):
        """(diag(s) - s s^T) r / N per row, s the softmax of the logits."""
        return softmax_jvp(pred, r) / pred.shape[0]


class BinaryLoss(Loss):
    """A loss on one score per sample, for two classes."""

    needs_binary = True

    def n_outputs(self, n_classes):
        return 1

    def classes(self, pred):
        return (pred[:, 0] > 0).astype(np.int64)


class BCEWithLogits(BinaryLoss):
    """max(x,0) - x y + log(1 + exp(-|x|)); gradient (sigmoid(x) - y) / numel."""

    name = "bce"

    def targets(self, labels, n_classes):
        return np.asarray(labels, dtype=np.float64).reshape(-1, 1)

    def value(self, pred, target):
        self.check(pred, target)
        return float(np.mean(np.maximum(pred, 0) - pred * target + np.log1p(np.exp(-np.abs(pred)))))

    def grad(self, pred, target):
        self.check(pred, target)
        return (sigmoid(pred) - target) / pred.size

    def grad_jvp(self, pred, target, r):
        s = sigmoid(pred)
        return s * (1.0 - s) * r / pred.size


class Hinge(BinaryLoss):
    """mean(max(0, 1 - y s)) with y in {-1, +1}; gradient -y / numel inside the margin, 0 at the kink."""

    name = "hinge"

    def targets(self, labels, n_classes):
        return (2.0 * np.asarray(labels, dtype=np.float64) - 1.0).reshape(-1, 1)

    def value(self, pred, target):
        self.check(pred, target)
        return float(np.mean(np.maximum(0.0, 1.0 - target * pred)))

    def grad(self, pred, target):
        self.check(pred, target)
        return np.where(1.0 - target * pred > 0, -target, 0.0) / pred.size


LOSS_CLASSES = {cls.name: cls for cls in (CrossEntropy, MSE, MAE, BCEWithLogits, Hinge)}
LOSSES = tuple(LOSS_CLASSES)
"""Every loss name."""


def fitting_losses(task: str, n_classes: int | None) -> tuple[str, ...]:
    """The losses a dataset of ``task`` ("classification" or "regression") with ``n_classes``
    can train with, the one picked by default first (the rule ``Trainer`` enforces)."""
    if task != "classification":
        return ("mse", "mae")
    return tuple(name for name in LOSSES if n_classes == 2 or not LOSS_CLASSES[name].needs_binary)


def get_loss(name: str) -> Loss:
    """The loss called ``name``; raises ValueError naming the valid ones."""
    check_name("loss", name, LOSSES)
    return LOSS_CLASSES[name]()
