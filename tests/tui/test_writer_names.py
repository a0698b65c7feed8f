"""Every file gradtui writes holds hostile names as data (issue 27): ``--out`` JSONL and CSV
(change descriptions naming data files), the share TOML (``S``), checkpoints' metadata, saved
points (``D``), checkpoints and exports written from the app into a folder with a hostile name
(the event log names them) and an SVG screenshot of that log. For each: the target's own
parser reads it, and the name reads back equal."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hostile_names import ISSUE_NAME, NOT_UTF8, file_names, hostile_names

from gradtui.engine import Dataset, TrainConfig, Trainer
from gradtui.engine.train.replay import to_toml
from gradtui.engine.train.runner import trainer_row
from gradtui.tui.cli.export import open_writer
from gradtui.tui.cli.main import main
from gradtui.tui.cli.settings import read_toml
from gradtui.tui.train.session import Session

NAMES = hostile_names(300)
FILE_NAMES = file_names(300)


def points(folder, name: str, seed: int = 0) -> str:
    """A CSV of 2-D classification points named ``name`` in ``folder``; its path."""
    rng = np.random.default_rng(seed)
    rows = "".join(f"{a!r},{b!r},{int(a * b > 0)}\n" for a, b in rng.normal(size=(30, 2)).tolist())
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("x0,x1,label\n" + rows)
    return path


def read_text(path) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        return fh.read()


# --- --out JSONL and CSV ---------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_out_rows_hold_every_change_description_exactly(suffix, tmp_path):
    trainer = Trainer(TrainConfig(hidden=(3,), n_samples=40))
    stats, evaluation = trainer.step(), trainer.evaluate()
    names = NAMES + [NOT_UTF8]
    changes = [[f"data {name} -> {names[-1 - i]}", name] for i, name in enumerate(names)]
    path = tmp_path / f"run{suffix}"
    with open_writer(str(path)) as writer:
        for change in changes:
            writer.write(trainer_row(stats, evaluation, change))
    text = read_text(path)
    if suffix == ".jsonl":
        read = [json.loads(line)["changes"] for line in text.split("\n")[:-1]]
        assert read == changes
    else:
        rows = list(csv.DictReader(_records(text)))
        assert [row["changes"] for row in rows] == ["; ".join(change) for change in changes]
        assert all(row["step"] == "1" for row in rows)


def _records(text: str) -> io.StringIO:
    """The text as csv.reader wants a file: opened with newline="" (a \\r in a cell kept)."""
    return io.StringIO(text, newline="")


def test_run_out_names_a_hostile_data_file_in_its_changes_column(tmp_path, monkeypatch, capsys):
    """``gradtui run --config`` with a planned change to a data file named by a classmate."""
    monkeypatch.chdir(tmp_path)
    first = points(tmp_path, "first.csv")
    for i, name in enumerate(FILE_NAMES[::30]):
        other = points(tmp_path, name + ".csv", seed=i + 1)
        config = TrainConfig(dataset=None, data=first, hidden=(3,), changes=({"step": 2, "data": other},))
        (tmp_path / "run.toml").write_text(to_toml(config), encoding="utf-8")
        for suffix in (".jsonl", ".csv"):
            out = tmp_path / f"out{i}{suffix}"
            assert main(["run", "--config", "run.toml", "--steps", "4", "--out", str(out)]) == 0
            text = read_text(out)
            if suffix == ".jsonl":
                cells = ["; ".join(json.loads(line)["changes"]) for line in text.split("\n")[:-1]]
            else:
                cells = [row["changes"] for row in csv.DictReader(_records(text))]
            assert sum(other in cell for cell in cells) == 1, (name, cells)
    capsys.readouterr()


# --- share TOML (S) ------------------------------------------------------------------------

def test_share_of_a_run_on_a_hostile_data_file_reads_back(tmp_path):
    for name in FILE_NAMES[::10]:
        data = points(tmp_path, name + ".csv")
        trainer = Trainer(TrainConfig(dataset=None, data=data, hidden=(3,)))
        session = Session(trainer, "default")
        session.share(str(tmp_path))
        [event] = [e for e in session.drain_events() if e.kind in ("share", "error")]
        assert event.kind == "share", event.text
        values = read_toml(event.path)
        assert values["data"] == data
        assert TrainConfig(**{**values, "dataset": None, "changes": ()}) == trainer.config


def test_share_refuses_a_path_toml_cannot_hold_in_one_line(tmp_path):
    data = points(tmp_path, NOT_UTF8)
    session = Session(Trainer(TrainConfig(dataset=None, data=data, hidden=(3,))), "default")
    before = set(os.listdir(tmp_path))
    session.share(str(tmp_path))
    [event] = [e for e in session.drain_events() if e.kind in ("share", "error")]
    assert event.kind == "error" and "not valid Unicode" in event.text and event.text.isprintable()
    assert set(os.listdir(tmp_path)) == before


# --- checkpoint metadata -------------------------------------------------------------------

def test_checkpoint_metadata_holds_every_name(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    path = str(tmp_path / "run.npz")
    for i, name in enumerate(NAMES[::3] + [NOT_UTF8]):
        trainer = Trainer(TrainConfig(dataset=None, hidden=(2,), batch_size=10),
                          Dataset.from_arrays(X, y, name=name))
        trainer.step()
        trainer.use_data(Dataset.from_arrays(X[::-1], y[::-1], name=NAMES[-1 - i]), NAMES[-1 - i])
        trainer.save(path)
        loaded = Trainer.load(path)
        assert loaded.data.name == NAMES[-1 - i]
        assert [c.text for c in loaded.changes] == [c.text for c in trainer.changes]
        assert NAMES[-1 - i] in loaded.changes[-1].text


# --- the app's files in a folder with a hostile name, the event log and a screenshot --------

FOLDERS = [n for n in FILE_NAMES if n not in (".", "..")][::12]


def test_app_files_land_in_a_hostile_folder_and_read_back(tmp_path):
    trainer = Trainer(TrainConfig(hidden=(3,), n_samples=40))
    trainer.run(3)
    session = Session(trainer, "default")
    for name in FOLDERS:
        folder = tmp_path / name
        folder.mkdir()
        session.save_checkpoint(str(folder))
        session.save_points(str(folder))
        session.export_network("numpy", str(folder))
        events = [e for e in session.drain_events() if e.path]
        assert [e.kind for e in events] == ["checkpoint", "export", "export"], [e.text for e in events]
        for event in events:
            assert os.path.dirname(event.path) == str(folder)
        ckpt, saved, exported = (e.path for e in events)
        assert Trainer.load(ckpt).step_count == 3
        assert len(Dataset.from_arrays(*_csv_points(saved)).X_train) > 0
        assert "SOURCE = " in read_text(exported)


def _csv_points(path: str) -> tuple[np.ndarray, np.ndarray]:
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    return rows[:, :2], rows[:, 2].astype(np.int64)


async def test_screenshot_of_hostile_file_names_in_the_event_log_is_xml(tmp_path):
    from gradtui.tui.app import GradtuiApp
    from gradtui.tui.widgets.event_log import EventLog

    app = GradtuiApp(Trainer(TrainConfig(hidden=(3,), n_samples=40)))
    async with app.run_test(size=(200, 60)) as pilot:
        session = app.screen.session
        names = ["\x1b[31mred\x1b[0m", "bell\x07", "\u202eevil", "<b>&amp;", ISSUE_NAME]
        for name in names:
            (tmp_path / name).mkdir()
            session.save_checkpoint(str(tmp_path / name))
        await pilot.pause()
        app.screen.show_latest()
        await pilot.pause()
        svg = app.export_screenshot()
        ET.fromstring(svg)  # every character XML can hold, every markup character escaped
        log = app.screen.query_one(EventLog)
        lines = ["".join(seg.text for seg in strip) for strip in log.lines]
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        assert any("\\u001b[31mred" in line for line in lines)


# --- the PyTorch bridge's record -----------------------------------------------------------

def test_torch_record_holds_hostile_module_names(tmp_path, tool):
    torch = tool("torch", "the watcher's record is written from a PyTorch model")
    from collections import OrderedDict

    from gradtui.torch import watch

    names = [n for n in NAMES if "." not in n][:20]  # torch refuses a module name with a dot
    model = torch.nn.Sequential(OrderedDict((name, torch.nn.Linear(2, 2)) for name in names))
    log = tmp_path / "run.jsonl"
    with watch(model, None, log=log, listen=False) as w:
        w.step(model(torch.ones(3, 2)).sum())
    header = json.loads(read_text(log).split("\n")[0])
    assert [layer["name"] for layer in header["layers"]] == names


async def test_a_hostile_data_name_on_screen_is_shown_not_obeyed():
    """The status line, the story and the output view name the data: as printable text."""
    from gradtui.tui.app import GradtuiApp

    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    name = "\x1b[2J\x1b[31mred[bold]\x07\u202e" + ISSUE_NAME + "\x00"
    trainer = Trainer(TrainConfig(dataset=None, hidden=(3,)),
                      Dataset.from_arrays(X, (X[:, 0] > 0).astype(np.int64), name=name))
    app = GradtuiApp(trainer)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        svg = app.export_screenshot()
    ET.fromstring(svg)
    assert "\\u001b[31mred[bold]" in svg.replace("&#160;", " ")


async def test_pressing_s_on_a_run_on_a_hostile_data_file_writes_a_share_that_replays(tmp_path, monkeypatch,
                                                                                     capsys):
    """The share event's promise holds whatever the data file is called: its TOML reads back
    and ``gradtui run --config`` trains the same numbers from it."""
    from gradtui.tui.app import GradtuiApp

    monkeypatch.chdir(tmp_path)
    data = points(tmp_path, ISSUE_NAME + '\x7f\n[evil]\nrun = "touch CANARY" 😀.csv')
    config = TrainConfig(dataset=None, data=data, hidden=(3,), seed=4)
    trainer = Trainer(config)
    losses = [float(trainer.step().loss) for _ in range(3)]
    app = GradtuiApp(trainer)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
    [shared] = list(tmp_path.glob("gradtui-*.toml"))
    assert read_toml(str(shared))["data"] == data
    out = tmp_path / "replay.jsonl"
    assert main(["run", "--config", str(shared), "--steps", "3", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in read_text(out).split("\n")[:-1]]
    assert [row["loss"] for row in rows if row["step"] in (1, 2, 3)] == losses
    capsys.readouterr()
