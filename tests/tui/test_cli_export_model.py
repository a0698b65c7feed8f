"""``gradtui export``: a checkpoint's network written as a file; bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.tui.cli.main import main


@pytest.fixture
def checkpoint(tmp_path) -> str:
    trainer = Trainer(TrainConfig(batchnorm=True, hidden=(8,), n_samples=100))
    trainer.run(12)
    path = tmp_path / "spiral run.npz"
    trainer.save(str(path))
    return str(path)


def one_line_error(capsys, argv: list[str], *fragments: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gradtui: error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err
    return err


@pytest.mark.parametrize("fmt,name", [("torch", "spiral run_torch.py"), ("numpy", "spiral run_numpy.py"),
                                      ("json", "spiral run.json")])
def test_export_writes_the_default_file_in_the_working_directory(fmt, name, checkpoint, tmp_path,
                                                                  monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    assert main(["export", checkpoint, "--format", fmt]) == 0
    assert f"wrote {name}: " in capsys.readouterr().out
    assert (out / name).stat().st_size > 0


def test_exported_numpy_script_predicts_like_the_checkpoint(checkpoint, tmp_path, capsys):
    target = tmp_path / "model.py"
    assert main(["export", checkpoint, "--format", "numpy", "-o", str(target)]) == 0
    trainer = Trainer.load(checkpoint)
    code = ("import json, sys, numpy as np, model; "
            "print(json.dumps(model.predict(np.load(sys.argv[1])).tolist()))")
    np.save(tmp_path / "X.npy", trainer.data.X_test)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "X.npy")], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    np.testing.assert_array_equal(np.array(json.loads(out.stdout)), trainer.predict(trainer.data.X_test, raw=True))


def test_existing_output_is_kept_without_force(checkpoint, tmp_path, capsys):
    target = tmp_path / "mine.json"
    target.write_text("my notes")
    one_line_error(capsys, ["export", checkpoint, "--format", "json", "-o", str(target)],
                   "already exists; add --force")
    assert target.read_text() == "my notes"
    assert main(["export", checkpoint, "--format", "json", "-o", str(target), "--force"]) == 0
    assert json.loads(target.read_text())["format"] == "gradtui-model"
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    one_line_error(capsys, ["export", checkpoint, "--format", "json", "-o", checkpoint, "--force"],
                   "is the checkpoint")


def test_bad_input_is_one_line_and_exit_2(checkpoint, tmp_path, capsys):
    one_line_error(capsys, ["export", checkpoint, "--format", "onnx"], "invalid choice: 'onnx'")
    one_line_error(capsys, ["export", checkpoint], "--format")
    one_line_error(capsys, ["export", str(tmp_path / "missing.npz"), "--format", "json"],
                   "checkpoint not found")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    one_line_error(capsys, ["export", str(corrupt), "--format", "torch", "-o", str(tmp_path / "a.py")],
                   "not a gradtui checkpoint")
    one_line_error(capsys, ["export", checkpoint, "--format", "json", "-o", str(tmp_path / "no" / "x.json")],
                   "does not exist")
    one_line_error(capsys, ["export", checkpoint, "--format", "json", "-o", str(tmp_path)], "names a folder")
    assert not (tmp_path / "a.py").exists()


def test_non_finite_network_is_refused(tmp_path, capsys):
    trainer = Trainer(TrainConfig(hidden=(4,)))
    trainer.model.flat_value[3] = np.inf
    path = str(tmp_path / "inf.npz")
    trainer.save(path)
    one_line_error(capsys, ["export", path, "--format", "torch", "-o", str(tmp_path / "m.py")],
                   "non-finite")
    assert not (tmp_path / "m.py").exists()


def test_export_runs_as_a_process(checkpoint, tmp_path):
    result = subprocess.run([sys.executable, "-m", "gradtui", "export", checkpoint, "--format", "onnx"],
                            capture_output=True, text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
