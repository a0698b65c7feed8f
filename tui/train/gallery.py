"""The activation gallery: ``g`` on the training screen.

Every activation of the engine (``ACTIVATIONS``) as f(z) and f'(z) over z in [-6, 6], with
the histogram of one layer's pre-activations z over the probe set drawn on top, so what the
derivative does where the layer's values actually fall is seen: sigmoid's f' never above
1/4, tanh's flat tails, ReLU's zero half. The z values come with the run's frames (the
probe's, ``Frame.z_hist``), never from the Trainer, so the run may train underneath.

Keys: ``left``/``right`` the layer, ``escape`` back.
"""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Static

from gradtui.engine import ACTIVATIONS, get_activation

from gradtui.engine.run.frame import Z_EDGES, Z_RANGE, Frame
from gradtui.tui.train.host import host
from gradtui.tui.train.session import Session
from gradtui.tui.widgets.footer import FittedFooter
from gradtui.tui.widgets.lineplot import Chart, LinePlot, Series, linear_ticks
from gradtui.tui.widgets.publisher import FrameReady

Z = np.linspace(-Z_RANGE, Z_RANGE, 241)
YLIM = (-1.2, 2.0)
F_COLOUR, DF_COLOUR, HIST_COLOUR = "white", "yellow", "dodger_blue2"
HIST_TOP = 1.0
"""The tallest histogram bar reaches this height on the plot's y axis."""
FLAT = 0.05
"""A z counts as "where f' is flat" when f'(z) is below this share of f's largest slope."""


def curves(name: str, z: np.ndarray = Z) -> tuple[np.ndarray, np.ndarray]:
    """f(z) and f'(z) (on ``Z`` unless given) for the activation ``name``, by the engine's own code."""
    act = get_activation(name)
    a = act.forward(z)
    return a, act.local_grad(z, a)


def flat_share(name: str, counts: np.ndarray) -> float | None:
    """The share of the histogram's z (by bin centre) where f' is below ``FLAT`` times its
    largest value: where almost no gradient passes (None for an empty histogram)."""
    total = int(counts.sum())
    if not total:
        return None
    act = get_activation(name)
    centres = (Z_EDGES[:-1] + Z_EDGES[1:]) / 2
    slope = act.local_grad(centres, act.forward(centres))
    return float(counts[slope < FLAT * act.max_local_grad].sum()) / total


def histogram_series(counts: np.ndarray) -> Series:
    """The histogram as a step outline scaled so its tallest bar is ``HIST_TOP`` high."""
    top = counts.max() if counts.size and counts.max() else 1
    heights = YLIM[0] + (HIST_TOP - YLIM[0]) * counts / top
    x = np.repeat(Z_EDGES, 2)[1:-1]
    return Series(x, np.repeat(heights, 2), HIST_COLOUR)


def gallery_chart(name: str, counts: np.ndarray | None) -> Chart:
    f, df = curves(name)
    series = [histogram_series(counts)] if counts is not None and counts.sum() else []
    series += [Series(Z, np.clip(f, *YLIM), F_COLOUR), Series(Z, df, DF_COLOUR)]
    return Chart((-Z_RANGE, Z_RANGE), YLIM, series=series, hlines=[(0.0, "grey37")],
                 xticks=linear_ticks(-Z_RANGE, Z_RANGE, 4), yticks=[(0.0, "0"), (1.0, "1")])


def panel_title(name: str, counts: np.ndarray | None, current: bool) -> str:
    """The panel's title: the activation (▶ the run's), its largest slope and the share of
    the layer's z where it is flat."""
    act = get_activation(name)
    title = f"{'▶ ' if current else ''}{name} · max f' {act.max_local_grad:g}"
    share = flat_share(name, counts) if counts is not None else None
    if share is not None:
        title += f" · {share:.0%} flat"
    return title


class GalleryScreen(Screen):
    """f(z), f'(z) and one layer's z for every activation, as of the run's latest frame."""

    CSS = """
    GalleryScreen #gallery-status { height: auto; padding: 0 1; background: $boost; }
    GalleryScreen #gallery { grid-size: 3; grid-gutter: 0; height: 1fr; }
    GalleryScreen LinePlot { border: round $primary 50%; height: 1fr; }
    """
    BINDINGS = [
        Binding("left", "layer(-1)", "layer", key_display="← →", tooltip="the previous hidden layer"),
        Binding("right", "layer(1)", show=False, tooltip="the next hidden layer"),
        Binding("escape", "back", "back", tooltip="back to the training screen"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.shown_layer = 0

    def compose(self) -> ComposeResult:
        yield Static(id="gallery-status")
        with Grid(id="gallery"):
            for name in ACTIVATIONS:
                yield LinePlot(id=f"gallery-{name}")
        yield FittedFooter(("layer(-1)", "back"))

    def on_mount(self) -> None:
        self.session.attach(self)
        self.show(self.session.frame)

    def on_unmount(self) -> None:
        host(self).train_screen.hand_back(self.session)

    def on_frame_ready(self, message: FrameReady) -> None:
        if message.publisher is self.session:
            self.show(self.session.frame)

    def hidden_layers(self, frame: Frame) -> int:
        """How many layers the histogram can show: the hidden ones (the output, if none)."""
        return max(len(frame.layers) - 1, 1)

    def show(self, frame: Frame) -> None:
        self.shown_layer = min(self.shown_layer, self.hidden_layers(frame) - 1)
        layer = frame.layers[self.shown_layer].name
        counts = frame.z_hist[self.shown_layer] if self.shown_layer < len(frame.z_hist) else None
        cfg = frame.config
        current = cfg.activation if isinstance(cfg.activation, str) else cfg.activation[self.shown_layer]
        self.query_one("#gallery-status", Static).update(
            f"[b]activations[/b] · histogram: {layer}'s z over {int(counts.sum()) if counts is not None else 0} "
            f"probe values at step {frame.step:,} · flat: f' below {FLAT:g} of its max · [white]f(z)[/] "
            f"[yellow]f'(z)[/] [dodger_blue2]z histogram[/]")
        for name in ACTIVATIONS:
            plot = self.query_one(f"#gallery-{name}", LinePlot)
            plot.border_title = panel_title(name, counts, name == current)
            plot.show_chart(gallery_chart(name, counts))

    def action_layer(self, delta: int) -> None:
        frame = self.session.frame
        self.shown_layer = (self.shown_layer + delta) % self.hidden_layers(frame)
        self.show(frame)

    def action_back(self) -> None:
        self.app.pop_screen()
