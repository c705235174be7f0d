"""One background thread that fires a callback when a turn outlives a deadline (wall clock), and the backstop it
serves: a turn stops when the engine's thread has spent its CPU time, or, for true stalls, at a much later wall
deadline."""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Callable, Optional

# A callback answers when to look again (a perf_counter time), or None when it is done.
Fire = Callable[[], Optional[float]]


class Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Fire]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, fire: Fire) -> int:
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
                try:
                    again = fire()
                except Exception:  # pragma: no cover - a watchdog must not die
                    again = None
                if again is not None and token in self._live:
                    heapq.heappush(self._heap, (again, token, fire))  # the same token: disarm still ends it
                else:
                    self._live.discard(token)


WATCHDOG = Watchdog()


def thread_cpu_clock() -> int:
    """The CPU-time clock of the calling thread, readable from any thread (time.clock_gettime)."""
    return time.pthread_getcpuclockid(threading.get_ident())


class Backstop:
    """When a turn must stop whatever its deterministic budget says: the calling thread (the engine's) has spent
    ``cpu_s`` seconds of CPU time since :meth:`start` (load on the machine does not count: a turn waiting for a
    core spends none), or ``wall_s`` seconds have passed (a stall: the thread is blocked or never scheduled).

    :meth:`arm` has the watchdog nudge the engine (``nudge``: its next interrupt poll checks) once either is due;
    it looks at the thread's CPU time when the CPU deadline could first have come and again as long as it has not.
    """

    def __init__(self, cpu_s: float, wall_s: float) -> None:
        self.cpu_s, self.wall_s = cpu_s, wall_s
        self._clock: int | None = None  # the engine thread's CPU clock (a clock id; Linux's are negative)
        self.cpu0 = self.wall0 = 0.0
        self._token: int | None = None

    def start(self) -> None:
        """On the engine's thread, as its turn begins."""
        self._clock = thread_cpu_clock()
        self.cpu0 = time.clock_gettime(self._clock)  # the clock the watchdog reads too
        self.wall0 = time.perf_counter()

    def cpu_spent(self) -> float:
        """Seconds of CPU time the engine's thread has spent this turn (from any thread)."""
        return time.clock_gettime(self._clock) - self.cpu0 if self._clock is not None else 0.0

    def due(self) -> str | None:
        """"cpu" or "wall" when the turn must stop (the CPU time first), else None."""
        if self.cpu_spent() >= self.cpu_s:
            return "cpu"
        if time.perf_counter() - self.wall0 >= self.wall_s:
            return "wall"
        return None

    def arm(self, nudge: Callable[[], None]) -> None:
        self.disarm()
        wall_deadline = self.wall0 + self.wall_s

        def fire() -> float | None:
            if self.due() is not None:
                nudge()
                return None
            # CPU time runs no faster than the wall clock: the earliest the CPU deadline can come
            left = self.cpu_s - self.cpu_spent()
            return min(time.perf_counter() + max(left, 0.005), wall_deadline)

        self._token = WATCHDOG.arm(min(self.wall0 + self.cpu_s, wall_deadline), fire)

    def disarm(self) -> None:
        if self._token is not None:
            WATCHDOG.disarm(self._token)
            self._token = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG.after_fork)
