"""GradtuiApp: the Textual application around the training screen.

``GradtuiApp(trainer=None, scenario=None, rebuild=None).run()``: with no trainer the
scenario's config (the ``default`` scenario when none is given) is trained. A calculus
scenario opens calculus mode on top of the training screen, which then shows the default
scenario (or the trainer given). ``rebuild`` builds the run afresh for "Restart scenario"
(e.g. reloading a checkpoint); by default a scenario's config is trained from scratch.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from gradtui.engine import OBJECTIVES, SCENARIOS, Scenario, Trainer

if TYPE_CHECKING:  # the symbolic engine loads with calculus mode, not at startup
    from gradtui.engine.symbolic import TypedFunction

    from gradtui.tui.train.host import Host

from gradtui.tui.learn.course import COURSE, LESSONS, Lesson
from gradtui.tui.learn.progress import Progress, load as load_progress
from gradtui.tui.learn.screens import CourseScreen, LessonIntro, LessonResult, next_lesson
from gradtui.tui.train.keys import HELP, KEYS
from gradtui.tui.train.prediction_view import PredictionState
from gradtui.tui.train.session import Session
from gradtui.tui.train.screen import TrainScreen


SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold Python's GIL while another waits (CPython's default is 0.005).
Where training runs in a thread of the app (``worker="thread"``; by default it has a process
of its own) it never blocks, so the UI gets the GIL only when the interpreter makes
it switch: a shorter interval lets a key press or a redraw through in about a
millisecond instead of five, and cuts the worst delay from space to a stopped run from
over 100 ms to about 10 ms, at no measurable cost in steps/s (see benchmarks/bench_tui.py)."""


EXPORTS = {
    "torch": ("PyTorch", "the trained network as a torch.nn.Module file: build_model() returns it "
                         "with these weights (gradtui export --format torch)"),
    "numpy": ("NumPy script", "the trained network as a standalone script: predict(X) needs NumPy only"),
    "json": ("JSON", "architecture, activations, weights and batch-norm statistics as JSON"),
}
"""Palette entries that write the network to a new file in the working directory."""


def trainer_for(scenario: Scenario) -> Trainer:
    """A fresh Trainer for a network scenario."""
    if scenario.config is None:
        raise ValueError(f"{scenario.name} is a calculus scenario: it has no network to train")
    return Trainer(scenario.config)


