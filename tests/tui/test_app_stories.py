"""Every scenario's story, followed in the app as a learner would: press exactly the keys
its hint names, at the moment the hint says, and see the promised outcome within the
stated number of steps. Then the question asked before the first step: answered by 1-4,
skipped by 0 (and not asked again this session), revealed by v or by the run itself.

Runs go through the real worker (space to run, space to pause): the pause lands at
some step past the one waited for, so each check holds from the stated step on (the
headless tests in tests/engine/test_scenario_hints.py measure how long it holds)."""

from __future__ import annotations

import asyncio
import math

import pytest
from textual import events
from textual.pilot import Pilot

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.output_view import CurveView
from gradtui.tui.train.prediction_view import SKIPPED, PredictionPanel
from gradtui.tui.widgets.event_log import EventLog

SIZE = (120, 40)


async def wait_until(condition, timeout: float = 60.0) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


async def press(app, *keys: str) -> None:
    """Press ``keys`` in turn, each handled before the next: through the pilot while paused,
    and as the terminal sends them while training runs (the pilot waits for an idle CPU,
    which never comes then)."""
    for key in keys:
        if app.session.running:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            await asyncio.sleep(0.05)
        else:
            await Pilot(app).press(key)
            await wait_until(lambda: not app.session.busy or app.session.running)


async def run_until(app, step: int) -> None:
    """space, train until exactly ``step`` (a "run until" stop, so a loaded machine never
    overshoots; or a NaN pause); returns once paused."""
    app.session.run_until(f"step>={step}")
    await press(app, "space")
    await wait_until(lambda: not app.session.running)
    await wait_until(lambda: not app.session.busy)
    app.screen.show_latest()


def evaluation(app):
    return app.session.frame.evaluation


def badges(app, kind: str, current: bool = False) -> list[str]:
    """The layers showing a ``kind`` badge (``current``: only where its flag holds now, not
    fading)."""
    def shows(layer) -> bool:
        held = layer.held or (None,) * len(layer.badges)
        return any(f.kind == kind and (h is None or not current) for f, h in zip(layer.badges, held))
    return [layer.name for layer in app.session.frame.layers if shows(layer)]


def logged(app) -> list[str]:
    app.screen.show_latest()
    return [e.text for e in app.screen.query_one(EventLog).events]


def open_scenario(name: str) -> GradtuiApp:
    return GradtuiApp(scenario=SCENARIOS[name])


async def test_default_two_rungs_up_breaks_it_within_100_steps():
    app = open_scenario("default")
    async with app.run_test(size=SIZE):
        await press(app, "0", "right_square_bracket", "right_square_bracket")
        assert app.session.trainer.config.lr == 0.1
        await run_until(app, 100)
        assert badges(app, "dead") and evaluation(app).test_accuracy < 0.8


@pytest.mark.parametrize("keys, promised", [(("x",), True), (("left_square_bracket",), True),
                                            (("left_square_bracket",) * 3, False)])
async def test_exploding_nan_pause_then_the_hinted_key_trains_on_with_finite_loss(keys, promised):
    """x or [ as the hint says (finite loss, 90% by step 1,000), and [ [ [ as a learner
    might: the pause's way out still holds (finite loss)."""
    app = open_scenario("exploding")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await run_until(app, 10**6)
        assert app.session.frame.halted is not None and app.session.trainer.step_count == 14
        await press(app, *keys)
        assert app.session.trainer.step_count == 0 and app.session.frame.halted is None
        assert any(t.startswith("NaN at step 14: back to step 0") for t in logged(app))
        await run_until(app, 1000)
        assert app.session.frame.halted is None and app.session.trainer.step_count >= 1000
        assert math.isfinite(evaluation(app).train_loss)
        assert evaluation(app).test_accuracy >= 0.9 or not promised


async def test_vanishing_a_three_times_clears_the_flag_and_passes_90_percent_by_1500_steps():
    app = open_scenario("vanishing")
    async with app.run_test(size=SIZE):
        await press(app, "0", "s")
        assert "layers.0" in badges(app, "vanishing")
        await press(app, "a", "a", "a")
        assert app.session.trainer.config.activation == "relu"
        await run_until(app, 1500)
        assert not badges(app, "vanishing") and evaluation(app).test_accuracy >= 0.9


