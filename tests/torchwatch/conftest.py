"""Shared set-up for the PyTorch watcher's tests: each runs in a private run folder. Each test
module skips itself, with the reason, when torch is not installed."""

import pytest


@pytest.fixture(autouse=True)
def private_run_dir(tmp_path, monkeypatch):
    """Each test's runs announce themselves in a folder of its own, never the user's."""
    folder = tmp_path / "runtime"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder
