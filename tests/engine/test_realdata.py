"""Loading real data from MNIST IDX folders, Keras-style .npz, CSV and scikit-learn's digits."""

import gzip
import sys

import numpy as np
import pytest

from gradtui.engine.data.files import (
    IDX_TYPES, MNIST_FILES, DataError, load_data, load_digits, read_idx,
)


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """``array`` encoded as an IDX file of the given type code."""
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(IDX_TYPES[type_code]).tobytes()


def write(path, data: bytes, gz: bool = False):
    """Write ``data`` to ``path`` (gzipped, with .gz appended, when ``gz``); return the path."""
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


RNG = np.random.default_rng(0)
TRAIN_IMAGES = RNG.integers(0, 256, (5, 2, 3), dtype=np.uint8)
TRAIN_LABELS = np.array([0, 1, 2, 1, 0], np.uint8)
TEST_IMAGES = RNG.integers(0, 256, (3, 2, 3), dtype=np.uint8)
TEST_LABELS = np.array([2, 0, 1], np.uint8)


def mnist_folder(folder, gz=False, dotted=False, **override):
    """Write the four MNIST files to ``folder``; ``override`` maps a file name to other bytes."""
    folder.mkdir(exist_ok=True)
    arrays = dict(zip(MNIST_FILES, (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)))
    for name, array in arrays.items():
        file_name = name.replace("-idx", ".idx") if dotted else name
        write(folder / file_name, override.get(name, idx_bytes(array)), gz)
    return folder


# --- read_idx ---


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_reads_raw_and_gzipped_uint8(tmp_path, gz):
    path = write(tmp_path / "images", idx_bytes(TRAIN_IMAGES), gz)
    out = read_idx(path)
    np.testing.assert_array_equal(out, TRAIN_IMAGES)
    assert out.dtype == np.uint8 and out.shape == (5, 2, 3)


@pytest.mark.parametrize("type_code", [0x09, 0x0B, 0x0C, 0x0D, 0x0E])
def test_read_idx_decodes_big_endian_types_to_native(tmp_path, type_code):
    array = np.array([[-3, 1000], [7, -120]])
    out = read_idx(write(tmp_path / "data", idx_bytes(array, type_code)))
    np.testing.assert_array_equal(out, array.astype(IDX_TYPES[type_code]))
    assert out.dtype.isnative


@pytest.mark.parametrize("header, found", [
    (b"\x01\x02\x08\x01", "16910337 (0x01020801)"),  # not zero-led
    (b"\x00\x00\x0a\x01", "2561 (0x00000a01)"),  # unknown type code
    (b"\x00\x00\x08\x00", "2048 (0x00000800)"),  # no dimensions
])
def test_read_idx_bad_magic_names_file_and_magic(tmp_path, header, found):
    path = write(tmp_path / "junk", header + bytes(8))
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value).startswith(f"{path}: bad IDX magic number {found}; expected 0x0000TTNN")


def test_read_idx_wrong_kind_of_file_reports_expected_magic(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(TRAIN_LABELS))
    with pytest.raises(DataError, match=r"bad IDX magic number 2049 \(0x00000801\); expected 2051"):
        read_idx(path, expected_magic=2051)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated_data_reports_expected_and_actual_bytes(tmp_path, gz):
    path = write(tmp_path / "images", idx_bytes(TRAIN_IMAGES)[:-4], gz)
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(err.value) == (
        f"{path}: IDX data is 26 bytes but its header shape (5, 2, 3) needs 30 (truncated or corrupt file)"
    )


def test_read_idx_truncated_header(tmp_path):
    path = write(tmp_path / "images", idx_bytes(TRAIN_IMAGES)[:10])
    with pytest.raises(DataError, match="truncated IDX header: needs 16 bytes, file has 10"):
        read_idx(path)


def test_read_idx_corrupt_gzip_is_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(TRAIN_IMAGES))[:-10])
    with pytest.raises(DataError, match=f"cannot read {path}"):
        read_idx(path)


# --- MNIST folders ---


