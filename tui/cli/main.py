"""The ``gradtui`` command line: open the app, run headless, list what exists.

    gradtui [--scenario NAME] [settings]                  open the app
    gradtui --function EXPR                               the app in calculus mode on a typed function
    gradtui run [settings] --steps N [--every K] [--out FILE.jsonl|.csv] [--save CKPT] [--force]
                [--trace INDEX] [--landscape FILE.npz [--landscape-span S] [--landscape-steps N]]
    gradtui compare [settings] --change KEY=VALUE [--steps N] [--every K] [--out FILE] [--force]
    gradtui lr-find [settings] [--steps N] [--start X] [--end Y] [--json]  the lr range test
    gradtui list                                          scenarios, datasets, choices
    gradtui serve [--host H] [--port P] [settings]      the app in web browsers
    gradtui export CKPT --format torch|numpy|json [-o FILE]  the trained network as a file
    gradtui diff EXPR [--at x=1,y=2] [--json]             a typed function differentiated by the rules
    gradtui attach [NAME] [--lock]                       watch and steer a PyTorch run (gradtui.torch)
    gradtui replay FILE.jsonl                            a watched run's record on the same screen
    gradtui --version

The settings flags, TOML configs and ``prepare`` live in ``settings``. Every user mistake
ends in one line on stderr and exit code 2, never a traceback (``outputs`` keeps the
user's files safe). ``run`` and ``list`` never
import Textual; only opening the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import sys
import threading
import typing
from functools import partial
from typing import Any, Sequence

from gradtui import __version__
from gradtui.engine import ACTIVATIONS, CLIP_MODES, DATASETS, INITS, LOSSES, OBJECTIVES, OPTIMIZERS, SCENARIOS
from gradtui.engine.textsafe import visible
from gradtui.engine.train.replay import PlannedChangeError
from gradtui.engine.run.headless import run_headless
from gradtui.engine.train.runner import DescentSummary, Row, TrainSummary, run_descent
from gradtui.engine.train.stop import Stopper, parse_until

from gradtui.tui.cli import compare, diff
from gradtui.tui.cli.export import (NETWORK_COLUMNS, Column, Table, check_format, descent_columns,
                                    table_every)
from gradtui.tui.cli.inspection import (add_inspection_flags, check_inspection, check_landscape_flags,
                                        inspect_after_run)
from gradtui.tui.cli import attach, export_model, lr_find, serve
from gradtui.tui.cli.progress import ProgressBar
from gradtui.tui.cli.settings import (DEFAULT_STEPS, Parser, Prepared, UsageError,
                                      add_settings, as_usage_error, count, describe_run,
                                      prepare, prepare_app)
from gradtui.tui.cli.outputs import (OUTPUTS, check_output, check_outputs_apart, output_writer,
                                     writing, WriteError)
from gradtui.tui.cli.run_plot import RunCurves


def build_parsers() -> dict[str, argparse.ArgumentParser]:
    """The parsers for the app (``gradtui``) and each of its commands."""
    app = Parser(prog="gradtui", description="Watch gradients flow, explode, vanish and die.",
                 epilog="commands: 'gradtui run --help' trains headless; 'gradtui compare --help' "
                        "trains twice with one change; 'gradtui list' shows scenarios, datasets "
                        "and choices; 'gradtui lr-find --help' suggests a learning rate; 'gradtui export --help' writes a trained network as PyTorch, "
                        "NumPy or JSON; 'gradtui serve --help' serves the app to web browsers; "
                        "'gradtui diff --help' differentiates a typed function by the rules.")
    app.add_argument("--version", action="version", version=f"gradtui {__version__}")
    add_settings(app)
    serve.add_function_flag(app)
    serve.add_room_flags(app)
    run = Parser(prog="gradtui run", description="Train headless; print a table and a summary.")
    add_settings(run)
    g = run.add_argument_group("the run")
    g.add_argument("--steps", type=count, default=DEFAULT_STEPS, metavar="N",
                   help=f"steps to take (default {DEFAULT_STEPS})")
    g.add_argument("--every", type=count, default=1, metavar="K",
                   help="write a row to --out every K steps (default 1)")
    g.add_argument("--out", metavar="FILE", help="rows as JSON Lines (.jsonl) or CSV (.csv)")
    g.add_argument("--save", metavar="CHECKPOINT", help="save the run at the end")
    g.add_argument("--plot", action="store_true",
                   help="after the run, draw its loss and gradient-norm curves in the terminal")
    g.add_argument("--force", action="store_true",
                   help="replace an existing --out, --save or --landscape file (never the --data, "
                        "--config or --load file, nor a read-only file)")
    g.add_argument("--until", metavar="CONDITION",
                   help="stop at the first step where it holds, --steps at most: e.g. "
                        "test_accuracy>=0.95, loss<=0.05, flag:dead, plateau:200 (comma: any of them)")
    add_inspection_flags(run)
    lister = Parser(prog="gradtui list", description="List scenarios, datasets and choices.")
    learn = Parser(prog="gradtui learn", description="The course: lessons from slopes to a digit "
                   "classifier, each checked on your own run; progress is kept per user.")
    learn.add_argument("--list", action="store_true", help="print the lessons, one a line, and exit")
    learn.add_argument("--lesson", metavar="NAME", help="open this lesson directly (names: --list)")
    serve.add_room_flags(learn)
    return {"app": app, "run": run, "compare": compare.build_parser(), "list": lister,
            "export": export_model.build_parser(), "serve": serve.build_parser(),
            "lr-find": lr_find.build_parser(), "diff": diff.build_parser(), "learn": learn,
            **attach.build_parsers()}


# --- commands -----------------------------------------------------------------------------

class Terminated(BaseException):
    """SIGTERM, turned into an exception so that pending writes remove their temp files."""


APP_TERMINATED = 143
"""The app's return code after SIGTERM (128 + 15, as a shell reports it)."""
APP_CRASHED = 70
"""Exit code when the app stopped on an unexpected exception (EX_SOFTWARE: a bug)."""


