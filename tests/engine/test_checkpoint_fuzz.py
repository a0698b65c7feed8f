"""Damaged checkpoints are refused at load, never mid-training: every array of real
checkpoints truncated, removed, set to NaN, reshaped and retyped, every metadata field
removed or given a wrong type or range, odd archive members and lying array headers. Each
gives a one-line ``CheckpointError``, or loads and trains finitely where the change is
harmless."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile

import numpy as np
import pytest

from gradtui.engine import CheckpointError, TrainConfig, Trainer


def arrays_trainer() -> Trainer:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return Trainer.from_arrays(X, y, TrainConfig(batch_size=8, hidden=(5,), optimizer="adam"))


RUNS = {
    "adam": lambda: Trainer(TrainConfig(hidden=(6,), n_samples=60)),
    "batchnorm-momentum": lambda: Trainer(TrainConfig(hidden=(6, 5), batchnorm=True, optimizer="momentum",
                                                       batch_size=10, n_samples=60)),
    "rmsprop-float32": lambda: Trainer(TrainConfig(hidden=(4,), optimizer="rmsprop", dtype="float32",
                                                    dataset="moons", n_samples=60)),
    "own-arrays": arrays_trainer,
}


@pytest.fixture(scope="module", params=list(RUNS))
def saved(request, tmp_path_factory):
    trainer = RUNS[request.param]()
    trainer.run(7)  # mid-epoch, with optimizer state
    path = tmp_path_factory.mktemp("fuzz") / "good.npz"
    trainer.save(str(path))
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return path, arrays


def write(path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def truncated(a):
    return a[: a.shape[0] // 2] if a.ndim else None


def with_nan(a):
    out = a.astype(np.float64) if a.dtype.kind != "f" else a.copy()
    out.reshape(-1)[:1] = np.nan
    return out


def reshaped(a):
    return a.reshape(1, -1) if a.ndim else a.reshape(1)


def retyped(a):
    return a.astype(np.float32 if a.dtype != np.float32 else np.float64)


def to_int(a):
    return a.astype(np.int64) if a.dtype.kind == "f" else a.astype(np.int32)


MUTATIONS = {"truncated": truncated, "NaN": with_nan, "reshaped": reshaped, "retyped": retyped,
             "integer": to_int, "removed": lambda a: None}


def loads_or_refuses(path) -> str:
    """'refused' (one-line CheckpointError) or 'trained' (loaded, 5 steps, all finite)."""
    try:
        trainer = Trainer.load(str(path))
    except CheckpointError as exc:
        message = str(exc)
        assert "\n" not in message and str(path) in message
        return "refused"
    trainer.run(5)
    trainer.evaluate()
    assert np.isfinite(trainer.model.flat_value).all()
    assert all(np.isfinite(a).all() for a in trainer.optimizer.state_dict()["arrays"].values())
    assert all(np.isfinite(b).all() for b in trainer.model.buffers().values())
    trainer.save(str(path) + ".again")  # what loads also saves and loads again
    Trainer.load(str(path) + ".again")
    return "trained"


def test_every_array_damaged_every_way(saved, tmp_path):
    good, arrays = saved
    outcomes = {}
    for key in arrays:
        if key == "meta":
            continue
        for name, mutate in MUTATIONS.items():
            changed = dict(arrays)
            value = mutate(arrays[key])
            if value is None:
                del changed[key]
            else:
                changed[key] = value
            bad = tmp_path / f"{key.replace('/', '_')}-{name}.npz"
            write(bad, changed)
            outcomes[key, name] = loads_or_refuses(bad)
    # the state that training depends on is never taken damaged
    for key, name in outcomes:
        harmless = (key, name) in (("sampler_perm", "integer"),  # the same order in int32
                                   ("optim/0.momentum_buffer", "removed"))  # restarts, as SGD may
        if key.startswith(("weights", "optim/", "buffer/", "units/", "sampler_perm")) and not harmless:
            assert outcomes[key, name] == "refused", (key, name)
    assert loads_or_refuses(good) == "trained"


def with_meta(arrays, edit) -> dict:
    meta = json.loads(str(arrays["meta"]))
    edit(meta)
    return {**arrays, "meta": np.array(json.dumps(meta))}


def drop(*keys):
    def edit(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return edit


def put(value, *keys):
    def edit(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return edit


META_EDITS = {
    "step -5": put(-5, "step"),
    "step 2.5": put(2.5, "step"),
    "samples_seen -1": put(-1, "samples_seen"),
    "no step": drop("step"),
    "optimizer t -1": put(-1, "optimizer", "t"),
    "optimizer t text": put("7", "optimizer", "t"),
    "other optimizer": put("sgd", "optimizer", "name"),
    "sampler pos -1": put(-1, "sampler", "pos"),
    "sampler pos beyond n": put(10**6, "sampler", "pos"),
    "rng not a dict": put(5, "sampler", "rng"),
    "rng of another generator": put({"bit_generator": "MT19937"}, "sampler", "rng"),
    "rng state negative": put({"bit_generator": "PCG64", "state": {"state": -1, "inc": 3},
                               "has_uint32": 0, "uinteger": 0}, "sampler", "rng"),
    "rng state fractional": put({"bit_generator": "PCG64", "state": {"state": 1.5, "inc": 3},
                                 "has_uint32": 0, "uinteger": 0}, "sampler", "rng"),
    "no rng": drop("sampler", "rng"),
    "probe_due text": put("false", "probe_due"),
    "n_unit_layers 99": put(99, "n_unit_layers"),
    "n_unit_layers -1": put(-1, "n_unit_layers"),
    "hidden 1e10": put([10**10], "config", "hidden"),
    "bias_init nan": put(float("nan"), "config", "bias_init"),
    "no config": drop("config"),
    "meta a list": lambda meta: meta.clear(),
}


@pytest.mark.parametrize("edit", META_EDITS)
def test_every_metadata_field_is_checked(saved, tmp_path, edit):
    good, arrays = saved
    bad = tmp_path / "bad.npz"
    write(bad, with_meta(arrays, META_EDITS[edit]))
    with pytest.raises(CheckpointError) as info:
        Trainer.load(str(bad))
    assert "\n" not in str(info.value) and str(bad) in str(info.value)


def test_a_sampler_order_that_is_not_a_permutation(saved, tmp_path):
    good, arrays = saved
    perm = arrays["sampler_perm"]
    for broken in (np.where(perm == perm.max(), perm.max() + 1, perm), np.zeros_like(perm), -perm - 1):
        write(tmp_path / "bad.npz", {**arrays, "sampler_perm": broken})
        with pytest.raises(CheckpointError, match="permutation"):
            Trainer.load(str(tmp_path / "bad.npz"))


@pytest.mark.parametrize("value", [np.inf, np.nan, -1.0])
def test_non_finite_or_negative_optimizer_squares(tmp_path, value):
    trainer = Trainer(TrainConfig(hidden=(4,), n_samples=40))
    trainer.run(3)
    trainer.save(str(tmp_path / "good.npz"))
    with np.load(tmp_path / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["optim/0.exp_avg_sq"] = arrays["optim/0.exp_avg_sq"].copy()
    arrays["optim/0.exp_avg_sq"][2] = value
    write(tmp_path / "bad.npz", arrays)
    with pytest.raises(CheckpointError, match="exp_avg_sq"):
        Trainer.load(str(tmp_path / "bad.npz"))


def test_an_array_header_claiming_1e11_elements_is_refused_before_allocating(saved, tmp_path):
    """A well-formed archive (right CRCs) whose weights header claims 1e11 elements."""
    good, _ = saved
    bad = tmp_path / "claims.npz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for name in source.namelist():
            member = source.read(name)
            if name == "weights.npy":
                begin, end = member.index(b"{"), member.index(b"\n")
                header = member[begin:end].decode()
                shape = header.split("'shape': ")[1].split(")")[0] + ")"
                claim = header.replace(shape, "(100000000000,)").rstrip().encode().ljust(end - begin)
                member = member[:begin] + claim + member[end:]
            target.writestr(name, member)
    with pytest.raises(CheckpointError, match=r"claims shape \(100000000000,\)"):
        Trainer.load(str(bad))


def test_a_member_that_is_not_an_array(saved, tmp_path):
    good, _ = saved
    bad = tmp_path / "extra.npz"
    bad.write_bytes(good.read_bytes())
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(CheckpointError, match="unexpected member 'notes.txt'"):
        Trainer.load(str(bad))


def test_a_pickled_member_is_refused(saved, tmp_path):
    good, arrays = saved
    bad = tmp_path / "pickled.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    bad.write_bytes(good.read_bytes())
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("units/9.npy", buffer.getvalue())
    with pytest.raises(CheckpointError, match="object"):
        Trainer.load(str(bad))


def test_a_zip_bomb_member_is_refused(saved, tmp_path):
    good, _ = saved
    bad = tmp_path / "bomb.npz"
    bad.write_bytes(good.read_bytes())
    header = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + \
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (8000000,), }".ljust(117) + b"\n"
    with zipfile.ZipFile(bad, "a", compression=zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a second data/X_train.npy for own-arrays runs
        zf.writestr("data/X_train.npy", header + bytes(64_000_000))  # deflates 1,000-fold
    with pytest.raises(CheckpointError, match="claims 64,000,128 bytes"):
        Trainer.load(str(bad))


def test_a_data_file_checkpoint_stores_an_absolute_path_and_refuses_changed_data(tmp_path, monkeypatch):
    (tmp_path / "mine.csv").write_text("a,b,y\n" + "\n".join(f"{i % 4},{i % 3},{i % 2}" for i in range(20)))
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(TrainConfig(data="mine.csv", dataset=None, hidden=(3,), batch_size=4))
    trainer.run(3)
    trainer.save("ck.npz")
    monkeypatch.chdir("/")
    loaded = Trainer.load(str(tmp_path / "ck.npz"))
    assert loaded.config.data == str(tmp_path / "mine.csv") and loaded.step_count == 3
    (tmp_path / "mine.csv").write_text((tmp_path / "mine.csv").read_text().replace("0,0,0", "0,0,1"))
    with pytest.raises(CheckpointError, match="has changed since this checkpoint was saved"):
        Trainer.load(str(tmp_path / "ck.npz"))
