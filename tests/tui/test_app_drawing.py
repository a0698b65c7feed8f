"""Pilot tests of drawing your own data on the decision regions: clicks add and remove
training points, k picks the class, D saves a CSV that gradtui run --data reads."""

from __future__ import annotations

import numpy as np

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.data.files import load_data
from gradtui.tui.app import GradtuiApp
from gradtui.tui.cli.main import main
from gradtui.engine.run.drawing import cell_point
from gradtui.tui.train.output_view import RegionsView, drawing_hint

from lab_pilot import logged, settle

SIZE = (120, 40)
VIEW = "#output RegionsView"


def where(app, col: int, row: int) -> tuple[float, float]:
    """The data point under cell (col, row) of the regions view, computed from the shown extent."""
    view = app.screen.query_one(VIEW, RegionsView)
    return cell_point(app.session.frame.output.extent, view.size.width, view.size.height, col, row)


async def test_a_click_adds_a_point_of_the_selected_class_there():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(app)
        before = len(app.session.trainer.data.X_train)
        x, y = where(app, 6, 3)
        await pilot.click(VIEW, offset=(6, 3))
        await settle(app)
        data = app.session.trainer.data
        assert len(data.X_train) == before + 1 and data.y_train[-1] == 0
        np.testing.assert_allclose(data.X_train[-1], [x, y])
        await pilot.press("k")
        await pilot.click(VIEW, offset=(10, 5))
        await settle(app)
        assert app.session.trainer.data.y_train[-1] == 1
        texts = logged(app, "control")
        assert texts[0].startswith(f"drew a class 0 point at ({x:.3g}, {y:.3g}), dataset spiral -> drawn")
        assert texts[-1].startswith("drew a class 1 point")
        assert app.session.frame.marks == (1, 1)
        await pilot.press("s")  # training goes on with the drawn set
        await settle(app)
        assert app.session.trainer.step_count == 2


async def test_a_ctrl_click_removes_the_nearest_training_point():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app)
        X = app.session.trainer.data.X_train.copy()
        x, y = where(app, 20, 8)
        nearest = X[np.argmin(np.hypot(X[:, 0] - x, X[:, 1] - y))]
        await pilot.click(VIEW, offset=(20, 8), control=True)
        await settle(app)
        left = app.session.trainer.data.X_train
        assert len(left) == len(X) - 1 and not (left == nearest).all(axis=1).any()
        assert logged(app, "control")[0].startswith(f"removed the training point at ({nearest[0]:.3g}, ")


async def test_rewind_brings_the_old_points_back():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s")
        await settle(app)
        original = app.session.trainer.data
        await pilot.click(VIEW, offset=(4, 4))
        await pilot.press("s")
        await settle(app)
        await pilot.press("u")
        await settle(app)
        back = app.session.trainer  # (a copy from the training process: equal, not the same object)
        np.testing.assert_array_equal(back.data.X_train, original.X_train)
        np.testing.assert_array_equal(back.data.y_train, original.y_train)
        assert back.step_count == 2


async def test_d_saves_the_points_for_gradtui_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app)
        await pilot.click(VIEW, offset=(8, 2))
        await pilot.press("D")
        await settle(app)
        data = app.session.trainer.data
        saved = logged(app, "export")
    [path] = list(tmp_path.glob("gradtui-default-step0*.csv"))
    assert saved == [f"{len(data.X_train) + len(data.X_test)} points saved: {path.name} "
                     f"(gradtui run --data {path.name})"]
    again = load_data(path, test_fraction=0)
    want = np.column_stack([np.vstack([data.X_train, data.X_test]), np.append(data.y_train, data.y_test)])
    got = np.column_stack([again.X_train, again.y_train])
    assert sorted(map(tuple, got)) == sorted(map(tuple, want))
    assert main(["run", "--data", str(path), "--steps", "3"]) == 0
    assert "steps 1-3" in capsys.readouterr().out


async def test_drawing_on_a_curve_says_why_nothing_happens():
    app = GradtuiApp(trainer=Trainer(TrainConfig(dataset="sine")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app)
        app.session.draw_point(0.0, 0.0)
        await pilot.press("D")
        await settle(app)
        assert logged(app, "limit") == ["points can be drawn on 2-D classification data only",
                                        "only 2-D classification points can be saved as drawn data"]
        assert len(app.session.trainer.data.X_train) == 100 and app.session.trainer.changes == []


def test_the_drawing_hint_keeps_whole_parts_that_fit():
    full = "click: class 1 point (k) · ctrl-click: remove · D: save"
    assert drawing_hint(1) == full
    assert drawing_hint(1, len(full)) == full
    assert drawing_hint(1, len(full) - 1) == "click: class 1 point (k) · ctrl-click: remove"
    assert drawing_hint(1, 42) == "click: class 1 point (k)"
