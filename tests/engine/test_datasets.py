"""Toy generators (TensorFlow Playground semantics) and Dataset.from_arrays."""

import re

import numpy as np
import pytest

from gradtui.engine.data.catalog import DATASETS, make_dataset
from gradtui.engine.data.dataset import MAX_CLASSES, Dataset

TOY = [name for name in DATASETS if name != "digits"]
CLASSIFICATION = ["circle", "gauss", "moons", "spiral", "xor"]


def everything(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """All examples of ``ds``, train then test."""
    return np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def test_names_are_sorted_and_complete():
    assert DATASETS == ("circle", "digits", "gauss", "linear", "moons", "outlier", "sine", "spiral", "xor")


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_shapes_dtypes_and_split(name):
    ds = make_dataset(name, test_fraction=0.2)
    assert ds.X_train.shape == (400, 2) and ds.X_test.shape == (100, 2)
    assert ds.y_train.shape == (400,) and ds.y_test.shape == (100,)
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64
    assert (ds.task, ds.n_classes, ds.n_features, ds.name) == ("classification", 2, 2, name)


@pytest.mark.parametrize("name, n", [("linear", 100), ("sine", 200)])
def test_regression_shapes_and_default_size(name, n):
    ds = make_dataset(name)
    assert ds.X_train.shape == (n // 2, 1) and ds.X_test.shape == (n // 2, 1)
    assert ds.y_train.shape == (n // 2, 1) and ds.y_test.dtype == np.float64
    assert (ds.task, ds.n_classes, ds.n_features) == ("regression", None, 1)


@pytest.mark.parametrize("name", ["gauss", "spiral", "moons"])
def test_block_generators_are_exactly_balanced_and_shuffled(name):
    ds = make_dataset(name, n=301, noise=0.3)
    _, y = everything(ds)
    assert np.bincount(y).tolist() == [150, 151]
    assert 0 < ds.y_train.mean() < 1 and 0 < ds.y_test.mean() < 1  # shuffled before splitting


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_label_rule_generators_are_roughly_balanced(name):
    _, y = everything(make_dataset(name, n=2000, noise=0.2))
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("name", TOY)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (make_dataset(name, noise=0.1, seed=s) for s in (3, 3, 4))
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)


def test_generators_leave_the_global_rng_alone():
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    for name in TOY:
        make_dataset(name, noise=0.1)
    assert np.random.random() == expected


def test_circle_without_noise_is_class_1_exactly_inside_radius_2_5():
    X, y = everything(make_dataset("circle"))
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_array_equal(y, (r < 2.5).astype(int))
    assert np.all((r < 2.5) | ((r >= 3.5) & (r <= 5)))
    assert np.bincount(y).tolist() == [250, 250]


def test_circle_noise_relabels_points_but_keeps_them_in_place():
    X, y = everything(make_dataset("circle", noise=0.5, n=40000))
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all((r < 2.5) | (r >= 3.5))
    # Monte Carlo of the Playground rule: inner point jittered by U(-2.5, 2.5) per axis stays inside 2.5.
    rng = np.random.default_rng(99)
    radius, angle = rng.uniform(0, 2.5, 200000), rng.uniform(0, 2 * np.pi, 200000)
    judged = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    judged += rng.uniform(-2.5, 2.5, judged.shape)
    expected = np.mean(np.hypot(judged[:, 0], judged[:, 1]) < 2.5)
    assert abs(y[r < 2.5].mean() - expected) < 0.015


def test_xor_without_noise_is_sign_of_product_and_padded():
    X, y = everything(make_dataset("xor"))
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))
    assert np.abs(X).min() >= 0.3 and np.abs(X).max() <= 5.3


def test_xor_noise_relabels_points_but_keeps_them_padded():
    X, y = everything(make_dataset("xor", noise=0.5))
    assert np.abs(X).min() >= 0.3
    assert np.any(y != (X[:, 0] * X[:, 1] >= 0))


@pytest.mark.parametrize("noise, variance", [(0.0, 0.5), (0.5, 4.0)])
def test_gauss_centres_and_variance_follow_noise(noise, variance):
    X, y = everything(make_dataset("gauss", n=20000, noise=noise))
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(X[y == 1].var(axis=0), [variance] * 2, rtol=0.05)


