"""How often the training screen's panes redraw while a run trains: the plots as often as
frames come unless drawing them costs too large a share of the time, the layer-health
panes a few times a second. Paused, stepped or halted, every pane shows its newest frame."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

PLOT_SHARE = 0.2
"""While training, the plots redraw with every frame unless drawing them would take more
than this share of the time: every millisecond spent drawing is one a key press waits, and
(where training shares the app's process: macOS, Windows) one the worker loses to the GIL.
They cost about 1 ms of CPU each (``LinePlot.render_cost``), so at 12 frames a second they
redraw with every frame; where drawing takes several times longer (the median of the last
few), they redraw less often and the keys stay responsive."""
HEALTH_EVERY = 0.25
"""While training, the layer-health panes (one, or twin mode's two, together) redraw at most
this often (four times a second, which keeps their numbers readable), not with every frame:
in twin mode the two cost the UI thread about as much as both plots (time a key press
waits, and the training thread too where it shares the app's process). A badge raised or fading shows with the next frame;
paused, stepped or halted, a run's pane shows its newest frame at once."""


class FramePacing:
    """When the plots and the layer-health panes may redraw next."""

    def __init__(self) -> None:
        self.next_plot = 0.0
        self.plot_costs: deque[float] = deque(maxlen=5)
        """The plots' last drawing costs: their median paces them, so that one slow drawing
        (a page fault, the OS scheduling something else) does not drop the next frames."""
        self.next_health = 0.0

    def pace_plots(self, running: bool, draw: Callable[[], float]) -> None:
        """Call ``draw`` (it draws the plots and returns what that cost, in seconds) unless
        ``running`` and the last drawings' cost asks the plots to wait longer."""
        now = time.perf_counter()
        if running and now < self.next_plot:
            return
        self.plot_costs.append(draw())
        typical = sorted(self.plot_costs)[len(self.plot_costs) // 2]  # the median (statistics costs first paint 5-20 ms)
        self.next_plot = now + typical / PLOT_SHARE

    def health_due(self, running: bool) -> bool:
        """Whether the health panes may redraw on this frame: always when nothing trains,
        every ``HEALTH_EVERY`` seconds while training."""
        if not running:
            return True
        now = time.perf_counter()
        if now < self.next_health:
            return False
        self.next_health = now + HEALTH_EVERY
        return True
