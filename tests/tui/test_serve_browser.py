"""``gradtui serve`` end to end: the real server on a free localhost port, the page over HTTP,
and the app driven from headless Chromium (Debian's, through Playwright; never a downloaded
browser), a shared run downloaded through Textual's file delivery. Without Chromium or
Playwright a developer machine skips with the reason; CI fails."""

from __future__ import annotations

import os
import re
import shlex
import socket
import sys
import time
import urllib.request

import pytest

from gradtui.tui.cli.serve import app_command, build_parser, exposure_warning, serving
from gradtui.tui.cli.main import main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])")
STEP = re.compile(r"│ step ([\d,]+)")
"""The status line's step counter (other text, such as a prediction question, may say "step N")."""


def wait_for(condition, timeout: float, what: str, poll):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        poll()
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@pytest.fixture
def server(tmp_path, tool):
    """``gradtui serve`` on a free port in ``tmp_path``; yields its URL, stops it afterwards."""
    tool("textual_serve", "gradtui serve needs the serve extra")
    with open(tmp_path / "server.log", "wb") as log, serving(cwd=str(tmp_path), log=log) as url:
        yield url


def test_server_answers_with_the_page_on_localhost(server):
    page = fetch(server)
    assert "<title>" in page or "textual-terminal" in page
    assert 'data-session-websocket-url="ws://127.0.0.1:' in page


def screen_steps(frames: list[bytes]) -> list[int]:
    """Every step counter the app has drawn so far, read from the terminal bytes it sent."""
    text = ANSI.sub(b"", b"".join(frames)).decode("utf-8", "replace")
    return [int(m.replace(",", "")) for m in STEP.findall(text)]


def test_app_runs_in_chromium(server, tmp_path, tool):
    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium); .ci/run installs it")
    sync_api = tool("playwright.sync_api", "the browser test drives Chromium with Playwright")
    frames: list[bytes] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
            downloads = []  # Textual's file delivery opens the download in a new tab
            context.on("page", lambda tab: tab.on("download", lambda d: downloads.append(d)))
            page = context.new_page()
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda data: frames.append(data if isinstance(data, bytes) else data.encode())))
            page.goto(server)
            pause = lambda: page.wait_for_timeout(100)  # noqa: E731 - lets Playwright deliver events
            wait_for(lambda: screen_steps(frames), 60, "the app's first frame", pause)
            assert screen_steps(frames)[-1] == 0
            page.locator("#terminal").click()
            for _ in range(3):
                page.keyboard.press("s")
            wait_for(lambda: 3 in screen_steps(frames), 20, "three steps by s", pause)
            page.keyboard.press("Space")
            wait_for(lambda: max(screen_steps(frames)) > 3, 20, "training started by space", pause)
            page.keyboard.press("Space")
            page.wait_for_timeout(500)
            shot = tmp_path / "gradtui-in-chromium.png"
            page.screenshot(path=str(shot))
            page.keyboard.press("Shift+S")  # share: written on the server, downloaded here
            wait_for(lambda: downloads, 20, "the shared run to download", pause)
            shared = tmp_path / "downloaded.toml"
            downloads[0].save_as(shared)
        finally:
            browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    name = downloads[0].suggested_filename
    assert re.fullmatch(r"gradtui-default-step\d+\.toml", name)
    assert shared.read_text() == (tmp_path / name).read_text()  # the server's copy, in the browser
    assert f"gradtui --config {name}" in shared.read_text()


# --- the command itself, without a server ---------------------------------------------------

def test_serve_passes_the_settings_to_every_app():
    args = build_parser().parse_args(["--hidden", "", "--batch-size", "full", "--no-batchnorm",
                                      "--lr", "1e-3", "--config", "my run.toml", "--host", "0.0.0.0"])
    command = app_command(args)
    assert command.startswith(f"{sys.executable} -m gradtui ")
    assert "'--config=my run.toml'" in command and "--hidden=" in command
    assert "--lr=0.001" in command and "--batch-size=full" in command and "--no-batchnorm" in command
    assert "--host" not in command and "--port" not in command
    reparsed = build_parser().parse_args(shlex.split(command)[3:])  # the app reads what serve read
    server_only = ("host", "port", "public_url")
    assert {k: v for k, v in vars(reparsed).items() if k not in server_only} == \
        {k: v for k, v in vars(args).items() if k not in server_only}


def test_serve_refuses_bad_settings_and_busy_ports(capsys):
    assert main(["serve", "--lr", "fast"]) == 2
    assert "--lr" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err
    assert main(["serve", "--port", "70000"]) == 2
    assert "port number" in capsys.readouterr().err


def test_serve_without_textual_serve_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'gradtui[serve]'" in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_host_other_machines_reach_gets_a_warning():
    assert exposure_warning("127.0.0.1") is None and exposure_warning("localhost") is None
    assert exposure_warning("::1") is None
    assert "without authentication" in exposure_warning("0.0.0.0")
    assert "proxy" in exposure_warning("192.168.1.5")


def test_serve_passes_a_typed_function_to_every_app_and_refuses_a_bad_one(capsys):
    args = build_parser().parse_args(["--function", "-x^2 y + 3xy^2", "--lock"])
    command = app_command(args)
    assert "'--function=-x^2 y + 3xy^2'" in command  # a value starting with '-' stays a value
    assert build_parser().parse_args(shlex.split(command)[3:]).function == "-x^2 y + 3xy^2"
    assert main(["serve", "--function", "x +* 2"]) == 2
    assert "--function" in capsys.readouterr().err
