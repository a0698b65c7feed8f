"""The parameter count on screen: in the status line (the total, "W + b = N") and in the
network view (each layer and the total), against hand-counted numbers."""

from __future__ import annotations

from gradtui.engine import TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.network.screen import NetworkScreen
from gradtui.tui.train.status import StatusLine


async def test_a_2_3_2_network_counts_6_w_3_b_9_in_its_first_layer_and_17_in_all():
    # 2x3 + 3 = 9 in layers.0, 3x2 + 2 = 8 in layers.1: 12 W + 5 b = 17
    app = GradtuiApp(trainer=Trainer(TrainConfig(hidden=(3,))))
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert "params 12 W + 5 b = 17" in app.screen.query_one(StatusLine).text
        await pilot.press("0", "n")
        await pilot.pause()
        assert isinstance(app.screen, NetworkScreen)
        status = " ".join(str(app.screen.query_one("#net-params").render()).split())
        assert "layers.0 2×3: 6 W + 3 b = 9" in status and "layers.1 3×2: 6 W + 2 b = 8" in status
        assert "total 12 W + 5 b = 17" in status


async def test_the_count_follows_batch_norm_switched_on_with_n():
    # batch norm adds gamma and beta per hidden unit: 2 x 3 = 6
    app = GradtuiApp(trainer=Trainer(TrainConfig(hidden=(3,))))
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("0", "N")
        await pilot.pause(0.3)
        app.screen.show_latest()
        assert "params 12 W + 5 b + 6 γβ = 23" in app.screen.query_one(StatusLine).text
