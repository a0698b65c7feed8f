"""The watcher: gradtui's statistics and flags on a PyTorch training loop, and its steering.

``w.step(loss)`` comes after ``loss.backward()`` and before ``optimizer.step()``. It
measures on the tensors' own device (per-layer gradient norms every recorded step; weight
norms, update/weight ratios and dead/saturated units on probe steps, every
``probe_every`` recorded steps as the engine probes; functional activations through
``FunctionalProbe``), and turns the numbers into rows a batch at a time, each once its
copy reached the host, without waiting for the device (``DeviceReading``). The flags come
from the engine's rules (``gradient_flags``, ``unit_flags``, ``nonfinite_flags``): one
implementation for gradtui's own networks and for yours. With no control used the watcher only reads: the
weights come out bit-identical to a run without it.

Controls from a viewer (``gradtui attach``) are applied at the next ``w.step``: a pause
blocks there until resumed (or until the last viewer leaves), the rest go through
``Steering``. Under ``torch.distributed`` rank 0 publishes and every rank applies the same
controls at the same step (``distributed``).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from torch import nn

from gradtui.engine import TrainConfig
from gradtui.engine.optim.clip import clip_coefficient
from gradtui.engine.train.health import Thresholds, gradient_flags, nonfinite_flags, unit_flags
from gradtui.live.protocol import VERSION
from gradtui.live.record import RECORD_KIND
from gradtui.live.rundir import new_run, remove_run
from gradtui.live.server import LiveServer
from gradtui.torch.distributed import SLOTS, ControlSync
from gradtui.torch.functional import FunctionalProbe, compiled
from gradtui.torch.layers import Layer, find_layers
from gradtui.torch.reading import DeviceReading
from gradtui.torch.steering import Snapshot, Steering

logger = logging.getLogger("gradtui.torch")

FLUSH_EVERY = 1.0
"""Seconds between flushes of the record file."""
ROWS_AT_ONCE = 8
"""Readings turned into rows together (or ``ROWS_EVERY`` seconds after the last batch,
whichever comes first): a batch of rows costs the training thread about half as much as
the same rows made one at a time between the model's kernels, with their caches cold."""
ROWS_EVERY = 0.1
"""Seconds a viewer waits at most for a finished step's row on a slow run."""
LATE = 2
"""Readings beyond a full batch that may wait for their device copy before ``values`` waits."""
THRESHOLDS = ("explode_norm", "explode_ratio", "vanish_ratio", "dead_fraction", "saturated_fraction",
              "saturation_grad")


