"""Predict, then watch, in calculus mode: a surface that has a scenario's question asks it
first; the answer (1-4), a skip (0, or stepping first) or the revealed answer is kept in the
app for this session, and the question's watch follows the surface's own run (sgd at the
surface's lr from its start) for the evidence the panel shows."""

from __future__ import annotations

from typing import Any

import numpy as np
from textual.screen import Screen

from gradtui.engine import SCENARIOS
from gradtui.engine.predictions import Watch
from gradtui.tui.calculus.session import CalculusSession
from gradtui.tui.train.prediction_view import AskedQuestion, PredictionPanel, PredictionState


class SurfaceQuestion(AskedQuestion):
    """The question of the surface ``session`` shows, on ``screen``'s prediction panel."""

    def __init__(self, screen: Screen, session: CalculusSession) -> None:
        self.screen = screen
        self.session = session
        self._watch: Watch | None = None
        self._watched: tuple[str, Any] | None = None  # (surface, the Descent the watch follows)
        self._seen = 0

    @property
    def state(self) -> PredictionState | None:
        """The surface's question as the learner has met it this app session (None: none)."""
        name = self.session.objective.name
        prediction = SCENARIOS[name].prediction if name in SCENARIOS else None
        if prediction is None:
            return None
        return self._answers.setdefault(name, PredictionState(prediction))

    @property
    def _answers(self) -> dict[str, PredictionState]:
        """The app's ``predictions`` (``GradtuiApp``'s; an app without them, as in a test,
        is given a place for them)."""
        app = self.screen.app
        answers: dict[str, PredictionState] | None = getattr(app, "predictions", None)
        if answers is None:
            answers = {}
            setattr(app, "predictions", answers)
        return answers

    def follow(self) -> None:
        """Feed the question's watch the new steps of the run it is about (sgd at the
        surface's own lr from its own start), then show the panel."""
        state, session = self.state, self.session
        lane = session.lanes.get("sgd")
        objective = session.objective
        if (state is not None and lane is not None and session.lrs["sgd"] == objective.lrs["sgd"]
                and np.array_equal(session.start, np.asarray(objective.start, dtype=float))):  # the default run
            key = (objective.name, lane.descent)
            if self._watched != key and (self._watch is None or self._watched is None
                                         or self._watched[0] != objective.name or not self._watch.revealed):
                self._watch, self._watched, self._seen = state.prediction.watch(), key, 0
            if self._watched == key and self._watch is not None:  # the watch and what it follows are set together
                trajectory = lane.descent.trajectory
                for row in trajectory[self._seen + 1:]:
                    if self._watch.see(lane.descent, row):
                        break
                self._seen = len(trajectory) - 1
        watch = self._watch if self._watched is not None and self._watched[0] == objective.name else None
        self.screen.query_one(PredictionPanel).show(state, watch.reveal if watch is not None else None)

    def _set(self, state: PredictionState) -> None:
        self._answers[self.session.objective.name] = state
        self.follow()
