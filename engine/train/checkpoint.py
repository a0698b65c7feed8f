"""Checkpoints: one ``.npz`` file holding a Trainer's whole state, written atomically.

Layout: ``meta`` (a JSON string: format tag, version, config, counters, optimizer
step, sampler position and RNG state, the changes made mid-run), ``weights``, ``sampler_perm``, and the
prefixed groups ``buffer/``, ``optim/``, ``units/`` and, for runs on in-memory
arrays, ``data/``; a run on a ``data`` file stores its content hash in ``meta``.

Reading trusts nothing: every member must be a plain numeric ``.npy`` whose header agrees
with the bytes the archive holds for it (checked before anything is allocated), every
metadata field must have its type and range, and ``Trainer.restore`` then checks every
array against the network, optimizer and sampler it is loaded into. Anything else is a
one-line ``CheckpointError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from typing import Any

import numpy as np

from gradtui.engine.data.dataset import Dataset
from gradtui.engine.data.npz import DamagedMember, read_member
from gradtui.engine.atomic import atomic_write
from gradtui.engine.train.changes import Change
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.train.snapshot import Snapshot

FORMAT = "gradtui-checkpoint"
VERSION = 1
DATA_KEYS = ("X_train", "y_train", "X_test", "y_test")
GROUPS = ("buffer/", "optim/", "units/", "data/")
MAX_META_BYTES = 64 * 2**20
"""The metadata is a JSON string; anything bigger is not one gradtui wrote."""


class CheckpointError(ValueError):
    """A file that is not a readable gradtui checkpoint."""


def content_hash(data: Dataset) -> str:
    """A hash of the data's arrays (shapes, types and values): a checkpoint of a run on a
    ``data`` file continues only on the same numbers."""
    digest = hashlib.blake2b(digest_size=16)
    for key in DATA_KEYS:
        array = np.ascontiguousarray(getattr(data, key))
        digest.update(f"{key}{array.shape}{array.dtype.str}".encode())
        digest.update(array.data.cast("B"))
    return digest.hexdigest()


def write_checkpoint(path: str, snap: Snapshot, data_name: str, data: Dataset | None = None,
                     data_hash: str | None = None) -> None:
    """Write ``snap`` (and ``data``, for runs on in-memory arrays; ``data_hash`` for runs on a
    data file) to ``path``. A crash mid-write leaves any old file intact.
    """
    meta = {
        "format": FORMAT, "version": VERSION, "config": snap.config, "step": snap.step,
        "samples_seen": snap.samples_seen, "optimizer": {"name": snap.optimizer["name"], "t": snap.optimizer["t"]},
        "sampler": {"pos": snap.sampler["pos"], "rng": snap.sampler["rng"]},
        "probe_due": snap.probe_due, "n_unit_layers": len(snap.unit_states),
        "data_name": data_name,
        "changes": [[c.step, c.text, c.settings, c.before] for c in snap.changes],
        "data_hash": data_hash,
    }
    arrays = {"meta": np.array(json.dumps(meta)), "weights": snap.weights,
              "sampler_perm": snap.sampler["perm"]}
    arrays.update({f"buffer/{k}": v for k, v in snap.buffers.items()})
    arrays.update({f"optim/{k}": v for k, v in snap.optimizer["arrays"].items()})
    arrays.update({f"units/{i}": s for i, s in enumerate(snap.unit_states)})
    if data is not None:
        arrays.update({f"data/{k}": getattr(data, k) for k in DATA_KEYS})
    with atomic_write(path) as fh:  # streamed member by member: no second copy in memory
        np.savez(fh, **arrays)


def _read(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        kind = stat.S_IFMT(os.stat(path).st_mode)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    if kind == stat.S_IFDIR:
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    if kind != stat.S_IFREG:
        raise CheckpointError(f"{path} is not a checkpoint file (not a regular file)")
    try:
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    if not is_zip:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (not an .npz archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            if "meta.npy" not in archive.namelist():
                raise CheckpointError(f"{path} is not a gradtui checkpoint (no metadata)")
            arrays = {_key(info): read_member(archive, info, "U" if info.filename == "meta.npy" else "biuf",
                                              MAX_META_BYTES if info.filename == "meta.npy" else None)
                      for info in archive.infolist()}
    except CheckpointError:
        raise
    except DamagedMember as exc:
        raise CheckpointError(f"{path}: damaged gradtui checkpoint ({exc})") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (unreadable: {exc})") from None
    meta = arrays.pop("meta", None)
    try:
        if meta is None or meta.dtype.kind != "U" or meta.shape != ():
            raise ValueError
        meta = json.loads(str(meta))
    except ValueError:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (no metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (wrong format tag)")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is a gradtui checkpoint of version {meta.get('version')}; this gradtui reads version {VERSION}")
    return meta, arrays


def _key(info: zipfile.ZipInfo) -> str:
    name = info.filename
    key = name[:-len(".npy")]
    if not name.endswith(".npy") or not (key in ("meta", "weights", "sampler_perm")
                                         or key.startswith(GROUPS)):
        raise DamagedMember(f"unexpected member {name!r}")
    return key


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _count(meta: dict, *keys: str) -> int:
    """The whole number >= 0 at ``meta[keys[0]][keys[1]]...``; ValueError naming it otherwise."""
    value: Any = meta
    for key in keys:
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{'.'.join(keys)} must be a whole number of 0 or more, got {value!r}")
    return value


def read_checkpoint(path: str) -> tuple[TrainConfig, Dataset | None, Snapshot, str | None]:
    """The config, the in-memory dataset (None when the run names its data), the snapshot and
    the data's content hash (for a run on a data file) at ``path``.

    Shapes and values that depend on the network and data are checked by ``Trainer.restore``.
    """
    meta, arrays = _read(path)
    try:
        config = TrainConfig.from_dict(meta["config"])
        data = _group(arrays, "data/")
        if data and config.data is None and config.dataset is None:
            dataset = Dataset.from_arrays(data["X_train"], data["y_train"], data["X_test"],
                                          data["y_test"], name=str(meta.get("data_name", "arrays")))
        elif data or (config.data is None and config.dataset is None):
            raise ValueError("its data arrays do not match its config's data source")
        else:
            dataset = None
        data_hash = meta.get("data_hash")
        if config.data is not None and not isinstance(data_hash, str):
            raise ValueError("no content hash of its data file")
        n_units = _count(meta, "n_unit_layers")
        units = _group(arrays, "units/")
        if sorted(units) != sorted(map(str, range(n_units))):
            raise ValueError(f"unit states {sorted(units)} for {n_units} layers")
        if meta["optimizer"]["name"] != config.optimizer:
            raise ValueError(f"optimizer state of {meta['optimizer']['name']!r} for a "
                             f"{config.optimizer!r} run")
        if not isinstance(meta["probe_due"], bool):
            raise ValueError(f"probe_due must be true or false, got {meta['probe_due']!r}")
        snap = Snapshot(
            config=meta["config"], step=_count(meta, "step"), samples_seen=_count(meta, "samples_seen"),
            weights=arrays["weights"], buffers=_group(arrays, "buffer/"),
            optimizer={"name": config.optimizer, "t": _count(meta, "optimizer", "t"),
                       "arrays": _group(arrays, "optim/")},
            sampler={"perm": arrays["sampler_perm"], "pos": _count(meta, "sampler", "pos"),
                     "rng": meta["sampler"]["rng"]},
            unit_states=[units[str(i)] for i in range(n_units)],
            probe_due=meta["probe_due"],
            changes=tuple(Change(int(entry[0]), str(entry[1]), *entry[2:4])
                          for entry in meta.get("changes", [])),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{path}: damaged gradtui checkpoint ({_reason(exc)})") from None
    return config, dataset, snap, data_hash


def _reason(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