class Watcher:
    """Watches one model and optimizer; see ``watch``."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 log: str | Path | None = None, every: int = 1, probe_every: int = 10,
                 name: str | None = None, listen: bool = True, thresholds: Thresholds | None = None,
                 clip: float | None = None, skip_nonfinite: bool = False, snapshot_bytes: int = 0,
                 functional: bool = True, overwrite: bool = False) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch: expected a torch.nn.Module, got {type(model).__name__}")
        for label, value in (("every", every), ("probe_every", probe_every)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"watch: {label} must be a whole number of steps, 1 or more (got {value!r})")
        self.model, self.optimizer = model, optimizer
        self.layers: list[Layer] = find_layers(model)
        self.every, self.probe_every = every, probe_every
        self.thresholds = thresholds if thresholds is not None else TrainConfig()
        self.steering = Steering(model, optimizer, clip=clip, skip_nonfinite=skip_nonfinite,
                                 snapshot_bytes=snapshot_bytes)
        self.step_count = 0
        self.paused = False
        self._params = [p for layer in self.layers for p in layer.params]
        self._owner = [i for i, layer in enumerate(self.layers) for _ in layer.params]
        self._sync = ControlSync()
        self._publishing = self._sync.rank == 0
        self._readings: deque[DeviceReading] = deque()
        self._before: list[torch.Tensor] | None = None  # the weights before a probe step's update
        self._probe_pending = False
        self._held: Snapshot | None = None  # the state to put back after this step (skipped)
        self._changes: list[tuple[int, str]] = []  # (the step it is recorded with, what changed)
        self._units: list[tuple[int, int]] = [(0, 0)] * len(self.layers)
        self._inbox: deque[str] = deque()
        self._wake = threading.Condition()
        self._viewers = 0
        self._closed = False
        for layer in self.layers:
            if layer.activation is not None:
                layer.activation.saturation_grad = self.thresholds.saturation_grad
        if functional and compiled(model):
            functional = False
            logger.warning("gradtui: %s is torch.compile'd: functional activations (F.relu...) are not "
                           "looked for (it would recompile); activation modules still are", type(model).__name__)
        self._functional = (FunctionalProbe(model, self.layers, self.thresholds.saturation_grad)
                            if functional else None)
        self._next_probe = False  # armed in the training thread, from the first step on
        if log is not None and Path(log).exists() and not overwrite:
            raise FileExistsError(f"watch: log {log} already exists; give another name or overwrite=True")
        self.name = name or "torch"
        self.server: LiveServer | None = None
        if listen and self._publishing:
            self.info = new_run(name)
            self.name = self.info.name
        self._record: IO[str] | None = self._open_record(log) if self._publishing else None
        self._flushed = self._rows_at = time.monotonic()
        self._hook = optimizer.register_step_post_hook(self._after_update) if optimizer is not None else None
        if listen and self._publishing:
            self.server = LiveServer(self.info, self.header(), self._control, self._viewers_now)
            logger.info("gradtui: watching run %s; see it with: gradtui attach %s", self.info.name, self.info.name)

    # --- the record -----------------------------------------------------------------------

    def header(self) -> dict[str, Any]:
        """What a viewer or a replay needs to know before the first row."""
        return {"run": self.name,
                "layers": [{"name": layer.name, "width": layer.width} for layer in self.layers],
                "thresholds": {k: float(getattr(self.thresholds, k)) for k in THRESHOLDS},
                "steerable": self.optimizer is not None, "every": self.every}

    def _open_record(self, path: str | Path | None) -> IO[str] | None:
        if path is None:
            return None
        stream = Path(path).open("w", encoding="utf-8")
        stream.write(json.dumps({"v": VERSION, "kind": RECORD_KIND, **self.header()}) + "\n")
        return stream

    # --- one step -------------------------------------------------------------------------

    def step(self, loss: torch.Tensor | float) -> None:
        """Measure this step (after ``backward``, before ``optimizer.step``) and apply the
        controls that arrived; blocks here while the run is paused."""
        if self._closed:
            raise RuntimeError("watch: step() after close()")
        if self._functional is not None:
            self._functional.disarm()
        self._settle()
        if len(self._readings) >= ROWS_AT_ONCE or time.monotonic() - self._rows_at >= ROWS_EVERY:
            self._finish(wait=False)
        self._steer()
        self.step_count += 1
        k = self.step_count
        recorded = k % self.every == 0 or k == 1
        probing = recorded and self._probe_count(k) % self.probe_every == 0
        reading = (DeviceReading(k, loss, self.steering.lrs(), self._owner, len(self.layers), self.steering.clip)
                   if recorded else None)
        if reading is not None:
            reading.measure_grads(self._params)
            if probing:
                reading.take_units(self.layers, self._functional.take() if self._functional is not None else {})
                self._keep_weights()
        if self.steering.clip is not None:
            total = nn.utils.clip_grad_norm_(self._params, self.steering.clip)
            if reading is not None:
                reading.clip_total = total
        if self.steering.skip_nonfinite and self._held is None and not self._finite(loss):
            self._held = self.steering.hold(k)
            self._changes.append((k, f"step {k} skipped: loss or gradients not finite"))
        if reading is not None:
            self._readings.append(reading)
            if self.optimizer is None or not probing:  # only a probe needs the update
                reading.finish_measuring(self._params, None)
        self._next_probe = self._probe_count(k + 1) % self.probe_every == 0 and (k + 1) % self.every == 0
        self._arm(self._next_probe)
        if self.optimizer is None:
            self._arm_functional()

    def _keep_weights(self) -> None:
        """Copy the weights before a probe step's update, into buffers made once (the update
        ratio needs them; allocating 2 copies' worth of memory on every probe cost more)."""
        with torch.no_grad():
            if self._before is None:
                self._before = [torch.empty_like(p) for p in self._params]
            torch._foreach_copy_(self._before, [p.detach() for p in self._params])
        self._probe_pending = True

    def _probe_count(self, k: int) -> int:
        """Which recorded step ``k`` is (0 for the first), so probes fall on every probe_every-th."""
        return 0 if k == 1 else k // self.every

    def _arm(self, on: bool) -> None:
        for layer in self.layers:
            if layer.activation is not None:
                layer.activation.armed = on

    def _arm_functional(self) -> None:
        """Before a probe step's forward (after the update, so the optimizer's own calls do not
        pass through it), start seeing functional activations; the next ``w.step`` stops."""
        if self._functional is not None and self._next_probe:
            self._functional.arm()

    def _finite(self, loss: torch.Tensor | float) -> bool:
        """True when the loss and every gradient are finite (reads the device: this option syncs)."""
        grads = [p.grad for p in self._params if p.grad is not None]
        total = torch.stack(torch._foreach_norm(grads)).sum() if grads else torch.zeros(())
        value = torch.as_tensor(loss, dtype=torch.float64).detach().cpu() + total.detach().double().cpu()
        return bool(torch.isfinite(value))

    def _after_update(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        """The optimizer stepped: put back a skipped step's state, measure the update."""
        with torch.no_grad():
            if self._held is not None:
                self.steering.restore(self._held)
                self._held = None
            reading = self._readings[-1] if self._readings else None
            if reading is not None and reading.step == self.step_count and not reading.measured:
                reading.finish_measuring(self._params, self._before if self._probe_pending else None)
                self._probe_pending = False
        self._arm_functional()

    def _settle(self) -> None:
        """The optimizer did not step after the last ``w.step`` (none given, or a step it
        skipped): that reading is complete without an update."""
        if self._readings and not self._readings[-1].measured:
            self._readings[-1].finish_measuring(self._params, None)
        self._probe_pending = False

    def _finish(self, wait: bool) -> None:
        """Turn the readings whose numbers reached the host into rows (all of them if
        ``wait``). Without ``wait``, a reading whose device copy has not landed is left for a
        later step, unless more than ``ROWS_AT_ONCE + LATE`` are waiting (then the oldest is
        waited for: the device is that many steps behind the loop)."""
        self._rows_at = time.monotonic()
        rows = []
        while self._readings:
            reading = self._readings[0]
            if not (wait or reading.ready() or len(self._readings) > ROWS_AT_ONCE + LATE):
                break
            self._readings.popleft()
            rows.append(self._row(reading))
        if rows and self._publishing:
            if self._record is not None:
                self._record.writelines(json.dumps(row, allow_nan=False) + "\n" for row in rows)
                now = time.monotonic()
                if now - self._flushed >= FLUSH_EVERY:  # a killed run still leaves its record
                    self._record.flush()
                    self._flushed = now
            if self.server is not None:
                self.server.publish(rows)

    def _row(self, reading: DeviceReading) -> dict[str, Any]:
        """The step's row, with the engine's flags; the same columns as ``gradtui run --out``."""
        values = reading.values()
        names = [layer.name for layer in self.layers]
        norms = [math.sqrt(v) if v >= 0 else math.nan for v in values.grad_sq]
        total = math.sqrt(sum(values.grad_sq)) if all(math.isfinite(v) for v in values.grad_sq) else math.nan
        if values.units is not None:
            self._units = [(int((s == 1).sum()), int((s == 2).sum())) if s is not None else (0, 0)
                           for s in values.units]
        widths = [len(s) if s is not None else layer.width
                  for s, layer in zip(values.units or [None] * len(self.layers), self.layers)]
        flags = (nonfinite_flags(values.loss, names, norms) + gradient_flags(self.thresholds, names, norms)
                 + unit_flags(self.thresholds, names, widths, self._units))
        clipped = (values.clip_total is not None and math.isfinite(values.clip_total)
                   and clip_coefficient(values.clip_total, reading.clip) < 1.0)
        layers = []
        for i, (name, norm) in enumerate(zip(names, norms)):
            wsq, usq = values.weight_sq[i], values.update_sq[i]
            wn = math.sqrt(wsq) if wsq == wsq else None
            layers.append({"name": name, "grad_norm": _num(norm), "weight_norm": _num(wn),
                           "update_ratio": _num(math.sqrt(usq) / wn if wn and usq == usq else (0.0 if wn == 0 else None)),
                           "dead": self._units[i][0], "saturated": self._units[i][1]})
        row: dict[str, Any] = {"step": reading.step, "loss": _num(values.loss), "grad_norm": _num(total),
                               "clipped": bool(clipped), "clip": reading.clip,
                               "lr": reading.lrs[0] if reading.lrs else None,
                               "lrs": reading.lrs, "layers": layers,
                               "flags": [{"kind": f.kind, "layer": f.layer, "detail": f.detail} for f in flags],
                               "changes": [text for at, text in self._changes if at <= reading.step]}
        if values.units is not None:
            row["units"] = {name: _digits(s) for name, s in zip(names, values.units)
                            if s is not None}
            row["activations"] = {names[i]: source for i, source in sorted(reading.sources.items())}
        self._changes = [(at, text) for at, text in self._changes if at > reading.step]
        return row

    # --- controls -------------------------------------------------------------------------

    def _control(self, action: str) -> None:
        """A viewer's control (the server's reader thread): queued for the next boundary."""
        with self._wake:
            self._inbox.append(action)
            self._wake.notify_all()

    def _viewers_now(self, count: int) -> None:
        """The number of viewers changed; when the last one leaves a paused run, it resumes."""
        with self._wake:
            self._viewers = count
            if count == 0 and self.paused:
                self._inbox.append("resume")
            self._wake.notify_all()

    def _steer(self) -> None:
        """Apply the controls that arrived, at this step boundary; wait here while paused."""
        if not (self._inbox or self.paused or self._sync.active):
            return  # the usual step: nothing to apply (a control arriving now waits for the next)
        while True:
            with self._wake:
                actions = list(self._inbox)
                self._inbox.clear()
                if self._sync.active:
                    self._inbox.extend(actions[SLOTS:])
            if self._sync.active:
                actions = self._sync.share(actions[:SLOTS])
            for action in actions:
                self._apply(action)
            if not self.paused:
                return
            self._finish(wait=True)  # while paused, the viewer and the record have every row
            if self._record is not None:
                self._record.flush()
            if self._publishing:
                with self._wake:
                    if not self._inbox:
                        self._wake.wait(0.25)

    def snapshot(self) -> None:
        """Ask for a snapshot at the next step boundary (what the s key does)."""
        self._control("snapshot")

    def pause(self) -> None:
        """Ask the run to pause at the next step boundary (what the space key does)."""
        self._control("pause")

    def resume(self) -> None:
        self._control("resume")

    def _apply(self, action: str) -> None:
        step = self.step_count
        if action == "pause":
            if self.paused:
                return
            self.paused, text = True, f"paused before step {step + 1}"
        elif action == "resume":
            if not self.paused:
                return
            self.paused, text = False, "resumed"
        elif action == "rollback":
            text = self.steering.apply(action, step)
            if self.steering.snapshot is not None:
                self._held = self.steering.snapshot
        else:
            text = self.steering.apply(action, step)
        self._changes.append((step + 1, text))
        if self.server is not None:
            self.server.note(step, text)

    # --- the end --------------------------------------------------------------------------

    def close(self) -> None:
        """Write the last rows, stop listening, remove the hooks. Safe to call twice."""
        if self._closed:
            return
        self._settle()
        self._finish(wait=True)
        self._closed = True
        if self._functional is not None:
            self._functional.disarm()
        if self._hook is not None:
            self._hook.remove()
        for layer in self.layers:
            if layer.activation is not None:
                layer.activation.remove()
        if self.server is not None:
            self.server.close()
            remove_run(self.info)
        if self._record is not None:
            if self._changes:
                self._record.write(json.dumps({"step": self.step_count,
                                               "changes": [text for _, text in self._changes]}) + "\n")
            self._record.close()

    def __enter__(self) -> "Watcher":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _digits(states: np.ndarray) -> str:
    """Unit states (small whole numbers) as a string of digits, one a unit."""
    return (states.astype(np.uint8) + ord("0")).tobytes().decode("ascii")


def _num(value: float | None) -> float | None:
    """A JSON-safe number: NaN and Inf become null (as in ``gradtui run --out`` files)."""
    return value if value is not None and math.isfinite(value) else None


def watch(model: nn.Module, optimizer: torch.optim.Optimizer | None = None, **options: Any) -> Watcher:
    """Watch ``model`` trained by ``optimizer``: call ``w.step(loss)`` after ``loss.backward()``
    and before ``optimizer.step()``, and ``w.close()`` at the end (or use ``with``).

    Options: ``log`` (a JSON Lines record, one row per recorded step; an existing file is
    not replaced unless ``overwrite=True``), ``every`` (record every N steps), ``probe_every``
    (weight norms, update ratios and units every N recorded steps; default 10), ``name``
    (the run's name for ``gradtui attach``), ``listen`` (False: no socket), ``thresholds``
    (a ``TrainConfig`` or any object with the flag thresholds), ``clip`` (norm clipping from
    the start), ``skip_nonfinite`` (leave out a step whose loss or gradients are not finite;
    reads the device every step), ``snapshot_bytes`` (memory a snapshot may take; 0: none),
    ``functional`` (False: do not look for ``F.relu``-style calls on probe steps).
    """
    return Watcher(model, optimizer, **options)