def _open_app(args: argparse.Namespace) -> int:
    function = diff.typed_function(args.function, "--function") if args.function is not None else None
    prepared = prepare_app(args)
    from gradtui.tui.app import GradtuiApp  # imported here: only the app needs Textual

    course = None
    if args.learn:
        from gradtui.tui.learn.progress import load

        course = load()
        if course.problem:
            print(f"gradtui: {course.problem}", file=sys.stderr)
    app = GradtuiApp(trainer=prepared.trainer, scenario=prepared.scenario, rebuild=prepared.rebuild,
                     present=args.present, locked=args.lock, function=function, course=course)
    if threading.current_thread() is threading.main_thread():  # main() restores the handler
        signal.signal(signal.SIGTERM, partial(_close_app, app))
    app.run()
    if app.return_code == APP_TERMINATED:
        raise Terminated
    if app.return_code:  # Textual printed the traceback; say what it means and never exit 0
        print("gradtui: error: the app stopped on an unexpected error (a bug; the traceback is "
              "above)", file=sys.stderr)
        return APP_CRASHED
    return 0


def _learn(args: argparse.Namespace) -> int:
    """``gradtui learn``: the course in the app, or ``--list`` its lessons."""
    from gradtui.tui.learn.course import COURSE, LESSONS, lesson_line
    from gradtui.tui.learn.progress import load

    if args.lesson is not None and args.lesson not in COURSE:
        raise UsageError(f"--lesson: unknown lesson {args.lesson!r}; valid: {', '.join(COURSE)}")
    progress = load()
    if args.list:
        for number, lesson in enumerate(LESSONS, 1):
            print(("✓ " if progress.done(lesson.name) else "  ") + lesson_line(number, lesson))
        return 0
    if progress.problem:
        print(f"gradtui: {progress.problem}", file=sys.stderr)
    from gradtui.tui.app import GradtuiApp

    app = GradtuiApp(present=args.present, locked=args.lock, course=progress, lesson=args.lesson)
    app.run()
    if app.return_code:
        print("gradtui: error: the app stopped on an unexpected error (a bug; the traceback is "
              "above)", file=sys.stderr)
        return APP_CRASHED
    return 0


def _close_app(app: Any, signum: int, frame: Any) -> None:
    """SIGTERM while the app runs: leave it the ordinary way (terminal restored, a save in
    progress finished), from its own event loop."""
    asyncio.get_running_loop().call_soon_threadsafe(partial(app.exit, return_code=APP_TERMINATED))


def _terminate(signum: int, frame: Any) -> typing.NoReturn:
    raise Terminated


def _run(args: argparse.Namespace) -> int:
    if args.out is not None:
        with as_usage_error():
            check_format(args.out)
    check_landscape_flags(args)
    check_outputs_apart(args, getattr(args, "data", None))
    for name, flag in OUTPUTS:
        if getattr(args, name) is not None:
            check_output(getattr(args, name), flag, args.force)
    prepared = prepare(args)
    if prepared.descent is not None and args.save:
        raise UsageError("--save writes network checkpoints; a calculus run has none")
    if prepared.descent is not None and args.plot:
        raise UsageError("--plot draws a network run's loss and gradients; a calculus run prints its path")
    check_inspection(args, prepared)
    if prepared.trainer is not None:  # its data may come from --config or --load
        check_outputs_apart(args, prepared.trainer.config.data)
    curves = RunCurves() if args.plot else None
    with output_writer(args.out) as writer:
        summary, last_row, shown_step = _train(args, prepared, writer, curves)
    if last_row is not None and last_row["step"] != shown_step:
        Table(_columns(prepared), sys.stdout).write(last_row)
    print("\n" + "\n".join(summary.lines()))
    if curves is not None:
        print("\n" + curves.render(colour=sys.stdout.isatty()))
    if args.save and prepared.trainer is not None:  # a calculus run was refused --save above
        with writing("--save", args.save):
            prepared.trainer.save(args.save)
        print(f"saved checkpoint {args.save} at step {prepared.trainer.step_count}")
    inspect_after_run(args, prepared.trainer)
    return 0