@pytest.mark.parametrize("run_to", [0, 1000])
async def test_dying_relu_leaky_and_lower_lr_at_the_dead_badge_revive_the_units_and_hold_80_percent(run_to):
    """Pressed as soon as the badge shows (step 11) or later while it still shows (from step
    1,000 on, wherever the pause lands: the headless test measures the press times); 2,000
    steps later the hint's promise holds: no unit dead, accuracy above 80% (having passed 90%)."""
    app = open_scenario("dying-relu")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        while not badges(app, "dead"):
            await press(app, "s")
        assert app.session.trainer.step_count <= 12
        if run_to:
            await run_until(app, run_to)
            assert badges(app, "dead", current=True) == ["layers.1"]
        flagged_at = app.session.trainer.step_count
        await press(app, "a", "left_square_bracket", "left_square_bracket")
        assert (app.session.trainer.config.activation, app.session.trainer.config.lr) == ("leaky_relu", 0.01)
        await run_until(app, flagged_at + 2000)
        assert not badges(app, "dead") and evaluation(app).test_accuracy >= 0.8
        assert not any("0x" in text for text in logged(app))


async def test_saturation_adam_at_lr_0_01_clears_saturation_and_passes_90_percent_by_4000_steps():
    app = open_scenario("saturation")
    async with app.run_test(size=SIZE):
        await press(app, "0", "o", "o", "o", "o", "left_square_bracket", "left_square_bracket")
        assert (app.session.trainer.config.optimizer, app.session.trainer.config.lr) == ("adam", 0.01)
        await run_until(app, 200)
        assert not badges(app, "saturated", current=True)
        await run_until(app, 4000)
        assert not badges(app, "saturated") and evaluation(app).test_accuracy >= 0.9


async def test_lr_too_high_nan_pause_then_three_rungs_down_falls_below_0_01_within_2500_steps():
    app = open_scenario("lr-too-high")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await run_until(app, 10**6)
        assert app.session.frame.halted is not None
        await press(app, *["left_square_bracket"] * 3)
        assert app.session.trainer.step_count == 0 and app.session.trainer.config.lr == 0.01
        await run_until(app, 2500)
        assert app.session.frame.halted is None and evaluation(app).train_loss < 0.01


async def test_lr_too_low_three_rungs_up_fall_below_0_01_within_2500_steps():
    app = open_scenario("lr-too-low")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        assert evaluation(app).train_loss > 0.1
        await press(app, *["right_square_bracket"] * 3)
        assert app.session.trainer.config.lr == 0.01
        await run_until(app, 2500)
        assert evaluation(app).train_loss < 0.01


async def test_edge_of_stability_one_rung_down_before_the_first_step_ends_above_0_005_at_2000_steps():
    app = open_scenario("edge-of-stability")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await press(app, "left_square_bracket")
        assert app.session.trainer.step_count == 0 and app.session.trainer.config.lr == 0.01
        await run_until(app, 2000)
        assert app.session.frame.halted is None and 0.005 < evaluation(app).train_loss < 0.02


async def test_line_fit_two_rungs_up_overshoots_and_the_loss_grows():
    app = open_scenario("line-fit")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        start = evaluation(app).train_loss
        await press(app, "right_square_bracket", "right_square_bracket")
        assert app.session.trainer.config.lr == 1.0
        await run_until(app, 80)
        assert evaluation(app).train_loss > 10 * start
        await asyncio.sleep(0.3)
        app.screen.show_latest()
        curve, chart = app.session.frame.output, app.screen.query_one(CurveView)._chart
        low, high = chart.ylim  # the view follows the line as it overshoots
        assert low < float(curve.y.min()) and float(curve.y.max()) < high
        assert max(abs(float(curve.y.min())), abs(float(curve.y.max()))) > 100


