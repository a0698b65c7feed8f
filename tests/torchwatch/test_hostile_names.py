"""A module's name is the user's (``model.add_module("\\x1b[2J...", ...)`` is legal): the record
keeps it exactly, and the attach/replay screen shows it as printable text, never obeyed
(no terminal escape, no bell, no line break, no Rich markup)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
from torch import nn  # noqa: E402

from gradtui.torch import watch  # noqa: E402
from gradtui.tui.attach.app import RunApp  # noqa: E402
from gradtui.tui.attach.replay import ReplaySource  # noqa: E402
from gradtui.tui.attach.screen import RunScreen  # noqa: E402
from nets import batches, train  # noqa: E402

HOSTILE = "\x1b[2J\x1b[31mred\x07bell\nline[bold]tag[/]"
SHOWN = "\\u001b[2J\\u001b[31mred\\u0007bell\\u000aline[bold]tag[/]"
RUN = "run\x1b]0;title\x07[reverse]"


def hostile_record(path, layer=HOSTILE):
    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict([(layer, nn.Linear(20, 32)), ("act", nn.ReLU()), ("out", nn.Linear(32, 3))]))
    with torch.no_grad():
        model[0].bias[:] = -100.0  # every unit dead: the flags pane names the layer too
    opt = torch.optim.SGD(model.parameters(), 0.1)
    with watch(model, opt, log=path, listen=False, name=RUN) as w:
        w._control("lr_up")
        train(model, opt, batches(model, 3), w)


def test_the_record_round_trips_the_exact_names(tmp_path):
    hostile_record(tmp_path / "run.jsonl")
    lines = (tmp_path / "run.jsonl").read_text().splitlines()
    assert len(lines) == 4  # a line break in a name stays inside its JSON string
    header, *rows = [json.loads(line) for line in lines]
    assert header["run"] == RUN and [x["name"] for x in header["layers"]] == [HOSTILE, "out"]
    assert all(row["layers"][0]["name"] == HOSTILE for row in rows)
    assert ("dead", HOSTILE) in [(f["kind"], f["layer"]) for f in rows[0]["flags"]]
    assert list(rows[0]["units"]) == [HOSTILE] and rows[0]["activations"] == {HOSTILE: "act"}


async def test_the_replay_screen_shows_hostile_names_as_text(tmp_path):
    hostile_record(tmp_path / "run.jsonl")
    app = RunApp(ReplaySource(str(tmp_path / "run.jsonl")), replay=True)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        svg = app.export_screenshot()
        texts = [str(widget.render()) for widget in screen.query("Static")]
    ET.fromstring(svg)  # no character XML cannot hold (ESC, BEL)
    shown = svg.replace("&#160;", " ")
    assert SHOWN in shown  # the layer, as text: in the health pane, the plot's legend, the flags
    assert shown.count(SHOWN) >= 3
    assert "run\\u001b]0;title\\u0007[reverse]" in shown  # the run's name in the status line
    assert not any(c in text for text in texts for c in "\x1b\x07")


async def test_the_gradient_plots_legend_shows_a_layer_name_as_text(tmp_path):
    """The legend names each layer when the names fit (a short name here): as text, not markup."""
    from rich.text import Text

    from gradtui.tui.train.plots import GradPlot

    hostile_record(tmp_path / "run.jsonl", layer="fc[bold]1[/]\x07")
    app = RunApp(ReplaySource(str(tmp_path / "run.jsonl")), replay=True)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("left")  # redrawn once the plot has its width
        await pilot.pause()
        legend = app.screen.query_one(GradPlot)._titles[1]
    assert "━ fc[bold]1[/]\\u0007" in Text.from_markup(legend).plain
