"""Calculus mode: gradient descent you can see, on a curve or a surface.

``CalculusScreen`` draws one objective with the path of one optimizer, or of a race
of all of them from the same start, and a derivative view where a secant slides
toward the tangent. Running is a timer that takes a few steps per tick: a step on an
analytic function costs microseconds, so no thread is needed. The session announces
each change with a coalescing ``FrameReady`` message, as the training session does, and
the screen redraws when it arrives (a burst of key presses is drawn once). ``CalculusCommands``
puts every surface and every action of the screen in the command palette while the
screen is showing.

Keys: ``s`` step, ``space`` run/pause, ``r`` reset to the start, ``]``/``[`` lr up/down
(1-3-10 ladder), arrows or ``h j k l`` move the start, ``n``/``p`` next/previous
surface, ``o`` next optimizer (racing: the lane the table follows), ``R`` race,
``d`` derivative view, ``-``/``=`` halve/double h (``_``/``+`` by ten), ``c`` curvature
view (the Hessian, its axes, the lr limit), ``escape`` back.
``f`` types a function of your own (``tui/calculus/function_bar.py``); ``t`` then cycles its
views (derivation, computation graph, probe, Riemann sums: ``function_panels.py``), ``<``/``>``
change the Riemann n; presets are in the command palette ("Function: ...").
A surface's question (``1``-``4``, ``0``, ``v``) is ``SurfaceQuestion``'s (``question.py``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

import numpy as np

from gradtui.engine import OBJECTIVES
from gradtui.engine.symbolic import PRESETS, Preset, TypedFunction, TypedVector, evaluate, parse, typed_objective

from gradtui.tui.calculus.curvature_view import curvature_readout, limit_rule, short
from gradtui.tui.calculus.panels import (fmt, fmt_vector, lane_legend, secant_readout, secant_table,
                              surface_info, trajectory_table)
from gradtui.tui.calculus.function_bar import FunctionBar
from gradtui.tui.calculus.function_panels import (RENDERERS, RIEMANN_PIECES, VIEWS, FunctionView, critical_in,
                                                  jacobian_text)
from gradtui.tui.calculus.plot import CalculusPlot
from gradtui.tui.calculus.question import SurfaceQuestion
from gradtui.tui.calculus.session import CalculusSession
from gradtui.tui.widgets.publisher import FrameReady
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.train.prediction_view import PredictionPanel, PredictionState
from gradtui.tui.widgets.footer import FittedFooter

CALCULUS_NOTES = (
    "Table, one step per row: step k, the point x at step k, f(x) there, the gradient at x, and "
    "next move = the length of the step taken from x to the next point (blank on the current "
    "point, whose move is still to come).\n"
    "Legend: one line per optimizer (colour, lr), then its status: still going, minimum at step N "
    "(within 0.001 of a known minimum), diverged (non-finite, or a coordinate past 1e6), escaped "
    "along an axis (past 1e6 with f falling, on a surface with no minimum), or out of "
    "steps; f is its current value. In a race the status line names who reached a minimum first.\n"
    "Picture: ○ start, ● now, ✕ known minima; the arrow points along -grad f, straight downhill "
    "(on a curve, the green line is the tangent). DIVERGED in the status line means the followed "
    "lane left for infinity: r restarts, [ lowers the lr first; ESCAPED, that it went downhill "
    "for ever on a surface with no minimum, as descent should.\n"
    "Curvature view (c): the Hessian H (second derivatives) at the current point; its eigenvalues "
    "λ1 <= λ2 are the curvatures along its eigenvectors, drawn as axes 1 and 2 through the point "
    "(green: f curves up along it, magenta: down). The condition number is λmax/λmin (|λ|max/|λ|min "
    "where signs differ): how much steeper the steepest direction is than the flattest. The signs "
    "classify a critical point (gradient 0): all positive a minimum ✕, all negative a maximum ▲, "
    "both a saddle ◆, a zero eigenvalue degenerate ◇. On a quadratic, sgd multiplies the distance "
    "along an axis by (1 - lr·λ) each step, so it converges exactly when lr < 2/λmax, the lr limit "
    "(marked ┃ on the ladder, which adds rungs at 0.5, 0.8, 1 and 1.2 times it; between 0.5 and 1 "
    "times it overshoots and still converges); with momentum β the limit is 2(1+β)/λmax, with "
    "nesterov 2(1+β)/((1+2β)λmax). On other surfaces it is read at the nearest minimum, where it "
    "decides convergence. rmsprop and adam divide each step by a running RMS of the gradient: "
    "no limit of this form applies to them."
)

TICK_SECONDS = 0.1
"""How often a running descent advances (by ``CalculusSession.steps_per_tick`` steps)."""


LOCK_ALLOWS = frozenset({"step", "toggle_run", "reset", "derivative", "curvature", "scale_h", "help",
                         "back", "function_view", "pieces"})
"""The calculus actions a locked app (``gradtui --lock``) still runs: moving along the descent
and the views. The learning rate, the start point, the surface and the optimizers stay as set."""


class CalculusCommands(Provider):
    """Command palette entries on the calculus screen: "Calculus: <surface>" switches
    surface in place, and "Calculus: <action>" runs each action that has a key.

    Elsewhere it offers nothing: opening calculus mode is the app's business (it
    pauses training first)."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        screen = self.screen
        if not isinstance(screen, CalculusScreen):
            return []
        locked = getattr(screen.app, "locked", False)
        surfaces: list[tuple[str, Callable[[], Any], str]] = [] if locked else [(f"Calculus: {name}", partial(screen.show_surface, name), cls.story)
                                      for name, cls in OBJECTIVES.items()]
        presets: list[tuple[str, Callable[[], Any], str]] = [] if locked else [(f"Function: {p.name}  {p.text}", partial(screen.show_preset, p), p.answer)
                                     for p in PRESETS.values()]
        actions: list[tuple[str, Callable[[], Any], str]] = [
            (f"Calculus: {b.tooltip}", partial(screen.run_action, b.action), f"key {b.key_display or b.key}")
            for b in CalculusScreen.BINDINGS
            if isinstance(b, Binding) and b.tooltip and (not locked or b.action.split("(")[0] in LOCK_ALLOWS)]
        return surfaces + presets + actions

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)