async def test_xor_linear_a_bends_it_past_95_percent_within_200_steps():
    app = open_scenario("xor-linear")
    async with app.run_test(size=SIZE):
        await press(app, "0", "a")
        assert app.session.trainer.config.activation == "relu"
        await run_until(app, 200)
        assert evaluation(app).test_accuracy > 0.95


# --- predict, then watch ---------------------------------------------------------------

def panel(app) -> str:
    widget = app.screen.query_one(PredictionPanel)
    return str(widget.render()) if widget.display else ""


async def test_the_question_is_asked_before_the_first_step_and_answered_by_number():
    app = open_scenario("vanishing")
    async with app.run_test(size=SIZE) as pilot:
        question = SCENARIOS["vanishing"].prediction
        assert question.question in panel(app) and " 0 " in panel(app)
        await pilot.press("4")  # three answers: 4 does nothing
        assert app.predictions["vanishing"].pending
        await pilot.press("1")
        assert app.predictions["vanishing"].choice == 0
        assert "You predicted: layers.0, nearest the input" in panel(app)
        await run_until(app, 100)
        assert "Answer: layers.0, nearest the input. You predicted it. Evidence: step 100:" in panel(app)
        assert any(t.startswith("the run shows the answer: step 100") for t in logged(app))


async def test_skipping_is_remembered_for_the_session_and_v_reveals_the_answer():
    app = open_scenario("saturation")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        assert app.predictions["saturation"].choice == SKIPPED and panel(app) == ""
        app.restart_scenario()
        await pilot.pause()
        assert panel(app) == ""  # not asked again
        await pilot.press("v")
        assert "Answer: near chance, below 60%. The evidence shows by step 1,000." in panel(app)


async def test_escape_skips_and_training_unanswered_counts_as_skipped():
    app = open_scenario("xor-linear")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        assert app.predictions["xor-linear"].choice == SKIPPED
    app = open_scenario("lr-too-low")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert app.predictions["lr-too-low"].choice == SKIPPED
        await pilot.press("1")
        assert app.predictions["lr-too-low"].choice == SKIPPED


async def test_exploding_reveals_its_answer_at_the_nan_pause():
    app = open_scenario("exploding")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")  # "barely move"
        await run_until(app, 10**6)
        text = panel(app)
        assert "Answer: blow up to NaN. You predicted: barely move." in text
        assert "Evidence: step 14: the loss is nan" in text


async def test_rewind_reaches_the_control_change_snapshot_after_15k_steps():
    app = GradtuiApp()
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await run_until(app, 2725)
        changed_at = app.session.trainer.step_count
        await press(app, "right_square_bracket")
        await run_until(app, 14_810)
        visited = []
        while app.session.trainer.step_count > 0:
            await press(app, "u")
            visited.append(app.session.trainer.step_count)
        assert changed_at in visited and visited == sorted(visited, reverse=True)
        await press(app, "u", "u", "u")
        rewinds = [t for t in logged(app) if t.startswith("nothing older")]
        assert rewinds == ["nothing older than step 0 to rewind to"]


# --- screens that fit ------------------------------------------------------------------

async def test_80x24_shows_the_essentials():
    app = open_scenario("dying-relu")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("0", "s")
        await pilot.pause()
        screen = app.screen
        for pane in ("#hint", "#latest-event", "#controls-strip", "#output", "#health"):
            assert screen.query_one(pane).display and screen.query_one(pane).size.height > 0, pane
        assert "test acc" in str(screen.query_one("#output").border_title)
        controls = str(screen.query_one("#controls-strip").render())
        assert all(key in controls for key in (" [ ", " ] ", " a ", " o ", " x ", " b "))
        assert "Try:" in str(screen.query_one("#hint").render())


async def test_120x40_cuts_no_named_string_mid_word():
    app = open_scenario("line-fit")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0", "s")
        await pilot.pause()
        title = str(app.screen.query_one("#output").border_title)
        assert title.startswith("y = m·x + b: m = ") or title.startswith("m = ")
        assert len(title) <= app.screen.query_one("#output").size.width - 4
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0", "s")
        await pilot.pause()
        header = app.screen.query_one(LayerHealth).text.splitlines()[0]
        assert header.rstrip().endswith("saturated")  # the whole legend, not "oran"
