"""``gradtui run``'s training speed, as a user runs it: steps per second of the command
itself (table, summary, progress and all), for the default scenario and a 784-128-10
network on data of MNIST's shape (6,000 rows, batch 128).

Run: python benchmarks/bench_cli_run.py [--repeats 3] [--steps 20000,1500] [--reference DIR]

Each figure is the command's marginal rate: ``main(["run", ..., "--steps", N])`` against
the same command with ``--steps 1``, each the best of ``--repeats`` in a fresh child
process (BLAS pinned to one thread, as the engine holds it while training), so start-up,
data loading and the final evaluation cancel out and only the steps are counted. Steps
per CPU second (the process's own time) are the steadier figure on a shared machine;
wall-clock steps per second are what a user waits.

``--reference DIR`` measures another checkout as well (``DIR/.ci/typecheck`` put first on
``PYTHONPATH``: e.g. ``git worktree add --detach /tmp/ref main``), in turns with this one,
so both see the same load.

Measured 2026-12-07 on the shared 2-core machine, ``--reference`` a checkout of main just
before ``gradtui run`` moved from its own loop (``run_trainer``) to the app's (a headless
``Run`` stepped by ``Host.serve``), two rounds (load average 1.7 and 1.5)::

    | `gradtui run`                      | steps | run_trainer (before) | Run + Host (after) |
    |------------------------------------|------:|---------------------:|-------------------:|
    | default scenario, steps/s          | 20000 |      12,979 / 13,671 |    13,168 / 13,337 |
    | 784-128-10 b128 (MNIST-shaped)     |  1500 |          334 / 403   |        326 / 395   |

No drop beyond the machine's noise (±3 %, the sign flips between rounds). Before the
headless run stopped recording its Timeline (``Run.headless``) the default run was
about 4 % slower per CPU second (1.3 µs a step of records no screen reads).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

from modes import child_env

CHILD = """
import contextlib, io, sys, time
from gradtui.tui.cli.main import main
args = sys.argv[1:]
with contextlib.redirect_stdout(io.StringIO()):
    start, cpu = time.perf_counter(), time.process_time()
    code = main(args)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
assert code == 0, code
print(took, cpu)
"""


def mnist_shaped(folder: str) -> str:
    """A Keras-style .npz of MNIST's shape: 784 features, 10 classes, 6,000 rows."""
    rng = np.random.default_rng(0)
    path = os.path.join(folder, "mnist_shaped.npz")
    x = rng.integers(0, 256, size=(6000, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, 6000).astype(np.uint8)
    np.savez(path, x_train=x[:5000], y_train=y[:5000], x_test=x[5000:], y_test=y[5000:])
    return path


def timed(args: list[str], path: str | None) -> np.ndarray:
    """(wall, CPU) seconds of ``gradtui run ARGS`` in a fresh process (``path``: the
    checkout's import path, None for the installed one)."""
    env = child_env("pinned")
    if path is not None:
        env["PYTHONPATH"] = path
    out = subprocess.run([sys.executable, "-c", CHILD, "run", *args], env=env,
                         capture_output=True, text=True, check=True)
    return np.array([float(x) for x in out.stdout.strip().splitlines()[-1].split()])


def rates(args: list[str], steps: int, repeats: int, paths: list[str | None]) -> list[np.ndarray]:
    """For each checkout: (wall, CPU) steps per second, best of ``repeats``, measured in turns."""
    best = [np.full((2, 2), np.inf) for _ in paths]
    for _ in range(repeats):
        for i, path in enumerate(paths):
            for j, n in enumerate((steps, 1)):
                best[i][j] = np.minimum(best[i][j], timed([*args, "--steps", str(n)], path))
    return [(steps - 1) / (b[0] - b[1]) for b in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", default="20000,1500", help="steps for the default and the 784-128-10 run")
    parser.add_argument("--reference", metavar="DIR", help="another checkout to measure in turns with this one")
    opts = parser.parse_args()
    paths: list[str | None] = [None]
    names = ["this checkout"]
    if opts.reference is not None:
        paths.append(os.path.join(os.path.abspath(opts.reference), ".ci", "typecheck"))
        names.append(f"reference ({opts.reference})")
    small, big = (int(s) for s in opts.steps.split(","))
    with tempfile.TemporaryDirectory() as folder:
        cases = [("default scenario (2-16-16-2, spiral, adam, b32)", [], small),
                 ("784-128-10 b128, MNIST-shaped .npz", ["--data", mnist_shaped(folder), "--hidden", "128",
                                                         "--batch-size", "128"], big)]
        print("| `gradtui run` | steps | code | steps/s | steps per CPU s |")
        print("|---|---:|---|---:|---:|")
        for name, args, steps in cases:
            for code, (wall, cpu) in zip(names, rates(args, steps, opts.repeats, paths)):
                print(f"| {name} | {steps} | {code} | {wall:,.0f} | {cpu:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
