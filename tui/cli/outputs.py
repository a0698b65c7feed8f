"""The files a command writes (``--out``, ``--save``, ``--landscape``): checked before anything runs, so that
nothing the user owns is replaced by accident, and a failure while writing is one line.

An output never replaces an existing file without ``--force``, never a read-only one, and,
even with ``--force``, never one of the run's inputs (its data, ``--config``, ``--load``) or
the other output. The writing itself is atomic (``gradtui.engine.atomic``).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from gradtui.tui.cli.export import open_writer
from gradtui.tui.cli.settings import UsageError

OUTPUTS = (("out", "--out"), ("save", "--save"), ("landscape", "--landscape"))
"""Output files of ``gradtui run``: (argument name, flag)."""


class WriteError(UsageError):
    """The system refused to write an output (a full disk, an I/O error): exit code 1.
    The file is left as it was before the run."""

    exit_code = 1


def check_output(path: str, flag: str, force: bool) -> None:
    """Refuse an output that cannot be written, or that would replace a file without
    ``force``; a read-only file is never replaced."""
    target = Path(path)
    if path.endswith(("/", os.sep)) or target.is_dir():
        raise UsageError(f"{flag} {path}: names a folder; give a file name")
    folder = target.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path}: folder {folder} is not writable")
    if not (target.exists() or target.is_symlink()):
        return
    if not target.is_file():
        raise UsageError(f"{flag} {path}: exists and is not a regular file; give a file name")
    if not force:
        raise UsageError(f"{flag} {path}: already exists; add --force to replace it")
    if not target.stat().st_mode & stat.S_IWUSR:
        raise UsageError(f"{flag} {path}: is read-only; gradtui does not replace it, even with --force")


def _same_place(output: str, protected: str) -> bool:
    """True when writing ``output`` would write onto ``protected`` or into it (a data folder)."""
    out, other = os.path.realpath(output), os.path.realpath(protected)
    return out == other or (os.path.isdir(other) and out.startswith(other.rstrip(os.sep) + os.sep))


def check_outputs_apart(args: argparse.Namespace, data: str | None) -> None:
    """No output may land on an input of the run (its ``data``, --config, --load) or on the
    other output, whatever ``--force`` says."""
    inputs = [(data, "--data"), (getattr(args, "config", None), "--config"),
              (getattr(args, "load", None), "--load")]
    outputs = [(getattr(args, name), flag) for name, flag in OUTPUTS if getattr(args, name, None)]
    for i, (path, flag) in enumerate(outputs):
        for other, other_flag in inputs + outputs[i + 1:]:
            if other and _same_place(path, other):
                raise UsageError(f"{flag} {path}: is the {other_flag} file {other}; gradtui never "
                                 "writes onto it, even with --force")


@contextmanager
def writing(flag: str, path: str) -> Iterator[None]:
    """An OSError while writing output ``path`` becomes a one-line ``WriteError``."""
    try:
        yield
    except BrokenPipeError:  # stdout closed early: main handles that
        raise
    except OSError as exc:
        raise WriteError(f"{flag} {path}: cannot write: {exc.strerror or exc}; "
                         "nothing was written, an existing file is unchanged") from None


class _Guarded:
    """A row writer whose every call turns an OSError into a one-line ``WriteError``."""

    def __init__(self, writer: Any, flag: str, path: str) -> None:
        self._writer, self._flag, self._path = writer, flag, path

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._writer, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            with writing(self._flag, self._path):
                return method(*args, **kwargs)
        return guarded


@contextmanager
def output_writer(path: str | None, flag: str = "--out") -> Iterator[Any]:
    """``open_writer(path)`` (None without a ``path``) whose own failures, opening, writing a
    row or finishing the file, are one-line ``WriteError``s; anything else raised in the block
    (stdout, the run) passes unchanged. Either way the temp file is removed."""
    if path is None:
        yield None
        return
    with writing(flag, path):
        manager = open_writer(path)
        writer = manager.__enter__()
    try:
        yield _Guarded(writer, flag, path)
    except BaseException:
        if not manager.__exit__(*sys.exc_info()):
            raise
    else:
        with writing(flag, path):
            manager.__exit__(None, None, None)
