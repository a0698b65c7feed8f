"""What the user owns stays as it was: outputs never replace a file without --force, never land
on an input, and a failed or interrupted write leaves neither a half-written file nor a temp
file. Every case runs in a real process: one stderr line, the exit code, no traceback."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
CSV = "a,b,label\n1,2,0\n2,3,1\n3,1,0\n4,4,1\n5,2,0\n6,1,1\n"


def gradtui(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradtui", *args], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=120, **kwargs)


def state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and mode: what must not change."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def owned(tmp_path_factory) -> Path:
    """A folder of the user's files: data, a config, a checkpoint, earlier outputs."""
    folder = tmp_path_factory.mktemp("owned")
    (folder / "mine.csv").write_text(CSV)
    (folder / "run.toml").write_text('lr = 0.05\n')
    (folder / "data.toml").write_text('data = "mine.csv"\n')
    (folder / "old.csv").write_text("step\n1\n")
    (folder / "readonly.jsonl").write_text("{}\n")
    (folder / "readonly.jsonl").chmod(0o444)
    (folder / "digits").mkdir()
    (folder / "digits" / "notes.csv").write_text("x\n")
    result = gradtui("run", "--steps", "3", "--save", "ck.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


REFUSED = [
    (["--data", "mine.csv", "--out", "mine.csv"], "--out mine.csv: is the --data file"),
    (["--data", "mine.csv", "--out", "mine.csv", "--force"], "even with --force"),
    (["--data", "mine.csv", "--save", "mine.csv", "--force"], "--save mine.csv: is the --data file"),
    (["--config", "data.toml", "--save", "mine.csv", "--force"], "is the --data file"),
    (["--config", "run.toml", "--save", "run.toml", "--force"], "is the --config file"),
    (["--load", "ck.npz", "--save", "ck.npz", "--force"], "is the --load file"),
    (["--out", "new.csv", "--save", "new.csv", "--force"], "is the --save file"),
    (["--save", "new.npz", "--landscape", "new.npz", "--force"], "is the --landscape file"),
    (["--load", "ck.npz", "--landscape", "ck.npz", "--force"], "--landscape ck.npz: is the --load file"),
    (["--landscape", "ck.npz"], "--landscape ck.npz: already exists; add --force"),
    (["--data", "digits", "--out", "digits/notes.csv", "--force"], "is the --data file"),
    (["--out", "old.csv"], "--out old.csv: already exists; add --force to replace it"),
    (["--save", "ck.npz"], "--save ck.npz: already exists; add --force"),
    (["--out", "readonly.jsonl", "--force"], "is read-only; gradtui does not replace it"),
    (["--save", "newfolder/"], "--save newfolder/: names a folder"),
    (["--out", "/dev/null", "--force"], "unknown format"),
    (["--save", "/dev/null", "--force"], "not a regular file"),
]


@pytest.mark.parametrize("argv, fragment", REFUSED, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_outputs_never_replace_what_the_user_owns(owned, argv, fragment, one_error_line):
    before = state(owned)
    result = gradtui("run", "--steps", "2", *argv, cwd=owned)
    one_error_line(result, 2, fragment)
    assert result.stdout == ""  # refused before training, not after
    assert state(owned) == before


def test_force_replaces_an_output_and_keeps_its_mode(tmp_path):
    (tmp_path / "rows.csv").write_text("old\n")
    (tmp_path / "rows.csv").chmod(0o640)
    result = gradtui("run", "--steps", "3", "--out", "rows.csv", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rows.csv").read_text().startswith("step,epoch,loss")
    assert (tmp_path / "rows.csv").stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["rows.csv"]


def _small_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))  # a disk that fills after 4 kB
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@pytest.mark.parametrize("flag, name", [("--out", "rows.jsonl"), ("--save", "ck.npz")])
def test_a_full_disk_is_one_line_exit_1_and_leaves_the_old_file(tmp_path, flag, name, one_error_line):
    (tmp_path / name).write_text("the user's old file\n")
    result = gradtui("run", "--steps", "100", flag, name, "--force", "--hidden", "64",
                     cwd=tmp_path, preexec_fn=_small_file_limit)
    one_error_line(result, 1, f"{flag} {name}: cannot write", "File too large")
    assert (tmp_path / name).read_text() == "the user's old file\n"
    assert os.listdir(tmp_path) == [name]


SLOW_SYNC = """
import os, sys, time
sync = os.fsync
def slow(fd):
    print("syncing", file=sys.stderr, flush=True)
    time.sleep(60)
    sync(fd)
os.fsync = slow
from gradtui.tui.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("flag, name", [("--out", "rows.csv"), ("--save", "ck.npz")])
def test_sigterm_while_writing_leaves_no_temp_file(tmp_path, flag, name):
    (tmp_path / name).write_text("the user's old file\n")
    process = subprocess.Popen([sys.executable, "-c", SLOW_SYNC, "run", "--steps", "5", flag, name,
                                "--force"], cwd=tmp_path, env=ENV, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr.readline() == "syncing\n"  # the temp file is complete, not yet renamed
    assert any(p.startswith(".gradtui-") for p in os.listdir(tmp_path))
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and err == "gradtui: terminated\n"
    assert os.listdir(tmp_path) == [name]
    assert (tmp_path / name).read_text() == "the user's old file\n"


def test_a_data_folder_that_cannot_be_read_is_one_line(tmp_path, one_error_line):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run gradtui as another user")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*nobody, sys.executable, "-c", "import gradtui.tui.cli.main"],
                           capture_output=True, text=True, cwd="/", env=ENV, timeout=120)
    if probe.returncode != 0:  # e.g. a checkout under /root, or in a mktemp -d folder
        pytest.skip("another user cannot import gradtui from here (its checkout or environment sits in a "
                    f"directory only its owner can read): {probe.stderr.strip().splitlines()[-1:]}")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "mine.csv").write_text(CSV)
    locked.chmod(0o700)
    tmp_path.chmod(0o755)
    for data in ("locked/mine.csv", "locked"):
        result = subprocess.run([*nobody, sys.executable, "-m", "gradtui", "run", "--data", data],
                                capture_output=True, text=True, cwd=tmp_path, env=ENV, timeout=120)
        one_error_line(result, 2, "cannot read locked", "Permission denied")


def test_load_of_something_that_is_not_a_file(tmp_path, one_error_line):
    one_error_line(gradtui("run", "--load", "/dev/null", cwd=tmp_path), 2, "/dev/null is not a checkpoint file")


def test_random_bytes_as_npz_data_never_suggest_unpickling(tmp_path, one_error_line):
    (tmp_path / "x.npz").write_bytes(os.urandom(3000).replace(b"PK", b"pk"))
    line = one_error_line(gradtui("run", "--data", "x.npz", cwd=tmp_path), 2, "x.npz: is not a NumPy .npz archive")
    assert "pickle" not in line



@pytest.mark.parametrize("argv", [["run", "--steps", "3"], ["list"]])
def test_a_full_stdout_is_one_line_exit_1(tmp_path, argv, one_error_line):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "gradtui", *argv], stdout=full, stderr=subprocess.PIPE,
                                text=True, cwd=tmp_path, env=ENV, timeout=120)
    one_error_line(result, 1, "cannot write: No space left on device")
