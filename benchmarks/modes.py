"""How the benchmarks run a measurement as a user would and as a pinned benchmark would,
with or without a second busy process, and print the results side by side.

Each measurement runs in a fresh child process, because BLAS reads its thread count from
the environment once, when NumPy loads:

- ``pinned``: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS set to 1, as
  benchmarks usually run;
- ``as run``: those variables removed, as a user runs gradtui (``gradtui`` or a script).

``--load`` adds both again with one more process spinning on a core the whole time (the
situation of a shared machine, or of the app's own UI thread). Every child also runs
with bytecode caching allowed, so an environment that disables it (PYTHONDONTWRITEBYTECODE)
does not make imports look slower than a user's installed copy. No figure depends on the
caller's environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from typing import Any, Iterator

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MODES = ("pinned", "as run")


def child_env(mode: str) -> dict[str, str]:
    """The environment of a child measuring in ``mode``."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES and k != "PYTHONDONTWRITEBYTECODE"}
    if mode == "pinned":
        env.update({k: "1" for k in BLAS_VARIABLES})
    return env


@contextlib.contextmanager
def busy_process(on: bool) -> Iterator[None]:
    """One process spinning on a core while inside (nothing when ``on`` is False)."""
    if not on:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def run_child(script: str, mode: str, load: bool, args: list[str]) -> Any:
    """Run ``script --child args`` in ``mode`` (under load if asked); its stdout's last line is JSON."""
    with busy_process(load):
        out = subprocess.run([sys.executable, script, "--child", *args], env=child_env(mode),
                             capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{script} child ({mode}{', load' if load else ''}) failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def columns(load: bool) -> list[tuple[str, bool]]:
    """(mode, under load) for each column: both modes, then both under load when asked."""
    return [(mode, False) for mode in MODES] + ([(mode, True) for mode in MODES] if load else [])


def column_name(mode: str, load: bool) -> str:
    return f"{mode}{' +load' if load else ''}"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """A plain text table, first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [str(row[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(row[1:], widths[1:])]
        print("  ".join(cells).rstrip())


def machine_line() -> str:
    """CPUs and the load average when the run started (the figures depend on both)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
