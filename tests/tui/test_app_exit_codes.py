"""The app never ends with exit code 0 after an unexpected exception, and SIGTERM closes it
the ordinary way (terminal restored) with exit code 143; both through ``gradtui``'s main."""

from __future__ import annotations

import os
import signal

from textual.app import App

from gradtui.tui.app import GradtuiApp
from gradtui.tui.cli.main import APP_CRASHED, main


def run_headless(monkeypatch, when_ready) -> None:
    monkeypatch.setattr(GradtuiApp, "run", lambda self: App.run(self, headless=True, size=(120, 40)))
    monkeypatch.setattr(GradtuiApp, "on_ready", lambda self: self.call_later(when_ready, self), raising=False)


def test_an_unexpected_exception_in_the_app_exits_70_with_one_line(monkeypatch, capsys):
    def fail(app):
        raise RuntimeError("deliberate failure")

    run_headless(monkeypatch, fail)
    assert main(["--hidden", "4"]) == APP_CRASHED
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == ("gradtui: error: the app stopped on an unexpected error "
                                    "(a bug; the traceback is above)")


def test_sigterm_closes_the_app_and_exits_143(monkeypatch, capsys):
    before = signal.getsignal(signal.SIGTERM)
    run_headless(monkeypatch, lambda app: os.kill(os.getpid(), signal.SIGTERM))
    assert main(["--hidden", "4"]) == 143
    assert capsys.readouterr().err.splitlines()[-1] == "gradtui: terminated"
    assert signal.getsignal(signal.SIGTERM) is before  # main puts the old handler back