@pytest.mark.parametrize("gz, dotted", [(False, False), (True, False), (False, True), (True, True)])
def test_mnist_folder_loads_files_own_split_scaled_and_flattened(tmp_path, gz, dotted):
    ds = load_data(mnist_folder(tmp_path / "mnist", gz=gz, dotted=dotted), test_fraction=0.9)
    assert (ds.name, ds.task, ds.n_classes, ds.n_features) == ("mnist", "classification", 3, 6)
    np.testing.assert_array_equal(ds.X_train, TRAIN_IMAGES.reshape(5, 6) / 255.0)
    np.testing.assert_array_equal(ds.X_test, TEST_IMAGES.reshape(3, 6) / 255.0)
    assert ds.y_train.tolist() == [0, 1, 2, 1, 0] and ds.y_test.tolist() == [2, 0, 1]
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64


def test_mnist_count_mismatch_names_both_files(tmp_path):
    folder = mnist_folder(tmp_path / "mnist", **{"t10k-labels-idx1-ubyte": idx_bytes(TEST_LABELS[:2])})
    with pytest.raises(DataError) as err:
        load_data(folder)
    assert str(err.value) == (
        f"{folder / 't10k-images-idx3-ubyte'} holds 3 images but "
        f"{folder / 't10k-labels-idx1-ubyte'} holds 2 labels"
    )


def test_mnist_missing_file_is_named(tmp_path):
    folder = mnist_folder(tmp_path / "mnist")
    (folder / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="missing MNIST file t10k-images-idx3-ubyte"):
        load_data(folder)


def test_mnist_images_and_labels_swapped_is_a_magic_error(tmp_path):
    folder = mnist_folder(tmp_path / "mnist", **{"train-images-idx3-ubyte": idx_bytes(TRAIN_LABELS)})
    with pytest.raises(DataError, match="train-images-idx3-ubyte: bad IDX magic number 2049.*expected 2051"):
        load_data(folder)


def test_mnist_train_and_test_image_sizes_must_match(tmp_path):
    folder = mnist_folder(tmp_path / "mnist", **{"t10k-images-idx3-ubyte": idx_bytes(np.zeros((3, 2, 2)))})
    with pytest.raises(DataError, match=f"{folder}: X_test has 4 features but X has 6"):
        load_data(folder)


# --- .npz ---


def test_npz_uint8_pixels_are_scaled_and_images_flattened(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=TRAIN_IMAGES, y_train=TRAIN_LABELS, x_test=TEST_IMAGES, y_test=TEST_LABELS)
    ds = load_data(path)
    assert (ds.name, ds.n_classes, ds.n_features) == ("mnist", 3, 6)
    np.testing.assert_array_equal(ds.X_train, TRAIN_IMAGES.reshape(5, 6) / 255.0)
    assert ds.y_test.tolist() == [2, 0, 1]


def test_npz_float_features_are_kept_and_column_targets_accepted(tmp_path):
    path = tmp_path / "reg.npz"
    x = np.array([[0.5, 3.0], [1.5, -2.0]])
    y = np.array([[0.25], [0.75]])
    np.savez(path, x_train=x, y_train=y, x_test=x, y_test=y)
    ds = load_data(path)
    np.testing.assert_array_equal(ds.X_train, x)
    assert ds.task == "regression" and ds.y_train.shape == (2, 1)


def test_npz_missing_keys_names_file_and_keys_it_has(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x_train=np.zeros((2, 2)), y_train=[0, 1], images=np.zeros(3))
    with pytest.raises(DataError) as err:
        load_data(path)
    assert str(err.value) == (
        f"{path}: missing key(s) x_test, y_test; it has x_train, y_train, images; "
        "expected x_train, y_train, x_test, y_test"
    )


def test_npz_bad_shapes_are_reported_with_the_file(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x_train=np.zeros((3, 2)), y_train=[0, 1], x_test=np.zeros((2, 2)), y_test=[0, 1])
    with pytest.raises(DataError, match=f"{path}: X has 3 rows but y has 2"):
        load_data(path)


