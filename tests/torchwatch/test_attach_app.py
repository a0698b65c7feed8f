"""``gradtui attach`` and ``gradtui replay`` as a user meets them: the screen on a real training
loop in another process, steered with the keys, and the same screen on its record."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")

from gradtui.torch import watch  # noqa: E402
from gradtui.tui.attach.app import RunApp  # noqa: E402
from gradtui.tui.attach.client import RunClient  # noqa: E402
from gradtui.tui.attach.replay import ReplaySource  # noqa: E402
from gradtui.tui.attach.screen import EXPLANATIONS  # noqa: E402
from gradtui.tui.cli.main import main  # noqa: E402
from nets import batches, mlp, train  # noqa: E402

HERE = Path(__file__).parent


def start_run(tmp_path, name, steps=100_000, delay=0.03):
    out, log = tmp_path / "final.pt", tmp_path / "run.jsonl"
    run = subprocess.Popen([sys.executable, str(HERE / "loop_script.py"), name, str(steps), str(delay), str(out),
                            str(log)], env={**os.environ, "PYTHONPATH": str(HERE)}, stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline().strip() == "ready"
    return run, out, log


async def until(pilot, condition, timeout=40.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the run did not get there in time")


def last(client, key):
    with client.lock:
        return (client.view.last or {}).get(key)


async def test_the_keys_steer_a_real_loop_in_another_process(tmp_path):
    run, out, log = start_run(tmp_path, "pilot")
    try:
        client = RunClient.connect("pilot")
        app = RunApp(client)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: client.view.step >= 3)
            await pilot.press("space")
            await until(pilot, lambda: client.view.paused)
            await pilot.pause(0.3)
            held = client.view.step
            await asyncio.sleep(0.6)
            assert client.view.step == held  # the loop waits in w.step
            assert "PAUSED" in str(app.screen.query_one("#status").render())
            await pilot.press("space")
            await until(pilot, lambda: client.view.step > held + 2)
            await pilot.press("left_square_bracket")
            await until(pilot, lambda: last(client, "lrs") == [0.03])
            await pilot.press("x")
            await until(pilot, lambda: last(client, "clip") == 1.0)
            await pilot.press("right_curly_bracket")
            await until(pilot, lambda: last(client, "clip") == 3.0)
            await pilot.press("left_curly_bracket")
            await until(pilot, lambda: last(client, "clip") == 1.0)
            await pilot.press("right_square_bracket")
            await until(pilot, lambda: last(client, "lrs") == [0.1])
            await pilot.press("n")
            await until(pilot, lambda: any("skip non-finite steps on" in e.text for e in client.view.events))
            await pilot.press("s")
            await until(pilot, lambda: any("snapshot at step" in e.text for e in client.view.events))
            await pilot.press("u")
            await until(pilot, lambda: any("rolled back" in e.text for e in client.view.events))
            assert client.view.marks  # every change marks the plots
            await pilot.press("q")
    finally:
        run.send_signal(signal.SIGINT)  # Ctrl-C: the with block closes the watcher, the record is whole
        run.wait(20)
    changes = [c for line in log.read_text().splitlines()[1:] for c in json.loads(line).get("changes", [])]
    assert changes[:2] == [f"paused before step {held + 1}", "resumed"]
    assert "lr 0.1 -> 0.03" in changes and "clip norm 1 on (clip_grad_norm_)" in changes and "clip 1 -> 3" in changes
    assert "clip 3 -> 1" in changes and "lr 0.03 -> 0.1" in changes and "skip non-finite steps on" in changes


async def test_a_locked_viewer_watches_but_cannot_steer(tmp_path):
    run, out, log = start_run(tmp_path, "locked", steps=60, delay=0.02)
    try:
        client = RunClient.connect("locked", locked=True)
        app = RunApp(client)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: client.view.step >= 2)
            for key in ("space", "left_square_bracket", "x"):
                await pilot.press(key)
            assert "LOCKED" in str(app.screen.query_one("#status").render())
            await until(pilot, lambda: not client.connected)
    finally:
        assert run.wait(60) == 0
    final = torch.load(out)
    assert final["lrs"] == [0.1]
    assert all(not json.loads(line).get("changes") for line in log.read_text().splitlines()[1:])


async def test_the_flags_pane_explains_a_flag_and_replay_scrolls_the_record(tmp_path):
    model = mlp()
    with torch.no_grad():
        model[0].bias[:] = -50.0  # every unit of the first layer dead
    o = torch.optim.SGD(model.parameters(), 0.1)
    with watch(model, o, log=tmp_path / "r.jsonl", listen=False) as w:
        train(model, o, batches(model, 30), w)
    source = ReplaySource(str(tmp_path / "r.jsonl"))
    app = RunApp(source, replay=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        flags = str(app.screen.query_one("#flags").render())
        assert "DEAD" in flags and "32/32 units dead" in flags
        assert EXPLANATIONS["dead"][:30] in flags.replace("\n", " ")
        assert "step 30" in str(app.screen.query_one("#status").render())
        await pilot.press("left", "left")
        assert source.cursor == 28 and "step 28" in str(app.screen.query_one("#status").render())
        await pilot.press("shift+left")
        assert source.cursor == 25
        await pilot.press("left_square_bracket")  # a record cannot be steered: nothing happens
        await pilot.press("q")


def test_replay_of_a_damaged_or_foreign_file_is_one_line_and_exit_2(tmp_path, capsys):
    model = mlp()
    o = torch.optim.SGD(model.parameters(), 0.1)
    with watch(model, o, log=tmp_path / "r.jsonl", listen=False) as w:
        train(model, o, batches(model, 3), w)
    cut = tmp_path / "cut.jsonl"
    cut.write_text((tmp_path / "r.jsonl").read_text()[:-40])
    assert main(["replay", str(cut)]) == 2
    assert capsys.readouterr().err.strip() == f"gradtui: error: {cut}: line 4 is not JSON (the file is damaged or cut short)"
    foreign = tmp_path / "out.jsonl"
    foreign.write_text('{"step": 1, "loss": 0.5}\n')
    assert main(["replay", str(foreign)]) == 2
    assert "not a record of gradtui.torch.watch" in capsys.readouterr().err
