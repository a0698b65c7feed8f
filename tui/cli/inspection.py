"""``gradtui run --trace INDEX`` and ``--landscape FILE.npz``: looking inside the network at
the end of a run.

The trace is printed as a table, one row per unit (the first ``UNITS_SHOWN`` of each
layer): its activation input z, output a, local gradient f'(z), dL/da, dL/dz = f'(z) dL/da,
dL/db and the norm of its incoming weights' gradient dL/dW[:, j], all for that sample
alone, in eval mode. The landscape goes to an ``.npz`` for a notebook. Every bad value is
refused before training starts.
"""

from __future__ import annotations

import argparse

import numpy as np

from gradtui.engine import Trace, Trainer
from gradtui.engine.inspect.landscape import SAMPLE_ROWS, check_grid

from gradtui.tui.cli.outputs import writing
from gradtui.tui.cli.settings import Prepared, UsageError, as_usage_error, count

UNITS_SHOWN = 12
"""Units listed per layer; a wider layer ends with a line saying how many are left out."""
COLUMNS = ("z", "a", "f'(z)", "dL/da", "dL/dz", "dL/db", "|dL/dW_j|")
SPAN, STEPS = 1.0, 21


def add_inspection_flags(parser: argparse.ArgumentParser) -> None:
    """--trace, --landscape, --landscape-span and --landscape-steps."""
    g = parser.add_argument_group("looking inside (network runs)")
    g.add_argument("--trace", type=int, metavar="INDEX",
                   help="at the end, print training sample INDEX's trip through every layer")
    g.add_argument("--landscape", metavar="FILE.npz",
                   help="at the end, save the loss surface around the weights (Li et al. 2018) "
                        f"for a notebook; train sets over {SAMPLE_ROWS:,} rows use a fixed sample")
    g.add_argument("--landscape-span", type=float, default=SPAN, metavar="S",
                   help=f"the surface spans -S..S along both directions (default {SPAN:g})")
    g.add_argument("--landscape-steps", type=count, default=STEPS, metavar="N",
                   help=f"grid points per direction (default {STEPS})")


def check_landscape_flags(args: argparse.Namespace) -> None:
    """Refuse a bad --landscape file or grid (before the run is even built)."""
    if args.landscape is None:
        if args.landscape_span != SPAN or args.landscape_steps != STEPS:
            flag = "--landscape-span" if args.landscape_span != SPAN else "--landscape-steps"
            raise UsageError(f"{flag} shapes the surface --landscape FILE.npz saves; give --landscape too")
        return
    if not args.landscape.endswith(".npz"):
        raise UsageError(f"--landscape {args.landscape}: expected a file name ending in .npz")
    with as_usage_error("--landscape: "):
        check_grid(args.landscape_span, args.landscape_steps)


def check_inspection(args: argparse.Namespace, prepared: Prepared) -> None:
    """Refuse --trace and --landscape for a calculus run, and an index outside the training set."""
    asked = [flag for flag, value in (("--trace", args.trace), ("--landscape", args.landscape))
             if value is not None]
    if not asked:
        return
    if prepared.trainer is None:
        raise UsageError(f"{asked[0]} looks inside a network; a calculus run has none")
    if args.trace is not None:
        with as_usage_error("--trace: "):
            prepared.trainer.trace(args.trace)


def inspect_after_run(args: argparse.Namespace, trainer: Trainer | None) -> None:
    """Print the --trace table and save the --landscape file, as of the end of the run."""
    if trainer is None:  # a calculus run: check_inspection refused both
        return
    if args.trace is not None:
        print()
        print("\n".join(trace_lines(trainer.trace(args.trace), trainer.step_count)))
    if args.landscape is not None:
        land = trainer.loss_landscape(args.landscape_span, args.landscape_steps, max_rows=SAMPLE_ROWS)
        with writing("--landscape", args.landscape):
            land.save(args.landscape)
        rows = (f"a fixed sample of {land.rows:,} of {land.of_rows:,} training samples" if land.sampled
                else f"all {land.rows:,} training samples")
        centre = land.loss[len(land.alphas) // 2, len(land.betas) // 2]
        print(f"saved loss surface {args.landscape}: {len(land.alphas)} x {len(land.betas)} grid, "
              f"span {args.landscape_span:g}, on {rows}, centre loss {centre:.6g}")


def _vector(values: np.ndarray) -> str:
    return "[" + " ".join(f"{v:.4g}" for v in np.asarray(values).tolist()) + "]"


def trace_lines(trace: Trace, step: int) -> list[str]:
    """The table for ``trace``, taken at training ``step``."""
    label = "" if trace.label is None else f"label {trace.label}, "
    lines = [f"trace of training sample {trace.index} at step {step} (eval mode): "
             f"{label}loss {trace.loss:.6g}",
             f"  output {_vector(trace.output)}  target {_vector(trace.target)}",
             f"{'layer':<10}{'unit':>5}  {'act':<10}" + "".join(f"{c:>11}" for c in COLUMNS)]
    for layer in trace.layers:
        incoming = np.linalg.norm(layer.dW, axis=0)
        columns = (layer.z, layer.a, layer.fprime, layer.da, layer.dz, layer.db, incoming)
        for j in range(min(len(layer.z), UNITS_SHOWN)):
            lines.append(f"{layer.name:<10}{j:>5}  {layer.activation:<10}"
                         + "".join(f"{float(col[j]) + 0.0:>11.4g}" for col in columns))  # + 0.0: no -0
        if len(layer.z) > UNITS_SHOWN:
            lines.append(f"{'':<10}{'':>5}  ... {len(layer.z) - UNITS_SHOWN} more units "
                         "(Trainer.trace has them all)")
    return lines
