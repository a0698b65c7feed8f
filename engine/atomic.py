"""Atomic file writes: a temp file beside the target, renamed onto it only when complete.

Checkpoints and ``gradtui run --out`` files are written this way, so a crash, a full disk,
Ctrl-C or SIGTERM (once turned into an exception, as the command line does) leaves either
the old file or the new one, never a half-written file and never a stray temp file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager, suppress
from typing import IO, Any, Iterator

TEMP_PREFIX = ".gradtui-"
TEMP_SUFFIX = ".tmp"


def _permissions(path: str) -> int:
    """An existing file's read/write bits (they survive the replacement; a data file needs no
    execute bits); otherwise those of a file created with ``open`` (0o666 minus the umask),
    not mkstemp's private 0o600."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o666
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_write(path: str, mode: str = "wb", **open_args: Any) -> Iterator[IO]:
    """Open a temp file in ``path``'s folder; when the block ends without an exception it is
    synced and renamed onto ``path``, otherwise (any exception, KeyboardInterrupt included)
    it is deleted and ``path`` is left as it was."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    fh = None
    try:
        os.fchmod(fd, _permissions(path))
        fh = os.fdopen(fd, mode, **open_args)
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):  # closing flushes; on a full disk that fails again: the first error counts
            if fh is not None:
                fh.close()
            else:
                os.close(fd)
        with suppress(OSError):
            os.unlink(tmp)
        raise
