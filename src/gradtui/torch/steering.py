"""Steering a PyTorch run from the keys: the changes a viewer asks for, applied at a step boundary.

The lr keys move every param group's lr one rung on gradtui's 1-3-10 ladder; the clip keys
turn norm clipping on (applied by the watcher with ``torch.nn.utils.clip_grad_norm_``
itself, so exactly as PyTorch clips) and move its threshold on the clip ladder. A snapshot
copies the model's and the optimizer's state in memory when the user allowed it
(``snapshot_bytes``) and it fits; a rollback loads it back. Each change returns the line
that the event log, the plots' marks and the record show.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gradtui.engine.train.ladders import CLIP_LADDER, LR_LADDER, step_ladder

DEFAULT_CLIP = 1.0
"""The clip threshold when clipping is first turned on (the engine's default ``clip``)."""


@dataclass
class Snapshot:
    step: int
    model: dict[str, Any]
    optimizer: dict[str, Any] | None
    nbytes: int


def _state_bytes(state: Any) -> int:
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, dict):
        return sum(_state_bytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(_state_bytes(v) for v in state)
    return 0


class Steering:
    """The run's controls: clipping, lr moves, snapshot and rollback, skipping non-finite steps."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None, *,
                 clip: float | None, skip_nonfinite: bool, snapshot_bytes: int) -> None:
        self.model, self.optimizer = model, optimizer
        self.clip = clip
        self._last_clip = clip or DEFAULT_CLIP
        self.skip_nonfinite = skip_nonfinite
        self.snapshot_bytes = snapshot_bytes
        self.snapshot: Snapshot | None = None

    def lrs(self) -> list[float]:
        return [float(g["lr"]) for g in self.optimizer.param_groups] if self.optimizer else []

    def apply(self, action: str, step: int) -> str:
        """Apply one control (a ``gradtui.live.protocol.ACTIONS`` name other than pause/resume);
        the event line saying what happened (or why nothing did)."""
        if action in ("lr_up", "lr_down"):
            return self._move_lr(action == "lr_up")
        if action == "clip_toggle":
            if self.clip is None:
                self.clip = self._last_clip
                return f"clip norm {self.clip:g} on (clip_grad_norm_)"
            self._last_clip, self.clip = self.clip, None
            return "clip off"
        if action in ("clip_up", "clip_down"):
            if self.clip is None:
                return "clip is off; press x to turn it on"
            old, self.clip = self.clip, step_ladder(CLIP_LADDER, self.clip, action == "clip_up")
            self._last_clip = self.clip
            return f"clip {old:g} -> {self.clip:g}" if self.clip != old else f"clip {old:g} is at the end of its ladder"
        if action == "snapshot":
            return self._take_snapshot(step)
        if action == "rollback":
            return self._rollback()
        if action == "skip_nonfinite":
            self.skip_nonfinite = not self.skip_nonfinite
            return f"skip non-finite steps {'on' if self.skip_nonfinite else 'off'}"
        raise ValueError(f"unknown control {action!r}")

    def _move_lr(self, up: bool) -> str:
        if self.optimizer is None:
            return "no optimizer was given to watch(); the lr cannot move"
        old = self.lrs()
        for group in self.optimizer.param_groups:
            group["lr"] = step_ladder(LR_LADDER, float(group["lr"]), up)
        new = self.lrs()
        if new == old:
            return f"lr {_lrs(old)} is at the {'top' if up else 'bottom'} of its ladder"
        return f"lr {_lrs(old)} -> {_lrs(new)}"

    def _take_snapshot(self, step: int) -> str:
        if not self.snapshot_bytes:
            return "snapshots are off (watch(..., snapshot_bytes=N) allows them)"
        model = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        optim = copy.deepcopy(self.optimizer.state_dict()) if self.optimizer is not None else None
        size = _state_bytes(model) + _state_bytes(optim)
        if size > self.snapshot_bytes:
            return f"snapshot refused: {size / 2**20:.1f} MiB is over the {self.snapshot_bytes / 2**20:.1f} MiB allowed"
        self.snapshot = Snapshot(step, model, optim, size)
        return f"snapshot at step {step} ({size / 2**20:.1f} MiB in memory)"

    def _rollback(self) -> str:
        if self.snapshot is None:
            return "no snapshot to roll back to; press s first"
        self.restore(self.snapshot)
        return f"rolled back to the snapshot of step {self.snapshot.step} (lr and clip kept); this step's update is skipped"

    def restore(self, snap: Snapshot) -> None:
        """Put the model and the optimizer's state back as ``snap`` holds them (copies: ``snap``
        stays usable). The lrs stay as they are now: like the app's rewind, going back in time
        keeps the controls (loading an optimizer state dict would bring back its old lr)."""
        with torch.no_grad():
            self.model.load_state_dict(snap.model)
        if self.optimizer is not None and snap.optimizer is not None:
            lrs = self.lrs()
            self.optimizer.load_state_dict(copy.deepcopy(snap.optimizer))
            for group, lr in zip(self.optimizer.param_groups, lrs):
                group["lr"] = lr

    def hold(self, step: int) -> Snapshot:
        """The state as it is, to put back after a step that must not count (no size limit: one step)."""
        model = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        optim = copy.deepcopy(self.optimizer.state_dict()) if self.optimizer is not None else None
        return Snapshot(step, model, optim, 0)


def _lrs(lrs: list[float]) -> str:
    shown = sorted(set(lrs))
    return ",".join(f"{lr:g}" for lr in shown) if len(shown) <= 3 else f"{len(lrs)} groups"
