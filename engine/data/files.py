"""Real data from disk (MNIST IDX folders, Keras-style .npz, CSV) and scikit-learn's digits.

Everything a user can get wrong raises ``DataError`` whose message names the file.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import math
import zipfile
import zlib
from typing import Any
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from gradtui.engine.data.dataset import Dataset
from gradtui.engine.data.npz import read_member


class DataError(ValueError):
    """A data path that cannot be turned into a ``Dataset``; the message says which and why."""


IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_MAX_HEADER = 4 + 4 * 255  # magic, then up to 255 dimension sizes
LABELS_MAGIC = 2049  # 0x00000801: uint8, one dimension
IMAGES_MAGIC = 2051  # 0x00000803: uint8, three dimensions
MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
NPZ_MAGIC = b"PK"  # a zip archive; anything else is not an .npz (never a pickle to unpickle)
NPY_MAGIC = b"\x93NUMPY"
ACCEPTED = (
    f"a folder of MNIST IDX files ({', '.join(MNIST_FILES)}, optionally .gz), "
    f"a Keras-style .npz ({', '.join(NPZ_KEYS)}) or a .csv with the label in the last column"
)


def load_data(path: str | Path, test_fraction: float = 0.5, seed: int = 0) -> Dataset:
    """Load a data folder or file; only CSV is split by ``test_fraction``/``seed``.

    MNIST folders and .npz archives bring their own train/test split.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise DataError(f"data file not found: {path}")
        if path.is_dir():
            return load_mnist(path)
        suffix = path.suffix.lower()
        if suffix == ".npz":
            return load_npz(path)
        if suffix == ".csv":
            return load_csv(path, test_fraction, seed)
    except OSError as exc:  # e.g. a folder on the way that may not be searched
        raise DataError(f"cannot read {exc.filename or path}: {exc.strerror or exc}") from None
    raise DataError(f"cannot load {path}: unknown format; accepted: {ACCEPTED}")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn I/O and decoding failures while reading ``path`` into a DataError naming it."""
    try:
        yield
    except DataError:
        raise
    except (OSError, EOFError, ValueError, zlib.error, zipfile.BadZipFile, csv.Error) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def _dataset(path: Path, X: np.ndarray, y: np.ndarray, X_test: np.ndarray | None = None,
             y_test: np.ndarray | None = None, **split: Any) -> Dataset:
    """``Dataset.from_arrays`` named after ``path``, its complaints prefixed with the path."""
    try:
        return Dataset.from_arrays(X, y, X_test, y_test, name=path.stem, **split)
    except ValueError as exc:
        raise DataError(f"{path}: {exc}") from exc


def _unit_scaled(array: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float64 in [0, 1]; other dtypes as they are."""
    return array / 255.0 if array.dtype == np.uint8 else array


