"""Predict, then watch: one question per scenario, asked before the first step, and the
rule that reveals its answer from the run's own numbers.

Asking a learner to commit to a prediction before the outcome shows improves what they
remember of it. The rule does not replay a stored answer: it judges the run as it goes
(``Watch.see`` after every step) and names the answer the numbers support, with the
numbers as evidence, so a test can check that each scenario's run agrees with the answer
its question calls correct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Judge = Callable[[Any, Any, Any], tuple[int, str]]
"""``judge(subject, row, first)``: the answer index the run supports and the evidence, where
``subject`` is the Trainer (or Descent), ``row`` this step's StepStats (or TrajectoryRow)
and ``first`` the first row the watch saw."""


NONE_OF_THEM = -1
"""A Reveal's answer when the run bore out none of the answers (a line fit that diverged
reached neither target): its evidence then says what happened instead."""


@dataclass(frozen=True)
class Reveal:
    """What the run showed: the answer it supports (``NONE_OF_THEM``: none), in words backed
    by numbers, and when."""

    answer: int
    evidence: str
    step: int


@dataclass(frozen=True)
class Evidence:
    """Reveal at step ``by``, or earlier on the first row where ``early(subject, row)``
    holds, by judging the run at that moment."""

    by: int
    judge: Judge
    early: Callable[[Any, Any], bool] | None = None

    def check(self, subject: Any, row: Any, first: Any) -> Reveal | None:
        if row.step >= self.by or (self.early is not None and self.early(subject, row)):
            answer, text = self.judge(subject, row, first)
            return Reveal(answer, text, row.step)
        return None


@dataclass(frozen=True)
class Prediction:
    """A question with 2-4 answers, the correct one, and the rule that shows it."""

    question: str
    answers: tuple[str, ...]
    correct: int
    evidence: Evidence

    def __post_init__(self) -> None:
        if not 2 <= len(self.answers) <= 4:
            raise ValueError(f"a prediction needs 2-4 answers, got {len(self.answers)}")
        if not 0 <= self.correct < len(self.answers):
            raise ValueError(f"correct answer {self.correct} is not one of the {len(self.answers)}")

    @property
    def answer(self) -> str:
        """The correct answer's text."""
        return self.answers[self.correct]

    def watch(self) -> "Watch":
        """A fresh watch for one run."""
        return Watch(self)


class Watch:
    """Follows one run step by step until the prediction's evidence shows."""

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        self.first: Any = None
        self.reveal: Reveal | None = None

    @property
    def revealed(self) -> bool:
        return self.reveal is not None

    def see(self, subject: Any, row: Any) -> bool:
        """Look at one more step; True on the step the answer is revealed."""
        if self.reveal is not None:
            return False
        if self.first is None:
            self.first = row
        self.reveal = self.prediction.evidence.check(subject, row, self.first)
        return self.reveal is not None

    def lines(self) -> list[str]:
        """The question, the correct answer and the evidence (or that it has not shown yet)."""
        p = self.prediction
        out = [f"prediction: {p.question}",
               f"answer: {p.answer}"]
        if self.reveal is None:
            out.append(f"evidence: not shown yet (it shows by step {p.evidence.by})")
        else:
            agree = "" if self.reveal.answer == p.correct else " (this run did not bear the answer out)"
            out.append(f"evidence: {self.reveal.evidence}{agree}")
        return out


def pick(value: float, bounds: tuple[float, ...]) -> int:
    """The index of the first bound ``value`` falls below (len(bounds) when none): which
    band of a banded answer a number lies in."""
    return next((i for i, b in enumerate(bounds) if value < b), len(bounds))
