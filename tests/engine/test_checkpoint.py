"""Checkpoints: exact round trips, atomic writes, and clear errors for files that are not ours."""

import gc
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

from gradtui.engine import CheckpointError, TrainConfig, Trainer


def from_arrays_trainer(kind: str) -> Trainer:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0) if kind == "classes" else X @ [0.5, -1.0, 2.0] + 0.1
    return Trainer.from_arrays(X, y, TrainConfig(batch_size=16, hidden=(5,), optimizer="momentum", lr=0.05))


TRAINERS = {
    "default": lambda: Trainer(TrainConfig()),
    "bn-momentum": lambda: Trainer(TrainConfig(batchnorm=True, optimizer="momentum", lr=0.05, batch_size=20)),
    "nesterov-clip-float32": lambda: Trainer(TrainConfig(optimizer="nesterov", clip_mode="norm", clip=0.3,
                                                         dtype="float32", dataset="moons")),
    "arrays-classes": lambda: from_arrays_trainer("classes"),
    "arrays-regression": lambda: from_arrays_trainer("regression"),
}


@pytest.mark.parametrize("name", TRAINERS)
def test_save_and_load_continue_bit_identically(name, tmp_path, fingerprint):
    trainer = TRAINERS[name]()
    trainer.run(13)  # mid-epoch, with optimizer state and batch norm running statistics
    path = tmp_path / "run.gradtui"
    trainer.save(str(path))
    loaded = Trainer.load(str(path))
    assert loaded.config == trainer.config and loaded.step_count == 13
    assert loaded.model.architecture == trainer.model.architecture
    np.testing.assert_array_equal(loaded.model.flat_value, trainer.model.flat_value)
    assert loaded.model.flat_value.dtype == trainer.model.flat_value.dtype
    for k, v in trainer.model.buffers().items():
        np.testing.assert_array_equal(loaded.model.buffers()[k], v)
    for split in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(loaded.data, split), getattr(trainer.data, split))
    assert loaded.evaluate() == trainer.evaluate()
    assert fingerprint(loaded.run(25)) == fingerprint(trainer.run(25))


def test_changes_of_course_are_saved(tmp_path, fingerprint):
    trainer = Trainer(TrainConfig())
    trainer.run(5)
    trainer.update(optimizer="rmsprop", lr=0.003, activation="tanh", batch_size=10)
    trainer.run(4)
    trainer.save(str(tmp_path / "run"))
    loaded = Trainer.load(str(tmp_path / "run"))
    assert loaded.model.activations == ["tanh", "tanh"] and loaded.optimizer.lr == 0.003
    assert fingerprint(loaded.run(10)) == fingerprint(trainer.run(10))


def test_a_failed_save_leaves_the_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "run.gradtui"
    trainer = Trainer(TrainConfig())
    trainer.run(3)
    trainer.save(str(path))
    old_bytes = path.read_bytes()
    trainer.run(3)

    def crash(src, dst):
        raise OSError("disk pulled out mid-save")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk pulled out"):
        trainer.save(str(path))
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["run.gradtui"]
    assert path.read_bytes() == old_bytes
    assert Trainer.load(str(path)).step_count == 3


# --- files that are not (or no longer) checkpoints -----------------------------------------


@pytest.fixture
def good_checkpoint(tmp_path):
    path = tmp_path / "good.gradtui"
    trainer = Trainer(TrainConfig(hidden=(4,)))
    trainer.run(2)
    trainer.save(str(path))
    return path


def rewrite(good, out, edit):
    """Copy checkpoint ``good`` to ``out`` with ``edit(meta, arrays)`` applied."""
    with np.load(good) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    edit(meta, arrays)
    with open(out, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def flip_a_weight_byte(good, out):
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("weights.npy")
    raw[info.header_offset + 200] ^= 0xFF  # inside the weights' data, past both headers
    out.write_bytes(bytes(raw))


def someone_elses_npz(good, out):
    with open(out, "wb") as fh:
        np.savez(fh, a=np.arange(3))


def plain_npy(good, out):
    with open(out, "wb") as fh:
        np.save(fh, np.arange(3))


def set_version(meta, arrays):
    meta["version"] = 99


def drop_weights(meta, arrays):
    del arrays["weights"]


def shrink_weights(meta, arrays):
    arrays["weights"] = arrays["weights"][:5]


def bad_config(meta, arrays):
    meta["config"]["activation"] = "swish"


BAD_FILES = {
    "random bytes": (lambda good, out: out.write_bytes(np.random.default_rng(0).bytes(3000)),
                     "not a gradtui checkpoint"),
    "random bytes behind a zip signature": (
        lambda good, out: out.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(3000)),
        "not a gradtui checkpoint"),
    "empty": (lambda good, out: out.write_bytes(b""), "not a gradtui checkpoint"),
    "truncated": (lambda good, out: out.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2]),
                  "not a gradtui checkpoint"),
    "one byte flipped": (flip_a_weight_byte, "gradtui checkpoint"),
    "someone else's npz": (someone_elses_npz, "no metadata"),
    "a plain .npy": (plain_npy, "not a gradtui checkpoint"),
    "another format tag": (lambda good, out: rewrite(good, out, lambda m, a: m.update(format="other")),
                           "wrong format tag"),
    "a future version": (lambda good, out: rewrite(good, out, set_version), "version 99"),
    "no weights": (lambda good, out: rewrite(good, out, drop_weights), "damaged"),
    "weights of another shape": (lambda good, out: rewrite(good, out, shrink_weights), "damaged"),
    "an invalid config": (lambda good, out: rewrite(good, out, bad_config), "swish"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_raise_a_clear_checkpoint_error(name, good_checkpoint, tmp_path):
    make, phrase = BAD_FILES[name]
    bad = tmp_path / "bad.gradtui"
    make(good_checkpoint, bad)
    with pytest.raises(CheckpointError) as info:
        Trainer.load(str(bad))
    message = str(info.value)
    assert phrase in message and str(bad) in message and "\n" not in message
    assert isinstance(info.value, ValueError)


def test_a_missing_file_says_so(tmp_path):
    missing = tmp_path / "nowhere.gradtui"
    with pytest.raises(CheckpointError, match="not found") as info:
        Trainer.load(str(missing))
    assert str(missing) in str(info.value)


def test_the_untouched_checkpoint_loads(good_checkpoint):
    """The corruption cases above start from a file that is fine."""
    assert Trainer.load(str(good_checkpoint)).step_count == 2


@pytest.mark.parametrize("name", ["random bytes behind a zip signature", "truncated"])
def test_unreadable_archives_leave_no_open_file(name, good_checkpoint, tmp_path):
    bad = tmp_path / "bad.gradtui"
    BAD_FILES[name][0](good_checkpoint, bad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            Trainer.load(str(bad))
        except CheckpointError:
            pass
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_saving_streams_the_arrays_instead_of_copying_them(tmp_path):
    """The save's own allocations stay a small fraction of a 24 MB checkpoint (NumPy writes
    in 16 MiB chunks); building the archive in memory took more than its size again."""
    import tracemalloc
    trainer = Trainer(TrainConfig(dataset="moons", hidden=(1000, 1000), n_samples=100, batch_size=50))
    trainer.run(1)
    path = tmp_path / "big.npz"
    tracemalloc.start()
    trainer.save(str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.5 * path.stat().st_size
