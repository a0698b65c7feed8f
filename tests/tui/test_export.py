"""Row writers: JSONL keeps the nesting, CSV flattens it, NaN/Inf stay valid, the table reads."""

from __future__ import annotations

import csv
import io
import json

import pytest

from gradtui.tui.cli.export import (NETWORK_COLUMNS, CsvWriter, JsonlWriter, Table, descent_columns,
                                flatten, open_writer)

NAN, INF = float("nan"), float("inf")


def network_row(loss=0.5, grad=1.25):
    return {
        "step": 3, "epoch": 0.25, "loss": loss, "test_loss": None, "accuracy": 0.75,
        "grad_norm": grad, "clipped": True, "lr": 0.01,
        "layers": [{"name": "layers.0", "grad_norm": grad, "update_ratio": 1e-3, "dead": 2, "saturated": 0},
                   {"name": "layers.1", "grad_norm": -INF, "update_ratio": 0.0, "dead": 0, "saturated": 1}],
        "flags": [{"kind": "dead", "layer": "layers.0"}, {"kind": "nonfinite", "layer": "loss"}],
    }


def strict_json(line: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(line, parse_constant=refuse)


def test_flatten_spreads_layers_by_name_and_joins_flags():
    flat = flatten(network_row())
    assert list(flat) == [
        "step", "epoch", "loss", "test_loss", "accuracy", "grad_norm", "clipped", "lr",
        "layers.0.grad_norm", "layers.0.update_ratio", "layers.0.dead", "layers.0.saturated",
        "layers.1.grad_norm", "layers.1.update_ratio", "layers.1.dead", "layers.1.saturated",
        "flags"]
    assert flat["flags"] == "dead:layers.0 nonfinite:loss"
    assert flat["layers.0.dead"] == 2


def test_flatten_numbers_lists_by_index():
    flat = flatten({"step": 1, "x": [1.5, -2.0], "f": 3.0, "grad": [0.1, 0.2], "step_size": 0.0})
    assert list(flat) == ["step", "x.0", "x.1", "f", "grad.0", "grad.1", "step_size"]


def test_jsonl_writes_non_finite_numbers_as_null_and_keeps_the_nesting():
    out = io.StringIO()
    writer = JsonlWriter(out)
    writer.write(network_row(loss=NAN, grad=INF))
    writer.write(network_row())
    lines = out.getvalue().splitlines()
    first, second = strict_json(lines[0]), strict_json(lines[1])
    assert first["loss"] is None and first["grad_norm"] is None
    assert first["layers"][1]["grad_norm"] is None
    assert second["layers"][0] == network_row()["layers"][0]
    assert second["flags"] == network_row()["flags"]


def test_csv_writes_a_header_once_and_numbers_that_read_back_exactly():
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.write(network_row(loss=0.1 + 0.2))
    writer.write(network_row(loss=NAN, grad=INF))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert float(rows[0]["loss"]) == 0.1 + 0.2
    assert rows[0]["test_loss"] == ""
    assert (rows[1]["loss"], rows[1]["grad_norm"], rows[1]["layers.1.grad_norm"]) == ("nan", "inf", "-inf")
    assert out.getvalue().count("step,epoch") == 1


@pytest.mark.parametrize("name, kind", [("run.jsonl", JsonlWriter), ("RUN.CSV", CsvWriter)])
def test_open_writer_picks_the_format_by_suffix(tmp_path, name, kind):
    with open_writer(str(tmp_path / name)) as writer:
        assert isinstance(writer, kind)
        assert list(tmp_path.iterdir())[0].name.startswith(".gradtui-")  # a temp file until the end
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["run.txt", "run"])
def test_open_writer_rejects_other_suffixes_without_creating_a_file(tmp_path, name):
    with pytest.raises(ValueError, match="valid: a file ending in .jsonl or .csv"):
        with open_writer(str(tmp_path / name)):
            pass
    assert not (tmp_path / name).exists()


def test_network_table_shows_flags_by_layer_index():
    out = io.StringIO()
    table = Table(NETWORK_COLUMNS, out)
    table.header()
    table.write(network_row())
    header, line = out.getvalue().splitlines()
    assert header.split()[:4] == ["step", "loss", "test_loss", "acc"]
    assert line.split()[:4] == ["3", "0.5", "-", "75.0%"]
    assert line.endswith("dead:0 nonfinite:loss")


def test_descent_table_prints_full_float64_repr():
    out = io.StringIO()
    Table(descent_columns(1), out).write(
        {"step": 20, "x": [0.11529215046068471], "f": 0.013292279957849162, "grad": [0.23058430092136942]})
    assert out.getvalue().split() == ["20", "0.11529215046068471", "0.013292279957849162",
                                      "0.23058430092136942"]
