"""``gradtui compare``: the same network trained twice, one thing changed, side by side.

    gradtui compare [settings] --change KEY=VALUE [--change ...] [--steps N] [--every K]
                    [--out FILE.jsonl|.csv]

Run A is what the settings describe (as ``gradtui run`` would train it); run B is the same
with the ``--change``s applied, from the same initial weights, probe set and batch order
(``gradtui.engine.Twin``). Stdout: a side-by-side table, the comparison, and a verdict.
``--out`` holds one row per run and step with a ``run`` column (A or B).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Any, Callable

from gradtui.engine import Twin, TwinSummary
from gradtui.engine.train.runner import Row

from gradtui.tui.cli.export import NETWORK_COLUMNS, Column, Table, check_format, table_every
from gradtui.tui.cli.outputs import check_output, check_outputs_apart, output_writer
from gradtui.tui.cli.progress import ProgressBar
from gradtui.tui.cli.settings import (DEFAULT_STEPS, Parser, UsageError, add_settings, as_usage_error,
                                      count, describe_run, parse_change, prepare)

PAIRED = ("loss", "acc", "grad_norm", "flags")
"""The ``gradtui run`` table columns shown for A and B next to each other."""

FLAGS_WIDTH = 24


def build_parser() -> Parser:
    """The parser of ``gradtui compare``: the usual settings plus what B changes."""
    parser = Parser(prog="gradtui compare",
                    description="Train the same network twice, one setting changed, from the same "
                                "weights and batches; print both side by side and a verdict.")
    add_settings(parser)
    g = parser.add_argument_group("the comparison")
    g.add_argument("--change", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting run B has differently, e.g. clip_mode=norm (repeatable)")
    g.add_argument("--steps", type=count, default=DEFAULT_STEPS, metavar="N",
                   help=f"steps each run takes (default {DEFAULT_STEPS})")
    g.add_argument("--every", type=count, default=1, metavar="K",
                   help="evaluate both runs and write their rows every K steps (default 1)")
    g.add_argument("--out", metavar="FILE", help="rows of both runs as JSON Lines (.jsonl) or CSV (.csv)")
    g.add_argument("--force", action="store_true", help="replace an existing --out file")
    return parser


def paired_columns() -> list[Column]:
    """``step``, then each of ``PAIRED`` for A and for B, formatted as ``gradtui run`` does."""
    by_name = {name: (width, fmt) for name, width, fmt in NETWORK_COLUMNS}
    columns: list[Column] = [("step", *by_name["step"])]
    for name in PAIRED:
        width, fmt = by_name[name]
        for side in ("A", "B"):
            header = f"{name} {side}"
            shown = max(width, len(header)) if width else (FLAGS_WIDTH if side == "A" else 0)
            columns.append((header, shown, partial(_side, fmt, side)))
    return columns


def _side(fmt: Callable[[Row], str], side: str, row: Row) -> str:
    """One run's cell of a paired row (``row[side]``, side "A" or "B"), as ``fmt`` shows it."""
    return fmt(row[side])


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def _changes(texts: list[str]) -> dict[str, Any]:
    if not texts:
        raise UsageError("compare needs at least one --change KEY=VALUE: what run B does differently")
    changes: dict[str, Any] = {}
    for text in texts:
        key, value = parse_change(text)
        if key in changes:
            raise UsageError(f"--change {key} is given twice")
        changes[key] = value
    return changes


def _twin(args: argparse.Namespace, changes: dict[str, Any]) -> tuple[Twin, str]:
    """The twin the arguments ask for, and the line that describes run A."""
    prepared = prepare(args)
    trainer = prepared.trainer
    if trainer is None:
        raise UsageError(f"compare trains networks; {prepared.scenario.name!r} is a calculus scenario "
                         "(race optimizers on it in the app's calculus screen)")
    with as_usage_error("--change: "):
        if hasattr(args, "load"):
            return Twin.from_trainer(trainer, **changes), describe_run(prepared)
        return Twin(trainer.config, **changes), describe_run(prepared)


def command(args: argparse.Namespace) -> int:
    """Run ``gradtui compare``; returns the exit code (user mistakes raise UsageError)."""
    changes = _changes(args.change)
    if args.out is not None:
        with as_usage_error():
            check_format(args.out)
        check_outputs_apart(args, getattr(args, "data", None))
        check_output(args.out, "--out", args.force)
    twin, described = _twin(args, changes)
    check_outputs_apart(args, twin.a.config.data)  # its data may come from --config or --load
    print(f"A = {described}")
    print("B = A with " + ", ".join(f"{k}={_show(v)}" for k, v in changes.items()))
    with output_writer(args.out) as writer:
        summary = _train(args, twin, writer)
    print("\n" + "\n".join(summary.lines()))
    return 0


def _train(args: argparse.Namespace, twin: Twin, writer: Any) -> TwinSummary:
    """Run both, printing the paired table and feeding ``writer`` (when there is one)."""
    table = Table(paired_columns(), sys.stdout)
    interval = table_every(args.steps, args.every)
    bar = ProgressBar(args.steps, sys.stderr) if sys.stderr.isatty() else None
    last: dict[str, Any] = {}

    def sink(row_a: Row, row_b: Row) -> None:
        if writer is not None:
            writer.write_rows([{"run": "A", **row_a}, {"run": "B", **row_b}])
        paired = {"step": row_a["step"], "A": row_a, "B": row_b}
        if paired["step"] % interval == 0:
            if bar is not None:
                bar.clear()
            table.write(paired)
            last["shown"] = paired["step"]
        last["row"] = paired

    table.header()
    every = args.every if writer is not None else interval
    try:
        summary = twin.run(args.steps, every, sink, bar)
    finally:
        if bar is not None:
            bar.clear()
    if "row" in last and last["row"]["step"] != last.get("shown"):
        table.write(last["row"])
    return summary
