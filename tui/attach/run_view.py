"""A watched run's past as the viewer keeps it, turned into the training screen's ``Frame``.

Rows come from the socket (``gradtui attach``) or a record file (``gradtui replay``), in
the format of ``gradtui.live.record``. ``RunView`` keeps what the panes need, as the
training screen's ``Timeline`` does for gradtui's own runs: the step history
(``MinMaxHistory``: loss, total gradient norm, each layer's), the flags as raised/cleared
events (``FlagTracker``), the steps where a control changed (the plots' marks) and the
last row; ``frame`` builds the same immutable ``Frame`` the panes already draw.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from gradtui.engine import Flag, TrainConfig
from gradtui.engine.textsafe import visible
from gradtui.live.record import RECORD_KIND

from gradtui.engine.run.frame import Frame, LayerView
from gradtui.engine.run.history import MinMaxHistory
from gradtui.engine.run.timeline import FlagTracker, MARKS_KEPT
from gradtui.engine.run.events import Event

THRESHOLD_KEYS = ("explode_norm", "explode_ratio", "vanish_ratio", "dead_fraction", "saturated_fraction",
                  "saturation_grad")


def _num(value: Any) -> float:
    """A row's number (null, i.e. NaN or Inf when written, is NaN here)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


class RunView:
    """Everything the screen shows about one watched run, fed row by row."""

    def __init__(self, header: dict[str, Any], live: bool = False) -> None:
        self.live = live
        """Live, the run tells of each change as it happens (``add_event``) and rows' ``changes``
        only mark the plots; from a record, the rows' changes are the events too."""
        self.name = str(header.get("run", "torch"))
        self.layers = [(str(x["name"]), int(x.get("width", 1))) for x in header["layers"]]
        thresholds = header.get("thresholds", {})
        self.thresholds = {k: float(thresholds[k]) for k in THRESHOLD_KEYS if isinstance(thresholds.get(k), (int, float))}
        self.steerable = bool(header.get("steerable", False))
        self.history = MinMaxHistory(2 + len(self.layers))
        self.flags = FlagTracker()
        self.marks: deque[int] = deque(maxlen=MARKS_KEPT)
        self.events: deque[Event] = deque(maxlen=400)
        self.last: dict[str, Any] | None = None
        self.units: dict[str, np.ndarray] = {}
        self.ratios: dict[str, float] = {}
        """Each layer's latest update/weight ratio (measured on probe steps only)."""
        self.step = 0
        self.paused = False
        self._config = self._make_config(None, None)

    @classmethod
    def is_header(cls, item: dict[str, Any]) -> bool:
        return item.get("kind") == RECORD_KIND

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.add_row(row)

    def add_row(self, row: dict[str, Any]) -> None:
        """One recorded step (or a trailing row of changes only)."""
        step = int(row["step"])
        for text in row.get("changes") or []:
            if self.live:
                self._mark(step)
            else:
                self.add_event(step, str(text), marked=True)
        if "loss" not in row:
            return
        layers = row.get("layers") or []
        norms = [_num(layer.get("grad_norm")) for layer in layers][:len(self.layers)]
        norms += [math.nan] * (len(self.layers) - len(norms))
        self.history.add(step, [_num(row.get("loss")), _num(row.get("grad_norm")), *norms])
        flags = [Flag(str(f.get("kind")), str(f.get("layer")), str(f.get("detail", "")))
                 for f in row.get("flags") or [] if isinstance(f, dict)]
        self.events.extend(self.flags.update(step, flags))
        if any(f.kind == "nonfinite" for f in flags) and not (self.last and _nonfinite(self.last)):
            self.events.append(Event(step, "nan", next(f"{f.layer}: {f.detail}" for f in flags if f.kind == "nonfinite")))
        for layer in layers:
            if isinstance(layer.get("update_ratio"), (int, float)):
                self.ratios[str(layer.get("name"))] = float(layer["update_ratio"])
        for name, codes in (row.get("units") or {}).items():
            if isinstance(codes, str) and codes.isdigit():
                self.units[name] = np.frombuffer(codes.encode(), dtype=np.uint8) - ord("0")
        self.last, self.step = row, step
        lr, clip = row.get("lr"), row.get("clip")
        if (lr, clip) != self._config_key:
            self._config = self._make_config(lr, clip)

    def add_event(self, step: int, text: str, marked: bool = False) -> None:
        """A change or a note from the run; ``marked``: a control changed (a mark on the plots)."""
        if text.startswith("paused"):
            self.paused = True
        elif text.startswith("resumed"):
            self.paused = False
        self.events.append(Event(step, "control", text))
        if marked:
            self._mark(step)

    def _mark(self, step: int) -> None:
        if not self.marks or self.marks[-1] != step:
            self.marks.append(step)

    def _make_config(self, lr: Any, clip: Any) -> TrainConfig:
        """A ``TrainConfig`` carrying what the panes read from one: thresholds, lr, clipping."""
        self._config_key = (lr, clip)
        settings: dict[str, Any] = dict(self.thresholds)
        if isinstance(lr, (int, float)) and lr > 0:
            settings["lr"] = float(lr)
        if isinstance(clip, (int, float)) and clip > 0:
            settings.update(clip_mode="norm", clip=float(clip))
        try:
            return TrainConfig(**settings)
        except ValueError:
            return TrainConfig()

    def frame(self, serial: int, *, running: bool, steps_per_s: float, points: int) -> Frame:
        """The screen's frame as of the last row."""
        empty = MinMaxHistory(2).view(points)
        return Frame(serial=serial, step=self.step, epoch=0.0, running=running, steps_per_s=steps_per_s,
                     config=self._config, batch_loss=_num(self.last.get("loss")) if self.last else None,
                     layers=self._layer_views(), steps=self.history.view(points), evals=empty,
                     evaluation=None, marks=tuple(self.marks), output=None, halted=None)

    def _layer_views(self) -> tuple[LayerView, ...]:
        rows = {layer.get("name"): layer for layer in (self.last or {}).get("layers") or []}
        whole = self.last is not None and any(
            f.get("kind") == "nonfinite" and f.get("layer") in ("loss", "model") for f in self.last.get("flags") or [])
        views = []
        for name, width in self.layers:
            row = rows.get(name, {})
            state = self.units.get(name, np.zeros(width, dtype=np.uint8)).astype(np.int8)
            badges = self.flags.for_layer(name)
            held = tuple(None if seen >= self.step else seen for seen in self.flags.last_held(name))
            grad_norm = _num(row.get("grad_norm")) if self.last is not None else None
            if whole or (grad_norm is not None and not math.isfinite(grad_norm)):
                badges += (Flag("nonfinite", name, "loss or gradient is NaN/Inf"),)
                held += (None,)
            views.append(LayerView(visible(name), len(state), grad_norm, self.ratios.get(name),
                                   int(row.get("dead", 0) or 0), int(row.get("saturated", 0) or 0), state,
                                   np.full(len(state), np.nan), badges, held))
        return tuple(views)


def _nonfinite(row: dict[str, Any]) -> bool:
    return any(isinstance(f, dict) and f.get("kind") == "nonfinite" for f in row.get("flags") or [])
