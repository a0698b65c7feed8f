"""The digits view's confusion matrix and misread samples against independent counts, and
the L key's losses against what a Trainer accepts."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import LOSSES, TrainConfig, Trainer, fitting_losses
from gradtui.engine.run.outputs import class_bars, confusion_matrix, square_image
from gradtui.engine.train.ladders import NextLoss


def test_confusion_matrix_counts_label_rows_and_predicted_columns():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(labels, predicted, 3), expected)


def test_digits_bars_agree_with_an_independent_count():
    t = Trainer(TrainConfig(dataset="digits", hidden=(32,)))
    t.run(100)
    bars = class_bars(t)
    pred = np.argmax(t.model.forward(t.data.X_test, train=False), axis=1)
    y = t.data.y_test
    for i in range(10):
        for j in range(10):
            assert bars.confusion[i, j] == int(np.sum((y == i) & (pred == j)))
    assert np.trace(bars.confusion) / len(y) == pytest.approx(t.evaluate().test_accuracy)
    wrong = np.flatnonzero(pred != y)
    assert [m.index for m in bars.misread] == list(wrong[:len(bars.misread)]) and bars.misread
    assert all((m.label, m.predicted) == (y[m.index], pred[m.index]) for m in bars.misread)
    np.testing.assert_array_equal(bars.misread[0].image, t.data.X_test[wrong[0]].reshape(8, 8))


def test_square_image_only_for_square_inputs():
    assert square_image(np.zeros(64)).shape == (8, 8)
    assert square_image(np.zeros(784)).shape == (28, 28)
    assert square_image(np.zeros(2)) is None and square_image(np.zeros(10)) is None


@pytest.mark.parametrize("dataset", ["spiral", "sine", "digits"])
def test_fitting_losses_are_exactly_the_ones_a_trainer_accepts(dataset):
    accepted = []
    for loss in LOSSES:
        try:
            Trainer(TrainConfig(dataset=dataset, loss=loss, hidden=(4,)))
        except ValueError:
            continue
        accepted.append(loss)
    t = Trainer(TrainConfig(dataset=dataset, hidden=(4,)))
    fitting = fitting_losses(t.data.task, t.data.n_classes)
    assert sorted(fitting) == sorted(accepted) and fitting[0] == t.loss.name


def test_next_loss_counts_an_unset_loss_as_the_default():
    step = NextLoss(("mse", "mae"))
    assert step(TrainConfig(dataset="sine")) == {"loss": "mae"}
    assert step(TrainConfig(dataset="sine", loss="mae")) == {"loss": "mse"}
