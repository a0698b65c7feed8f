"""A live run and its viewers: bad messages are dropped with one line and training goes on
unharmed, a viewer that dies changes nothing, a run that cannot be read is one clear line."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")

from gradtui.live.protocol import HEADER, encode  # noqa: E402
from gradtui.live.rundir import list_runs, read_run, run_dir  # noqa: E402
from gradtui.torch import watch  # noqa: E402
from gradtui.tui.attach.client import AttachError, RunClient  # noqa: E402
from gradtui.tui.cli.main import main  # noqa: E402
from nets import batches, mlp, train, weights  # noqa: E402

HERE = Path(__file__).parent


def bare_weights(steps: int) -> list:
    model = mlp()
    o = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
    data = batches(model, 8)
    train(model, o, [data[i % 8] for i in range(steps)])
    return weights(model)


def connect(info) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(info.socket)
    return sock


def wait_for(condition, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_run_folder_and_socket_are_private(private_run_dir):
    model = mlp()
    with watch(model, torch.optim.SGD(model.parameters(), 0.1), name="private") as w:
        assert w.info.name == "private"
        assert [r.name for r in list_runs()] == ["private"]
        assert os.stat(run_dir()).st_mode & 0o777 == 0o700
        assert os.stat(w.info.socket).st_mode & 0o777 == 0o600
        assert os.stat(Path(run_dir()) / "private.json").st_mode & 0o777 == 0o600
    assert list_runs() == []  # close() removes them


@pytest.mark.parametrize("bad,line", [
    (HEADER.pack(20) + b"this is not json....", "dropped a viewer's message: not JSON"),
    (HEADER.pack(10**6), "over the 4096-byte limit"),
    (HEADER.pack(50) + b'{"v": 1, "type": "control"', "cut short"),
    (encode("control", action="pause", token="not-the-token"), "dropped a control without the run's token"),
    (HEADER.pack(59) + b'{"v": 7, "type": "control", "action": "pause", "token": ""}', "protocol version 7"),
])
def test_bad_messages_are_dropped_with_one_line_and_training_is_unharmed(bad, line, caplog):
    model = mlp()
    o = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
    data = batches(model, 8)
    with caplog.at_level(logging.WARNING, logger="gradtui.live"):
        with watch(model, o, name="target") as w:
            sock = connect(w.info)
            train(model, o, data[:4], w)
            sock.sendall(bad)
            if b"not json" not in bad and b"over" not in line.encode():
                sock.shutdown(socket.SHUT_WR)  # a truncated message ends with the connection
            assert wait_for(lambda: caplog.records)
            train(model, o, data[4:], w)
            assert not w.paused
    assert [r.getMessage() for r in caplog.records if r.name == "gradtui.live"] == [
        next(r.getMessage() for r in caplog.records)]
    assert line in caplog.records[0].getMessage()
    assert all(torch.equal(a, b) for a, b in zip(bare_weights(8), weights(model)))


def test_a_viewer_killed_mid_run_changes_nothing(tmp_path):
    out = tmp_path / "final.pt"
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    run = subprocess.Popen([sys.executable, str(HERE / "loop_script.py"), "victim", "60", "0.02", str(out)],
                           env=env, stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline().strip() == "ready"
    viewer_code = ("from gradtui.tui.attach.client import RunClient\nimport time\n"
                   "c = RunClient.connect('victim'); c.start(); print('attached', flush=True); time.sleep(60)")
    viewer = subprocess.Popen([sys.executable, "-c", viewer_code], env=env, stdout=subprocess.PIPE, text=True)
    assert viewer.stdout.readline().strip() == "attached"
    time.sleep(0.3)
    viewer.send_signal(signal.SIGKILL)
    viewer.wait(10)
    assert run.wait(60) == 0
    final = torch.load(out)
    assert all(torch.equal(a, b) for a, b in zip(bare_weights(60), final["weights"]))


def test_attach_to_a_missing_or_ended_run_is_one_line_and_exit_2(capsys, private_run_dir):
    assert main(["attach", "nobody"]) == 2
    assert capsys.readouterr().err.strip() == ("gradtui: error: no run called 'nobody' in "
                                               f"{private_run_dir / 'gradtui'}; 'gradtui attach' lists the runs")
    run_dir()
    stale = {"name": "gone", "pid": 2**22 + 12345, "started": 0.0, "socket": "/nonexistent", "token": "t"}
    (private_run_dir / "gradtui" / "gone.json").write_text(json.dumps(stale))
    assert main(["attach", "gone"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gradtui: error: run 'gone' has ended (process {2**22 + 12345} is gone)"]
    assert main(["attach"]) == 2
    assert "no live runs" in capsys.readouterr().err


def test_the_viewer_refuses_a_run_it_cannot_read(private_run_dir):
    """A socket that speaks something else (not a gradtui run, or another version)."""
    run_dir()
    path = private_run_dir / "gradtui" / "odd.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    info = {"name": "odd", "pid": os.getpid(), "started": 0.0, "socket": str(path), "token": "t"}
    (private_run_dir / "gradtui" / "odd.json").write_text(json.dumps(info))
    import threading

    def speak():
        conn, _ = server.accept()
        hello = b'{"v": 2, "type": "hello", "x": 1}'
        conn.sendall(HEADER.pack(len(hello)) + hello)
        conn.close()
    threading.Thread(target=speak, daemon=True).start()
    with pytest.raises(AttachError) as caught:
        RunClient.connect("odd")
    assert str(caught.value) == ("run 'odd': cannot read what it sends (protocol version 2, expected 1); "
                                 "is it a gradtui run of another version?")
    (private_run_dir / "gradtui" / "odd.json").chmod(0o000)
    if os.getuid() != 0:  # root reads any file
        with pytest.raises(AttachError, match="cannot read"):
            read_run("odd")
