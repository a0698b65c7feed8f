"""The learning-rate range test over the training screen (``F``).

The test (``Trainer.lr_range_test``) trains a fork of the run with the lr growing
exponentially from 1e-6 to 10 over 100 steps, in a thread worker so the screen stays
live; then the smoothed loss is drawn against log10(lr) with the steepest descent, the
lowest point, the blow-up and the suggestion marked, and the rule stated. ``enter``
applies the suggestion (only the lr changes; the run goes on from its weights as they
were before the test, and the event log says so); ``escape`` leaves everything as it was.
"""

from __future__ import annotations

import math

import numpy as np
from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from gradtui.engine.curvature.lr_finder import RangeTest

from gradtui.tui.train.session import Session
from gradtui.tui.widgets.lineplot import Chart, LinePlot, Series, linear_ticks, log_ticks

STEPS, START, END = 100, 1e-6, 10.0
"""The test's steps and lr range (fastai's defaults: 1e-7 … 10 in 100 steps, from a decade higher)."""
RAW, SMOOTHED = "#787878", "#50aaff"
MARKS = {"steepest": "#5fff87", "lowest": "#f0dc5a", "blow-up": "#e63c3c", "suggested": "#ff5fd7"}
HEADROOM = 1.5
"""The loss axis ends this many times above the first smoothed loss: the blow-up runs off the top."""


def marks(test: RangeTest) -> dict[str, float]:
    """Each marked point's lr: steepest descent, lowest smoothed loss, blow-up, suggestion."""
    points = {"steepest": test.steepest, "lowest": test.minimum, "blow-up": test.blowup}
    found = {name: float(test.lrs[i]) for name, i in points.items() if i is not None}
    return {**found, "suggested": test.suggestion}


def chart(test: RangeTest) -> Chart:
    """Raw (dots) and smoothed loss against log10(lr), a vertical line at each mark."""
    x = np.log10(test.lrs)
    with np.errstate(all="ignore"):
        finite = test.smoothed[np.isfinite(test.smoothed)]
        low = float(finite.min()) if finite.size else 0.0
        top = float(finite[0]) * HEADROOM if finite.size else 1.0
        pad = 0.05 * (top - low) or 1.0
        lo, hi = low - pad, max(top, low + pad)
        raw, smooth = (np.where(np.isfinite(v), np.clip(v, lo, hi), np.nan) for v in (test.losses, test.smoothed))
    xlim = (math.log10(START), math.log10(END))
    return Chart(xlim, (lo, hi), series=[Series(x, smooth, SMOOTHED)], scatter=[Series(x, raw, RAW)],
                 vlines=[(math.log10(lr), MARKS[name]) for name, lr in marks(test).items()],
                 xticks=log_ticks(*xlim), yticks=linear_ticks(lo, hi))


def summary(test: RangeTest, step: int) -> str:
    """The marks in words, the rule, and what the keys do (Rich markup)."""
    found = marks(test)
    parts = [f"[{MARKS[name]}]│ {name} lr {lr:.3g}[/]" for name, lr in found.items()]
    if test.blowup is None:
        parts.insert(2, f"no blow-up up to lr {test.lrs[-1]:.3g}")
    return ("   ".join(parts) + f"\n[dim]Rule: {escape(test.rule)}.[/]\n"
            f"[b]enter[/b] applies lr {test.suggestion:.3g}: only the lr changes, and the run goes on "
            f"from the weights of step {step}, as they were before the test.   [b]escape[/b] cancels: "
            "nothing changes (the test trained a copy).")


class RangeTestScreen(ModalScreen[None]):
    """Runs the range test on a copy of ``session``'s run and offers its suggestion."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", tooltip="set the lr to the suggestion; the run goes on from "
                                                   "its weights as they were before the test"),
        Binding("escape", "cancel", "Cancel", tooltip="leave the run as it was"),
    ]
    DEFAULT_CSS = """
    RangeTestScreen { align: center middle; }
    #range-test { width: 94%; height: 92%; border: round $primary; background: $surface; padding: 0 1; }
    #range-plot { height: 1fr; }
    #range-summary { height: auto; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.step: int | None = None
        """The run's step the test started from (known once the run has handed its state back)."""
        self.test: RangeTest | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="range-test"):
            yield Static(f"[b]lr range test[/b] on a copy of the run: {STEPS} steps, lr {START:g} → {END:g} "
                         f"(log axis); [{SMOOTHED}]smoothed loss[/], [{RAW}]each step's[/]", id="range-title")
            yield LinePlot(id="range-plot")
            yield Static("running the range test on a copy of the run …   escape cancels", id="range-summary")

    def on_mount(self) -> None:
        self.query_one(LinePlot).show_note("training a copy with a growing lr …")
        self.run_test()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_test(self) -> None:
        try:
            test = self.session.lr_range_test(STEPS, START, END)
            step = self.session.frame.step  # paused: the step the test forked from
        except Exception as exc:  # an engine failure is a line on the screen, not a crash
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, test, step)

    def _show(self, test: RangeTest, step: int) -> None:
        self.test, self.step = test, step
        self.query_one(LinePlot).show_chart(chart(test))
        self.query_one("#range-summary", Static).update(summary(test, step))
        self.refresh_bindings()

    def _failed(self, exc: Exception) -> None:
        self.query_one("#range-summary", Static).update(f"the range test failed: {escape(repr(exc))}; escape closes")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """enter applies only once there is a result."""
        return self.test is not None if action == "apply" else True

    def action_apply(self) -> None:
        if self.test is not None:
            self.session.apply_range_test(self.test)
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "default")
        self.session.cancel_range_test()
        self.dismiss(None)
