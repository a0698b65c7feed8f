"""Pilot tests of the classroom modes: presenter (--present), student (--lock), sharing a run
(S) so that ``gradtui --config`` replays it bit for bit, and exporting the network from the palette."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.calculus.screen import CalculusCommands
from gradtui.tui.cli.main import build_parsers, main
from gradtui.tui.cli.settings import prepare
from gradtui.tui.train.keys import HELP, KEYS, LOCK_ALLOWS
from gradtui.tui.train.screen import TrainScreen
from gradtui.tui.widgets.event_log import EventLog

SIZE = (120, 40)


def shown(app, selector: str) -> bool:
    return app.screen.query_one(selector).styles.display != "none"


def logged(app, kind: str) -> list[str]:
    app.screen.show_latest()
    return [e.text for e in app.screen.query_one(EventLog).events if e.kind == kind]


# --- presenter mode ------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_present_shows_story_hint_and_plots_and_hides_the_operator_panes(size):
    app = GradtuiApp(present=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-present")
        assert not shown(app, "#controls") and not shown(app, "#events")
        for pane in ("#story", "#hint", "#loss", "#grads", "#output"):
            assert shown(app, pane) and screen.query_one(pane).size.height > 0, pane
        assert screen.query_one("#story").styles.text_style.bold
        assert shown(app, "#prediction") and screen.query_one("#prediction").styles.text_style.bold
        assert SCENARIOS["default"].story in str(screen.query_one("#story").render())
        assert screen.query_one("#loss").size.width > screen.query_one("#output").size.width
        await pilot.press("s", "s")  # the keys still work for the presenter
        assert app.session.trainer.step_count == 2


async def test_without_present_the_operator_panes_are_there():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.has_class("-present")
        assert shown(app, "#controls") and shown(app, "#events")


# --- student mode ---------------------------------------------------------------------------

async def test_lock_disables_every_control_but_running_and_stepping():
    app = GradtuiApp(locked=True)
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.trainer.config
        await pilot.press("right_square_bracket", "a", "o", "x", "b", "right_curly_bracket", "c")
        await pilot.pause()
        assert app.session.trainer.config == before
        assert isinstance(app.screen, TrainScreen)  # c did not open calculus mode
        await pilot.press("s", "s", "s")
        assert app.session.trainer.step_count == 3
        await pilot.press("space")
        assert app.session.running
        await pilot.press("space")
        assert not app.session.running
        for binding in KEYS:
            if binding.action not in LOCK_ALLOWS:
                assert app.screen.check_action(binding.action, ()) is False, binding.action
        assert app.screen.check_action("toggle_run", ()) and app.screen.check_action("share", ())
        hint = str(app.screen.query_one("#hint").render())
        assert "Controls locked" in hint and SCENARIOS["default"].hint not in hint
        reached = app.session.trainer.step_count
        await pilot.press("u")  # every key the hint names works
        assert app.session.trainer.step_count < reached


async def test_a_locked_student_answers_the_scenario_question():
    app = GradtuiApp(locked=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.question.state.pending and shown(app, "#prediction")
        await pilot.press("2")
        assert app.screen.question.state.choice == 1


async def test_lock_leaves_only_harmless_palette_entries():
    app = GradtuiApp(locked=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not [t for t in titles if t.startswith(("Scenario:", "Calculus:", "Restart"))]
        for binding in KEYS:
            listed = any(t.startswith(f"{binding.description} (") for t in titles)
            assert not listed or binding.action in LOCK_ALLOWS, binding.action
        assert "Step (s)" in titles and "Answer 1 (1)" in titles  # the question is asked
        assert "Share (S)" in titles and "Export network: PyTorch" in titles


async def test_lock_holds_in_calculus_mode_too():
    app = GradtuiApp(scenario=SCENARIOS["rosenbrock"], locked=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = app.screen.session
        lrs, start = dict(session.lrs), session.start.copy()
        await pilot.press("right_square_bracket", "left", "n", "o", "R")
        assert session.lrs == lrs and np.array_equal(session.start, start)
        assert session.objective.name == "rosenbrock"
        await pilot.press("s", "s", "d")
        assert session.steps == 2 and app.screen.derivative
        titles = [t for t, _, _ in CalculusCommands(app.screen)._commands()]
        assert not [t for t in titles if t.endswith(("quadratic", "beale"))]
        assert "Calculus: one step" in titles and not [t for t in titles if "learning rate" in t]


def test_every_allowed_action_exists():
    assert LOCK_ALLOWS <= {binding.action for binding in KEYS} and LOCK_ALLOWS <= set(HELP)


# --- share: S writes the run; gradtui --config replays it -----------------------------------

async def test_share_writes_a_config_that_replays_the_run_bit_for_bit(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"sssss", "right_square_bracket", *"sss", "a", *"ssss")
        await pilot.press("u")  # back before the activation change, which is dropped
        await pilot.press(*"ss", "o", *"sss", "b", *"ss", "x", "s")
        await pilot.press("S")
        await pilot.pause()
        trainer = app.session.trainer
        step = trainer.step_count
        assert step == 16 and trainer.config.activation == "leaky_relu"  # rewind keeps controls
        shared = logged(app, "share")
        name = f"gradtui-default-step{step}.toml"
        assert len(shared) == 1 and f"gradtui --config {name}" in shared[0]
        text = (tmp_path / name).read_text()
        assert f"# Replay it in the app:        gradtui --config {name}\n" in text
        weights, buffers = trainer.model.flat_value.copy(), trainer.model.buffers()
    replay = prepare(build_parsers()["app"].parse_args(["--config", name])).trainer
    replay.run(step)  # what `gradtui --config FILE` trains, stepped as far
    assert np.array_equal(replay.model.flat_value, weights)
    assert all(np.array_equal(replay.model.buffers()[k], v) for k, v in buffers.items())
    assert main(["run", "--config", name, "--steps", str(step), "--save", "again.npz"]) == 0
    assert np.array_equal(Trainer.load("again.npz").model.flat_value, weights)
    assert [c["step"] for c in replay.config.changes] == [5, 8, 10, 13, 15]


async def test_share_after_reset_starts_from_the_first_weights(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"ssss", "o", *"ss", "r", *"sss", "S")
        await pilot.pause()
        weights = app.session.trainer.model.flat_value.copy()
    replay = prepare(build_parsers()["app"].parse_args(["--config", "gradtui-default-step3.toml"])).trainer
    assert replay.config.optimizer == "adam" and replay.config.changes == ({"step": 0, "optimizer": "sgd"},)
    replay.run(3)
    assert np.array_equal(replay.model.flat_value, weights)


async def test_a_run_on_arrays_cannot_be_shared_and_says_why(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    app = GradtuiApp(trainer=Trainer.from_arrays(rng.normal(size=(40, 2)), rng.integers(0, 2, 40)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        await pilot.pause()
        assert any("run not shared" in t and "data held in memory" in t for t in logged(app, "error"))
        assert list(tmp_path.iterdir()) == []


# --- export from the palette -----------------------------------------------------------------

async def test_palette_exports_the_network(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")
        for command in app.get_system_commands(app.screen):
            if command.title.startswith("Export network:"):
                command.callback()
        await pilot.pause()
        exported = logged(app, "export")
        X = app.session.trainer.data.X_test
        want = app.session.trainer.predict(X, raw=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gradtui-default-step2.json", "gradtui-default-step2_numpy.py", "gradtui-default-step2_torch.py"]
    assert len(exported) == 3
    model = json.loads((tmp_path / "gradtui-default-step2.json").read_text())
    assert model["step"] == 2 and model["architecture"] == "2-16-16-2"
    namespace: dict = {"__name__": "exported"}
    exec((tmp_path / "gradtui-default-step2_numpy.py").read_text(), namespace)
    np.testing.assert_array_equal(namespace["predict"](X), want)
