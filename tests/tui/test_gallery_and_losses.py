"""The activation gallery and the loss comparison against independent numbers: f' against
central differences of f, the histogram against the probe's z counted anew, each loss
against hand-computed values (prediction 15, target 20: 5 under MAE, 25 under MSE)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.engine.run.frame import Z_EDGES, z_histograms
from gradtui.tui.train.gallery import Z, GalleryScreen, curves, flat_share, panel_title
from gradtui.tui.train.loss_compare import LossScreen, huber, margin_rows, regression_rows


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gallery_derivative_is_the_central_difference_of_f(name):
    f, df = curves(name)
    h = 1e-6
    plus, _ = curves(name, Z + h)
    minus, _ = curves(name, Z - h)
    central = (plus - minus) / (2 * h)
    away = np.abs(Z) > 1e-3  # the kink at 0 of relu and leaky_relu
    np.testing.assert_allclose(df[away], central[away], atol=1e-6)


def test_sigmoid_slope_is_capped_at_a_quarter_and_relu_is_flat_on_its_zero_half():
    _, sig = curves("sigmoid")
    _, tanh = curves("tanh")
    assert sig.max() == pytest.approx(0.25, abs=1e-4) and tanh.max() == pytest.approx(1.0, abs=1e-4)
    assert tanh[0] < 1e-4 and tanh[-1] < 1e-4  # the flat tails
    counts = np.histogram(np.linspace(-5.99, 5.99, 480), Z_EDGES)[0]  # uniform over [-6, 6]
    assert flat_share("relu", counts) == 0.5 and flat_share("linear", counts) == 0.0
    assert "max f' 0.25" in panel_title("sigmoid", counts, True)


def test_histograms_count_the_probe_z_of_each_layer():
    t = Trainer(SCENARIOS["vanishing"].config)
    t.run(20)
    for counts, z in zip(z_histograms(t), t.probe_z):
        assert counts.sum() == z.size
        inside = (z >= Z_EDGES[10]) & (z < Z_EDGES[11])
        assert counts[10] == int(inside.sum())
    assert t.probe_z[0].shape == (len(t.X_probe), t.model.sizes[1])


async def test_g_opens_the_gallery_with_the_layer_s_histogram_and_arrows_pick_the_layer():
    app = GradtuiApp(scenario=SCENARIOS["vanishing"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0", "s", "g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GalleryScreen)
        status = str(screen.query_one("#gallery-status").render())
        assert "layers.0's z over 4000 probe values" in status
        assert "▶ sigmoid" in str(screen.query_one("#gallery-sigmoid").border_title)
        await pilot.press("right")
        assert "layers.1's z" in str(screen.query_one("#gallery-status").render())
        await pilot.press("escape")
        assert app.screen is app.train_screen


def test_losses_for_prediction_15_target_20_are_5_and_25():
    rows = {name: (value, grad) for name, value, grad in regression_rows(15, 20)}
    assert rows["mae"] == (5.0, -1.0)
    assert rows["mse"] == (25.0, -10.0)  # d/dp (p - y)^2 = 2(p - y)
    assert rows["huber δ=1"] == (4.5, -1.0)  # 1 * (5 - 0.5)
    assert huber(20.5, 20) == (0.125, 0.5)


def test_margin_losses_by_hand():
    for margin in (-1.0, 0.5, 2.0):
        rows = {name: (value, grad) for name, value, grad in margin_rows(margin)}
        log_loss = math.log1p(math.exp(-margin))
        assert rows["bce"][0] == pytest.approx(log_loss) and rows["cross_entropy"][0] == pytest.approx(log_loss)
        assert rows["bce"][1] == pytest.approx(-1 / (1 + math.exp(margin)))
        assert rows["hinge"] == (pytest.approx(max(0.0, 1 - margin)), pytest.approx(-1.0 if margin < 1 else 0.0))


async def test_m_opens_the_loss_comparison_and_the_arrows_move_the_prediction():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0", "M")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LossScreen)
        text = str(screen.query_one("#loss-regression").render())
        assert "prediction 15, target 20" in text and " 25 " in text and " 5 " in text
        await pilot.press("right")
        assert "prediction 16" in str(screen.query_one("#loss-regression").render())
        await pilot.press("escape")
        assert app.screen is app.train_screen