class CalculusScreen(Screen):
    """One objective, one optimizer or a race of all five, and the derivative view."""

    CSS_PATH = "calculus.tcss"
    COMMANDS = {CalculusCommands}
    BINDINGS = [
        Binding("s", "step", "step", tooltip="one step"),
        Binding("space", "toggle_run", "run", tooltip="run or pause"),
        Binding("r", "reset", "reset", tooltip="reset to the start point"),
        Binding("right_square_bracket", "lr(1)", "lr", key_display="[ ]",
                tooltip="learning rate up one rung"),
        Binding("left_square_bracket", "lr(-1)", show=False, key_display="[",
                tooltip="learning rate down one rung"),
        Binding("left,h", "move_start(-1, 0)", "start", key_display="←↑↓→",
                tooltip="move the start point left; the run restarts from there"),
        Binding("right,l", "move_start(1, 0)", show=False, tooltip="move the start point right"),
        Binding("up,k", "move_start(0, 1)", show=False, tooltip="move the start point up (a surface)"),
        Binding("down,j", "move_start(0, -1)", show=False, tooltip="move the start point down (a surface)"),
        Binding("n", "surface(1)", "surface", tooltip="next surface"),
        Binding("p", "surface(-1)", show=False, tooltip="previous surface"),
        Binding("o", "optimizer", "optimizer", tooltip="next optimizer"),
        Binding("R", "race", "race", tooltip="race all optimizers on/off"),
        Binding("d", "derivative", "derivative", tooltip="derivative view on/off"),
        Binding("c", "curvature", "curvature",
                tooltip="curvature view on/off: the Hessian, its axes, the condition number, the lr limit"),
        Binding("f", "type_function", "function", tooltip="type your own function f(x) or f(x, y)"),
        Binding("t", "function_view", "view", tooltip="your function: next view (derivation, graph, probe, Riemann)"),
        Binding("less_than_sign", "pieces(-1)", show=False, tooltip="Riemann view: fewer pieces"),
        Binding("greater_than_sign", "pieces(1)", show=False, tooltip="Riemann view: more pieces"),
        Binding("minus", "scale_h(0.5)", "h", key_display="-/=", tooltip="halve the secant step h"),
        Binding("equals_sign", "scale_h(2)", show=False, tooltip="double the secant step h"),
        Binding("underscore", "scale_h(0.1)", show=False, key_display="_",
                tooltip="divide the secant step h by ten"),
        Binding("plus", "scale_h(10)", show=False, key_display="+", tooltip="multiply h by ten"),
        *(Binding(str(n), f"answer({n - 1})", show=False, tooltip=f"answer the surface's question with {n}")
          for n in range(1, 5)),
        Binding("0", "skip_question", show=False, tooltip="skip the surface's question"),
        Binding("v", "reveal_answer", show=False, tooltip="show the answer to the surface's question"),
        Binding("question_mark", "help", "help", key_display="?", tooltip="keys and what the numbers mean"),
        Binding("escape", "back", "back", tooltip="back to the training screen"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    FOOTER_RANK = ("toggle_run", "step", "help", "back", "reset", "lr(1)", "optimizer", "race", "surface(1)",
                   "move_start(-1, 0)", "curvature", "type_function", "function_view", "derivative",
                   "scale_h(0.5)")
    """The footer keeps these keys longest as the terminal narrows (all are in ? help)."""

    running: reactive[bool] = reactive(False)
    derivative: reactive[bool] = reactive(False, bindings=True)
    curvature: reactive[bool] = reactive(False)
    function: reactive[TypedFunction | TypedVector | None] = reactive(None, bindings=True)
    """The typed function on show (None: a built-in surface; a vector function shows its Jacobian)."""
    view: reactive[str] = reactive("derivation", bindings=True)
    """Which of the typed function's views is below the picture."""

    def __init__(self, objective: str = "quadratic", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = CalculusSession(objective)
        self.message = ""
        self.surface_question = SurfaceQuestion(self, self.session)
        self.pieces = 16
        self.interval: tuple[float, float] | None = None
        self.path: tuple[str, str, float] | None = None
        """A preset's x(t), y(t) and t: the derivation view adds dz/dt along it."""
        self._critical: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static(id="calc-status")
        yield FunctionBar(id="calc-function-bar")
        yield PredictionPanel(id="calc-prediction")
        with Horizontal(id="calc-body"):
            yield CalculusPlot(self.session, id="calc-plot")
            with Vertical(id="calc-side"):
                yield Static(id="calc-lanes")
                yield Static(id="calc-surface")
        yield Static(id="calc-table")
        yield Static(id="calc-function")
        yield FittedFooter(self.FOOTER_RANK)

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK_SECONDS, self._tick, pause=True)
        self.session.attach(self)
        self._say(self._intro())

    def on_unmount(self) -> None:
        self.session.attach(None)

    def on_frame_ready(self, message: FrameReady) -> None:
        self._show()

    def on_resize(self) -> None:
        self.call_after_refresh(self._show)

    # --- actions -------------------------------------------------------------------

    def action_step(self) -> None:
        self.advance(1)

    def action_toggle_run(self) -> None:
        self.running = not self.running

    def action_reset(self) -> None:
        self.session.reset()
        self._say("back to the start")

    def action_lr(self, direction: int) -> None:
        lr = self.session.step_lr(direction > 0)
        self._say(f"{self.session.optimizer} lr {fmt(lr)} from the next step on (r restarts with it)"
                  f"{self._against_limit(lr)}")

    def _against_limit(self, lr: float) -> str:
        """Where ``lr`` stands against the lr limit, as a clause ("" without a finite one)."""
        limit = self.session.lr_limit
        if limit is None or not np.isfinite(limit):
            return ""
        side = "above" if lr > limit else "at" if lr == float(f"{limit:.12g}") else "below"
        return f"; {side} the limit {limit_rule(self.session.optimizer)} = {short(limit)}"

    def action_move_start(self, dx: int, dy: int) -> None:
        if self.session.move_start(dx, dy):
            self._say(f"start at {fmt_vector(self.session.start, 40)}")
        else:
            self._say("a curve has one coordinate: ← and → move the start")

    def action_surface(self, step: int) -> None:
        self._leave_function()
        self.session.cycle_objective(step)
        self._say(self._intro())

    def action_optimizer(self) -> None:
        name = self.session.cycle_optimizer()
        self._say(f"{'following' if self.session.racing else 'descending with'} {name}")

    def action_race(self) -> None:
        racing = self.session.toggle_race()
        self._say("racing every optimizer from the same start" if racing
                  else f"back to {self.session.optimizer} alone")

    def action_derivative(self) -> None:
        self.derivative = not self.derivative
        self.curvature = False
        self._say(self._intro())

    def action_curvature(self) -> None:
        self.curvature = not self.curvature
        self.derivative = False
        self._say(self._intro())

    def action_scale_h(self, factor: float) -> None:
        self.session.scale_h(factor)
        self._say(f"h = {fmt(self.session.secant_h)}")

    def action_type_function(self) -> None:
        self.query_one(FunctionBar).open(self.function.text if self.function is not None else "")

    def action_function_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self._say(f"your function: the {self.view} view (t: next view)")

    def action_pieces(self, step: int) -> None:
        at = RIEMANN_PIECES.index(self.pieces) if self.pieces in RIEMANN_PIECES else 4
        self.pieces = RIEMANN_PIECES[max(0, min(len(RIEMANN_PIECES) - 1, at + step))]
        self._say(f"n = {self.pieces} pieces")

    def on_function_bar_typed(self, message: FunctionBar.Typed) -> None:
        self.show_function(message.function)

    def show_function(self, function: TypedFunction | TypedVector, point: tuple[float, ...] | None = None,
                      interval: tuple[float, float] | None = None) -> None:
        """Calculus mode on a typed function: its picture, descents on it, and its views (a
        vector function: the picture of f_1 and the Jacobian view, no descent)."""
        picture = function.first if isinstance(function, TypedVector) else function
        objective = typed_objective(picture, start=point)
        self.session.use(objective)
        self.interval = interval
        self.path = None
        self._critical = critical_in(picture, objective.window)
        self.add_class("-typed")
        self.function = function
        self._say(self._intro())
        self.call_after_refresh(self.session.announce)  # again once the view has its height

    def show_preset(self, preset: Preset) -> None:
        """A seed's example: its function, point and (for the Riemann view) interval; a total
        derivative's point is t, and the picture's point (x(t), y(t))."""
        point = preset.point
        if preset.path is not None:
            t = point[0]
            point = tuple(float(evaluate(parse(p, ("t",)), {"t": t})) for p in preset.path)
        self.show_function(TypedFunction.parse(preset.text), point,
                           preset.interval if preset.kind == "riemann" else None)
        self.path = (*preset.path, preset.point[0]) if preset.path is not None else None
        self.view = {"gradient": "probe", "critical": "probe", "riemann": "riemann"}.get(preset.kind, "derivation")
        self._say(f"{preset.name}: {preset.answer}")

    def _leave_function(self) -> None:
        self.function = None
        self.remove_class("-typed")

    def action_help(self) -> None:
        rows = [(self._keys_of(b), b.description, b.tooltip) for b in self.BINDINGS
                if isinstance(b, Binding) and b.tooltip]
        self.app.push_screen(HelpScreen("calculus keys", rows, CALCULUS_NOTES))

    def _keys_of(self, binding: Binding) -> str:
        """Every key of ``binding`` as the keyboard shows it ("right,l" is "→ l")."""
        return " ".join(self.app.get_key_display(Binding(key, "")) for key in binding.key.split(","))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The h keys only act (and only show) in the derivative view; a locked app (``--lock``)
        runs only ``LOCK_ALLOWS``."""
        if getattr(self.app, "locked", False) and action not in LOCK_ALLOWS:
            return False
        if action in ("answer", "skip_question"):  # only while the surface's question waits
            state = self.question
            if state is None or not state.pending:
                return False
            index = parameters[0] if parameters else None
            return action == "skip_question" or (isinstance(index, int) and index < len(state.prediction.answers))
        if action == "reveal_answer":
            return self.question is not None
        if action in ("step", "toggle_run"):
            return not isinstance(self.function, TypedVector)
        if action == "function_view":
            return isinstance(self.function, TypedFunction)
        if action == "pieces":
            return isinstance(self.function, TypedFunction) and self.view == "riemann"
        return self.derivative or action != "scale_h"

    def show_surface(self, name: str) -> None:
        """Switch to the surface called ``name`` (a key of ``OBJECTIVES``)."""
        self._leave_function()
        self.session.set_objective(name)
        self._say(self._intro())

    # --- running -------------------------------------------------------------------

    def watch_running(self, running: bool) -> None:
        if running:
            self._timer.resume()
        else:
            self._timer.pause()
        self.session.announce()

    def watch_derivative(self) -> None:
        self.session.announce()

    def watch_curvature(self) -> None:
        self.session.announce()

    def watch_view(self) -> None:
        self.session.announce()

    def _tick(self) -> None:
        self.advance(self.session.steps_per_tick())

    # --- predict, then watch (``SurfaceQuestion``) ------------------------------------

    @property
    def question(self) -> PredictionState | None:
        """The surface's question as the learner has met it this app session (None: none)."""
        return self.surface_question.state

    def action_answer(self, index: int) -> None:
        self.surface_question.answer(index)

    def action_skip_question(self) -> None:
        self.surface_question.skip()

    def action_reveal_answer(self) -> None:
        self.surface_question.reveal()

    def advance(self, n: int) -> None:
        """Take up to ``n`` steps; report what happened, and pause once every lane is done."""
        self.surface_question.skip_unanswered()
        before = self.session.steps
        events = self.session.step(n)
        if events:
            self.message = self.session.headline(events)
            if self.session.all_finished:
                self.running = False
        elif self.session.steps == before:
            lanes = self.session.lanes.values()
            self.message = ("every lane escaped (f has no minimum here): r restarts"
                            if all(lane.descent.escaped for lane in lanes)
                            else "every lane diverged: r restarts (lower the lr with [ first)"
                            if all(lane.diverged for lane in lanes)
                            else "at the step limit: r restarts")
            self.running = False

    def _intro(self) -> str:
        """A line on how to read what is on screen now."""
        if isinstance(self.function, TypedVector) and not self.derivative:
            return (f"f = {self.function}: its Jacobian below, the picture is f1 (no descent); arrows move the "
                    "point, f types another")
        if self.function is not None and not self.derivative:
            return (f"f = {self.function}: t cycles the derivation, graph, probe and Riemann views; "
                    "arrows move the point, f types another")
        if self.curvature:
            return ("Axes 1 and 2: the Hessian's eigenvectors here; ┃ on the ladder marks the lr "
                    "limit. [ ] move the lr, ? explains.")
        if self.derivative:
            return ("The orange secant through x and x+h turns into the green tangent as h "
                    "shrinks: press - to halve h.")
        if self.session.objective.dim == 1:
            return ("Each step moves x by -lr times the slope of the green tangent. "
                    "s steps, space runs, [ ] change the lr.")
        return ("The white arrow points straight downhill (-grad f). "
                "s steps, space runs, R races every optimizer, c shows the curvature.")

    def _say(self, message: str) -> None:
        self.message = message
        self.session.announce()

    # --- drawing -------------------------------------------------------------------

    def _show(self) -> None:
        """Redraw the picture and rewrite the text around it from the session."""
        if not self.is_mounted:
            return
        self.surface_question.follow()
        session = self.session
        plot = self.query_one(CalculusPlot)
        plot.derivative = self.derivative
        plot.curvature = self.curvature
        plot.redraw()
        self.query_one("#calc-status", Static).update(self._status())
        self.query_one("#calc-surface", Static).update(surface_info(session, self.derivative))
        lanes = self.query_one("#calc-lanes", Static)
        lanes.update(secant_readout(session) if self.derivative
                     else curvature_readout(session, lanes.size.width) if self.curvature
                     else lane_legend(session))
        if self.function is not None:
            self._show_function()
            return
        table = self.query_one("#calc-table", Static)
        rows = table.size.height - 2
        table.update(secant_table(session, rows, table.size.width) if self.derivative
                     else trajectory_table(session, rows, table.size.width))

    def _show_function(self) -> None:
        """The typed function's view at the followed lane's current point."""
        assert self.function is not None
        box = self.query_one("#calc-function", Static)
        point = tuple(float(v) for v in self.session.focus.last.x)
        low, high = self.session.bounds[0]
        interval = self.interval or (float(low), float(high))
        window = tuple((float(a), float(b)) for a, b in self.session.bounds)
        if isinstance(self.function, TypedVector):
            box.update(jacobian_text(self.function, point, max(1, box.size.height - 1), max(20, box.size.width - 2)))
            return
        view = FunctionView(self.function, point, interval, self.pieces, self._critical, self.path, window)
        box.update(RENDERERS[self.view](view, max(1, box.size.height - 1)))

    def _status(self) -> Group:
        session = self.session
        lanes = f"race of {len(session.lanes)}" if session.racing else session.optimizer
        view = " · derivative view" if self.derivative else " · curvature view" if self.curvature else ""
        if self.running:
            state = (f"▶ RUNNING {session.steps_per_tick()} steps/tick", "bold green")
        else:
            state = ("❚❚ PAUSED", "bold yellow")
        focus = session.focus
        verdict = ((" · ESCAPED", "bold green") if focus.descent.escaped
                   else (" · DIVERGED", "bold red") if focus.diverged
                   else ("", "") if session.in_view(focus) else (" · off the picture", "bold yellow"))
        name = f"f = {self.function}" if self.function is not None else session.objective.name
        head = Text.assemble(("CALCULUS ", "bold"), f"{name} · {lanes}{view} · "
                             f"step {session.steps} · ", state, verdict)
        return Group(head, Text(self.message, style="italic"))
