"""Predict, then watch: the scenario's question before the first step, the learner's
answer, and then the answer with the run's own evidence.

``PredictionPanel`` shows one ``PredictionState``. The state is kept per scenario name
for the whole app session (``App.predictions``), so a question skipped or answered is
not asked again when the scenario is reopened or restarted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

from rich.markup import escape
from textual.widgets import Static

from gradtui.engine.predictions import NONE_OF_THEM, Prediction, Reveal
from gradtui.tui.widgets.packing import pack

SKIPPED = -1
"""The choice recorded for a question skipped (0, escape, or training started unanswered)."""


@dataclass(frozen=True)
class PredictionState:
    """One scenario's question as the learner has met it so far.

    ``choice`` is None while the question waits for an answer, ``SKIPPED``, or the
    index of the answer picked; ``shown`` is True once ``v`` asked for the answer."""

    prediction: Prediction
    choice: int | None = None
    shown: bool = False

    @property
    def pending(self) -> bool:
        return self.choice is None

    def answer(self, index: int) -> "PredictionState":
        """The state after pressing ``index + 1`` (ignored when no such answer or not asked)."""
        if not self.pending or not 0 <= index < len(self.prediction.answers):
            return self
        return replace(self, choice=index)

    def skip(self) -> "PredictionState":
        return replace(self, choice=SKIPPED) if self.pending else self

    def show_answer(self) -> "PredictionState":
        return replace(self, shown=True)


class AskedQuestion(ABC):
    """A screen's question and what its keys do (the training screen's scenario question,
    calculus mode's surface question): answering, skipping and revealing make a new
    ``PredictionState`` that ``_set`` keeps for the app session and shows."""

    @property
    @abstractmethod
    def state(self) -> PredictionState | None:
        """The question as the learner has met it this app session (None: no question)."""

    @abstractmethod
    def _set(self, state: PredictionState) -> None:
        """Keep ``state`` as the question's and show it."""

    def answer(self, index: int) -> None:
        if self.state is not None:
            self._set(self.state.answer(index))

    def skip(self) -> None:
        if self.state is not None:
            self._set(self.state.skip())

    def reveal(self) -> None:
        if self.state is not None:
            self._set(self.state.show_answer())

    def skip_unanswered(self) -> None:
        """Training or stepping started before an answer: the question counts as skipped."""
        state = self.state
        if state is not None and state.pending:
            self._set(state.skip())


def prediction_markup(state: PredictionState | None, reveal: Reveal | None, width: int = 10_000) -> str:
    """What the panel says; empty when there is nothing to say (no question, or skipped
    and not yet revealed). The answers, each with its key, fill lines of ``width`` cells
    without one being split between lines."""
    if state is None:
        return ""
    p = state.prediction
    if state.choice is None:  # pending
        answers = [(f"[b reverse] {i + 1} [/] {escape(a)}", 4 + len(a)) for i, a in enumerate(p.answers)]
        answers.append(("[b reverse] 0 [/] skip", 7))
        return f"[b]Predict, then watch:[/b] {escape(p.question)}\n{pack(answers, width)}"
    if reveal is None and not state.shown:
        if state.choice == SKIPPED:
            return ""
        return (f"[b]You predicted:[/b] {escape(p.answers[state.choice])}. The run shows the answer "
                f"by step {p.evidence.by:,}; [b reverse] v [/] reveals it now.")
    verdict = ""
    if state.choice == p.correct:
        verdict = " [green]You predicted it.[/green]"
    elif state.choice is not None and state.choice != SKIPPED:
        verdict = f" [yellow]You predicted: {escape(p.answers[state.choice])}.[/yellow]"
    head = f"[b]Answer:[/b] {escape(p.answer)}.{verdict}"
    if reveal is None:
        return f"{head} The evidence shows by step {p.evidence.by:,}."
    if reveal.answer == p.correct:
        other = ""
    elif reveal.answer == NONE_OF_THEM:  # the evidence says what happened instead
        other = " This run bore out none of the answers."
    else:
        other = f" This run went another way: {escape(p.answers[reveal.answer])}."
    return f"{head} [b]Evidence:[/b] {escape(reveal.evidence)}.{other}"


class PredictionPanel(Static):
    """The question, the learner's answer, then the answer and its evidence; hidden when
    it has nothing to say."""

    _markup: str | None = None
    _shown: tuple[PredictionState | None, Reveal | None] = (None, None)

    def show(self, state: PredictionState | None, reveal: Reveal | None) -> None:
        """Show the prediction; called on every frame, so only a changed text is redrawn
        (a new layout of the screen on each frame would cost more than the drawing)."""
        self._shown = (state, reveal)
        markup = prediction_markup(state, reveal, self.size.width or 10_000)
        if markup == self._markup:
            return
        self._markup = markup
        self.display = bool(markup)
        self.update(markup)

    def on_resize(self) -> None:
        self.show(*self._shown)
