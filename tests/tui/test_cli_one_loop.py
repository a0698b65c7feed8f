"""One loop: ``gradtui run``, a run in the app's worker and twin mode's runs A and B all
train through ``Run.tick`` driven by ``Host``, and reach the same weights, bit for bit."""

from __future__ import annotations

import numpy as np

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.run import headless
from gradtui.engine.run.run import Run
from gradtui.tui.cli.main import main
from gradtui.tui.train.session import Session
from gradtui.tui.train.twin import TwinRuns

STEPS, FORK_AT = 300, 120


def cli_weights(tmp_path, capsys) -> np.ndarray:
    path = tmp_path / "run.npz"
    assert main(["run", "--steps", str(STEPS), "--save", str(path)]) == 0
    assert f"saved checkpoint {path} at step {STEPS}" in capsys.readouterr().out
    trainer = Trainer.load(str(path))
    assert trainer.step_count == STEPS
    return trainer.model.flat_value.copy()


def train_until(session: Session, step: int) -> None:
    session.run_until(f"step>={step}")
    session.start()
    session.run(lambda: False)


def test_gradtui_run_the_app_and_twin_mode_reach_the_same_weights(tmp_path, capsys):
    cli = cli_weights(tmp_path, capsys)

    app = Session(Trainer(TrainConfig()), worker="process")  # the app's default worker
    train_until(app, STEPS)
    assert app.trainer.step_count == STEPS
    np.testing.assert_array_equal(app.trainer.model.flat_value, cli)

    a = Session(Trainer(TrainConfig()), worker="process")
    train_until(a, FORK_AT)
    twins = TwinRuns(a, a.fork("B"))  # B continues A's exact state, same settings
    for session in (twins.a, twins.b):
        session.run_until(f"step>={STEPS}")
    twins.start()
    twins.run(lambda: False)
    for session in (twins.a, twins.b):
        assert session.trainer.step_count == STEPS
        np.testing.assert_array_equal(session.trainer.model.flat_value, cli)


def test_gradtui_run_steps_through_the_run_loop(monkeypatch, capsys):
    """Every step ``gradtui run`` takes is a ``Run.tick`` (the worker's loop), none other."""
    ticks = []
    tick = Run.tick

    def counted(self):
        ticks.append(self.trainer.step_count)
        return tick(self)

    monkeypatch.setattr(Run, "tick", counted)
    monkeypatch.setattr(headless.Run, "tick", counted)
    assert main(["run", "--steps", "37", "--until", "loss<=0"]) == 0
    assert ticks == list(range(37))
    assert "steps 1-37:" in capsys.readouterr().out
