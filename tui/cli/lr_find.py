"""``gradtui lr-find [settings] [--steps N] [--start X] [--end Y] [--json]``: the learning-rate
range test (``Trainer.lr_range_test``) on the run the settings describe, as a table or JSON,
with the suggested lr and the rule that chose it. The run itself is never trained; every
mistake is one line and exit code 2."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from gradtui.engine.curvature.lr_finder import RangeTest

from gradtui.tui.cli.settings import Parser, UsageError, add_settings, as_usage_error, count, describe_run, prepare

MAX_STEPS = 10_000
DEFAULTS = {"steps": 100, "start": 1e-6, "end": 10.0}
TABLE_ROWS = 20
"""About this many rows of the table are printed, plus the marked ones."""


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a learning rate above 0, got {text!r}")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="gradtui lr-find",
                    description="The learning-rate range test: from the run's weights, on a copy, "
                                "raise the lr exponentially step by step until the loss blows up; "
                                "print the curve and a suggested lr.")
    add_settings(parser)
    g = parser.add_argument_group("the range test")
    g.add_argument("--steps", type=count, default=DEFAULTS["steps"], metavar="N",
                   help=f"steps of the test, 2 to {MAX_STEPS:,} (default {DEFAULTS['steps']})")
    g.add_argument("--start", type=_number, default=DEFAULTS["start"], metavar="X",
                   help=f"the first lr (default {DEFAULTS['start']:g})")
    g.add_argument("--end", type=_number, default=DEFAULTS["end"], metavar="Y",
                   help=f"the last lr, reached unless the loss blows up first (default {DEFAULTS['end']:g})")
    g.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return parser


def command(args: argparse.Namespace) -> int:
    if not 2 <= args.steps <= MAX_STEPS:
        raise UsageError(f"--steps must be from 2 to {MAX_STEPS:,}, got {args.steps}")
    if args.end <= args.start:
        raise UsageError(f"--end must be above --start, got start {args.start:g} and end {args.end:g}")
    prepared = prepare(args)
    if prepared.trainer is None:
        raise UsageError(f"lr-find trains a network; {prepared.scenario.name!r} is a calculus "
                         "scenario (use gradtui run there)")
    with as_usage_error():
        result = prepared.trainer.lr_range_test(args.steps, args.start, args.end)
    if args.json:
        print(json.dumps(as_json(result)))
    else:
        print(describe_run(prepared))
        print("\n".join(lines(result)))
    return 0


def _point(result: RangeTest, index: int | None) -> dict[str, Any] | None:
    if index is None:
        return None
    return {"step": index + 1, "lr": float(result.lrs[index]), "smoothed_loss": _finite(result.smoothed[index])}


def _finite(x: float) -> float | None:
    """JSON has no NaN or Infinity: a non-finite loss is written as null."""
    return float(x) if math.isfinite(x) else None


def as_json(result: RangeTest) -> dict[str, Any]:
    return {"lrs": result.lrs.tolist(), "losses": [_finite(x) for x in result.losses],
            "smoothed": [_finite(x) for x in result.smoothed],
            "steepest": _point(result, result.steepest), "minimum": _point(result, result.minimum),
            "blowup": _point(result, result.blowup), "suggested_lr": result.suggestion, "rule": result.rule}


def lines(result: RangeTest) -> list[str]:
    """The table (about ``TABLE_ROWS`` rows and every marked one), the marked points and the
    suggestion with its rule."""
    marks: dict[int, list[str]] = {}
    for index, name in ((result.steepest, "steepest descent"), (result.minimum, "lowest"),
                        (result.blowup, "blow-up")):
        if index is not None:
            marks.setdefault(index, []).append(name)
    n = len(result.lrs)
    every = max(1, n // TABLE_ROWS)
    out = [f"range test on a copy of the run: {n} steps, lr from {result.lrs[0]:.3g} up to {result.lrs[-1]:.3g}",
           f"{'step':>5}  {'lr':>9}  {'loss':>10}  {'smoothed':>10}"]
    for i in range(n):
        if i % every == 0 or i == n - 1 or i in marks:
            note = f"  <- {', '.join(marks[i])}" if i in marks else ""
            out.append(f"{i + 1:>5}  {result.lrs[i]:>9.3g}  {result.losses[i]:>10.4g}  "
                       f"{result.smoothed[i]:>10.4g}{note}")
    if result.steepest is not None:
        out.append(f"steepest descent: lr {result.lrs[result.steepest]:.3g} (step {result.steepest + 1})")
    out.append(f"lowest smoothed loss: lr {result.lrs[result.minimum]:.3g} (step {result.minimum + 1})")
    out.append(f"blow-up: lr {result.lrs[result.blowup]:.3g} (step {result.blowup + 1})"
               if result.blowup is not None else f"no blow-up up to lr {result.lrs[-1]:.3g}")
    out.append(f"suggested lr: {result.suggestion:.3g}")
    out.append(f"rule: {result.rule}")
    out.append(f"try it: the same settings with --lr {result.suggestion:.3g} (gradtui run, or the app)")
    return out
