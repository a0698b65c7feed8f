"""The command line's live-lab parts: --until, changes at --load in the export and the checkpoint."""

from __future__ import annotations

import csv
import json

import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.tui.cli.main import main


def run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_until_stops_at_the_step_the_engine_finds_and_names_the_condition(capsys):
    stop, _ = Trainer(TrainConfig(dataset="circle")).run_until("test_accuracy>=0.95")
    out = run(capsys, "run", "--dataset", "circle", "--steps", "2000", "--until", "test_accuracy>=0.95")
    assert f"steps 1-{stop.step}:" in out
    assert f"stopped at step {stop.step}: test_accuracy>=0.95 (test accuracy" in out


def test_until_not_met_says_so(capsys):
    out = run(capsys, "run", "--steps", "3", "--until", "loss<=0")
    assert "not met within 3 steps: loss<=0" in out


@pytest.mark.parametrize("argv, fragment", [
    (["--until", "accuracy>0.9"], "--until: unknown quantity 'accuracy'"),
    (["--until", "test_accuracy>=high"], "is not a finite number"),
    (["--until", "test_accuracy>=0.9", "--dataset", "sine"], "regression dataset"),
    (["--schedule", "step:-0.5:10"], "FACTOR must be greater than zero"),
    (["--schedule", "wave"], "unknown schedule 'wave'"),
    (["--warmup", "-2"], "whole number of 0 or more"),
    (["--dataset", "nope"], "unknown dataset 'nope'"),
    (["--hidden", "100000000"], "parameters"),
    (["--test-fraction", "1"], "test_fraction must be in [0, 1)"),
])
def test_bad_live_settings_are_one_line_exit_2(capsys, argv, fragment):
    assert main(["run", "--steps", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err


@pytest.fixture
def saved(tmp_path, capsys):
    path = tmp_path / "a.npz"
    run(capsys, "run", "--dataset", "circle", "--steps", "20", "--save", str(path))
    return path


def test_changes_at_load_are_in_the_export_and_the_checkpoint(tmp_path, saved, capsys):
    out_csv, out_jsonl, again = tmp_path / "r.csv", tmp_path / "r.jsonl", tmp_path / "b.npz"
    change = ["--hidden", "16,24", "--noise", "0.1", "--schedule", "cosine:100:0.001"]
    run(capsys, "run", "--load", str(saved), *change, "--steps", "10", "--every", "5", "--out", str(out_csv),
        "--save", str(again))
    rows = list(csv.DictReader(out_csv.open()))
    assert rows[0]["changes"].startswith("noise 0 -> 0.1, hidden 16,16 -> 16,24, schedule constant -> "
                                         "cosine:100:0.001 (function unchanged")
    assert rows[1]["changes"] == ""
    run(capsys, "run", "--load", str(saved), *change, "--steps", "10", "--every", "5", "--out", str(out_jsonl))
    assert [r["changes"] for r in map(json.loads, out_jsonl.read_text().splitlines())][1] == []
    assert [c.text for c in Trainer.load(str(again)).changes] == [rows[0]["changes"]]


def test_load_continues_bit_identically_after_a_change(tmp_path, saved, capsys):
    whole, first, rest = tmp_path / "w.jsonl", tmp_path / "f.npz", tmp_path / "r.jsonl"
    change = ["--hidden", "16,16,16", "--dataset", "xor", "--weight-decay", "0.001", "--warmup", "5"]
    run(capsys, "run", "--load", str(saved), *change, "--steps", "30", "--out", str(whole))
    run(capsys, "run", "--load", str(saved), *change, "--steps", "12", "--save", str(first))
    run(capsys, "run", "--load", str(first), "--steps", "18", "--out", str(rest))
    strip = [{**json.loads(line), "changes": []} for line in whole.read_text().splitlines()[12:]]
    assert strip == [json.loads(line) for line in rest.read_text().splitlines()]
