"""Pilot tests of the network view (``n``), the neuron inspector and the loss surface."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from textual import events

from lab_pilot import advance
from test_app_stories import wait_until
from gradtui.engine import SCENARIOS, TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.engine.inspect.trace import chain_terms
from gradtui.tui.network.cells import packed
from gradtui.tui.network.diagram import DEAD, diverging, histograms, largest, paint
from gradtui.tui.network.inspector import num, plain
from gradtui.tui.network.screen import INSPECTOR_EVERY, NetworkScreen
from gradtui.tui.network.surface import LossSurfaceScreen
from gradtui.tui.network.widgets import NetworkDiagram, NeuronInspector
from gradtui.tui.train.screen import TrainScreen



async def keys(app, *names: str) -> None:
    """Key events as the terminal sends them (no wait for an idle CPU, which never comes
    while the training thread runs)."""
    for name in names:
        app.post_message(events.Key(name, name if len(name) == 1 else None))
    await asyncio.sleep(0.05)


async def open_network(app, pilot) -> NetworkScreen:
    await pilot.press("n")
    await wait_until(lambda: isinstance(app.screen, NetworkScreen) and app.screen.picture is not None)
    await pilot.pause()
    return app.screen


def diagram_text(screen: NetworkScreen) -> list[str]:
    diagram = screen.query_one(NetworkDiagram)
    return [diagram.render_line(y).text for y in range(diagram.size.height)]


def inspector_text(screen: NetworkScreen) -> str:
    return screen.query_one(NeuronInspector).text.plain


async def test_n_opens_the_network_view_with_every_layer():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_network(app, pilot)
        placement = screen.query_one(NetworkDiagram).placement
        assert [c.layer for c in placement.columns] == [-1, 0, 1, 2]
        assert [c.total for c in placement.columns] == [2, 16, 16, 2]
        assert all(len(c.units) == c.total for c in placement.columns)
        header = diagram_text(screen)[0]
        assert header.count("relu 16") == 2 and "in 2" in header and "out 2" in header
        assert "network 2-16-16-2" in str(screen.query_one("#net-status").render())
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, TrainScreen))
        assert app.session.view.network is None  # the pictures stop when the view closes
        shown = app.screen.refreshes
        await pilot.press("s")  # and the training screen draws the run again
        await wait_until(lambda: app.screen.refreshes > shown and app.session.frame.step == 1)
        assert "step 1 " in app.screen.query_one("#status").text


async def test_arrows_move_the_selection_and_stop_at_the_edges():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_network(app, pilot)
        assert screen.selected == (0, 0)
        await pilot.press("down", "down", "right")
        assert screen.selected == (1, 2)
        await pilot.press("up", "up", "up", "left", "left")
        assert screen.selected == (0, 0)
        await pilot.press("right", "right", "right", "down", "down", "down")
        assert screen.selected == (2, 1)  # the output layer has two units
        marker_rows = [row for row in diagram_text(screen) if "▶" in row]
        assert len(marker_rows) == 1


@pytest.mark.parametrize("selection", [(0, 3), (1, 5), (2, 1)])
async def test_the_inspector_shows_the_traces_numbers(selection):
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        advance(app.session, 150)  # some training, while nothing else touches the trainer
        screen = await open_network(app, pilot)
        await pilot.press(*["full_stop"] * 3)
        layer, unit = selection
        await pilot.press(*["right"] * layer, *["down"] * unit)
        await wait_until(lambda: screen.picture.trace.index == 3)
        screen._draw()
        await pilot.pause()
        trace = app.session.trainer.trace(3)
        text = inspector_text(screen)
        lt = trace.layers[layer]
        assert f"sample 3 · label {trace.label} · loss {plain(trace.loss)}" in text
        for value in (lt.z[unit], lt.a[unit], lt.fprime[unit], lt.da[unit], lt.dz[unit], lt.db[unit]):
            assert plain(value) in text, (plain(value), text)
        biggest = int(np.argmax(np.abs(lt.dW[:, unit])))
        assert plain(lt.dW[biggest, unit]) in text


async def test_the_view_updates_while_training_and_steps_show_what_they_did():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_network(app, pilot)
        await pilot.press("s")
        await wait_until(lambda: screen.picture.step == 1)
        screen._draw()
        assert "step 0→1 (adam" in inspector_text(screen)
        before, shown = screen.redraws, []
        await keys(app, "space")
        started, deadline = time.monotonic(), time.monotonic() + 60
        while len(shown) < 15 or screen.redraws - before < 4 or screen.picture.step <= 100:
            assert time.monotonic() < deadline, "timed out"  # bounded: a loaded machine draws less often
            await asyncio.sleep(0.1)
            shown.append(inspector_text(screen))
        elapsed = time.monotonic() - started
        await keys(app, "space")
        await wait_until(lambda: not app.session.busy)
        changes = sum(a != b for a, b in zip(shown, shown[1:]))
        assert 1 <= changes <= elapsed / INSPECTOR_EVERY + 1  # the inspector follows, twice a second


async def test_dead_neurons_are_marked_with_the_step_they_died():
    config = SCENARIOS["dying-relu"].config
    trainer = Trainer(config)
    trainer.run(300)
    app = GradtuiApp(trainer=trainer)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.step()
        screen = await open_network(app, pilot)
        await wait_until(lambda: screen.picture.step == 301)
        screen._draw()
        states = screen.picture.layers[1].state
        dead = np.flatnonzero(states == DEAD)
        assert len(dead) >= 4
        rows = diagram_text(screen)
        assert sum(row.count("✕") for row in rows[:-1]) == sum(
            int((layer.state == DEAD).sum()) for layer in screen.picture.layers)
        assert f"{len(dead)}✕" in rows[-1]  # counted under the column
        await pilot.press("right", *["down"] * int(dead[0]))
        await pilot.pause()
        assert f"dead since step {screen.picture.layers[1].since[dead[0]]}" in inspector_text(screen)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_it_fits(size):
    app = GradtuiApp(trainer=Trainer(TrainConfig(hidden=(64, 32))))
    async with app.run_test(size=size) as pilot:
        screen = await open_network(app, pilot)
        diagram = screen.query_one(NetworkDiagram)
        placement = diagram.placement
        assert [c.total for c in placement.columns] == [2, 64, 32, 2]
        last = placement.columns[-1]
        assert last.x + last.tw < diagram.size.width
        assert all(c.top >= 1 and c.top + len(c.units) * c.th < diagram.size.height
                   for c in placement.columns)
        wide = placement.columns[1]
        assert len(wide.units) < 64  # summarised: a window of the layer, labelled
        assert f"{wide.units.start}-{wide.units.stop - 1}" in diagram_text(screen)[-1]
        await pilot.press("right", *["down"] * 40)
        assert screen.selected == (1, 31)
        await pilot.press("left")
        await pilot.pause()
        assert 31 in diagram.placement.columns[1].units  # the window follows the selection
        assert screen.query_one(NeuronInspector).size.width >= 30


async def test_the_loss_surface_is_computed_in_the_background():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        advance(app.session, 50)
        screen = await open_network(app, pilot)
        await pilot.press("L")
        await wait_until(lambda: isinstance(app.screen, LossSurfaceScreen) and app.screen.landscape is not None)
        surface = app.screen
        land = surface.landscape
        assert land.loss[10, 10] == app.session.trainer.evaluate().train_loss
        assert land.step == 50
        legend = str(surface.query_one("#surf-legend").render())
        assert f"{land.loss[10, 10]:.5g}" in legend and "on all 250 training rows" in legend
        await pilot.press("equals_sign")
        await wait_until(lambda: surface.landscape.alphas[-1] == 2.0)
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_palette_offers_the_network_view_and_the_loss_surface():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Network (n)" in titles and "Loss surface" in titles


async def test_a_big_train_set_is_measured_on_a_fixed_sample_and_says_so():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    trainer = Trainer.from_arrays(X, (X[:, 0] * X[:, 1] > 0).astype(np.int64), TrainConfig(hidden=(8,)))
    app = GradtuiApp(trainer=trainer)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "L")
        await wait_until(lambda: isinstance(app.screen, LossSurfaceScreen) and app.screen.landscape is not None)
        land = app.screen.landscape
        assert land.sampled and land.rows == 2000 and land.of_rows == len(trainer.data.X_train)
        legend = str(app.screen.query_one("#surf-legend").render())
        assert f"on a fixed sample of 2,000 of {land.of_rows:,} training rows" in legend


async def test_in_twin_mode_the_view_shows_the_run_the_keys_change():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        train = app.train_screen
        await wait_until(lambda: train.twin is not None)
        screen = await open_network(app, pilot)
        assert screen.session is train.target is train.twin.b
        await pilot.press("escape")
        await wait_until(lambda: app.screen is train)
        shown = train.refreshes
        await pilot.press("s")
        await wait_until(lambda: train.refreshes > shown)  # B's frames reach the training screen again


@pytest.mark.parametrize("keys_to", ["B", "A"])
async def test_in_twin_mode_the_view_of_either_run_moves_while_both_train(keys_to):
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *(["y"] if keys_to == "A" else []))
        train = app.train_screen
        screen = await open_network(app, pilot)
        assert screen.session is train.twin.sessions[keys_to]
        await keys(app, "space")
        await wait_until(lambda: train.twin.a.running and train.twin.b.running)
        redraws = screen.redraws
        await wait_until(lambda: screen.redraws > redraws + 3)  # new pictures while the other run trains too
        await keys(app, "space")
        await wait_until(lambda: not train.twin.busy)


async def test_a_deep_network_on_a_narrow_screen_and_a_diverged_run_still_draw():
    app = GradtuiApp(scenario=SCENARIOS["vanishing"])  # 2-16x6-2: eight columns at 80x24
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_network(app, pilot)
        assert len(screen.query_one(NetworkDiagram).placement.columns) == 8
        assert sum("▶" in row for row in diagram_text(screen)) == 1
    app = GradtuiApp(scenario=SCENARIOS["exploding"])
    async with app.run_test(size=(120, 40)) as pilot:
        while app.session.frame.halted is None:
            app.session.step()
        await pilot.press("n")
        await wait_until(lambda: isinstance(app.screen, NetworkScreen) and app.screen.picture is not None)
        await pilot.press("L")
        await wait_until(lambda: isinstance(app.screen, LossSurfaceScreen) and app.screen.landscape is not None)
        assert "NaN/Inf all over the plane" in str(app.screen.query_one("#surf-legend").render())


async def test_w_and_dw_side_by_side_where_they_fit_and_taking_turns_where_not():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        advance(app.session, 50)
        screen = await open_network(app, pilot)
        await pilot.press("s")
        await wait_until(lambda: screen.picture.step == 51)
        screen._draw()
        diagram = screen.query_one(NetworkDiagram)
        lay = diagram.placement
        assert lay.side_by_side and lay.entries == (2, 16, 16)  # nothing pooled at 120x40
        assert diagram_text(screen)[0].split().count("dW") == 2  # named over the two wide ones
        assert "matrices W | dW" in str(screen.query_one("#net-status").render())
        assert "W/dW" not in app.screen.query_one("Footer").render().__str__()
        cells = paint(screen.picture, lay, screen.selected, False)
        layer, right = screen.picture.layers[1], lay.columns[2]
        for b, values in enumerate((layer.W, layer.dW)):  # each block is its matrix, entry by entry
            x = lay.matrix_x(1) + b * (lay.gaps[1] + 1)
            row = right.top + 5 * right.th  # unit 5 of layer 1: its incoming weights
            expected = packed(diverging(values[:, 5], largest(values)))
            drawn = np.stack([cells.fg[row, x:x + 8], cells.bg[row, x:x + 8]], axis=1).ravel()
            assert (drawn == expected).all()
    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_network(app, pilot)
        assert not screen.query_one(NetworkDiagram).placement.side_by_side
        status = str(screen.query_one("#net-status").render())
        assert "matrices W (g: W/dW, too narrow for both)" in " ".join(status.split())
        assert diagram_text(screen)[0].split().count("dW") == 0
        await pilot.press("g")
        assert diagram_text(screen)[0].split().count("dW") == 3
        assert "matrices dW (g" in " ".join(str(screen.query_one("#net-status").render()).split())


def test_histograms_count_the_probe_outputs():
    rng = np.random.default_rng(1)
    values = np.column_stack([rng.normal(size=300), np.maximum(rng.normal(size=300), 0), np.full(300, 2.0)])
    heights, colours = histograms(values, 10, 23)
    for unit in range(2):
        counts, _ = np.histogram(values[:, unit], bins=10)
        assert (heights[unit] == np.ceil(counts / counts.max() * 23)).all()
    assert heights[2].tolist() == [0] * 5 + [23] + [0] * 4  # a constant: one bar, in the middle
    assert colours.shape == (3, 10, 3)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_digits_neurons_are_readable_histograms(size):
    config = SCENARIOS["default"].config
    app = GradtuiApp(trainer=Trainer(TrainConfig(**{**config.__dict__, "dataset": "digits"})))
    async with app.run_test(size=size) as pilot:
        screen = await open_network(app, pilot)
        lay = screen.query_one(NetworkDiagram).placement
        hidden = lay.columns[1]
        assert hidden.tw >= 5 and len(hidden.units) == 16  # five bins or more, every neuron
        rows = diagram_text(screen)
        tile = [rows[hidden.top + r][hidden.x:hidden.x + hidden.tw] for r in range(hidden.th)]
        assert any(set(line) & set("▁▂▃▄▅▆▇█") for line in tile)  # bars eight levels to a cell
        assert "outputs over 256 probe samples" in " ".join(str(screen.query_one("#net-status").render()).split())


@pytest.mark.parametrize("selection", [(0, 3), (1, 5), (2, 1)])
async def test_at_80x24_the_inspector_shows_its_essentials_without_scrolling(selection):
    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        advance(app.session, 150)
        screen = await open_network(app, pilot)
        layer, unit = selection
        await pilot.press(*["right"] * layer, *["down"] * unit)
        await pilot.pause()
        inspector = screen.query_one(NeuronInspector)
        text = inspector_text(screen)
        assert len(text.splitlines()) <= inspector.size.height and not inspector.show_vertical_scrollbar
        assert max(len(line) for line in text.splitlines()) <= inspector.content_region.width
        trace = app.session.trainer.trace(0)
        lt = trace.layers[layer]
        flat = " ".join(text.split())
        assert "z = Σ w·x + b = " in flat and f"f'(z) = {plain(lt.fprime[unit])}" in flat
        assert f"dL/dz = f'(z)×dL/da = {num(lt.fprime[unit])}×{num(lt.da[unit])} = {plain(lt.dz[unit])}" in flat
        w_x = lt.W[:, unit] * lt.x
        top = int(np.argmax(np.abs(w_x)))
        assert f"{num(lt.W[top, unit])}×{num(lt.x[top])}" in flat  # the largest term of z's sum
        if layer < 2:
            terms = chain_terms(trace, layer, unit)
            k = int(np.argmax(np.abs(terms)))
            after = trace.layers[layer + 1]
            assert f"{num(after.W[unit, k])}×{num(after.dz[k])}" in flat  # ... and of the chain rule's


async def test_frames_while_training_do_not_lay_the_screen_out_again():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_network(app, pilot)
        layouts = []
        original = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(1), original(*a, **k))[1]
        start = screen.redraws
        await keys(app, "space")
        await wait_until(lambda: screen.redraws >= start + 3, timeout=60)  # the start's one-off layouts are done
        layouts.clear()
        before = screen.redraws
        await wait_until(lambda: screen.redraws - before >= 4, timeout=60)  # frames, however slow they come
        await keys(app, "space")
        await wait_until(lambda: not app.session.busy)
        assert len(layouts) <= 1  # (it was one per frame: the status line and the inspector)
        assert len(str(screen.query_one("#net-status").render()).splitlines()) == 1