def test_npz_refuses_pickled_object_arrays(tmp_path):
    path = tmp_path / "data.npz"
    objects = np.array([{"a": 1}, None], dtype=object)
    np.savez(path, x_train=objects, y_train=[0, 1], x_test=objects, y_test=[0, 1])
    with pytest.raises(DataError, match=f"cannot read {path}"):
        load_data(path)


def test_npy_file_named_npz_is_rejected(tmp_path):
    path = tmp_path / "data.npz"
    with open(path, "wb") as file:
        np.save(file, np.zeros(3))
    with pytest.raises(DataError, match="holds a single .npy array"):
        load_data(path)


# --- CSV ---


def test_csv_with_header_is_split_by_fraction_and_seed(tmp_path):
    path = tmp_path / "points.csv"
    lines = ["x1,x2,label"] + [f"{i},{-i},{i % 3}" for i in range(10)]
    path.write_text("\n".join(lines) + "\n")
    ds = load_data(path, test_fraction=0.3, seed=2)
    assert (ds.name, ds.task, ds.n_classes) == ("points", "classification", 3)
    assert ds.X_train.shape == (7, 2) and ds.X_test.shape == (3, 2)
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    np.testing.assert_array_equal(np.sort(X[:, 0]), np.arange(10))
    np.testing.assert_array_equal(y, X[:, 0].astype(int) % 3)
    again = load_data(path, test_fraction=0.3, seed=2)
    np.testing.assert_array_equal(ds.X_test, again.X_test)
    assert not np.array_equal(ds.X_test, load_data(path, test_fraction=0.3, seed=3).X_test)


def test_csv_without_header_and_float_labels_is_regression(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("1,0.5\n2,1.5\n\n3,2.25\n4,3.0\n")
    ds = load_data(path, test_fraction=0)
    assert ds.task == "regression" and ds.X_train.shape == (4, 1) and ds.y_train.shape == (4, 1)
    assert sorted(ds.y_train[:, 0]) == [0.5, 1.5, 2.25, 3.0]


def test_csv_non_numeric_cell_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,label\n1,2,0\n\n3,oops,1\n")
    with pytest.raises(DataError) as err:
        load_data(path)
    assert str(err.value) == f"{path}, line 4, column 2: 'oops' is not a finite number"


def test_csv_nan_cell_is_rejected(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,0\n3,nan,1\n")
    with pytest.raises(DataError, match="line 2, column 2: 'nan' is not a finite number"):
        load_data(path)


def test_csv_ragged_row_names_the_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("1,2,0\n3,4,1\n5,1\n")
    with pytest.raises(DataError, match=f"{path}, line 3: 2 columns, expected 3 like the first row"):
        load_data(path)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("x,label\n", "has a header but no data rows"),
    ("1\n2\n", "needs at least 2 columns"),
])
def test_csv_without_usable_rows_is_rejected(tmp_path, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_data(path)


def test_csv_that_is_not_utf8_cannot_be_read(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"1,2\xff\n")
    with pytest.raises(DataError, match=f"cannot read {path}"):
        load_data(path)


# --- dispatch ---


def test_missing_path_message(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError) as err:
        load_data(path)
    assert str(err.value) == f"data file not found: {path}"
    assert isinstance(err.value, ValueError)


def test_unknown_format_lists_accepted_forms(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("1,2\n")
    with pytest.raises(DataError) as err:
        load_data(path)
    message = str(err.value)
    assert message.startswith(f"cannot load {path}: unknown format; accepted:")
    assert all(form in message for form in ("train-images-idx3-ubyte", ".npz", "x_train", ".csv"))


# --- digits ---


def test_digits_are_scaled_to_unit_range_and_split():
    pytest.importorskip("sklearn")
    ds = load_digits(test_fraction=0.2, seed=0)
    assert (ds.name, ds.task, ds.n_classes, ds.n_features) == ("digits", "classification", 10, 64)
    assert len(ds.X_train) == 1438 and len(ds.X_test) == 359
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.min() == 0.0 and X.max() == 1.0


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError) as err:
        load_digits()
    assert str(err.value) == "the digits dataset needs scikit-learn: pip install 'gradtui[digits]'"
