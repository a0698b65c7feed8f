"""What the screens ask of the app they run in, typed.

Textual types ``screen.app`` as a plain ``App``, and the screens cannot import
``GradtuiApp`` (it imports them), so ``host(screen)`` gives them the app as the
``Host`` protocol: the part of ``GradtuiApp`` they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from gradtui.tui.train.prediction_view import PredictionState
    from gradtui.tui.train.session import Session


class TrainingScreen(Protocol):
    """The training screen, as the views opened over it use it."""

    def hand_back(self, session: Session) -> None: ...

    def action_step(self) -> None: ...

    def action_toggle_run(self) -> None: ...


class Host(Protocol):
    """The app the screens run in (``GradtuiApp``)."""

    predictions: dict[str, PredictionState]
    objective: str

    @property
    def train_screen(self) -> TrainingScreen: ...

    def open_calculus(self, objective: str) -> None: ...

    def open_network(self) -> None: ...

    def open_loss_surface(self) -> None: ...

    def open_lesson(self, name: str) -> None: ...


def host(node: DOMNode) -> Host:
    """The app ``node`` runs in, typed as what the screens use of it."""
    return cast("Host", node.app)
