"""Data files are read no further than their headers promise: an IDX file that inflates
without end is refused after the promised bytes, without reading the rest into memory."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

from gradtui.engine.data.files import LABELS_MAGIC, DataError, read_idx


def test_a_gzip_idx_that_inflates_past_its_header_is_refused_early(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb") as file:
        file.write(LABELS_MAGIC.to_bytes(4, "big") + (10).to_bytes(4, "big") + bytes(10))
        for _ in range(8):
            file.write(bytes(1 << 23))  # 64 MB more than the 10 labels the header promises
    tracemalloc.start()
    with pytest.raises(DataError, match=r"runs past the 10 bytes its header shape \(10,\) needs"):
        read_idx(path, LABELS_MAGIC)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20  # read the header, the 10 bytes and one more: not the 64 MB


def test_an_exact_idx_still_reads(tmp_path):
    path = tmp_path / "labels.gz"
    with gzip.open(path, "wb") as file:
        file.write(LABELS_MAGIC.to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes([7, 1, 2]))
    assert read_idx(path, LABELS_MAGIC).tolist() == [7, 1, 2]
