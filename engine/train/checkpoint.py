"""Checkpoints: one ``.npz`` file holding a Trainer's whole state, written atomically.

Layout: ``meta`` (a JSON string: format tag, version, config, counters, optimizer
step, sampler position and RNG state, the changes made mid-run), ``weights``, ``sampler_perm``, and the
prefixed groups ``buffer/``, ``optim/``, ``units/`` and, for runs on in-memory
arrays, ``data/``. NumPy's npz loader runs with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
import numpy as np

from gradtui.engine.data.dataset import Dataset
from gradtui.engine.train.atomic import atomic_write
from gradtui.engine.train.changes import Change
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.train.snapshot import Snapshot

FORMAT = "gradtui-checkpoint"
VERSION = 1
DATA_KEYS = ("X_train", "y_train", "X_test", "y_test")


class CheckpointError(ValueError):
    """A file that is not a readable gradtui checkpoint."""


def write_checkpoint(path: str, snap: Snapshot, data_name: str, data: Dataset | None = None) -> None:
    """Write ``snap`` (and ``data``, for runs on in-memory arrays) to ``path``.

    A crash mid-write leaves any old file intact.
    """
    meta = {
        "format": FORMAT, "version": VERSION, "config": snap.config, "step": snap.step,
        "samples_seen": snap.samples_seen, "optimizer": {"name": snap.optimizer["name"], "t": snap.optimizer["t"]},
        "sampler": {"pos": snap.sampler["pos"], "rng": snap.sampler["rng"]},
        "probe_due": snap.probe_due, "n_unit_layers": len(snap.unit_states),
        "data_name": data_name,
        "changes": [[c.step, c.text, c.settings, c.before] for c in snap.changes],
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
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (unreadable: {exc})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, ValueError):
        raise CheckpointError(f"{path} is not a gradtui checkpoint (no metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a gradtui checkpoint (wrong format tag)")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is a gradtui checkpoint of version {meta.get('version')}; this gradtui reads version {VERSION}")
    return meta, arrays


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def read_checkpoint(path: str) -> tuple[TrainConfig, Dataset | None, Snapshot]:
    """The config, the in-memory dataset (None when the run names its data) and the snapshot at ``path``."""
    meta, arrays = _read(path)
    try:
        config = TrainConfig.from_dict(meta["config"])
        data = _group(arrays, "data/")
        dataset = (Dataset.from_arrays(data["X_train"], data["y_train"], data["X_test"],
                                       data["y_test"], name=meta.get("data_name", "arrays"))
                   if data else None)
        snap = Snapshot(
            config=meta["config"], step=int(meta["step"]), samples_seen=int(meta["samples_seen"]),
            weights=arrays["weights"], buffers=_group(arrays, "buffer/"),
            optimizer={"name": meta["optimizer"]["name"], "t": meta["optimizer"]["t"],
                       "arrays": _group(arrays, "optim/")},
            sampler={"perm": arrays["sampler_perm"], "pos": meta["sampler"]["pos"],
                     "rng": meta["sampler"]["rng"]},
            unit_states=[arrays[f"units/{i}"] for i in range(int(meta["n_unit_layers"]))],
            probe_due=bool(meta["probe_due"]),
            changes=tuple(Change(int(entry[0]), str(entry[1]), *entry[2:4])
                          for entry in meta.get("changes", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged gradtui checkpoint ({exc})") from None
    return config, dataset, snap