class GradtuiApp(App):
    """Live training of a small network, with its gradients on show."""

    CSS_PATH = "app.tcss"
    TITLE = "gradtui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("K", "check_lesson", "Check lesson", show=False, id="check_lesson",
                tooltip="gradtui learn: check whether the lesson's promise happened in this run"),
        Binding("C", "course", "Course", show=False, id="course", tooltip="gradtui learn: the list of lessons"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, trainer: Trainer | None = None, scenario: Scenario | None = None,
                 rebuild: Callable[[], Trainer] | None = None, present: bool = False,
                 locked: bool = False, function: TypedFunction | None = None,
                 course: Progress | None = None, lesson: str | None = None, worker: str = "process") -> None:
        super().__init__()
        self.worker = worker
        """Where runs train: "process" (a process of their own, so drawing never slows them)
        or "thread" (``gradtui.engine.run.worker``)."""
        self.function = function
        self.course = course
        """The learner's progress when the app runs the course (``gradtui learn``), else None."""
        self.lesson: Lesson | None = None
        self._first_lesson = lesson
        """A typed function (``--function``): calculus mode opens on it first."""
        self.present = present
        """Presenter mode (``--present``): story, hint and plots large; controls and event log hidden."""
        self.locked = locked
        """Student mode (``--lock``): only the actions in ``LOCK_ALLOWS`` run (see keys.py)."""
        self.objective = "quadratic"
        """The calculus objective the ``c`` key opens: the last one shown."""
        calculus = scenario.objective if scenario is not None else None
        self._open_calculus_first = calculus is not None
        if calculus is not None:
            self.objective = calculus
            scenario = SCENARIOS["default"] if trainer is None else None
        if trainer is None:
            scenario = scenario or SCENARIOS["default"]
            trainer = trainer_for(scenario)
        if rebuild is None and scenario is not None:
            rebuild = partial(trainer_for, scenario)
        self._start = (trainer, scenario)
        self._rebuild = rebuild
        """Builds the run on show afresh, as it was launched; None for a bare trainer."""
        self.predictions: dict[str, PredictionState] = {}
        """Each scenario's question as the learner met it: asked once per app session."""

    def get_default_screen(self) -> Screen:
        trainer, scenario = self._start
        name = scenario.name if scenario is not None else "custom"
        return TrainScreen(Session(trainer, name, worker=self.worker), scenario)

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.function is not None:
            self.open_function(self.function)
        elif self._open_calculus_first:
            self.open_calculus(self.objective)
        if self.course is not None:
            self.action_course()
            if self._first_lesson is not None:
                self.open_lesson(self._first_lesson)

    # --- the course (gradtui learn) ------------------------------------------------------

    def action_course(self) -> None:
        """Show the list of lessons (starting the course if it was not running)."""
        if self.course is None:
            self.course = load_progress()
        self._back_to_training()
        self.push_screen(CourseScreen(self.course))

    def open_lesson(self, name: str) -> None:
        """Introduce the lesson ``name``, then open its run."""
        lesson = COURSE[name]
        self.push_screen(LessonIntro(lesson, LESSONS.index(lesson) + 1),
                         lambda start: self._start_lesson(lesson) if start else None)

    def _start_lesson(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.switch_scenario(lesson.scenario)

    def action_check_lesson(self) -> None:
        """Check the lesson's promise against the run on show; passed: saved, next unlocked."""
        from gradtui.tui.calculus.screen import CalculusScreen

        lesson, course = self.lesson, self.course
        if lesson is None or course is None:
            self.notify("No lesson is open: C shows the course (gradtui learn).", severity="warning")
            return
        subject = self.screen.session if lesson.calculus and isinstance(self.screen, CalculusScreen) \
            else self.train_screen.session.frame
        if lesson.calculus and not isinstance(self.screen, CalculusScreen):
            ok, evidence = False, "this lesson runs in calculus mode"
        else:
            ok, evidence = lesson.check(subject)
        if not ok:
            self.notify(f"Not yet ({lesson.promise}): {evidence}", title=lesson.title, severity="warning")
            return
        course.pass_lesson(lesson.name, lesson.summary)
        if course.problem:
            self.notify(course.problem, severity="error")
        upcoming = next_lesson(course)
        self.push_screen(LessonResult(lesson, evidence, upcoming),
                         lambda go_on: self.open_lesson(upcoming.name) if go_on and upcoming else self.action_course())

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    @property
    def train_screen(self) -> TrainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, TrainScreen)  # the default screen, always at the bottom
        return screen

    @property
    def session(self) -> Session:
        """The run on show."""
        return self.train_screen.session

    def open_calculus(self, objective: str) -> None:
        """Pause training and show calculus mode for ``objective`` (in place if it is showing)."""
        from gradtui.tui.calculus.screen import CalculusScreen  # loaded when first opened, not at startup

        self.objective = objective
        if isinstance(self.screen, CalculusScreen):
            self.screen.show_surface(objective)
            return
        self._back_to_training()
        self.session.pause()
        self.push_screen(CalculusScreen(objective))

    def open_function(self, function: TypedFunction) -> None:
        """Calculus mode on a typed function (opened first when it is not showing)."""
        from gradtui.tui.calculus.screen import CalculusScreen

        if not isinstance(self.screen, CalculusScreen):
            self.open_calculus(self.objective)
        screen = self.screen
        assert isinstance(screen, CalculusScreen)  # open_calculus pushed it
        screen.show_function(function)

    def open_network(self) -> None:
        """Show the network view of the run the keys act on (training goes on underneath)."""
        from gradtui.tui.network.screen import NetworkScreen  # not on the first screen: loaded when opened

        self._back_to_training()
        self.push_screen(NetworkScreen(self.train_screen.target))

    def open_loss_surface(self) -> None:
        """Show the loss surface around the weights of the run the keys act on, over whatever
        is showing."""
        from gradtui.tui.network.surface import LossSurfaceScreen  # it draws with calculus mode's plot: loaded when opened

        self.push_screen(LossSurfaceScreen(self.train_screen.target))

    def switch_scenario(self, name: str) -> None:
        """Train the scenario ``name`` from scratch (a calculus one opens calculus mode)."""
        scenario = SCENARIOS[name]
        if scenario.objective is not None:  # a calculus scenario
            self.open_calculus(scenario.objective)
        else:
            self._install(scenario, partial(trainer_for, scenario))

    def restart_scenario(self) -> None:
        """Rebuild the run on show as it was launched: first weights and controls as they were."""
        scenario = self.train_screen.scenario
        if scenario is None or self._rebuild is None:
            self.notify("This run has no scenario to restart from; r resets it.", severity="warning")
            return
        self._install(scenario, self._rebuild)

    def _install(self, scenario: Scenario, rebuild: Callable[[], Trainer]) -> None:
        """Show the run ``rebuild`` builds on the training screen, brought back to the top."""
        try:
            trainer = rebuild()
        except ValueError as exc:
            self.notify(str(exc), title=f"Cannot open {scenario.name}", severity="error")
            return
        self._back_to_training()
        self._rebuild = rebuild
        self.train_screen.install(Session(trainer, scenario.name, worker=self.worker), scenario)

    def _back_to_training(self) -> None:
        """Close every screen above the training screen (calculus mode, help)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Course: learn step by step (C)", "gradtui learn: lessons from slopes to a "
                            "digit classifier, each checked on your own run", self.action_course)
        if isinstance(screen, TrainScreen):
            offered = set()
            for binding in KEYS:  # one entry per action that applies now (and is not locked)
                if binding.action in offered or screen.check_action(binding.action, ()) is False:
                    continue
                offered.add(binding.action)
                yield SystemCommand(f"{binding.description} ({binding.key_display or binding.key})",
                                    HELP[binding.action], getattr(screen, f"action_{binding.action}"))
            yield SystemCommand("Loss surface", "the network's train loss around its current weights, "
                                "with the run's path (computed in the background)", self.open_loss_surface)
            for fmt, (title, what) in EXPORTS.items():
                yield SystemCommand(f"Export network: {title}", what,
                                    partial(screen.target.export_network, fmt, "."))
            if self.locked:
                return  # the rest changes the run or leaves it
            yield SystemCommand("Run until...", "train until a condition holds, such as "
                                "test_accuracy>=0.95 or plateau:200 (in the settings panel)",
                                partial(screen.action_settings, "until"))
            yield SystemCommand("Restart scenario", "rebuild this run as it was launched: "
                                "its first weights, its starting controls", self.restart_scenario)
            if screen.twin is not None:
                together = screen.twin.pause_together
                yield SystemCommand(f"Twin: NaN in one run pauses both ({'on' if together else 'off'})",
                                    "off: a run that goes NaN/Inf stops alone and the other trains on; "
                                    "on: it pauses both", screen.toggle_pause_together)
            for objective in OBJECTIVES:
                yield SystemCommand(f"Calculus: {objective}", f"gradient descent on the {objective} "
                                    "function", partial(self.open_calculus, objective))
        if not self.locked:
            for name, scenario in SCENARIOS.items():
                yield SystemCommand(f"Scenario: {name}", scenario.story, partial(self.switch_scenario, name))


if TYPE_CHECKING:  # mypy checks that the app is what the screens take it for (``host``)
    _SCREENS_HOST: type[Host] = GradtuiApp
