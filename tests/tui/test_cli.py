"""The gradtui command line end to end: real processes for the happy paths and every listed
mistake (one line on stderr, exit code 2, no traceback), in-process calls for the rest."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gradtui import __version__
from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.cli.main import build_parsers, main, prepare

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def gradtui(*args: str, cwd=None, python: list[str] | None = None) -> subprocess.CompletedProcess:
    command = python or [sys.executable, "-m", "gradtui"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=120)


def assert_usage_error(result, *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one line on stderr containing every fragment."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradtui: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def table(stdout: str) -> dict[int, list[str]]:
    """The data rows of a run's stdout table, by step."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- calculus: the tutorial table, exactly ---------------------------------------------------

def test_quadratic_table_is_float64_exact():
    result = gradtui("run", "--scenario", "quadratic", "--steps", "20")
    assert result.returncode == 0 and result.stderr == ""
    rows = table(result.stdout)
    assert sorted(rows) == list(range(21))
    assert [rows[s][1] for s in range(1, 6)] == ["8.0", "6.4", "5.12", "4.096", "3.2768"]
    assert rows[4][2] == "16.777216"
    assert rows[20][1:3] == ["0.11529215046068471", "0.013292279957849162"]


def test_quadratic_jsonl_rows_and_the_lr_1_oscillation(tmp_path):
    out = tmp_path / "run.jsonl"
    result = gradtui("run", "--scenario", "quadratic", "--lr", "1.0", "--steps", "6", "--out", str(out))
    assert result.returncode == 0
    rows = read_jsonl(out)
    assert list(rows[1]) == ["step", "x", "f", "grad", "step_size"]
    assert [r["x"] for r in rows] == [[10.0], [-10.0]] * 3 + [[10.0]]
    assert {r["f"] for r in rows} == {100.0}
    assert "no progress" in result.stdout


def test_lr_above_one_diverges_and_still_exits_0():
    result = gradtui("run", "--scenario", "quadratic", "--lr", "1.1", "--steps", "100")
    assert result.returncode == 0
    assert "diverged at step 64" in result.stdout
    assert max(table(result.stdout)) == 64


# --- network runs and their exports ---------------------------------------------------------

def test_run_summary_ends_with_the_scenario_s_question_answer_and_evidence():
    result = gradtui("run", "--scenario", "exploding", "--steps", "20")
    tail = result.stdout.splitlines()[-3:]
    assert tail[0] == "prediction: " + SCENARIOS["exploding"].prediction.question
    assert tail[1] == "answer: blow up to NaN"
    assert tail[2].startswith("evidence: step 14: the loss is nan")
    calculus = gradtui("run", "--scenario", "saddle", "--steps", "50").stdout.splitlines()
    assert calculus[-2] == "answer: in along x, then away along y"
    assert calculus[-1].startswith("evidence: step 38: ")


def test_run_summary_says_when_the_evidence_has_not_shown_and_drops_it_for_changed_runs():
    short = gradtui("run", "--scenario", "saturation", "--steps", "10").stdout.splitlines()
    assert short[-1] == "evidence: not shown yet (it shows by step 1000)"
    changed = gradtui("run", "--scenario", "saddle", "--lr", "0.05", "--steps", "10").stdout
    assert "prediction:" not in changed
    modified = gradtui("run", "--scenario", "exploding", "--lr", "0.01", "--steps", "5").stdout
    assert "prediction:" not in modified


def test_network_jsonl_nests_layers_and_flags(tmp_path):
    out = tmp_path / "run.jsonl"
    result = gradtui("run", "--scenario", "exploding", "--steps", "25", "--every", "10", "--out", str(out))
    assert result.returncode == 0
    rows = read_jsonl(out)
    assert [r["step"] for r in rows] == [10, 20, 25]
    assert list(rows[0]) == ["step", "epoch", "loss", "test_loss", "accuracy", "grad_norm", "clipped",
                             "lr", "layers", "flags", "changes"]
    assert [ls["name"] for ls in rows[0]["layers"]] == [f"layers.{i}" for i in range(6)]
    assert set(rows[0]["layers"][0]) == {"name", "grad_norm", "update_ratio", "dead", "saturated"}
    assert {"kind": "exploding", "layer": "layers.0"} in rows[0]["flags"]
    assert rows[1]["loss"] is None and rows[1]["flags"] == [{"kind": "nonfinite", "layer": "loss"}]
    assert "diverged: loss or gradients became NaN/Inf at step 14" in result.stdout


