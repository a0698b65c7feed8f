"""Twin mode in the app: t forks the run, y picks the run the keys change, a NaN stops only
its own run (unless asked), and leaving keeps the run chosen."""

from __future__ import annotations

import math
import tempfile
import time

from textual import events
from textual.widgets import Static

from test_app_stories import wait_until

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.plots import LossPlot
from gradtui.tui.train.status import StatusLine
from gradtui.tui.train.twin_view import KeepRunScreen
from gradtui.tui.widgets.event_log import EventLog

SIZE = (140, 44)


async def settle(app) -> None:
    """Until no thread owns either run (queued presses are then applied)."""
    screen = app.screen
    await wait_until(lambda: not screen.driver.busy)


def status(app) -> str:
    return app.screen.query_one(StatusLine).text


def bar(app) -> str:
    return str(app.screen.query_one("#twin-bar").render())


def weights(session) -> bytes:
    return session.trainer.model.flat_value.tobytes()


async def test_t_forks_an_exact_copy_that_the_keys_then_change():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s", "s", "t")
        screen = app.screen
        twin = screen.twin
        assert twin is not None and twin.a is app.session and twin.side == "B"
        assert weights(twin.a) == weights(twin.b) and twin.b.trainer.step_count == 3
        assert twin.b.trainer.optimizer.state_dict()["arrays"].keys() == \
            twin.a.trainer.optimizer.state_dict()["arrays"].keys()
        assert screen.query_one("#health-b", LayerHealth).display
        assert "keys change B" in bar(app) and "keys → B" in status(app)
        await pilot.press("right_square_bracket")  # lr up: B only
        await settle(app)
        assert (twin.a.trainer.config.lr, twin.b.trainer.config.lr) == (0.01, 0.03)
        assert "lr 0.03" in status(app) and "lr 0.01" in bar(app) and "lr 0.03" in bar(app)
        await pilot.press("s")  # lockstep: one step each, same batch, same weights before it
        await settle(app)
        assert twin.a.frame.step == twin.b.frame.step == 4
        assert twin.a.frame.batch_loss == twin.b.frame.batch_loss
        await pilot.press("s")
        await settle(app)
        assert twin.a.frame.batch_loss != twin.b.frame.batch_loss


async def test_y_sends_the_keys_to_the_other_run_and_the_screen_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "y")
        twin = app.screen.twin
        assert twin.side == "A" and "keys change A" in bar(app) and "keys → A" in status(app)
        await pilot.press("x", "w")  # clip mode on A; the reset/rewind/save keys follow too
        await settle(app)
        assert (twin.a.trainer.config.clip_mode, twin.b.trainer.config.clip_mode) == ("norm", None)
        assert [p.name for p in tmp_path.iterdir()] == ["gradtui-default-step0.npz"]
        await pilot.press("y", "o")
        await settle(app)
        assert twin.side == "B" and twin.b.trainer.config.optimizer != "adam"
        assert twin.a.trainer.config.optimizer == "adam"


async def test_events_are_tagged_with_their_run():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "right_square_bracket", "y", "left_square_bracket")
        await settle(app)
        app.screen.show_latest()
        controls = [e.text for e in app.screen.query_one(EventLog).events if e.kind == "control"]
        assert controls == ["B: lr 0.01 -> 0.03", "A: lr 0.01 -> 0.003"]


