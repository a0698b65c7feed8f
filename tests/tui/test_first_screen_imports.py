"""The first screen loads only what it draws: no plotting backend, no calculus mode, no
network view, no exporters, so it appears quickly (benchmarks/bench_tui.py measures the time)."""

import json
import subprocess
import sys

NOT_AT_FIRST_PAINT = ("plotext", "textual_plotext", "gradtui.tui.calculus", "gradtui.tui.cli", "torch",
                      "gradtui.tui.network.screen", "gradtui.tui.network.diagram")

FIRST_PAINT = """
import json, sys
from gradtui.tui.app import GradtuiApp

async def painted(pilot):
    await pilot.pause()
    print(json.dumps(sorted(sys.modules)))
    pilot.app.exit()

GradtuiApp().run(headless=True, size=(120, 40), auto_pilot=painted)
"""


def test_the_first_screen_loads_no_plotting_backend_calculus_mode_or_exporter():
    out = subprocess.run([sys.executable, "-c", FIRST_PAINT], capture_output=True, text=True,
                         check=True, timeout=120)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "gradtui.tui.train.plots" in loaded  # it did draw the training screen
    unwanted = [m for m in loaded if m.split(".")[0] in NOT_AT_FIRST_PAINT
                or any(m == name or m.startswith(name + ".") for name in NOT_AT_FIRST_PAINT)]
    assert unwanted == []
