"""Pilot tests of the live lab in the app: the settings panel (keyboard only), reverse keys,
ladder ends, run until."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Input, Select

from gradtui.engine.nn.activations import ACTIVATIONS
from gradtui.engine.optim.optimizers import OPTIMIZERS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.controls_panel import controls_markup
from gradtui.tui.train.settings_panel import SettingsScreen
from gradtui.engine.train.ladders import CLIP_LADDER, LR_LADDER

from lab_pilot import logged, settle

SIZE = (120, 40)
FIELDS = ["set-hidden", "narrow-0", "widen-0", "narrow-1", "widen-1", "add-layer", "remove-layer",
          "set-activation", "set-batchnorm", "set-init", "set-bias_init", "set-dataset", "set-noise",
          "set-n_samples", "set-test_fraction", "set-loss", "set-optimizer", "set-lr", "set-momentum",
          "set-weight_decay", "set-clip_mode", "set-clip", "set-batch_size", "set-schedule", "set-warmup",
          "set-until", "apply", "cancel"]


async def open_panel(pilot, app) -> SettingsScreen:
    await settle(app)
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


async def type_into(pilot, text: str) -> None:
    """Replace the focused Input's text by typing, as a person does."""
    await pilot.press("home", "ctrl+k", *[{",": "comma", ".": "full_stop", ">": "greater_than_sign",
                                                "=": "equals_sign", "-": "minus", ":": "colon"}.get(c, c)
                                               for c in text])


async def test_every_field_is_reachable_with_tab_alone():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_panel(pilot, app)
        seen = []
        for _ in range(len(FIELDS)):
            seen.append(panel.focused.id)
            await pilot.press("tab")
        assert seen == FIELDS and panel.focused.id == FIELDS[0]


async def test_the_panel_shows_the_current_values():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        app.session.change({"lr": 0.07, "optimizer": "sgd", "batch_size": None})
        panel = await open_panel(pilot, app)
        assert panel.query_one("#set-lr", Input).value == "0.07"
        assert panel.query_one("#set-hidden", Input).value == "16,16"
        assert panel.query_one("#set-batch_size", Input).value == "full"
        assert panel.query_one("#set-optimizer", Select).value == "sgd"


async def test_a_bad_typed_value_is_refused_with_a_message_and_nothing_applied():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        config, weights = app.session.trainer.config, app.session.trainer.model.flat_value.copy()
        panel = await open_panel(pilot, app)
        await type_into(pilot, "16,0")  # the hidden field has the focus
        message = str(panel.query_one("#settings-message").render())
        assert "hidden: hidden layer sizes must be at least 1, got 0" in message
        assert panel.query_one("#set-hidden", Input).has_class("-invalid")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is panel and app.session.trainer.config == config
        await type_into(pilot, "16,32")
        panel.query_one("#set-lr", Input).focus()
        await type_into(pilot, "-1")
        await pilot.press("enter")
        await pilot.pause()
        assert "lr must be greater than zero" in str(panel.query_one("#settings-message").render())
        await pilot.press("escape")
        await pilot.pause()
        await settle(app)
        assert app.session.trainer.config == config and logged(app, "control") == []
        np.testing.assert_array_equal(app.session.trainer.model.flat_value, weights)


async def test_widening_by_keyboard_keeps_the_function_logs_it_and_marks_the_plot():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s", "s")
        X = app.session.trainer.data.X_test
        before = app.session.trainer.predict(X, raw=True)
        await open_panel(pilot, app)
        await pilot.press("tab", "tab", "enter", "enter", "tab", "tab", "enter")  # widen layer 0 twice, layer 1 once
        await pilot.press("ctrl+s")
        await pilot.pause()
        await settle(app)
        trainer = app.session.trainer
        assert trainer.config.hidden == (18, 17) and trainer.model.sizes == [2, 18, 17, 2]
        assert np.max(np.abs(trainer.predict(X, raw=True) - before)) < 1e-12
        assert app.session.frame.marks == (3,)
        assert logged(app, "control") == [trainer.changes[-1].text]
        assert "hidden 16,16 -> 18,17 (function unchanged" in trainer.changes[-1].text
        assert "network    [b]18,17" in controls_markup(trainer.config)
        await pilot.press("s", "s")  # trains on, every pane follows the new sizes
        await settle(app)
        await pilot.pause()
        assert [layer.width for layer in app.session.frame.layers] == [18, 17, 2]