def _columns(prepared: Prepared) -> list[Column]:
    return (NETWORK_COLUMNS if prepared.descent is None
            else descent_columns(prepared.descent.objective.dim))


def _train(args: argparse.Namespace, prepared: Prepared, writer: Any,
           curves: RunCurves | None) -> tuple[TrainSummary | DescentSummary, Row | None, int | None]:
    """Run the steps, printing the table and feeding ``writer`` and ``curves`` (when
    there are); returns (summary, last row, the step of the last row shown in the table)."""
    table = Table(_columns(prepared), sys.stdout)
    interval = table_every(args.steps, args.every)
    bar = ProgressBar(args.steps, sys.stderr) if sys.stderr.isatty() else None
    shown_step: int | None = None
    last_row: Row | None = None

    def sink(row: Row) -> None:
        nonlocal shown_step, last_row
        if writer is not None:
            writer.write(row)
        if row["step"] % interval == 0:
            if bar is not None:
                bar.clear()
            table.write(row)
            shown_step = row["step"]
        last_row = row

    if args.until is not None:
        if prepared.descent is not None:
            raise UsageError("--until applies to network runs; a calculus run has no such conditions")
        with as_usage_error("--until: "):
            Stopper(parse_until(args.until), prepared.trainer)
    print(describe_run(prepared))
    table.header()
    every = args.every if writer is not None else interval
    prediction = prepared.scenario.prediction
    watch = prediction.watch() if prediction is not None else None
    summary: TrainSummary | DescentSummary
    try:
        if prepared.trainer is not None:  # else a descent
            summary = run_headless(prepared.trainer, args.steps, every, sink, bar, args.until, watch=watch,
                                   on_step=curves.add if curves is not None else None)
        else:
            assert prepared.descent is not None  # a run is a trainer or a descent
            summary = run_descent(prepared.descent, args.steps, every, sink, bar, watch=watch)
    except PlannedChangeError as exc:  # the settings file planned a change that does not fit
        raise UsageError(str(exc)) from None
    finally:
        if bar is not None:
            bar.clear()
    return summary, last_row, shown_step


def _list(args: argparse.Namespace) -> int:
    lines = ["scenarios:"]
    width = max(map(len, SCENARIOS))
    for s in SCENARIOS.values():
        kind = "calculus" if s.is_calculus else "network"
        lines.append(f"  {s.name:<{width}}  [{kind}] {s.story}")
    digits_note = "" if importlib.util.find_spec("sklearn") else " (needs pip install 'gradtui[digits]')"
    lines += [
        "datasets: " + ", ".join(DATASETS) + digits_note,
        "activations: " + ", ".join(ACTIVATIONS),
        "losses: " + ", ".join(LOSSES) + " (default: cross_entropy for classes, mse for values)",
        "optimizers: " + ", ".join(OPTIMIZERS),
        "init schemes: " + ", ".join(INITS),
        "clip modes: " + ", ".join("off" if m is None else m for m in CLIP_MODES),
        "calculus surfaces: " + ", ".join(OBJECTIVES),
    ]
    print("\n".join(lines))
    return 0


COMMANDS = {"app": _open_app, "run": _run, "compare": compare.command, "list": _list,
            "export": export_model.command, "serve": serve.command, "lr-find": lr_find.command,
            "diff": diff.command, "attach": attach.attach, "replay": attach.replay, "learn": _learn}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradtui`` script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS and argv[0] != "app" else "app"
    rest = argv[1:] if command != "app" else argv
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        args = build_parsers()[command].parse_args(rest)
        code = COMMANDS[command](args)
        sys.stdout.flush()  # a full stdout fails here, inside the handlers below
        return code
    except UsageError as exc:
        print(f"gradtui: error: {visible(str(exc))}", file=sys.stderr)  # one line, whatever a name holds
        for line in getattr(exc, "pointer", ()):  # a typed function: the text, a caret under the column
            print(f"  {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gradtui: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("gradtui: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # e.g. `gradtui run | head`: stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # e.g. stdout on a full disk: one line, and no second try at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"gradtui: error: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return WriteError.exit_code
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
