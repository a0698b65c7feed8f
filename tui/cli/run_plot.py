"""``gradtui run --plot``: the finished run's loss and gradient-norm curves, drawn in the
terminal with plotext (the only part of gradtui that still uses it: the live app draws
its own plots, see ``tui/widgets/lineplot.py``).

Every step is recorded in a bounded min/max history (the app's ``MinMaxHistory``), so a
million-step run costs a few kilobytes, and a one-step spike still shows.
"""

from __future__ import annotations

import re
import shutil

import numpy as np

from gradtui.engine import StepStats
from gradtui.engine.run.history import MinMaxHistory

ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")
"""A terminal colour or style code: removed when the plot goes to a file or a pipe."""
LOSS, GRAD = 0, 1
CURVES = ((LOSS, "minibatch loss, min and max per bucket (log scale)", "orange"),
          (GRAD, "total gradient norm, max per bucket (log scale)", "cyan"))


class RunCurves:
    """Collects each step's loss and gradient norm (pass ``add`` as ``run_headless``'s ``on_step``)."""

    def __init__(self) -> None:
        self.history = MinMaxHistory(2)

    def add(self, stats: StepStats) -> None:
        self.history.add(stats.step, (stats.loss, stats.grad_norm))

    def render(self, width: int | None = None, height: int | None = None, colour: bool = True) -> str:
        """Both curves, one above the other, sized to the terminal unless given; plain
        text without ``colour`` (for a file or a pipe)."""
        import plotext as plt  # imported here: only this command draws with plotext

        columns, rows = shutil.get_terminal_size((100, 30))
        width = width or min(columns, 120)
        height = height or max(min(rows - 4, 36), 16)
        view = self.history.view(max_points=max(width - 12, 10))
        plt.clear_figure()
        plt.subplots(2, 1)
        plt.theme("dark")
        plt.plot_size(width, height)
        for row, (channel, title, hue) in enumerate(CURVES, start=1):
            plt.subplot(row, 1)
            plt.title(title)
            plt.xlabel("step")
            lines = (view.lo, view.hi) if channel == LOSS else (view.hi,)
            drawn = False
            for values in lines:
                steps, y = _positive(view.steps, values[:, channel])
                if len(steps):
                    plt.plot(steps, y, marker="hd", color=hue)
                    drawn = True
            if drawn:
                plt.yscale("log")
        chart = plt.build()
        return chart if colour else ANSI_STYLE.sub("", chart)


def _positive(steps: np.ndarray, values: np.ndarray) -> tuple[list[float], list[float]]:
    """The points a log axis can show (finite and positive), as lists for plotext."""
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(values) & (values > 0)
    return steps[keep].astype(float).tolist(), values[keep].tolist()
