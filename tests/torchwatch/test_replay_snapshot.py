"""The replay screen as a picture (a committed record, so neither torch nor timing changes it)."""

from __future__ import annotations

from pathlib import Path

from gradtui.tui.attach.app import RunApp
from gradtui.tui.attach.replay import ReplaySource

RECORD = Path(__file__).parent / "data" / "replay.jsonl"
"""40 steps of nets.mlp with 20 first-layer units killed, lr lowered and clipping on at step 21."""


def test_replay_screen(snap_compare):
    assert snap_compare(RunApp(ReplaySource(str(RECORD)), replay=True), terminal_size=(120, 40))