def read_idx(path: str | Path, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped if it ends in .gz) into a native-endian array.

    The header is 0x00 0x00 <type> <ndim>, then ndim big-endian uint32 sizes, then the
    data in C order. ``expected_magic`` (e.g. ``LABELS_MAGIC``) pins type and ndim.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with _reading(path), opener(path, "rb") as file:
        raw = file.read(IDX_MAX_HEADER)
        if len(raw) >= 4 and raw[2] in IDX_TYPES and len(raw) >= 4 + 4 * raw[3]:
            # read no more than the header promises (and one byte to reveal trailing data):
            # a small gzip that inflates without end is not read into memory
            sizes = (int.from_bytes(raw[i:i + 4], "big") for i in range(4, 4 + 4 * raw[3], 4))
            promised = 4 + 4 * raw[3] + math.prod(sizes) * np.dtype(IDX_TYPES[raw[2]]).itemsize
            raw += _read_up_to(file, promised + 1 - len(raw))
    magic = int.from_bytes(raw[:4], "big")
    valid = len(raw) >= 4 and raw[:2] == b"\0\0" and raw[2] in IDX_TYPES and raw[3] > 0
    if not valid or (expected_magic is not None and magic != expected_magic):
        wanted = expected_magic or "0x0000TTNN (TT a type code 08-0e, NN the number of dimensions)"
        raise DataError(f"{path}: bad IDX magic number {magic} (0x{raw[:4].hex()}); expected {wanted}")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header: needs {header} bytes, file has {len(raw)}")
    shape = tuple(int.from_bytes(raw[i:i + 4], "big") for i in range(4, header, 4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected, actual = math.prod(shape) * dtype.itemsize, len(raw) - header
    if actual > expected:
        raise DataError(f"{path}: IDX data runs past the {expected} bytes its header shape {shape} "
                        "needs (corrupt file)")
    if actual < expected:
        raise DataError(
            f"{path}: IDX data is {actual} bytes but its header shape {shape} needs {expected} "
            "(truncated or corrupt file)"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_up_to(file, n: int) -> bytes:
    """At most ``n`` bytes of ``file``, in chunks: memory grows with what is there, not with ``n``."""
    chunks = []
    while n > 0:
        chunk = file.read(min(n, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def load_mnist(folder: Path) -> Dataset:
    """MNIST-style IDX folder: images flattened and scaled to [0, 1], the files' own split."""
    found = {name: _find_idx(folder, name) for name in MNIST_FILES}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        raise DataError(
            f"{folder}: missing MNIST file {missing[0]} (also tried .gz and the "
            f"'.idx' spelling); an MNIST folder holds {', '.join(MNIST_FILES)}"
        )
    present = [file for file in found.values() if file is not None]  # every one, checked above
    train_images, train_labels, test_images, test_labels = present
    return _dataset(
        folder,
        *_images_and_labels(train_images, train_labels),
        *_images_and_labels(test_images, test_labels),
    )


def _find_idx(folder: Path, name: str) -> Path | None:
    """The file for ``name`` in ``folder``: as is or 'train-images.idx3-ubyte' style, maybe .gz."""
    for stem in (name, name.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            if (folder / (stem + suffix)).is_file():
                return folder / (stem + suffix)
    return None


def _images_and_labels(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    return _unit_scaled(images).reshape(len(images), -1), labels.astype(np.int64)


def load_npz(path: Path) -> Dataset:
    """Keras-style archive with x_train, y_train, x_test, y_test; uint8 pixels scaled to [0, 1]."""
    with _reading(path), open(path, "rb") as file:
        start = file.read(len(NPY_MAGIC))
    if start.startswith(NPY_MAGIC):
        raise DataError(f"{path}: holds a single .npy array; expected a .npz with {', '.join(NPZ_KEYS)}")
    if not start.startswith(NPZ_MAGIC):
        raise DataError(f"{path}: is not a NumPy .npz archive; expected one with {', '.join(NPZ_KEYS)}")
    with _reading(path), zipfile.ZipFile(path) as archive:
        members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        missing = [key for key in NPZ_KEYS if key not in members]
        if missing:
            raise DataError(
                f"{path}: missing key(s) {', '.join(missing)}; it has "
                f"{', '.join(members) or 'no arrays'}; expected {', '.join(NPZ_KEYS)}"
            )
        x_train, y_train, x_test, y_test = (read_member(archive, members[key]) for key in NPZ_KEYS)
    return _dataset(path, _unit_scaled(x_train), y_train, _unit_scaled(x_test), y_test)


def load_csv(path: Path, test_fraction: float = 0.5, seed: int = 0) -> Dataset:
    """Numeric CSV, label last; a first row holding any non-number is a header.

    Integer-valued labels become classes, others regression targets (see
    ``Dataset.from_arrays``); the rows are split by ``test_fraction`` after a seeded shuffle.
    """
    with _reading(path), open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        numbered: Iterator[tuple[int, list[str]]] = (
            (reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
        first = next(numbered, None)
        if first is None:
            raise DataError(f"{path}: the file is empty; expected numeric rows, label last")
        if all(map(_is_number, first[1])):
            numbered = itertools.chain([first], numbered)
        rows = [_parse_row(path, line, row, len(first[1])) for line, row in numbered]
    if not rows:
        raise DataError(f"{path}: has a header but no data rows")
    if len(first[1]) < 2:
        raise DataError(f"{path}: needs at least 2 columns (features, then the label), found 1")
    values = np.vstack(rows)
    return _dataset(path, values[:, :-1], values[:, -1], test_fraction=test_fraction, seed=seed)


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def _parse_row(path: Path, line: int, row: list[str], width: int) -> np.ndarray:
    """One CSV row as float64, or a DataError giving the line (and column) at fault."""
    if len(row) != width:
        raise DataError(f"{path}, line {line}: {len(row)} columns, expected {width} like the first row")
    try:
        values = np.array(row, dtype=np.float64)  # fast path; the loop below only locates a fault
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    column, cell = next((i, cell) for i, cell in enumerate(row, 1) if not _is_number(cell))
    raise DataError(f"{path}, line {line}, column {column}: {cell!r} is not a finite number")


def load_digits(test_fraction: float = 0.5, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), pixels 0..16 scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits  # optional extra, loaded lazily
    except ImportError as exc:
        raise DataError("the digits dataset needs scikit-learn: pip install 'gradtui[digits]'") from exc
    digits = sklearn_digits()
    return Dataset.from_arrays(
        digits.data / 16.0, digits.target, test_fraction=test_fraction, seed=seed, name="digits"
    )