def test_spiral_without_noise_follows_the_playground_formula():
    X, y = everything(make_dataset("spiral", n=200))
    i = np.arange(100) / 100
    for label, delta in ((1, 0.0), (0, np.pi)):
        t = 1.75 * i * 2 * np.pi + delta
        expected = np.column_stack([5 * i * np.sin(t), 5 * i * np.cos(t)])
        arm = X[y == label]
        np.testing.assert_allclose(arm[np.argsort(np.hypot(arm[:, 0], arm[:, 1]))], expected, atol=1e-12)


def test_spiral_noise_is_uniform_within_noise():
    clean, _ = everything(make_dataset("spiral", seed=1))
    noisy, _ = everything(make_dataset("spiral", seed=1, noise=0.4))
    shift = np.abs(noisy - clean)
    assert shift.max() <= 0.4 and shift.max() > 0.3


def test_moons_without_noise_are_scaled_sklearn_half_circles():
    X, y = everything(make_dataset("moons"))
    outer = X[y == 0] / 2.5 + (0.5, 0.25)
    inner = X[y == 1] / 2.5 + (0.5, 0.25)
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1)
    assert outer[:, 1].min() >= -1e-12 and inner[:, 1].max() <= 0.5 + 1e-12


def test_linear_without_noise_is_exactly_2x_plus_1():
    X, y = everything(make_dataset("linear"))
    np.testing.assert_array_equal(y, 2 * X + 1)
    assert X.min() >= -1 and X.max() <= 1


def test_outlier_is_the_line_with_one_point_in_twenty_15_above_it():
    X, y = everything(make_dataset("outlier"))
    off = (y - (2 * X + 1))[:, 0]
    assert len(off) == 100 and np.count_nonzero(off) == 5
    np.testing.assert_allclose(off[off != 0], 15.0)


def test_sine_without_noise_is_sin_and_noise_is_gaussian_with_std_noise():
    X, y = everything(make_dataset("sine"))
    np.testing.assert_array_equal(y, np.sin(X))
    assert X.min() >= -np.pi and X.max() <= np.pi
    X, y = everything(make_dataset("sine", n=20000, noise=0.3))
    assert abs(np.std(y - np.sin(X)) - 0.3) < 0.01


def test_test_fraction_zero_gives_empty_test_arrays_of_the_right_shape():
    ds = make_dataset("sine", test_fraction=0)
    assert ds.X_train.shape == (200, 1) and ds.X_test.shape == (0, 1) and ds.y_test.shape == (0, 1)
    ds = make_dataset("xor", test_fraction=0)
    assert ds.X_test.shape == (0, 2) and ds.y_test.shape == (0,) and ds.y_test.dtype == np.int64


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as err:
        make_dataset("foo")
    assert str(err.value) == (
        "unknown dataset 'foo'; valid: circle, digits, gauss, linear, moons, outlier, sine, spiral, xor"
    )


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 3}, "n must be an integer >= 4, got 3"),
    ({"n": 10.5}, "n must be an integer >= 4, got 10.5"),
    ({"noise": -0.1}, "noise must be a finite number >= 0"),
    ({"noise": float("nan")}, "noise must be a finite number >= 0"),
    ({"test_fraction": 1.0}, "test_fraction must be in [0, 1), got 1.0"),
    ({"test_fraction": -0.1}, "test_fraction must be in [0, 1), got -0.1"),
])
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_dataset("circle", **kwargs)


def test_noise_beyond_the_playground_range_is_allowed():
    assert make_dataset("gauss", noise=2.0).X_train.shape == (250, 2)


def test_digits_dispatches_to_realdata_and_rejects_n_and_noise():
    pytest.importorskip("sklearn")
    ds = make_dataset("digits", test_fraction=0.25, seed=1)
    assert (ds.name, ds.n_classes, ds.n_features) == ("digits", 10, 64)
    assert len(ds.X_train) + len(ds.X_test) == 1797
    with pytest.raises(ValueError, match="digits dataset is fixed real data"):
        make_dataset("digits", noise=0.1)