async def test_several_settings_at_once_are_one_change():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_panel(pilot, app)
        panel.query_one("#set-noise", Input).focus()
        await type_into(pilot, "0.2")
        panel.query_one("#set-schedule", Select).value = "cosine"
        await pilot.pause()
        panel.query_one("#set-lr", Input).focus()
        await type_into(pilot, "0.05")
        await pilot.press("enter")
        await pilot.pause()
        await settle(app)
        config = app.session.trainer.config
        assert (config.noise, config.lr, config.schedule) == (0.2, 0.05, "cosine:2000:0.0001")
        assert len(app.session.trainer.changes) == 1


async def until(pilot, app, text: str) -> SettingsScreen:
    """Open the panel, type ``text`` as the stop condition and press enter."""
    panel = await open_panel(pilot, app)
    panel.query_one("#set-until", Input).focus()
    await type_into(pilot, text)
    await pilot.press("enter")
    await pilot.pause()
    return panel


async def test_run_until_trains_and_pauses_at_the_step_the_condition_holds():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, "step>=40")
        for _ in range(500):
            await pilot.pause(0.02)
            if not app.session.busy and app.session.trainer.step_count:
                break
        assert app.session.trainer.step_count == 40 and not app.session.running
        assert logged(app, "stop") == ["stopped at step 40: step>=40 (step 40)"]


async def test_an_unreadable_until_is_refused():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = await until(pilot, app, "accuracy>0.9")
        assert app.screen is panel and "unknown quantity 'accuracy'" in str(
            panel.query_one("#settings-message").render())
        assert app.session.trainer.step_count == 0


async def test_the_palette_offers_run_until_and_settings():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Settings (e)" in commands
        commands["Run until..."].callback()
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen) and app.screen.focused.id == "set-until"


@pytest.mark.parametrize("forward, back, field, options", [
    ("a", "A", "activation", ACTIVATIONS),
    ("o", "O", "optimizer", OPTIMIZERS),
    ("x", "X", "clip_mode", (None, "norm", "value")),
    ("b", "B", "batch_size", (1, 8, 32, 128, None)),
])
async def test_shift_walks_each_cycle_backwards(forward, back, field, options):
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        async def value():
            await settle(app)
            return getattr(app.session.trainer.config, field)
        start = options.index(await value())
        await pilot.press(back)
        assert await value() == options[start - 1]
        await pilot.press(forward)
        assert await value() == options[start]
        await pilot.press(back, back)
        assert await value() == options[(start - 2) % len(options)]


@pytest.mark.parametrize("key, field, end, word", [
    ("right_square_bracket", "lr", LR_LADDER[-1], "top"),
    ("left_square_bracket", "lr", LR_LADDER[0], "bottom"),
    ("right_curly_bracket", "clip", CLIP_LADDER[-1], "top"),
])
async def test_a_ladder_end_says_so(key, field, end, word):
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        app.session.change({field: end})
        await settle(app)
        await pilot.press(key)
        await settle(app)
        assert getattr(app.session.trainer.config, field) == end
        assert logged(app, "limit") == [f"{field} {end:g} is at the {word} ({end:g}) of its ladder; "
                                        "press e to type any value"]


async def test_in_twin_mode_the_panel_and_clicks_change_the_run_they_act_on():
    app = GradtuiApp()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("s", "t")
        await settle(app)
        await pilot.pause()
        await open_panel(pilot, app)
        await pilot.press("tab", "enter", "ctrl+s")  # narrow B's first layer by one unit
        await pilot.pause()
        twin = app.screen.twin
        await settle(app)
        for _ in range(200):
            if not twin.b.busy:
                break
            await pilot.pause(0.01)
        assert (twin.b.trainer.config.hidden, app.session.trainer.config.hidden) == ((15, 16), (16, 16))
        await pilot.click("#output-b RegionsView", offset=(3, 3))
        await pilot.pause()
        for _ in range(200):
            if not twin.b.busy:
                break
            await pilot.pause(0.01)
        assert len(twin.b.trainer.data.X_train) == len(app.session.trainer.data.X_train) + 1
