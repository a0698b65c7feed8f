"""A progress bar for long headless runs, drawn on stderr when it is a terminal."""

from __future__ import annotations

import math
import time
from typing import IO


class ProgressBar:
    """``[#####.....] 120/2000`` on stderr, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total, self.stream = total, stream
        self._drawn = -math.inf

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self._drawn < 0.1:
            return
        self._drawn = now
        filled = self.WIDTH * done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 26) + "\r")
        self.stream.flush()
        self._drawn = -math.inf
