"""Pilot tests of the gradtui app: every key and control, NaN auto-pause, help, tiny terminals."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from rich.console import Console
from textual import events

from gradtui.engine import ACTIVATIONS, OPTIMIZERS, SCENARIOS, Scenario, TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.controls_panel import ControlsPanel
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.widgets.help_screen import HelpScreen, keys_table
from gradtui.tui.train.keys import HELP, KEYS
from gradtui.engine.train.ladders import CLIP_LADDER, LR_LADDER
from gradtui.engine.run.outputs import Curve, Regions
from gradtui.tui.train.status import StatusLine
from gradtui.tui.train.screen import TrainScreen

SIZE = (120, 40)
DIVERGES = TrainConfig(dataset="sine", hidden=(32, 32, 32), init="normal:3.0", optimizer="sgd", lr=1.0)
"""Regression with huge initial weights and SGD at lr 1: the loss overflows within a few steps."""


async def wait_until(condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout`` s)."""
    async def poll():
        while not condition():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


async def start_training(app) -> None:
    await send_keys(app, "space")
    await wait_until(lambda: app.session.frame.step > 0)


async def send_keys(app, *keys: str) -> None:
    """Deliver key events the way the terminal does, without ``pilot.press``'s wait for an
    idle CPU, which never comes while the training thread runs flat out."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    await asyncio.sleep(0.05)


async def settle(app) -> None:
    """Wait until presses queued for a background evaluation (a paused run's refresh that
    cost over ``UI_BUDGET`` on a loaded machine) have been applied."""
    await wait_until(lambda: not app.session.busy)


async def pause_training(pilot, app) -> None:
    """Press space and wait for the worker to leave its loop."""
    await pilot.press("space")
    await wait_until(lambda: not app.session.busy)


def status(app) -> str:
    return app.screen.query_one(StatusLine).text


def logged(app, kind: str) -> list[str]:
    app.screen.show_latest()
    return [e.text for e in app.screen.query_one(EventLog).events if e.kind == kind]


async def test_startup_shows_the_run_paused():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = status(app)
        for part in ("default", "spiral", "2-16-16-2", "relu", "adam", "lr 0.01", "clip off", "step 0", "PAUSED"):
            assert part in line
        assert SCENARIOS["default"].hint in str(app.screen.query_one("#hint").render())


async def test_s_steps_one_minibatch_at_a_time():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s", "s")
        assert app.session.trainer.step_count == 3
        assert app.session.frame.step == 3
        assert "step 3" in status(app)


async def test_space_runs_in_a_worker_and_pauses():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await start_training(app)
        assert app.session.running
        await wait_until(lambda: app.session.frame.step > 20)
        assert "RUNNING" in status(app)
        await pause_training(pilot, app)
        stopped = app.session.trainer.step_count
        await pilot.pause(0.2)
        assert app.session.trainer.step_count == stopped
        assert app.session.frame.step == stopped
        assert "PAUSED" in status(app)


async def test_step_key_is_disabled_while_running():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await start_training(app)
        assert app.screen.check_action("step", ()) is None
        await pause_training(pilot, app)
        assert app.screen.check_action("step", ()) is True


async def test_reset_reproduces_the_first_steps_exactly():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        initial = app.session.trainer.model.flat_value.copy()
        await pilot.press(*"sssss")
        first = app.session.frame.steps.lo[:, 0].copy()
        await pilot.press("r")
        assert app.session.trainer.step_count == 0
        np.testing.assert_array_equal(app.session.trainer.model.flat_value, initial)
        await pilot.press(*"sssss")
        np.testing.assert_array_equal(app.session.frame.steps.lo[:, 0], first)
        assert logged(app, "reset")


async def test_reset_keeps_the_controls_and_restores_the_initial_weights():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        initial = app.session.trainer.model.flat_value.copy()
        await pilot.press("s", "s", "right_square_bracket", "a", "s", "r")
        trainer = app.session.trainer
        assert trainer.config.lr == 0.03 and trainer.config.activation == "leaky_relu"
        np.testing.assert_array_equal(trainer.model.flat_value, initial)


@pytest.mark.parametrize("up, down, field, ladder", [
    ("right_square_bracket", "left_square_bracket", "lr", LR_LADDER),
    ("right_curly_bracket", "left_curly_bracket", "clip", CLIP_LADDER),
])
async def test_ladder_keys_move_one_rung_and_stop_at_the_ends(up, down, field, ladder):
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        def value():
            return getattr(app.session.trainer.config, field)
        rung = ladder.index(value())
        await pilot.press(up)
        assert value() == ladder[rung + 1]
        await pilot.press(down, down)
        assert value() == ladder[rung - 1]
        app.session.change({field: ladder[-2]})
        await pilot.press(up, up)
        assert value() == ladder[-1]
        app.session.change({field: ladder[1]})
        await pilot.press(down, down)
        assert value() == ladder[0]


async def test_lr_and_clip_changes_reach_the_optimizer_and_the_status_line():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left_square_bracket", "right_curly_bracket", "x")
        assert app.session.trainer.optimizer.lr == 0.003
        assert "lr 0.003" in status(app) and "clip norm 3" in status(app)


async def test_changing_a_control_keeps_the_weights_and_marks_the_plot():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")
        weights = app.session.trainer.model.flat_value.copy()
        await pilot.press("a", "o", "x", "b", "right_square_bracket")
        np.testing.assert_array_equal(app.session.trainer.model.flat_value, weights)
        assert app.session.frame.marks == (2, 2, 2, 2, 2)
        assert len(logged(app, "control")) == 5


@pytest.mark.parametrize("key, field, expected", [
    ("a", "activation", [*ACTIVATIONS[1:], ACTIVATIONS[0]]),
    ("o", "optimizer", list(OPTIMIZERS)),
    ("x", "clip_mode", ["norm", "value", None]),
    ("b", "batch_size", [128, None, 1, 8, 32]),
])
async def test_cycle_keys_walk_every_option_and_wrap(key, field, expected):
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        seen = []
        for _ in expected:
            await pilot.press(key)
            await settle(app)  # on a loaded machine the press may queue behind an evaluation
            seen.append(getattr(app.session.trainer.config, field))
        assert seen == expected


async def test_a_swaps_the_model_activation():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert app.session.trainer.model.activations == ["leaky_relu", "leaky_relu"]


async def test_u_rewinds_to_earlier_snapshots_keeping_the_controls():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(250):
            app.session.step()
        await pilot.press("right_square_bracket", "u")
        await settle(app)
        assert app.session.trainer.step_count == 200
        assert app.session.trainer.config.lr == 0.03
        await pilot.press("u")
        await settle(app)
        assert app.session.trainer.step_count == 100
        assert app.session.frame.steps.steps.max() <= 100
        assert len(logged(app, "rewind")) == 2


async def test_rewind_continues_bit_identically():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(105):
            app.session.step()
        await settle(app)
        after = app.session.trainer.model.flat_value.copy()
        await pilot.press("u")
        for _ in range(5):
            app.session.step()
        await settle(app)
        np.testing.assert_array_equal(app.session.trainer.model.flat_value, after)


async def test_w_saves_checkpoints_without_overwriting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "w", "w")
        saved = logged(app, "checkpoint")
        assert len(saved) == 2
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["gradtui-default-step1-1.npz", "gradtui-default-step1.npz"]
        assert Trainer.load(str(tmp_path / files[1])).step_count == 1
        assert all(name in " ".join(saved) for name in files)


async def test_l_toggles_the_loss_plot_scale():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert "log scale" in str(app.screen.query_one("#loss").border_title)
        await pilot.press("l")
        assert "linear scale" in str(app.screen.query_one("#loss").border_title)


async def test_nonfinite_step_pauses_and_offers_the_way_out():
    app = GradtuiApp(trainer=Trainer(DIVERGES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(lambda: not app.session.running and not app.session.busy)
        frame = app.session.frame
        assert frame.halted is not None and frame.halted.kind == "nonfinite"
        assert "PAUSED: NaN" in status(app)
        (message,) = logged(app, "nan")
        assert "lower lr" in message and "clip" in message and "before the blow-up" in message
        await pilot.press("u", "left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert app.session.trainer.step_count == 0
        assert app.session.frame.halted is None


async def test_question_mark_opens_help_listing_every_key():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(keys_table(app.screen.rows))
        text = console.export_text()
        for binding in KEYS:
            assert binding.description in text and HELP[binding.action] in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("s")
        assert app.session.trainer.step_count == 1


@pytest.mark.parametrize("size", [(59, 30), (100, 19), (20, 5)])
async def test_tiny_terminal_shows_a_note_and_survives_keys(size):
    app = GradtuiApp()
    async with app.run_test(size=size) as pilot:
        await pilot.press("s", "right_square_bracket", "a", "l")
        await pilot.pause()
        assert app.screen.query_one("#too-small").display
        assert not app.screen.query_one("#main").display
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert not app.screen.query_one("#too-small").display
        assert app.screen.query_one("#main").display


@pytest.mark.parametrize("size, panes", [
    ((60, 20), ("#loss", "#grads", "#health", "#output", "#controls-strip", "#latest-event", "#hint", "#story")),
    ((100, 30), ("#loss", "#grads", "#health", "#output", "#controls-strip", "#latest-event", "#hint", "#story")),
    ((200, 60), ("#loss", "#grads", "#health", "#output", "#controls", "#events", "#hint", "#story")),
])
async def test_supported_sizes_render_the_panes_that_fit(size, panes):
    app = GradtuiApp()
    async with app.run_test(size=size) as pilot:
        await pilot.press("s", "s")
        await pilot.pause()
        assert not app.screen.query_one("#too-small").display
        for pane in panes:
            assert app.screen.query_one(pane).size.area > 0, pane
        assert "step 2" in status(app)


async def test_holding_keys_while_running_never_crashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await start_training(app)
        await send_keys(app, *["right_square_bracket"] * 5, *["left_square_bracket"] * 5,
                        *"aaaaooooxxxbbbuuu", *["space"] * 6, "s", "l", "w", "question_mark", "escape")
        await pilot.resize_terminal(70, 22)
        await pilot.resize_terminal(*SIZE)
        await wait_until(lambda: app.session.trainer.config.batch_size == 1)
        assert app.session.running
        await pause_training(pilot, app)
        assert app.session.trainer.config.lr == 0.01
        assert app.session.trainer.config.activation == ACTIVATIONS[4]


async def test_keys_pressed_while_running_apply_between_steps():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await start_training(app)
        await wait_until(lambda: app.session.frame.step > 5)
        await send_keys(app, "right_square_bracket", "right_square_bracket")
        await wait_until(lambda: app.session.frame.config.lr == 0.1)
        await pause_training(pilot, app)
        assert app.session.trainer.config.lr == 0.1
        assert len(app.session.frame.marks) == 2
        assert logged(app, "control") == ["lr 0.01 -> 0.03", "lr 0.03 -> 0.1"]


async def test_clicking_a_control_key_cap_runs_its_action():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(ControlsPanel)
        first_line = str(panel.render()).splitlines()[0]
        column = first_line.index(" ] ") + 1
        await pilot.click(ControlsPanel, offset=(column + 2, 1))
        assert app.session.trainer.config.lr == 0.03


async def test_command_palette_lists_every_action_and_scenario():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for binding in KEYS:  # offered exactly when it applies
            applies = app.screen.check_action(binding.action, ()) is not False
            assert any(t.startswith(binding.description) for t in titles) == applies, binding.description
        assert any(t.startswith("Answer 3") for t in titles)  # the default question has 3 answers
        assert not any(t.startswith("Answer 4") for t in titles)
        for name in SCENARIOS:
            assert f"Scenario: {name}" in titles
        assert "Calculus: quadratic" in titles and "Calculus: rosenbrock" in titles
        step = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Step"))
        step.callback()
        await pilot.pause()
        assert app.session.trainer.step_count == 1


async def test_switching_scenario_builds_a_new_trainer_from_its_config():
    extra = Scenario("tiny-line", "A line.", "Watch m and b.",
                     TrainConfig(dataset="linear", hidden=(), optimizer="sgd", lr=0.1, batch_size=None))
    SCENARIOS[extra.name] = extra
    try:
        app = GradtuiApp()
        async with app.run_test(size=SIZE) as pilot:
            command = next(c for c in app.get_system_commands(app.screen) if c.title == "Scenario: tiny-line")
            command.callback()
            await pilot.pause()
            assert app.session.name == "tiny-line"
            assert app.session.trainer.model.architecture == "1-1"
            assert "Watch m and b." in str(app.screen.query_one("#hint").render())
    finally:
        del SCENARIOS[extra.name]


def palette(app, title: str):
    """The command palette entry ``title`` offered on the active screen."""
    return next(c for c in app.get_system_commands(app.screen) if c.title == title)


async def test_restart_rebuilds_the_run_as_launched_with_its_flags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    launched = Scenario("default-modified", "The default scenario, changed at launch: dataset sine.",
                        "", TrainConfig(dataset="sine", hidden=()))
    app = GradtuiApp(trainer=Trainer(launched.config), scenario=launched)
    async with app.run_test(size=SIZE) as pilot:
        first = app.session.trainer.model.flat_value.copy()
        await pilot.press("s", "right_square_bracket")
        palette(app, "Restart scenario").callback()
        await pilot.pause()
        trainer = app.session.trainer
        assert trainer.step_count == 0 and trainer.model.architecture == "1-1"
        assert trainer.config.lr == launched.config.lr
        np.testing.assert_array_equal(trainer.model.flat_value, first)
        assert "default-modified" in status(app)
        assert "spiral" not in str(app.screen.query_one("#story").render())
        assert "change a control" in str(app.screen.query_one("#hint").render())
        await pilot.press("s", "w")
        assert [p.name for p in tmp_path.iterdir()] == ["gradtui-default-modified-step1.npz"]


async def test_restart_of_a_run_whose_scenario_is_not_listed_never_crashes():
    unlisted = Scenario("checkpoint-c", "Restored from c.npz at step 0.", "Continue.", TrainConfig(seed=3))
    app = GradtuiApp(trainer=Trainer(unlisted.config), scenario=unlisted)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        palette(app, "Restart scenario").callback()
        await pilot.pause()
        assert app.session.trainer.step_count == 0 and app.session.name == "checkpoint-c"


async def test_a_scenario_picked_on_the_calculus_screen_shows_its_training_run():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        palette(app, "Scenario: line-fit").callback()
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen) and len(app.screen_stack) == 1
        assert app.session.name == "line-fit" and "line-fit" in status(app)


async def test_the_calculus_screen_switches_surface_in_place():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not any(t.startswith("Calculus:") for t in titles)
        palette(app, "Scenario: rosenbrock").callback()
        await pilot.pause()
        assert len(app.screen_stack) == 2 and app.screen.session.objective.name == "rosenbrock"


async def test_line_fit_shows_m_and_b_converging_to_2_and_1():
    trainer = Trainer(TrainConfig(dataset="linear", hidden=(), optimizer="sgd", lr=0.3, batch_size=None))
    app = GradtuiApp(trainer=trainer)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(300):
            app.session.step()
        await settle(app)
        await pilot.pause()
        output = app.session.frame.output
        assert isinstance(output, Curve)
        m, b = output.line
        assert abs(m - 2) < 1e-3 and abs(b - 1) < 1e-3
        assert "m = 2.000" in str(app.screen.query_one("#output").border_title)


async def test_two_d_classification_shows_decision_regions():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        output = app.session.frame.output
        assert isinstance(output, Regions)
        assert output.classes.shape == output.confidence.shape
        assert set(np.unique(output.classes)) <= {0, 1}


async def test_c_opens_calculus_mode():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "CalculusScreen"


async def test_a_calculus_scenario_opens_calculus_mode_over_the_default_run():
    scenario = Scenario("calc", "Roll down a valley.", "Race them.", objective="rosenbrock")
    app = GradtuiApp(scenario=scenario)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "CalculusScreen"
        await pilot.press("escape")
        assert app.session.name == "default"
        assert SCENARIOS["default"].hint in str(app.screen.query_one("#hint").render())
        await pilot.press("c")
        assert type(app.screen).__name__ == "CalculusScreen" and app.objective == "rosenbrock"


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_q_and_ctrl_c_quit_even_while_training(key):
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await start_training(app)
        session = app.session
        await send_keys(app, key)
        await wait_until(lambda: not app.is_running)
    assert app.return_code == 0
    assert not session.running
    await wait_until(lambda: not session.busy, timeout=2.0)
