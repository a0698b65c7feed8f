"""``gradtui attach`` and ``gradtui replay``: the training screen on a PyTorch run.

    gradtui attach              list the live runs (and open the only one)
    gradtui attach NAME [--lock]  open run NAME; --lock watches without steering
    gradtui replay FILE.jsonl   open a run's record (watch(..., log=FILE)), scrolled with the arrows

A missing, ended or unreadable run, or a damaged record, is one line and exit code 2.
(``gradtui run --config FILE`` replays a shared settings file; ``replay`` opens a record.)
"""

from __future__ import annotations

import argparse
import time

from gradtui.engine.textsafe import visible
from gradtui.live.record import RecordError
from gradtui.live.rundir import RunDirError, list_runs

from gradtui.tui.cli.settings import Parser, UsageError


def build_parsers() -> dict[str, argparse.ArgumentParser]:
    attach = Parser(prog="gradtui attach", description="Watch and steer a PyTorch run that calls "
                    "gradtui.torch.watch; without a name, list the live runs.")
    attach.add_argument("name", nargs="?", help="the run's name, as 'gradtui attach' lists it")
    attach.add_argument("--lock", action="store_true", help="watch only: the keys do not steer the run")
    replay = Parser(prog="gradtui replay", description="Open the record a watched run wrote "
                    "(watch(model, optimizer, log=FILE)) on the same screen, to scroll through.")
    replay.add_argument("file", help="the run's JSON Lines record")
    return {"attach": attach, "replay": replay}


def attach(args: argparse.Namespace) -> int:
    from gradtui.tui.attach.client import AttachError, RunClient  # Textual only when a screen opens

    name = args.name
    if name is None:
        try:
            runs = list_runs()
        except RunDirError as exc:
            raise UsageError(str(exc)) from None
        if not runs:
            raise UsageError("no live runs to attach to; a script that calls gradtui.torch.watch(...) starts one")
        for run in runs:
            started = time.strftime("%H:%M:%S", time.localtime(run.started))
            print(f"{visible(run.name)}  (pid {run.pid}, started {started})")
        if len(runs) > 1:
            print("open one with: gradtui attach NAME")
            return 0
        name = runs[0].name
    try:
        client = RunClient.connect(name, locked=args.lock)
    except AttachError as exc:
        raise UsageError(str(exc)) from None
    from gradtui.tui.attach.app import RunApp

    RunApp(client).run()
    return 0


def replay(args: argparse.Namespace) -> int:
    from gradtui.tui.attach.replay import ReplaySource

    try:
        source = ReplaySource(args.file)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    from gradtui.tui.attach.app import RunApp

    RunApp(source, replay=True).run()
    return 0
