"""``changes = [...]`` in a config file: ``gradtui run --config`` replays a shared run bit for bit,
and a bad entry is one line and exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.train.replay import recipe, to_toml
from gradtui.tui.cli.main import main
from gradtui.tui.cli.settings import read_toml


def test_run_with_a_shared_config_reproduces_the_run(tmp_path, capsys):
    trainer = Trainer(TrainConfig(n_samples=200))
    trainer.run(20)
    mark = trainer.snapshot()
    trainer.update(lr=0.1, activation="tanh")
    trainer.run(10)
    trainer.restore(mark)
    trainer.update(optimizer="nesterov", hidden=(16, 24), batch_size=None)
    trainer.run(15)
    trainer.update(clip_mode="norm", clip=0.3, schedule="step:0.5:10")
    trainer.run(5)
    shared = tmp_path / "run.toml"
    shared.write_text(to_toml(recipe(trainer), ["shared"]))
    assert main(["run", "--config", str(shared), "--steps", str(trainer.step_count),
                 "--save", str(tmp_path / "again.npz")]) == 0
    again = Trainer.load(str(tmp_path / "again.npz"))
    assert again.step_count == trainer.step_count == 40
    assert np.array_equal(again.model.flat_value, trainer.model.flat_value)
    assert "default-modified" in capsys.readouterr().out


def test_read_toml_accepts_none_and_lists(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('loss = "none"\nbatch_size = "full"\nactivation = ["relu", "tanh"]\n'
                    'changes = [{step = 3, hidden = "8,8", clip_mode = "off", batch_size = 4}]\n')
    values = read_toml(str(path))
    assert values["loss"] is None and values["batch_size"] is None
    assert values["changes"] == [{"step": 3, "hidden": [8, 8], "clip_mode": "off", "batch_size": 4}]
    assert TrainConfig().replace(**values).changes[0]["hidden"] == (8, 8)


@pytest.mark.parametrize("line,fragment", [
    ("changes = 5", "changes must be a list of tables"),
    ("changes = [{lr = 0.1}]", "needs a step of 0 or more"),
    ("changes = [{step = -2, lr = 0.1}]", "needs a step of 0 or more"),
    ('changes = [{step = 2, lr = "fast"}]', "changes at step 2: lr must be a number"),
    ("changes = [{step = 2, colour = 1}]", "changes at step 2: unknown key 'colour'"),
    ("changes = [{step = 2, seed = 1}]", "'seed' cannot be changed mid-run"),
    ("changes = [{step = 2, momentum = 2.0}]", "changes at step 2: momentum must be below 1"),
    ("changes = [{step = 2}]", "no setting to change"),
])
def test_bad_changes_are_one_line_and_exit_2(line, fragment, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(line + "\n")
    assert main(["run", "--config", str(path), "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and str(path) in err


def test_a_planned_change_that_does_not_fit_stops_the_run_in_one_line(tmp_path, capsys):
    path = tmp_path / "plan.toml"
    path.write_text('changes = [{step = 5, dataset = "circle"}, {step = 6, hidden = [4]}, '
                    '{step = 7, loss = "bce", dataset = "sine"}]\n')
    assert main(["run", "--config", str(path), "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "changes at step 7: " in err and "Traceback" not in err
