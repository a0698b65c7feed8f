"""Controls under ``torch.distributed``: rank 0 hears the viewers, every rank applies the same.

At each step boundary rank 0 broadcasts the controls that arrived (a small integer
tensor, over a gloo group so that an NCCL run needs no device sync for it) and every rank
applies them in the same order before the same step, so the ranks never diverge. While
rank 0 is paused the others wait in that broadcast. Without an initialised process group
(or with one process) nothing is sent.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from gradtui.live.protocol import ACTIONS

SLOTS = 16
"""Controls carried per step boundary; more wait for the next one."""


class ControlSync:
    """Shares rank 0's controls with every rank, once per step."""

    def __init__(self) -> None:
        self.active = dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
        self.rank = dist.get_rank() if self.active else 0
        self._group = None
        if self.active and dist.get_backend() != "gloo":
            self._group = dist.new_group(backend="gloo")

    def share(self, actions: list[str]) -> list[str]:
        """Rank 0's ``actions`` (at most ``SLOTS``) on every rank; the other ranks' are ignored."""
        codes = torch.zeros(SLOTS + 1, dtype=torch.int64)
        if self.rank == 0 and actions:
            codes[0] = len(actions)
            codes[1:1 + len(actions)] = torch.tensor([ACTIONS.index(a) for a in actions], dtype=torch.int64)
        dist.broadcast(codes, src=0, group=self._group)
        return [ACTIONS[int(c)] for c in codes[1:1 + int(codes[0])]]