async def test_a_nan_in_a_stops_a_alone_and_b_trains_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp(trainer=Trainer(SCENARIOS["exploding"].config), scenario=SCENARIOS["exploding"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "x")  # B clips the gradient norm at 1
        await settle(app)
        twin = app.screen.twin
        app.post_message(events.Key("space", " "))
        await wait_until(lambda: twin.a.halted is not None and twin.b.frame.step > 300)
        assert twin.b.running and not twin.a.running
        assert twin.a.trainer.step_count <= 20
        app.post_message(events.Key("space", " "))
        await settle(app)
        assert all(math.isfinite(v) for v in twin.b.timeline.steps.view(100).hi[:, 0])
        assert "NaN/Inf at step" in bar(app)
        # the loss axis stops 1e3 above the first loss, so A's blow-up (1e180) leaves B readable
        app.screen.show_latest()
        chart = app.screen.query_one(LossPlot)._chart
        first = twin.b.timeline.steps.view(100).hi[0, 0]
        assert chart.ylim[1] < math.log10(first * 1e3) + 0.5
        assert any(label.startswith("≥") for _, label in chart.yticks)
        # A's panes are not redrawn while it stays halted, but their titles follow B's changes
        await pilot.press("right_square_bracket")
        await settle(app)
        app.screen.show_latest()
        assert "lr 0.1" in str(app.screen.query_one("#health", LayerHealth).border_title)
        assert "lr 0.3" in str(app.screen.query_one("#health-b", LayerHealth).border_title)
        # rewind and save act on the run the keys change: B
        b_step = twin.b.trainer.step_count
        await pilot.press("w", "u")
        await settle(app)
        assert twin.b.trainer.step_count < b_step and twin.a.halted is not None
        assert [p.name for p in tmp_path.iterdir()] == [f"gradtui-exploding-B-step{b_step}.npz"]


def count_calls(widget, method: str) -> list[int]:
    """Counts calls of ``widget``'s ``method`` (a one-item list that grows)."""
    calls, call = [0], getattr(widget, method)

    def counted(*args, **kwargs):
        calls[0] += 1
        return call(*args, **kwargs)
    setattr(widget, method, counted)
    return calls


async def test_a_halted_runs_panes_are_not_redrawn_while_the_other_trains():
    app = GradtuiApp(trainer=Trainer(SCENARIOS["exploding"].config), scenario=SCENARIOS["exploding"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "x")
        await settle(app)
        screen, twin = app.screen, app.screen.twin
        app.post_message(events.Key("space", " "))
        await wait_until(lambda: twin.a.halted is not None and twin.b.frame.step > 50)
        while True:  # until A's last frame is shown (a new layout after the halt gives A a new one)
            frame, refreshes = twin.a.frame, screen.refreshes
            await wait_until(lambda: screen.refreshes > refreshes + 4)
            if twin.a.frame is frame and screen.painter.drawn.get("#health") is frame:
                break
        panes = {pane: screen.query_one(pane) for pane in ("#health", "#output", "#health-b", "#output-b")}
        calls = {pane: count_calls(widget, "show") for pane, widget in panes.items()}
        refreshes = screen.refreshes
        await wait_until(lambda: screen.refreshes > refreshes + 6 and calls["#health-b"][0] >= 2)
        assert calls["#health"] == calls["#output"] == [0]
        assert calls["#output-b"][0] > 0
        app.post_message(events.Key("space", " "))
        await settle(app)


async def test_while_both_train_only_bs_frames_wake_the_screen_and_a_pause_levels_them(monkeypatch):
    from gradtui.tui.train.screen import TrainScreen
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        screen, twin = app.screen, app.screen.twin
        assert twin.a.worker is not twin.b.worker  # two workers, one screen
        senders, redrawn_by = [], []
        on_frame_ready = TrainScreen.on_frame_ready

        def received(self, message) -> None:
            both = twin.a.running and twin.b.running
            before = screen.refreshes
            on_frame_ready(self, message)
            if both:
                senders.append(message.publisher)
                if screen.refreshes > before:
                    redrawn_by.append(message.publisher)
        monkeypatch.setattr(TrainScreen, "on_frame_ready", received)
        app.post_message(events.Key("space", " "))
        await wait_until(lambda: len(redrawn_by) >= 5 and twin.a in senders)
        app.post_message(events.Key("space", " "))
        await settle(app)
        assert set(redrawn_by) == {twin.b}  # A's frames are drawn with B's
        assert twin.a.frame.step == twin.b.frame.step > 0  # the pause left them at the same step
        assert twin.a.trainer.step_count == twin.b.trainer.step_count
        assert weights(twin.a) == weights(twin.b)  # same settings: bit-identical


async def test_in_twin_mode_the_health_panes_redraw_a_few_times_a_second_not_every_frame(monkeypatch):
    import gradtui.tui.train.pacing as pacing

    class Clock:  # the screen's clock, stopped: the health panes wait, the other panes go on
        now = time.perf_counter() + 10

        @staticmethod
        def perf_counter() -> float:
            return Clock.now
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        screen, twin = app.screen, app.screen.twin
        health_a, health_b = screen.query_one("#health", LayerHealth), screen.query_one("#health-b", LayerHealth)
        status_line = screen.query_one(StatusLine)
        app.post_message(events.Key("space", " "))
        await wait_until(lambda: twin.b.frame.step > 0)
        monkeypatch.setattr(pacing, "time", Clock)
        refreshes = screen.refreshes
        await wait_until(lambda: screen.refreshes > refreshes + 1)  # one frame drawn on the stopped clock
        shown, status = (health_a._frame, health_b._frame), status_line._parts
        refreshes = screen.refreshes
        await wait_until(lambda: screen.refreshes > refreshes + 3)
        assert (health_a._frame, health_b._frame) == shown and status_line._parts != status
        Clock.now += pacing.HEALTH_EVERY
        refreshes = screen.refreshes
        await wait_until(lambda: screen.refreshes > refreshes + 1)
        assert health_a._frame is not shown[0] and health_b._frame is not shown[1]
        app.post_message(events.Key("space", " "))
        await settle(app)
        screen.show_latest()  # paused: each pane shows its run's newest frame at once
        assert health_a._frame is twin.a.frame and health_b._frame is twin.b.frame


async def test_asked_to_a_nan_pauses_both_runs():
    app = GradtuiApp(trainer=Trainer(SCENARIOS["exploding"].config), scenario=SCENARIOS["exploding"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "x")
        await settle(app)
        app.screen.toggle_pause_together()
        twin = app.screen.twin
        app.post_message(events.Key("space", " "))
        await wait_until(lambda: twin.a.halted is not None)
        await wait_until(lambda: not twin.running)
        await settle(app)
        assert twin.b.halted is None
        assert twin.b.trainer.step_count == twin.a.trainer.step_count  # lockstep to the end


async def test_leaving_asks_which_run_to_keep():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "right_square_bracket", "t")
        assert isinstance(app.screen, KeepRunScreen)
        text = str(app.screen.query_one(Static).render())
        assert "So far: no evaluation yet" not in text and "So far: A and B are level" in text
        await pilot.press("escape")
        assert app.screen.twin is not None  # escape stays in twin mode
        await pilot.press("t", "b")
        screen = app.screen
        assert screen.twin is None and app.session.trainer.config.lr == 0.03
        assert app.session.name == "default-B" and not screen.query_one("#health-b").display
        await pilot.press("s")
        await settle(app)
        assert app.session.frame.step == 1
        await pilot.press("t", "left_square_bracket", "t", "a")  # keep A: B's lr change is gone
        assert screen.twin is None and app.session.trainer.config.lr == 0.03


async def test_leaving_while_training_keeps_the_kept_run_training():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        app.post_message(events.Key("space", " "))
        screen = app.screen
        await wait_until(lambda: screen.twin.b.frame.step > 20)
        await pilot.press("t", "a")
        assert screen.twin is None
        step = app.session.trainer.step_count
        await wait_until(lambda: app.session.frame.step > step + 20)
        app.post_message(events.Key("space", " "))
        await settle(app)


async def test_f_compares_the_scenario_with_its_fix_from_the_first_weights():
    scenario = SCENARIOS["exploding"]
    app = GradtuiApp(trainer=Trainer(scenario.config), scenario=scenario)
    async with app.run_test(size=SIZE) as pilot:
        first = weights(app.session)
        await pilot.press("s", "s", "f")
        await settle(app)
        twin = app.screen.twin
        assert twin is not None and twin.side == "B"
        assert twin.a.trainer.step_count == twin.b.trainer.step_count == 0
        assert weights(twin.a) == weights(twin.b) == first
        assert (twin.a.trainer.config.clip_mode, twin.b.trainer.config.clip_mode) == (None, "norm")
        assert "clip_mode norm" in bar(app)
        app.screen.show_latest()
        assert "B: clip_mode off -> norm" in [e.text for e in app.screen.query_one(EventLog).events]
        await pilot.press("f")  # already comparing: nothing changes
        assert app.screen.twin is twin


async def test_f_is_offered_only_where_there_is_a_fix():
    app = GradtuiApp(trainer=Trainer(SCENARIOS["exploding"].config))  # a custom run: no scenario
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.check_action("compare_fix", ()) is False
        await pilot.press("f")
        assert app.screen.twin is None


def test_standing_says_who_went_non_finite_or_who_is_ahead():
    from dataclasses import replace

    from gradtui.engine import Evaluation, Flag
    from gradtui.tui.train.session import Session
    from gradtui.tui.train.twin_view import standing

    frame = Session(Trainer(SCENARIOS["default"].config)).frame
    ahead = replace(frame, evaluation=Evaluation(0.3, 0.4, 0.9, 0.88))
    behind = replace(frame, evaluation=Evaluation(0.5, 0.6, 0.7, 0.66))
    nan = replace(frame, step=14, halted=Flag("nonfinite", "loss", "loss is nan"))
    assert standing({"A": nan, "B": ahead}) == "B never went non-finite; A hit NaN/Inf at step 14"
    assert standing({"A": nan, "B": nan}) == "both went non-finite: A at step 14, B at step 14"
    assert standing({"A": behind, "B": ahead}) == "B is ahead: test accuracy 88.0% against 66.0% (A)"
    assert standing({"A": ahead, "B": ahead}) == "A and B are level: test accuracy 88.0%"
    regression = {"A": replace(frame, evaluation=Evaluation(0.3, 0.2, None, None)),
                  "B": replace(frame, evaluation=Evaluation(0.1, 0.5, None, None))}
    assert standing(regression) == "A is ahead: loss 0.2 against 0.5 (B)"


async def test_leaving_ends_the_dropped_runs_worker_and_the_kept_run_trains_alone():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        twin = app.screen.twin
        b = twin.b
        await wait_until(lambda: b.worker._process is not None)
        await pilot.press("t", "a")
        await wait_until(lambda: not b.worker._process.is_alive())  # B's worker ended with it
        await pilot.press("s")
        await settle(app)
        assert app.session is twin.a and app.session.frame.step == 1


async def test_twin_mode_leaves_no_pace_file_behind_however_the_app_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_until(lambda: app.screen.twin is not None)
        assert list(tmp_path.iterdir()) == []  # removed once both workers mapped it
        await pilot.press("space")
        await wait_until(lambda: app.screen.twin.b.frame.step > 5)
        assert app.screen.twin.a.frame.step > 5  # paced through the mapping alone
    assert list(tmp_path.iterdir()) == []