# --- Dataset.from_arrays ---


def test_from_arrays_integer_labels_are_remapped_to_consecutive_classes():
    X = np.arange(12.0).reshape(6, 2)
    ds = Dataset.from_arrays(X, [7, 3, 3, 9, 7, 9], test_fraction=0)
    assert (ds.task, ds.n_classes, ds.name) == ("classification", 3, "arrays")
    assert ds.y_train.dtype == np.int64
    mapping = {tuple(x): y for x, y in zip(ds.X_train, ds.y_train)}
    assert [mapping[tuple(x)] for x in X] == [1, 0, 0, 2, 1, 2]


def test_from_arrays_integer_valued_floats_and_column_labels_are_classes():
    ds = Dataset.from_arrays(np.zeros((4, 1)), np.array([[0.0], [1.0], [1.0], [0.0]]), test_fraction=0)
    assert ds.task == "classification" and ds.y_train.shape == (4,)


def test_from_arrays_float_targets_are_regression_columns():
    ds = Dataset.from_arrays(np.arange(6.0), np.linspace(0, 1, 6), test_fraction=0)
    assert (ds.task, ds.n_classes) == ("regression", None)
    assert ds.X_train.shape == (6, 1) and ds.y_train.shape == (6, 1)


def test_from_arrays_many_distinct_integers_are_regression():
    n = MAX_CLASSES + 1
    ds = Dataset.from_arrays(np.zeros((n, 1)), np.arange(n), test_fraction=0)
    assert ds.task == "regression"


def test_from_arrays_flattens_images():
    ds = Dataset.from_arrays(np.zeros((4, 3, 5), np.uint8), [0, 1, 0, 1], test_fraction=0)
    assert ds.X_train.shape == (4, 15) and ds.X_train.dtype == np.float64


def test_from_arrays_split_is_a_seeded_shuffle_that_keeps_rows_with_their_targets():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50) % 2
    a = Dataset.from_arrays(X, y, test_fraction=0.3, seed=5)
    b = Dataset.from_arrays(X, y, test_fraction=0.3, seed=5)
    c = Dataset.from_arrays(X, y, test_fraction=0.3, seed=6)
    assert len(a.X_train) == 35 and len(a.X_test) == 15
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)
    assert not np.array_equal(a.X_train, X[:35])
    rows, labels = everything(a)
    np.testing.assert_array_equal(labels, (rows[:, 0] / 2).astype(int) % 2)
    np.testing.assert_array_equal(np.sort(rows[:, 0]), X[:, 0])


def test_from_arrays_with_a_test_set_keeps_it_and_maps_labels_jointly():
    ds = Dataset.from_arrays(np.zeros((2, 2)), [5, 5], np.ones((2, 2)), [8, 5])
    np.testing.assert_array_equal(ds.X_test, np.ones((2, 2)))
    assert ds.y_train.tolist() == [0, 0] and ds.y_test.tolist() == [1, 0] and ds.n_classes == 2


@pytest.mark.parametrize("args, message", [
    ((np.zeros((3, 2)), [0, 1]), "X has 3 rows but y has 2; they must match"),
    ((np.zeros((2, 2)), np.zeros((2, 2))), r"y must have shape \(N,\) or \(N, 1\), got \(2, 2\)"),
    ((np.zeros((0, 2)), []), "X has no rows"),
    ((np.zeros((2, 0)), [0, 1]), "need at least one feature"),
    ((np.array([[np.nan], [1.0]]), [0, 1]), "X contains NaN or infinite values"),
    ((np.zeros((2, 1)), ["a", "b"]), "y must be numeric, got dtype <U1"),
    ((np.zeros((2, 1)), [3, 3]), "single class 3; classification needs at least 2 classes"),
    ((np.zeros((2, 2)), [0, 1], np.zeros((2, 3)), [0, 1]), "X_test has 3 features but X has 2"),
    ((np.zeros((2, 2)), [0, 1], np.zeros((2, 2))), "X_test and y_test must be given together"),
])
def test_from_arrays_rejects_bad_shapes_with_a_clear_message(args, message):
    with pytest.raises(ValueError, match=message):
        Dataset.from_arrays(*args)
