"""What twin mode adds to the screen: the bar that says which run the keys change and how
the two runs differ, and the question asked on leaving (which run to keep)."""

from __future__ import annotations

import dataclasses

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from gradtui.engine import TrainConfig

from gradtui.engine.run.frame import Frame
from gradtui.tui.widgets.fitting import fitting
from gradtui.engine.train.changes import show_setting

SIDE_STYLES = {"A": "bold black on rgb(80,170,255)", "B": "bold black on rgb(255,120,60)"}
"""Each run's colour, as its lines have it in the plots."""


def differences(a: TrainConfig, b: TrainConfig) -> list[tuple[str, str, str]]:
    """(setting, A's value, B's value) for each setting in which the runs differ."""
    out = []
    for field in dataclasses.fields(TrainConfig):
        va, vb = getattr(a, field.name), getattr(b, field.name)
        if va != vb:
            out.append((field.name, show_setting(field.name, va), show_setting(field.name, vb)))
    return out


def run_settings(frames: dict[str, Frame], side: str) -> str:
    """What sets ``side``'s run apart: ``clip_mode norm``, or ``same settings``."""
    diffs = differences(frames["A"].config, frames["B"].config)
    index = 1 if side == "A" else 2
    return ", ".join(f"{d[0]} {d[index]}" for d in diffs) or "same settings"


def run_state(frame: Frame, running: bool) -> str:
    """``running``, ``paused``, or ``NaN/Inf at step 14, paused``: it changes when the run's
    state does, not at every step (the steps and losses are in the panes below)."""
    if frame.halted is not None:
        return f"NaN/Inf at step {frame.step}"
    return "running" if running else "paused"


def standing(frames: dict[str, Frame]) -> str:
    """Where the two runs stand, in one sentence: who went non-finite, else who is ahead on
    the latest evaluation (test accuracy, else the loss on the test set or the train set)."""
    halted = {side: f for side, f in frames.items() if f.halted is not None}
    if len(halted) == 2:
        return f"both went non-finite: A at step {frames['A'].step}, B at step {frames['B'].step}"
    if halted:
        (bad, frame), = halted.items()
        good = "A" if bad == "B" else "B"
        return f"{good} never went non-finite; {bad} hit NaN/Inf at step {frame.step}"
    evals = {side: f.evaluation for side, f in frames.items() if f.evaluation is not None}
    if len(evals) < len(frames):
        return "no evaluation yet"
    accuracies = {side: e.test_accuracy for side, e in evals.items() if e.test_accuracy is not None}
    score: dict[str, float]
    if len(accuracies) == len(evals):
        score = accuracies
        what, fmt, higher = "test accuracy", "{:.1%}", True
    else:
        score = {side: (e.test_loss if e.test_loss is not None else e.train_loss) for side, e in evals.items()}
        what, fmt, higher = "loss", "{:.4g}", False
    if score["A"] == score["B"]:
        return f"A and B are level: {what} {fmt.format(score['A'])}"
    ahead = max(score, key=score.__getitem__) if higher else min(score, key=score.__getitem__)
    behind = "A" if ahead == "B" else "B"
    return (f"{ahead} is ahead: {what} {fmt.format(score[ahead])} against "
            f"{fmt.format(score[behind])} ({behind})")


def twin_markup(frames: dict[str, Frame], running: dict[str, bool], selected: str) -> tuple[str, ...]:
    """One line: each run's settings and state, and which run the keys change; in wordings
    from longest to shortest (the bar shows the longest that fits)."""
    other = "A" if selected == "B" else "B"
    parts = [f"[{SIDE_STYLES[side]}] {side} [/] {escape(run_settings(frames, side))} · "
             f"{escape(run_state(frames[side], running[side]))}" for side in ("A", "B")]
    return (f"[b]keys change {selected}[/b] (y: {other}, t: leave)   {'   '.join(parts)}",
            f"[b]keys → {selected}[/b] (y: {other}, t: leave)  {'  '.join(parts)}",
            f"[b]keys → {selected}[/b]  {'  '.join(parts)}")


class TwinBar(Widget):
    """The line under the hint in twin mode. A fixed-size widget whose update is a repaint,
    never a new layout of the screen (as ``Static.update`` would be, on every frame)."""

    DEFAULT_CSS = "TwinBar { height: 1; }"
    _markups: tuple[str, ...] = ("",)

    def show(self, markups: tuple[str, ...]) -> None:
        if markups != self._markups:
            self._markups = markups
            self.refresh()

    def render(self) -> Text:
        """The longest wording that fits whole (else the shortest, cut at a word with …)."""
        text = fitting([Text.from_markup(markup) for markup in self._markups], self.content_size.width)
        text.no_wrap = True
        return text


class KeepRunScreen(ModalScreen[str | None]):
    """Leaving twin mode: keep run A or run B (the other is dropped), or stay (escape)."""

    BINDINGS = [
        Binding("a", "keep('A')", "Keep A"),
        Binding("b", "keep('B')", "Keep B"),
        Binding("escape", "dismiss(None)", "Stay in twin mode"),
    ]

    def __init__(self, frames: dict[str, Frame], running: dict[str, bool]) -> None:
        super().__init__()
        self.frames, self.running = frames, running

    def compose(self) -> ComposeResult:
        lines = ["[b]Leave twin mode: which run do you keep?[/b]", "",
                 f"So far: {escape(standing(self.frames))}.", ""]
        for side in ("A", "B"):
            lines.append(f"[reverse] {side.lower()} [/reverse] keep [{SIDE_STYLES[side]}] {side} [/] "
                         f"{escape(run_settings(self.frames, side))} · step {self.frames[side].step} · "
                         f"{escape(run_state(self.frames[side], self.running[side]))}")
        lines += ["", "[reverse] escape [/reverse] stay in twin mode"]
        with Vertical(id="keep-run"):
            yield Static("\n".join(lines))

    def action_keep(self, side: str) -> None:
        self.dismiss(side)