def test_network_csv_flattens_layers_into_columns(tmp_path):
    out = tmp_path / "run.csv"
    result = gradtui("run", "--scenario", "exploding", "--steps", "20", "--every", "5", "--out", str(out))
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["step"] for r in rows] == ["5", "10", "15", "20"]
    assert list(rows[0])[:8] == ["step", "epoch", "loss", "test_loss", "accuracy", "grad_norm",
                                 "clipped", "lr"]
    assert {"layers.0.grad_norm", "layers.5.update_ratio", "layers.2.dead", "layers.4.saturated",
            "flags"} <= set(rows[0])
    assert rows[2]["loss"] == "nan" and rows[2]["flags"] == "nonfinite:loss"
    assert rows[1]["flags"].startswith("exploding:layers.0 exploding:layers.1")


def test_regression_rows_have_no_accuracy(tmp_path):
    out = tmp_path / "run.jsonl"
    assert main(["run", "--scenario", "line-fit", "--steps", "3", "--out", str(out)]) == 0
    assert "accuracy" not in read_jsonl(out)[0]


def test_the_table_shows_about_twenty_rows_that_are_also_exported(tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    assert main(["run", "--steps", "200", "--every", "3", "--out", str(out)]) == 0
    shown = sorted(table(capsys.readouterr().out))
    assert shown == list(range(12, 200, 12)) + [200]
    assert set(shown) <= {r["step"] for r in read_jsonl(out)}


def test_run_without_out_prints_a_table_and_summary(capsys):
    assert main(["run", "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("default: spiral (2 classes), 2-16-16-2 relu, adam lr 0.01, batch 32")
    assert sorted(table(out)) == list(range(2, 41, 2))
    assert "steps 1-40: train loss" in out and "no health flags raised" in out


# --- list, version, imports -------------------------------------------------------------

def test_list_shows_scenarios_with_stories_and_every_choice():
    result = gradtui("list")
    assert result.returncode == 0
    for s in SCENARIOS.values():
        assert f"{s.name}" in result.stdout and s.story in result.stdout
    for line in ("datasets: circle, digits", "activations: relu, leaky_relu", "losses: cross_entropy",
                 "optimizers: sgd, momentum", "init schemes: he, xavier, torch, normal:STD"):
        assert line in result.stdout


def test_version():
    result = gradtui("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"gradtui {__version__}"


def test_run_and_list_never_import_textual():
    probe = ("import sys; from gradtui.tui.cli.main import main; main(['list']); "
             "main(['run', '--steps', '2']); assert 'textual' not in sys.modules, 'textual imported'")
    result = gradtui(python=[sys.executable, "-c", probe])
    assert result.returncode == 0, result.stderr


# --- settings: scenario < --config < flags; --load -----------------------------------------

def args(*argv: str):
    return build_parsers()["app"].parse_args(argv)


def test_priority_scenario_then_toml_then_flags(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('lr = 0.05\nhidden = [8]\nbatch_size = "full"\n')
    from_toml = prepare(args("--scenario", "dying-relu", "--config", str(toml))).trainer
    assert (from_toml.config.lr, from_toml.config.hidden, from_toml.config.batch_size) == (0.05, (8,), None)
    assert from_toml.config.optimizer == "adam"  # the scenario's, untouched by the file
    flagged = prepare(args("--scenario", "dying-relu", "--config", str(toml), "--lr", "0.2")).trainer
    assert (flagged.config.lr, flagged.config.hidden) == (0.2, (8,))


def test_priority_through_a_real_process(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('hidden = "4,4"\nlr = 0.05\n')
    result = gradtui("run", "--config", str(toml), "--lr", "0.2", "--steps", "1")
    assert result.returncode == 0
    assert result.stdout.startswith("default-modified: spiral (2 classes), 2-4-4-2 relu, adam lr 0.2, batch 32")


def test_a_run_changed_at_launch_is_named_and_told_as_such(tmp_path):
    scenario = prepare(args("--dataset", "sine", "--hidden", "")).scenario
    assert scenario.name == "default-modified" and scenario.hint == ""
    assert scenario.story == "The default scenario, changed at launch: dataset sine, hidden none."
    assert scenario.config.dataset == "sine" and scenario.config.hidden == ()
    toml = tmp_path / "c.toml"
    toml.write_text("lr = 0.05\n")
    assert prepare(args("--config", str(toml))).scenario.name == "default-modified"


def test_flags_that_change_nothing_keep_the_scenario():
    assert prepare(args("--scenario", "dying-relu", "--lr", "0.1")).scenario is SCENARIOS["dying-relu"]


def test_hidden_empty_means_no_hidden_layer_and_batch_full():
    trainer = prepare(args("--hidden", "", "--batch-size", "full")).trainer
    assert trainer.model.architecture == "2-2" and trainer.config.batch_size is None


def test_data_replaces_the_scenario_dataset(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    trainer = prepare(args("--data", str(data))).trainer
    assert trainer.config.data == str(data) and trainer.config.dataset is None
    assert trainer.data.n_features == 2


def checkpoint(tmp_path, steps: int = 50):
    path = tmp_path / "run.npz"
    result = gradtui("run", "--scenario", "dying-relu", "--steps", str(steps), "--save", str(path))
    assert result.returncode == 0 and f"saved checkpoint {path} at step {steps}" in result.stdout
    return path


def test_save_then_load_continues_bit_identically(tmp_path, fingerprint):
    path = checkpoint(tmp_path)
    loaded = prepare(args("--load", str(path))).trainer  # exactly what the app is handed
    straight = Trainer(SCENARIOS["dying-relu"].config)
    straight.run(50)
    assert fingerprint(loaded.run(50)) == fingerprint(straight.run(50))
    continued = tmp_path / "b.jsonl"
    whole = tmp_path / "c.jsonl"
    assert gradtui("run", "--load", str(path), "--steps", "50", "--out", str(continued)).returncode == 0
    assert gradtui("run", "--scenario", "dying-relu", "--steps", "100", "--out", str(whole)).returncode == 0
    assert continued.read_text().splitlines() == whole.read_text().splitlines()[50:]


def test_flags_after_load_change_the_run_like_the_app_controls(tmp_path):
    path = checkpoint(tmp_path, steps=5)
    prepared = prepare(args("--load", str(path), "--lr", "0.01", "--activation", "leaky_relu"))
    trainer = prepared.trainer
    assert trainer.step_count == 5 and trainer.optimizer.lr == 0.01
    assert trainer.config.activation == "leaky_relu"
    assert prepared.scenario.story.endswith("at step 5, changed at launch: activation leaky_relu, lr 0.01.")
    assert prepared.scenario.hint == ""  # "every number matches the run that saved it" no longer holds
    again = prepared.rebuild()
    assert again is not trainer and again.step_count == 5 and again.config == trainer.config
    assert again.model.flat_value.tobytes() == trainer.model.flat_value.tobytes()


def test_a_loaded_run_has_a_name_safe_in_file_names(tmp_path):
    odd = tmp_path / "my run [v2].npz"
    checkpoint(tmp_path, steps=1).rename(odd)
    assert prepare(args("--load", str(odd))).scenario.name == "checkpoint-my-run-v2-"


async def test_a_saved_run_opens_in_the_app_and_continues_identically(tmp_path):
    from gradtui.tui.app import GradtuiApp

    path = checkpoint(tmp_path)
    prepared = prepare(args("--load", str(path)))
    app = GradtuiApp(trainer=prepared.trainer, scenario=prepared.scenario)
    async with app.run_test() as pilot:
        for _ in range(5):
            await pilot.press("s")
        await pilot.pause()
        weights = app.session.trainer.model.flat_value.copy()
        assert app.session.trainer.step_count == 55
    straight = Trainer(SCENARIOS["dying-relu"].config)
    straight.run(55)
    assert weights.tobytes() == straight.model.flat_value.tobytes()


async def test_restart_of_a_loaded_run_reloads_it_with_the_launch_flags(tmp_path):
    from gradtui.tui.app import GradtuiApp

    path = checkpoint(tmp_path, steps=5)
    prepared = prepare(args("--load", str(path), "--lr", "0.01"))
    loaded = prepared.trainer.model.flat_value.tobytes()
    app = GradtuiApp(trainer=prepared.trainer, scenario=prepared.scenario, rebuild=prepared.rebuild)
    async with app.run_test() as pilot:
        await pilot.press("s", "s", "right_square_bracket")
        restart = next(c for c in app.get_system_commands(app.screen) if c.title == "Restart scenario")
        restart.callback()
        await pilot.pause()
        trainer = app.session.trainer
        assert trainer.step_count == 5 and trainer.config.lr == 0.01
        assert trainer.model.flat_value.tobytes() == loaded
        assert app.session.name == "checkpoint-run"


# --- real data ---------------------------------------------------------------------------------

def test_digits_reaches_95_percent_test_accuracy():
    pytest.importorskip("sklearn")
    result = gradtui("run", "--dataset", "digits", "--hidden", "64", "--steps", "2000")
    assert result.returncode == 0, result.stderr
    summary = next(line for line in result.stdout.splitlines() if line.startswith("steps 1-2000"))
    accuracy = float(summary.rsplit("test accuracy ", 1)[1].rstrip("%")) / 100
    assert accuracy >= 0.95


def test_digits_without_scikit_learn_says_how_to_install_it():
    block = "import sys; sys.modules['sklearn'] = None; from gradtui.tui.cli.main import main; sys.exit(main())"
    result = gradtui("run", "--dataset", "digits", python=[sys.executable, "-c", block])
    assert_usage_error(result, "pip install 'gradtui[digits]'")


# --- every listed mistake, in a real process ------------------------------------------------

@pytest.fixture
def files(tmp_path):
    (tmp_path / "malformed.toml").write_text("lr = \n")
    (tmp_path / "unknown.toml").write_text("speed = 3\n")
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "folder.toml").mkdir()
    return tmp_path


LISTED = [
    (["run", "--scenario", "nope"], ["unknown scenario 'nope'", "valid: default, exploding"]),
    (["--scenario", "nope"], ["unknown scenario 'nope'"]),  # the app command fails before Textual
    (["run", "--activation", "swish"], ["unknown activation 'swish'", "valid: relu"]),
    (["run", "--lr", "-0.1"], ["lr must be greater than zero, got -0.1"]),
    (["run", "--lr", "fast"], ["--lr", "expected a number, got 'fast'"]),
    (["run", "--hidden", "16,0"], ["hidden layer sizes must be at least 1, got 0", "--hidden ''"]),
    (["run", "--data", "{tmp}/missing.csv"], ["data file not found", "missing.csv"]),
    (["run", "--config", "{tmp}/missing.toml"], ["config file not found", "missing.toml"]),
    (["run", "--config", "{tmp}/folder.toml"], ["cannot read config file", "folder.toml"]),
    (["run", "--config", "{tmp}/malformed.toml"], ["malformed.toml: malformed TOML", "line 1"]),
    (["run", "--config", "{tmp}/unknown.toml"], ["unknown key 'speed'", "valid keys: activation"]),
    (["run", "--load", "{tmp}/corrupt.npz"], ["corrupt.npz is not a gradtui checkpoint"]),
    (["run", "--no-such-flag"], ["unrecognized arguments: --no-such-flag"]),
]


@pytest.mark.parametrize("argv, fragments", LISTED, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_listed_mistakes_in_a_real_process(files, argv, fragments):
    result = gradtui(*(a.format(tmp=files) for a in argv))
    assert_usage_error(result, *fragments)
    assert result.stdout == ""


# --- more mistakes, in-process ------------------------------------------------------------

MORE = [
    (["run", "--batch-size", "0"], "'full'"),
    (["run", "--clip-mode", "hard"], "unknown clip mode 'hard'"),
    (["run", "--init", "normal:x"], "the std after 'normal:' must be a number"),
    (["run", "--momentum", "1"], "momentum must be below 1"),
    (["run", "--seed", "-3"], "whole number of 0 or more"),
    (["run", "--steps", "0"], "--steps"),
    (["run", "--dataset", "sine", "--loss", "cross_entropy"], "use mse or mae"),
    (["run", "--dataset", "spiral", "--data", "x.csv"], "give --dataset or --data, not both"),
    (["run", "--out", "{tmp}/run.txt"], "valid: a file ending in .jsonl or .csv"),
    (["run", "--out", "{tmp}/nowhere/run.csv"], "does not exist"),
    (["run", "--save", "{tmp}"], "names a folder"),
    (["run", "--scenario", "quadratic", "--hidden", "4"], "--hidden does not apply to the calculus"),
    (["run", "--scenario", "quadratic", "--save", "{tmp}/c.npz"], "a calculus run has none"),
    (["run", "--scenario", "quadratic", "--lr", "0"], "lr must be a positive finite number"),
    (["run", "--scenario", "rosenbrock", "--momentum", "-1"], "momentum must be at least 0"),
    (["--scenario", "quadratic", "--lr", "0.5"], "on the calculus screen"),
    (["run", "--load", "{tmp}/missing.npz"], "checkpoint not found"),
    (["run", "--load", "{tmp}/corrupt.npz", "--scenario", "default"], "cannot be combined with --scenario"),
    (["run", "--config", "{tmp}/typed.toml"], "seed must be a whole number, got 'x'"),
    (["run", "--config", "{tmp}/zero.toml"], "hidden layer sizes must be at least 1"),
    (["run", "--config", "{tmp}/invalid.toml"], "invalid.toml: unknown optimizer 'fast'"),
]


@pytest.mark.parametrize("argv, fragment", MORE, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_more_mistakes(files, capsys, argv, fragment):
    (files / "typed.toml").write_text('seed = "x"\n')
    (files / "zero.toml").write_text("hidden = [16, 0]\n")
    (files / "invalid.toml").write_text('optimizer = "fast"\n')
    assert main([a.format(tmp=files) for a in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err


def test_load_refuses_flags_that_would_start_another_run(tmp_path, capsys):
    path = checkpoint(tmp_path, steps=2)
    assert main(["run", "--load", str(path), "--seed", "4"]) == 2
    err = capsys.readouterr().err
    assert "--load: cannot change 'seed' mid-run; changeable: lr" in err
