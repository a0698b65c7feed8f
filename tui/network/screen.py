"""The network view: ``n`` on the training screen.

Every layer as a column of neurons, each drawn as what it computes; the weights (or their
gradients) between layers; dead and saturated neurons marked; and the neuron inspector,
the chain rule of one training sample in numbers. The run goes on underneath: while this
screen shows, the training session publishes its frames here with a ``NetworkPicture``
in each (computed in the training thread, anew about six times a second while training:
``session.NETWORK_EVERY``), and the screen redraws the diagram whenever the picture is new
(the inspector at most twice a second while training).

Keys: arrows pick a neuron, ``,``/``.`` the training sample, ``g`` weights or gradients
(only where W and dW do not fit side by side), ``s`` step, ``space`` run/pause, ``L`` the
loss surface, ``escape`` back.
"""

from __future__ import annotations

import textwrap
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen

from gradtui.engine import count_text, parameter_counts, total_count_text
from gradtui.engine.run.frame import Shape

from gradtui.tui.train.host import host
from gradtui.tui.network.diagram import shown_matrices
from gradtui.engine.run.network_picture import NetworkPicture, NetworkRequest
from gradtui.tui.network.widgets import NetworkDiagram, NeuronInspector, StatusLine
from gradtui.tui.train.session import Session
from gradtui.tui.widgets.publisher import FrameReady
from gradtui.tui.widgets.footer import FittedFooter

INSPECTOR_EVERY = 0.5
"""While training, the inspector's numbers are redrawn at most this often (the diagram with
every picture, about six times a second): numbers that change faster cannot be read, and
each redraw of them costs the UI thread (and, where training shares the app's process, the
training thread: the UI thread holds the GIL)."""


def parameters_line(shape: Shape, width: int = 10_000, rows: int = 2) -> str:
    """Each layer's parameter count and the total: "layers.0 2×3: 6 W + 3 b = 9 · total ...",
    in ``rows`` lines of ``width`` cells: a deep network's layers by their sums alone
    ("layers.0 9"), else the total alone, rather than a line cut short."""
    sizes = list(shape.sizes)
    counts = parameter_counts(sizes, shape.batchnorm)
    shapes = list(zip(shape.layer_names, sizes[:-1], sizes[1:], counts))
    total = f"total {total_count_text(sizes, shape.batchnorm)}"
    wordings = [" · ".join([f"{name} {n_in}×{n_out}: {count_text(*c)}" for name, n_in, n_out, c in shapes]
                           + [total]),
                " · ".join([total] + [f"{name} {sum(c)}" for name, _, _, c in shapes]),
                total]
    return next((f"parameters {line}" for line in wordings
                 if len(textwrap.wrap(f"parameters {line}", max(width, 1))) <= rows), f"parameters {total}")


