"""Predict, then watch, on the training screen: the scenario's question is put up before the
first step, answered (1-4), skipped (0, escape, or by training first) or revealed (v), and
shown with what the run has shown of its answer since (the session watches for it)."""

from __future__ import annotations

from textual.screen import Screen

from gradtui.tui.train.host import host
from gradtui.tui.train.prediction_view import AskedQuestion, PredictionPanel, PredictionState
from gradtui.tui.train.runs_on_show import RunsOnShow

ACTIONS = frozenset({"answer_1", "answer_2", "answer_3", "answer_4", "skip_prediction", "reveal_prediction"})
"""The actions of the question's keys."""


class ScenarioQuestion(AskedQuestion):
    """The question of the scenario ``runs`` shows, on ``screen``'s prediction panel."""

    def __init__(self, screen: Screen, runs: RunsOnShow) -> None:
        self.screen = screen
        self.runs = runs

    @property
    def state(self) -> PredictionState | None:
        """The question of the scenario on show, as the learner has met it this session."""
        scenario = self.runs.scenario
        return host(self.screen).predictions.get(scenario.name) if scenario is not None else None

    def ask(self) -> None:
        """Put the scenario's question up (unless answered or skipped earlier this session)
        and have the session watch the run for its evidence."""
        scenario, session = self.runs.scenario, self.runs.session
        question = scenario.prediction if scenario is not None else None
        frame = session.frame
        fresh = frame.step == frame.shape.first_step
        if scenario is None or question is None or not fresh:
            session.watch_prediction(None)
        else:
            host(self.screen).predictions.setdefault(scenario.name, PredictionState(question))
            session.watch_prediction(scenario.name)
        self.show()

    def show(self) -> None:
        """The question's panel, with what the newest frame says the run has shown."""
        session = self.runs.session
        state = self.state if session.watching else None
        self.screen.query_one(PredictionPanel).show(state, session.frame.reveal if state is not None else None)

    def allows(self, action: str) -> bool:
        """Whether the question's key ``action`` (one of ``ACTIONS``) may run: the answers and
        skipping while the question waits, revealing while it is on show."""
        state = self.state
        if state is None or not self.runs.session.watching:
            return False
        if action == "reveal_prediction":
            return True
        if not state.pending:
            return False
        return action == "skip_prediction" or int(action[-1]) <= len(state.prediction.answers)

    def _set(self, state: PredictionState) -> None:
        scenario = self.runs.scenario
        if scenario is not None:  # always, while a question is on show
            host(self.screen).predictions[scenario.name] = state
        self.show()
        self.screen.refresh_bindings()


class QuestionKeys:
    """The question's keys on the training screen, each handed to its ``ScenarioQuestion``.
    A mixin because Textual runs a key's ``action_*`` method on the screen."""

    question: ScenarioQuestion

    def action_answer_1(self) -> None:
        self.question.answer(0)

    def action_answer_2(self) -> None:
        self.question.answer(1)

    def action_answer_3(self) -> None:
        self.question.answer(2)

    def action_answer_4(self) -> None:
        self.question.answer(3)

    def action_skip_prediction(self) -> None:
        self.question.skip()

    def action_reveal_prediction(self) -> None:
        self.question.reveal()
