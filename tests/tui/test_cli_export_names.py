"""``gradtui export`` of checkpoints with hostile names (the checkpoint's file name, the name of
the data it was trained on): every file written imports without running anything else, holds
the names exactly and predicts as the checkpoint does (issue 27)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hostile_names import ISSUE_NAME, NOT_UTF8, file_names, hostile_names, import_exports

from gradtui.engine import Dataset, TrainConfig, Trainer
from gradtui.tui.cli.main import main

FILE_NAMES = file_names(300) + [NOT_UTF8]
DATA_NAMES = hostile_names(300)  # names inside the checkpoint: NUL and "/" too


def trained_on(name: str) -> Trainer:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    data = Dataset.from_arrays(X, (X[:, 0] * X[:, 1] > 0).astype(np.int64), name=name)
    trainer = Trainer(TrainConfig(dataset=None, hidden=(6,), batchnorm=True, batch_size=8, seed=2), data)
    trainer.run(15)
    return trainer


def relative_error(got, want) -> float:
    return float(np.max(np.abs(np.asarray(got) - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_exports_of_hostile_checkpoints_import_and_predict_as_before(fmt, tmp_path, monkeypatch,
                                                                     capsys, tool):
    if fmt == "torch":
        tool("torch", "the PyTorch export of hostile names is imported and run")
    monkeypatch.chdir(tmp_path)
    ckpts, out = tmp_path / "ckpt", tmp_path / "out"
    ckpts.mkdir(), out.mkdir()
    trainers = {name: trained_on(name) for name in (ISSUE_NAME, DATA_NAMES[-1], "a\x00b")}
    expected, files = {}, []
    # the checkpoint's route is the same for both formats: torch takes every 4th name (its
    # rendering meets all of them in tests/engine/test_export_names.py), keeping this fast
    for i, name in enumerate(FILE_NAMES if fmt == "numpy" else FILE_NAMES[::4]):
        data_name = DATA_NAMES[-1 - i] if i % 3 else ISSUE_NAME
        trainer = trainers.get(data_name) or trainers["a\x00b"]
        ckpt = ckpts / name
        trainer.save(str(ckpt))
        target = str(out / f"net{i}.py")
        assert main(["export", str(ckpt), "--format", fmt, "-o", target]) == 0
        expected[target] = (name, trainer.data.name, trainer)
        files.append(target)
    capsys.readouterr()
    X = trainers[ISSUE_NAME].data.X_test
    np.save(tmp_path / "X.npy", X)
    worst = 0.0
    for path, (source, data, outputs) in import_exports(tmp_path, fmt, files).items():
        name, data_name, trainer = expected[path]
        assert (source, data) == (name, data_name)
        worst = max(worst, relative_error(outputs, trainer.predict(X, raw=True)))
    assert worst == 0.0 if fmt == "numpy" else worst < 1e-12, worst  # torch: 4.4e-16 measured


def test_a_data_file_with_a_hostile_name_travels_as_data(tmp_path, monkeypatch, capsys):
    """A run on a CSV file named by a hostile classmate: the name the checkpoint carries lands in
    TRAINED_ON as a literal."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a!r},{b!r},{int(a * b > 0)}" for a, b in rng.normal(size=(40, 2)).tolist())
    names = [ISSUE_NAME.replace(".npz", ".csv")] + [n + ".csv" for n in FILE_NAMES[::25]]
    files, expected = [], {}
    for i, name in enumerate(names):
        data = tmp_path / name
        data.write_text("x0,x1,label\n" + rows + "\n")
        trainer = Trainer(TrainConfig(data=str(data), hidden=(4,), seed=1))
        trainer.run(5)
        ckpt = tmp_path / f"run{i}.npz"
        trainer.save(str(ckpt))
        assert main(["export", str(ckpt), "--format", "numpy", "-o", f"net{i}.py"]) == 0
        files.append(f"net{i}.py")
        expected[f"net{i}.py"] = (trainer.data.name, trainer)
    capsys.readouterr()
    X = expected["net0.py"][1].data.X_test
    np.save(tmp_path / "X.npy", X)
    for path, (source, data, outputs) in import_exports(tmp_path, "numpy", files).items():
        assert data == expected[path][0] and source == f"run{path[3:-3]}.npz"
        np.testing.assert_allclose(outputs, expected[path][1].predict(X, raw=True), rtol=1e-12, atol=0)


def test_an_error_naming_a_hostile_file_is_one_printable_line(tmp_path, capsys):
    name = "\x1b[2J\x1b[31mgone\n\u2028\u202e" + ISSUE_NAME
    assert main(["export", str(tmp_path / name), "--format", "numpy"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n") and err[:-1].isprintable() and "checkpoint not found" in err
    assert "\\u001b[2J" in err and ISSUE_NAME in err


def test_the_default_output_named_after_a_hostile_checkpoint_is_printed_printable(tmp_path, monkeypatch,
                                                                                   capsys):
    monkeypatch.chdir(tmp_path)
    name = "\x1b]0;owned\x07" + ISSUE_NAME
    trained_on("points").save(name)
    assert main(["export", name, "--format", "numpy"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n") and out[:-1].isprintable() and "\\u001b]0;owned" in out
    assert (tmp_path / (name[:-len(".npz")] + "_numpy.py")).is_file()


def test_json_exports_of_hostile_checkpoints_read_back(tmp_path, capsys):
    trainer = trained_on(DATA_NAMES[0])
    for i, name in enumerate(FILE_NAMES[::4]):  # render_json meets every name in tests/engine
        ckpt, target = tmp_path / name, tmp_path / f"net{i}.json"
        trainer.save(str(ckpt))
        assert main(["export", str(ckpt), "--format", "json", "-o", str(target)]) == 0
        model = json.loads(target.read_text(encoding="utf-8"))
        assert (model["source"], model["data"]) == (name, DATA_NAMES[0])
    capsys.readouterr()


def test_a_run_continuing_a_hostile_checkpoint_prints_its_data_name_printable(tmp_path, capsys):
    name = "\x1b[2J\x1b[31mred\r\n" + ISSUE_NAME
    ckpt = str(tmp_path / "run.npz")
    trained_on(name).save(ckpt)
    assert main(["run", "--load", ckpt, "--steps", "2"]) == 0
    first = capsys.readouterr().out.split("\n")[0]
    assert first.isprintable() and "\\u001b[31mred\\u000d\\u000a" + ISSUE_NAME in first
