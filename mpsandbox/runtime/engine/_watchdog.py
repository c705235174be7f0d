"""One background thread that fires a callback when a turn outlives its wall-clock deadline."""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Callable


class Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, fire: Callable[[], None]) -> int:
        with self._cond:
            token = next(self._ids)
            earliest = self._heap[0][0] if self._heap else None
            if len(self._heap) > 4 * len(self._live) + 64:  # drop disarmed entries now and then
                self._heap = [e for e in self._heap if e[1] in self._live]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline, token, fire))
            self._live.add(token)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mpsandbox-watchdog", daemon=True)
                self._thread.start()
            # wake the thread only when it sleeps past the new deadline (deadlines mostly grow, so rarely)
            if earliest is None or deadline < earliest:
                self._cond.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._live.discard(token)

    def after_fork(self) -> None:
        """In a forked child: the thread is gone and its lock may be held; start afresh."""
        self.__init__()  # type: ignore[misc]

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token, fire = self._heap[0]
                delay = deadline - time.perf_counter()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                try:
                    fire()
                except Exception:  # pragma: no cover - a watchdog must not die
                    pass


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG.after_fork)
