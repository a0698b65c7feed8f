"""Where watched runs announce themselves: a private folder of sockets and run files.

The folder is ``$XDG_RUNTIME_DIR/gradtui`` or, without one, ``gradtui-<uid>`` in the temp
folder; it is the user's own with mode 0700, and gradtui refuses one that is not. Each run
has ``<name>.sock`` (its Unix socket) and ``<name>.json`` (mode 0600: pid, start time, the
token a viewer must send to steer). Only the owner can reach either, and a control without
the token is dropped, so steering a run takes the same user on the same machine.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class RunDirError(OSError):
    """The run folder or a run file cannot be used; the text says why in one line."""


def run_dir(create: bool = True) -> Path:
    """The user's private folder of runs (made, mode 0700, when ``create``)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "gradtui" if runtime and Path(runtime).is_dir() else \
        Path(tempfile.gettempdir()) / f"gradtui-{os.getuid()}"
    if create:
        base.mkdir(mode=0o700, exist_ok=True)
    if base.exists():
        info = base.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise RunDirError(f"{base} is not a private folder of yours (mode 0700); gradtui will not use it")
    return base


@dataclass(frozen=True)
class RunInfo:
    """One run's file: who trains, where its socket is, the steering token."""

    name: str
    pid: int
    started: float
    socket: str
    token: str

    @property
    def alive(self) -> bool:
        """True while the training process exists and its socket is there."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return Path(self.socket).exists()


def new_run(name: str | None) -> RunInfo:
    """Claim a run name (``name`` or ``run-<pid>``, with a number added when taken) and write its file."""
    base = run_dir()
    stem = name or f"run-{os.getpid()}"
    if not RUN_NAME.fullmatch(stem):
        raise ValueError(f"run name {stem!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    for n in range(1000):
        candidate = stem if n == 0 else f"{stem}-{n}"
        path = base / f"{candidate}.json"
        old = _read(path) if path.exists() else None
        if old is None and path.exists() or old is not None and old.alive:
            continue
        info = RunInfo(candidate, os.getpid(), time.time(), str(base / f"{candidate}.sock"),
                       secrets.token_hex(16))
        _remove(Path(info.socket))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info.__dict__, f)
        return info
    raise RunDirError(f"no free run name like {stem!r} in {base}")


def _read(path: Path) -> RunInfo | None:
    try:
        data = json.loads(path.read_text())
        return RunInfo(str(data["name"]), int(data["pid"]), float(data["started"]),
                       str(data["socket"]), str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_run(name: str) -> RunInfo:
    """The run called ``name``; ``RunDirError`` saying why it cannot be opened."""
    base = run_dir(create=False)
    path = base / f"{name}.json"
    if not RUN_NAME.fullmatch(name) or not path.exists():
        raise RunDirError(f"no run called {name!r} in {base}; 'gradtui attach' lists the runs")
    if not os.access(path, os.R_OK):
        raise RunDirError(f"run {name!r}: cannot read {path} (it belongs to another user?)")
    info = _read(path)
    if info is None:
        raise RunDirError(f"run {name!r}: {path} is not a gradtui run file")
    if not info.alive:
        raise RunDirError(f"run {name!r} has ended (process {info.pid} is gone)")
    return info


def list_runs() -> list[RunInfo]:
    """The live runs, oldest first (files of ended runs are skipped, not deleted)."""
    base = run_dir(create=False)
    runs = [info for path in sorted(base.glob("*.json")) if (info := _read(path)) is not None and info.alive]
    return sorted(runs, key=lambda r: r.started) if base.exists() else []


def remove_run(info: RunInfo) -> None:
    """Delete the run's socket and file (the run ended)."""
    _remove(Path(info.socket))
    _remove(run_dir(create=False) / f"{info.name}.json")


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
