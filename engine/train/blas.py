"""The engine's BLAS thread limit: its matrix products run on a fixed number of threads.

Why. OpenBLAS starts one thread per core and hands every large enough product to all
of them. For the engine's small matrices the hand-off costs more than it saves, and
when another process (or the app's own UI thread) keeps a core busy, a product waits
for the busy core: measured here on 2 cores, 64-128-64-10 fell from 1,842 to 167 steps/s
and 784-128-10 from 384 to 36. Results also differ in the last bits between one and two
threads, so a seed would not fix a run across machines. One thread for the engine's own
work fixes both (``TrainConfig.blas_threads``, default 1; see the README's Speed section
for when more threads pay).

How. ``BlasLimit`` sets the count through threadpoolctl when the engine starts work and
puts the caller's setting back when it is done, so NumPy code outside the engine keeps
its own. Setting costs a few microseconds (more under load), so a run or a worker loop
holds one limit around many steps; the per-call limit that ``Trainer.step`` takes inside
it is then a counter increment. OpenBLAS's thread count is one number for the whole
process: while the engine holds the limit, BLAS calls in other threads of the same
process get it too. Holders in several threads share one limit (the last to leave
restores), whichever thread set it.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_local = threading.local()  # .stack: this thread's open limits; .holding: how many of them are registered
_holders = 0  # registered limits across all threads
_threads: int | None = None  # the count in force while any is registered
_saved: list[int | None] = []  # the caller's counts, one per BLAS library, put back at the end
_libraries: list[Any] | None = None  # threadpoolctl's controllers of the loaded BLAS libraries


def blas_libraries() -> list[Any]:
    """threadpoolctl's controllers for the BLAS libraries loaded in this process (found
    once, on first use: threadpoolctl is imported only when the engine starts work)."""
    global _libraries
    if _libraries is None:
        from threadpoolctl import ThreadpoolController
        _libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    return _libraries


def _set(counts: list[int | None]) -> None:
    """Set each library's thread count from this thread, whichever thread set it last
    (threadpoolctl lets one thread at a time change OpenBLAS; the engine's holders hand
    that role on between themselves under ``_lock``)."""
    from threadpoolctl import OpenBLASController
    OpenBLASController.clear_controlling_thread(force=True)
    for library, count in zip(blas_libraries(), counts):
        if count is not None:
            library.set_num_threads(count)
    OpenBLASController.clear_controlling_thread(force=True)


class BlasLimit:
    """A reusable, re-entrant context manager: BLAS on at most ``threads`` threads inside.

    Re-entering in a thread that already holds the same limit costs a list append.
    ``threads=None`` leaves BLAS as the process has it. A holder in one thread never
    changes the count another thread is computing with: the first count in force stays
    until every holder has left (within one thread, an inner limit applies and the outer
    one comes back after it).
    """

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads
        if threads is not None:
            blas_libraries()  # found now, once, so the first limited call is not the one to pay

    def __enter__(self) -> "BlasLimit":
        global _holders, _threads, _saved
        if not hasattr(_local, "stack"):
            _local.stack, _local.holding = [], 0
        stack = _local.stack
        if self.threads is None or (_local.holding and _threads == self.threads):
            stack.append(None)
            return self
        with _lock:
            if _holders == 0:
                _saved = [library.get_num_threads() for library in blas_libraries()]
            previous = _threads
            if previous is None or _local.holding:
                _set([self.threads] * len(blas_libraries()))
                _threads = self.threads
            _holders += 1
        _local.holding += 1
        stack.append((previous,))
        return self

    def __exit__(self, *exc: object) -> None:
        global _holders, _threads
        entry = _local.stack.pop()
        if entry is None:
            return
        (previous,) = entry
        with _lock:
            _holders -= 1
            _local.holding -= 1
            if _holders == 0:
                _set(_saved)
                _threads = None
            elif _local.holding and previous is not None and previous != _threads:
                _set([previous] * len(blas_libraries()))
                _threads = previous
