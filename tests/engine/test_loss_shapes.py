"""Loss shapes are checked as PyTorch checks them: no silent (N, 1) x (N,) broadcast to an
(N, N) loss, no label -1 quietly meaning the last class."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import get_loss

PRED = np.array([[0.3], [-1.2], [2.0], [0.1]])
TARGET = np.array([1.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize("name", ["bce", "mse", "mae", "hinge"])
@pytest.mark.parametrize("method", ["value", "grad", "value_and_grad"])
def test_a_column_against_a_flat_target_names_both_shapes(name, method):
    loss = get_loss(name)
    with pytest.raises(ValueError, match=r"predictions have shape \(4, 1\) but targets \(4,\)"):
        getattr(loss, method)(PRED, TARGET)
    getattr(loss, method)(PRED, TARGET[:, None])  # the matching shape works


def test_bce_on_matching_shapes_is_the_documented_value():
    """The broadcast gave 0.839 on the issue's data; per-sample pairing gives this one."""
    x, y = PRED, TARGET[:, None]
    expected = np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))
    assert get_loss("bce").value(x, y) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, -1, 2]), "label -1 is out of range for 3 classes"),
    (np.array([0, 3, 2]), "label 3 is out of range for 3 classes"),
    (np.array([0, 1]), "targets must be 3 integer labels"),
    (np.array([0.0, 1.0, 2.0]), "targets must be 3 integer labels, got float64"),
    (np.zeros((3, 2)), r"predictions have shape \(3, 3\) but targets \(3, 2\)"),
])
@pytest.mark.parametrize("method", ["value", "grad", "value_and_grad"])
def test_cross_entropy_refuses_bad_labels(labels, message, method):
    with pytest.raises(ValueError, match=message):
        getattr(get_loss("cross_entropy"), method)(np.zeros((3, 3)), labels)


def test_cross_entropy_labels_and_one_hot_agree():
    logits = np.array([[0.2, -1.0, 0.5], [1.5, 0.3, -0.2]])
    labels = np.array([2, 0])
    loss = get_loss("cross_entropy")
    assert loss.value(logits, labels) == loss.value(logits, np.eye(3)[labels])