class NetworkScreen(Screen):
    """The network of the run on show, live; see the module docstring."""

    CSS_PATH = "network.tcss"
    BINDINGS = [
        Binding("up", "select(0, -1)", "neuron", key_display="←↑↓→",
                tooltip="pick a neuron: up/down within a layer, left/right between layers"),
        Binding("down", "select(0, 1)", show=False),
        Binding("left", "select(-1, 0)", show=False),
        Binding("right", "select(1, 0)", show=False),
        Binding("comma", "sample(-1)", "sample", key_display=", .",
                tooltip="the previous training sample in the inspector"),
        Binding("full_stop", "sample(1)", show=False, tooltip="the next training sample in the inspector"),
        Binding("g", "toggle_gradients", "W/dW", tooltip="too narrow for W and dW side by side: "
                "show the weights W or the latest step's gradients dL/dW"),
        Binding("s", "step", "step", tooltip="one training step; the inspector shows what it did"),
        Binding("space", "toggle_run", "run/pause", key_display="space", tooltip="train or pause"),
        Binding("L", "surface", "loss surface", tooltip="the loss surface around the weights"),
        Binding("escape", "back", "back", tooltip="back to the training screen"),
    ]

    selected: reactive[tuple[int, int]] = reactive((0, 0), init=False)
    sample: reactive[int] = reactive(0, init=False)
    gradients: reactive[bool] = reactive(False, init=False)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.picture: NetworkPicture | None = None
        self.previous: NetworkPicture | None = None
        """The picture just before a manual step, for the inspector's account of it."""
        self.redraws = 0
        self._inspected = 0.0
        """When the inspector was last drawn (time.monotonic)."""

    def compose(self) -> ComposeResult:
        yield StatusLine(id="net-status")
        yield StatusLine(id="net-params")
        with Horizontal(id="net-body"):
            yield NetworkDiagram(id="net-diagram")
            yield NeuronInspector(id="net-inspector")
        yield FittedFooter(("toggle_run", "step", "back", "select(0, -1)", "sample(-1)", "toggle_gradients",
                           "surface"))

    def on_mount(self) -> None:
        self.query_one(NeuronInspector).say("computing the network's picture…")
        self.session.attach(self)
        self._ask()

    def on_unmount(self) -> None:
        """Stop the pictures and hand the frames back to the training screen."""
        self.session.look(None)
        host(self).train_screen.hand_back(self.session)

    def on_screen_suspend(self) -> None:
        self.session.look(None)  # covered (by the loss surface): no pictures nobody sees

    def on_screen_resume(self) -> None:
        if self.picture is not None:
            self._ask()

    # --- frames ------------------------------------------------------------------------

    def _ask(self) -> None:
        """Ask the session for pictures of this sample from now on (one at once when paused)."""
        self.session.look(NetworkRequest(self.sample))

    def on_frame_ready(self, message: FrameReady) -> None:
        if message.publisher is not self.session:
            return
        picture = self.session.frame.network
        if picture is None or picture is self.picture:
            self._show_status()
            return
        self.picture = picture
        now = time.monotonic()
        inspect = not self.session.running or now - self._inspected >= INSPECTOR_EVERY
        self._draw(inspect)

    def _draw(self, inspect: bool = True) -> None:
        """Draw the picture; the inspector too unless ``inspect`` is False (while training,
        it follows at most every ``INSPECTOR_EVERY`` seconds)."""
        picture = self.picture
        if picture is None:
            return
        self.redraws += 1
        if inspect:
            self._inspected = time.monotonic()
        self.selected = self._clamped(self.selected)
        diagram = self.query_one(NetworkDiagram)
        side_by_side = diagram.placement is not None and diagram.placement.side_by_side
        with self.app.batch_update():
            diagram.show(picture, self.selected, self.gradients)
            if inspect:
                self.query_one(NeuronInspector).show(picture, self.selected, self.previous)
            self._show_status()
        if diagram.placement is not None and diagram.placement.side_by_side != side_by_side:
            self.refresh_bindings()  # g only where W and dW take turns

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw)

    def _show_status(self) -> None:
        frame = self.session.frame
        shape = frame.shape
        picture = self.picture
        run = f"{frame.steps_per_s:,.0f} steps/s" if frame.running else "paused"
        if frame.halted is not None:
            run = f"[b red]halted: NaN/Inf in {frame.halted.layer}[/]"
        placement = self.query_one(NetworkDiagram).placement
        matrices = ("W | dW" if placement is None or placement.side_by_side
                    else f"{shown_matrices(placement, self.gradients)[0]} (g: W/dW, too narrow for both)")
        shown = f"step {picture.step}" if picture is not None else "…"  # (one line at 120 columns: no
        # new layout of the screen on every frame as the figures change width)
        what = ("neurons over the input plane" if shape.n_features == 2
                else f"outputs over {shape.n_probe} probe samples")
        self.query_one(StatusLine).show(
            f"[b]network[/b] {shape.architecture} · {shown} · {run} · "
            f"sample {self.sample}/{shape.n_train} · {what} · matrices {matrices}")
        params = self.query_one("#net-params", StatusLine)
        params.show(parameters_line(shape, params.content_region.width))

    def _clamped(self, selected: tuple[int, int]) -> tuple[int, int]:
        layers = self.session.frame.shape.sizes[1:]
        layer = min(max(selected[0], 0), len(layers) - 1)
        return layer, min(max(selected[1], 0), layers[layer] - 1)

    # --- actions -----------------------------------------------------------------------

    def action_select(self, d_layer: int, d_unit: int) -> None:
        layer, unit = self.selected
        self.selected = self._clamped((layer + d_layer, unit + d_unit))
        self._draw()

    def action_sample(self, delta: int) -> None:
        n = self.session.frame.shape.n_train
        self.sample = (self.sample + delta) % n
        self.previous = None
        self._ask()
        self._show_status()

    def action_toggle_gradients(self) -> None:
        self.gradients = not self.gradients
        self._draw()

    def action_step(self) -> None:
        if self.session.running:
            return
        self.previous = self.picture
        host(self).train_screen.action_step()

    def action_toggle_run(self) -> None:
        self.previous = None
        host(self).train_screen.action_toggle_run()
        self._show_status()

    def action_surface(self) -> None:
        host(self).open_loss_surface()

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step" and self.session.running:
            return None
        if action == "toggle_gradients":
            placement = self.query_one(NetworkDiagram).placement
            return placement is None or not placement.side_by_side
        return True
