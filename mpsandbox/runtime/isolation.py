"""Walks in a child process, so that nothing a bundle does to the engine or the host stops the review.

A walk runs in a child forked from the reviewer, with limits on its memory and CPU, and is killed when a turn runs
past its wall budget (a builtin that never polls the interrupt) or the whole walk past its own. The child writes
its record after every turn to a memory file that outlives it, as JSON the reviewer validates (the child runs
hostile code: its record is data, never pickles). When the child dies, by a signal (an abort or a crash in the engine), a
MemoryError or RecursionError in host code, or the reviewer's kill, the walk ends with the record received so far,
marked ``crashed`` (a ``walk-crashed`` note says what happened, on which page and in which step); the review
rejects it with a stability finding.

Fork, not spawn or forkserver: the child starts from the reviewer's warm state (imported modules, the compiled
wasm module and its framework snapshot, the native library), so a walk costs a few milliseconds more, not a fresh
interpreter's half second. Fork is safe here because the child touches only what the engine modules reset after a
fork (their watchdog and epoch threads and locks) and ends with ``os._exit``; it works from a Dask worker's thread
too (``os.fork`` is not ``multiprocessing``, which refuses children of daemonic workers).
"""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import json
import mmap
import os
import resource
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_json

from .engine import EngineUnavailable
from .environment import Environment
from .sandbox import RunLimits, Sandbox
from ..trace import Event, NoteEvent, RunEnd, RunStats, Trace, Turn, clip
from .walker import PageView, WalkBudgets, Walker, WalkLog, WalkResult, _launch_to_ready

if TYPE_CHECKING:
    from ..bundle import Bundle

ISOLATION_AVAILABLE = hasattr(os, "fork") and sys.platform.startswith("linux")
MiB = 1024 * 1024
STALL_GRACE_S = 1.0  # a turn may run this long past twice its wall budget before its process is killed
STALL_WALL_FACTOR = 10  # a process neither spinning nor progressing is killed after this many stall budgets
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MAX_FRAME_BYTES = 512 * MiB
MAX_STREAM_BYTES = 512 * MiB  # the record one walk's process may write (RLIMIT_FSIZE)
MAX_RECORD_ITEMS = 500_000  # events and turns: more than the record's byte budget lets a walk keep

# Test-only: JSON {"turn": N or "label": text, "do": "abort"|"segv"|"kill"|"hang"|"spin"|"pause"|"memory"|"recursion"}
# ("pause": waits "seconds", then goes on). The walk's
# process does that when the turn starts (as an engine fault would), so tests need not rely on an engine bug.
TEST_FAULT_ENV = "MPSANDBOX_TEST_WALK_FAULT"


@dataclass(frozen=True)
class ProcessLimits:
    """What one walk's process may spend."""

    stall_s: float  # a turn (or the host work between turns) running longer is killed
    walk_s: float  # the whole walk
    data_bytes: int  # memory the process may add to what it started with (RLIMIT_DATA)
    cpu_s: int  # CPU seconds (RLIMIT_CPU)


def _process_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) a live process has spent so far, from /proc; 0.0 when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def process_limits(limits: RunLimits | None, budgets: WalkBudgets | None, pages: int) -> ProcessLimits:
    """Limits derived from the walk's own: twice the turn's wall budget, the whole walk's CPU budget three times
    over (plus a minute), the engines' memory with headroom for the host."""
    limits = limits or RunLimits()
    budgets = budgets or WalkBudgets()
    cpu_total_s = max(limits.cpu_ms_total, budgets.page_cpu_ms * (pages + 2)) / 1000.0
    walk_s = 3 * cpu_total_s + 60.0
    data = max(1024 * MiB, int(limits.memory_bytes * 1.25) + 384 * MiB)
    return ProcessLimits(stall_s=2 * limits.wall_ms_per_turn / 1000.0 + STALL_GRACE_S, walk_s=walk_s,
                         data_bytes=data, cpu_s=int(walk_s) + 1)


@dataclass(frozen=True)
class WalkProgress:
    """Where a walk is, for a progress display: its turn, the page on top and the step (``tap go``, ``timer``)."""

    turn: int
    page: str | None
    step: str
    elapsed_s: float


ProgressFn = Callable[[WalkProgress], None]
PROGRESS_EVERY_S = 0.2  # at most this often


def run_walk(bundle: Bundle, *, isolated: bool = True, limits_of_process: ProcessLimits | None = None,
             on_progress: ProgressFn | None = None, **walker_args: Any) -> WalkResult:
    """One walk of ``bundle`` (``walker_args`` are :class:`Walker`'s), in a child process when ``isolated``.

    Whatever the bundle does, a :class:`WalkResult` comes back; a walk that did not end normally has a trace that
    ends ``crashed``. Only mpsandbox's own faults raise (an engine that cannot run here: EngineUnavailable).
    ``on_progress`` is called every :data:`PROGRESS_EVERY_S` or so while the walk runs."""
    if isolated and ISOLATION_AVAILABLE:
        warm_engine(walker_args.get("engine", "native"), walker_args.get("limits"))
        pages = len(bundle.pages)
        plimits = limits_of_process or process_limits(walker_args.get("limits"), walker_args.get("budgets"), pages)
        return _Child(bundle, walker_args, plimits, on_progress).run()
    return _run_in_process(bundle, walker_args, on_progress)


class WalkHandle:
    """A walk submitted to a :class:`WalkPool`."""

    def __init__(self, bundle: Bundle, walker_args: dict[str, Any], on_progress: ProgressFn | None,
                 on_source: Callable[[], None] | None, limits_of_process: ProcessLimits | None):
        self.bundle, self.walker_args, self.on_progress = bundle, walker_args, on_progress
        self.on_source = on_source
        self.limits_of_process = limits_of_process
        self.child: _Child | None = None
        self.result: WalkResult | None = None
        self.cancelled = False


class WalkPool:
    """Walks of a review, run at the same time in their own processes, as many as the cores allow.

    A walk is :meth:`submit`-ted and its result taken with :meth:`wait`, which drives every running walk (their
    budgets, kills and progress) until that one ends, and starts queued walks as others end. ``on_source`` is
    called (from :meth:`wait`, in the reviewer's thread) as soon as a running walk has handed out a sensitive
    source, so that its differential twin can start before it ends. Each walk is the same walk it would be alone:
    only the order in which they run changes. Without isolation the walks run one by one in this process, when
    waited for."""

    def __init__(self, isolated: bool = True, parallel: int | None = None):
        self.isolated = isolated and ISOLATION_AVAILABLE
        self.parallel = max(1, parallel if parallel is not None else _cores())
        self.queue: list[WalkHandle] = []
        self.running: list[WalkHandle] = []

    def submit(self, bundle: Bundle, *, on_progress: ProgressFn | None = None,
               on_source: Callable[[], None] | None = None, limits_of_process: ProcessLimits | None = None,
               **walker_args: Any) -> WalkHandle:
        handle = WalkHandle(bundle, walker_args, on_progress, on_source, limits_of_process)
        self.queue.append(handle)
        if self.isolated:
            self._fill()
        return handle

    def cancel(self, handle: WalkHandle) -> None:
        """Drop a walk: killed if it runs, never started if it waits."""
        handle.cancelled = True
        if handle in self.queue:
            self.queue.remove(handle)
        if handle in self.running:
            self.running.remove(handle)
            assert handle.child is not None
            handle.child.abandon()
            self._fill()

    def wait(self, handle: WalkHandle) -> WalkResult:
        if handle.cancelled:
            raise ValueError("the walk was cancelled")
        if not self.isolated:
            if handle.result is None:
                self.queue.remove(handle)
                handle.result = _run_in_process(handle.bundle, handle.walker_args, handle.on_progress)
            return handle.result
        try:
            while handle.result is None:
                self._fill()
                waits, ended = [], False
                for h in list(self.running):
                    assert h.child is not None
                    wait = h.child.poll()
                    if h.on_source is not None and h.child.source_read():
                        on_source, h.on_source = h.on_source, None
                        on_source()
                    if wait is None:
                        self.running.remove(h)
                        h.result = h.child.finish()
                        ended = True
                    else:
                        waits.append((wait, h.child))
                if handle.result is None and waits and not ended:
                    _sleep_any(waits)
        except BaseException:
            self.close()
            raise
        return handle.result

    def close(self) -> None:
        """Kill whatever still runs (a review that failed, or ended without these walks)."""
        for h in self.running + self.queue:
            h.cancelled = True
            if h.child is not None:
                h.child.abandon()
        self.running, self.queue = [], []

    def _fill(self) -> None:
        while self.queue and len(self.running) < self.parallel:
            h = self.queue.pop(0)
            warm_engine(h.walker_args.get("engine", "native"), h.walker_args.get("limits"))
            plimits = h.limits_of_process or process_limits(h.walker_args.get("limits"),
                                                            h.walker_args.get("budgets"), len(h.bundle.pages))
            h.child = _Child(h.bundle, h.walker_args, plimits, h.on_progress)
            h.child.start()
            self.running.append(h)


WALK_PROCESSES_ENV = "MPSANDBOX_WALK_PROCESSES"  # walks of one review run at once (default: the cores)


def _cores() -> int:
    configured = os.environ.get(WALK_PROCESSES_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover
        return os.cpu_count() or 1


def _sleep_any(waits: list[tuple[float, _Child]]) -> None:
    """Until one of the children ends, or the shortest wait is over."""
    fds = [c.ended for _, c in waits if c.ended >= 0]
    wait = min(w for w, _ in waits)
    if fds:
        select.select(fds, [], [], wait)
    else:  # pragma: no cover
        time.sleep(min(wait, 0.02))


_warmed: set[tuple[str, Any]] = set()


def warm_engine(engine: str, limits: RunLimits | None) -> None:
    """Load the frameworks once in this process, so that every walk's process inherits them compiled (native
    bytecode, wasm memory snapshots) instead of compiling them again and losing that work when it exits."""
    limits = limits or RunLimits()
    key = (engine, limits.engine_limits())
    if key in _warmed:
        return
    _warmed.add(key)
    from ..apis.catalogue import load_catalogue
    from .engine import create_engine
    from .sandbox import FRAMEWORK_FILE, _framework_source
    from .view.realm import warm_view

    eng = create_engine(engine, limits.engine_limits())
    try:
        eng.load_trusted(_framework_source(), FRAMEWORK_FILE)
    finally:
        eng.close()
    warm_view(engine)
    load_catalogue()


# ---- the walk, observed turn by turn ----------------------------------------------------------------------------
class _ObservedWalker(Walker):
    """A Walker whose sandboxes report each turn to ``observe(sandbox, task_or_None)``."""

    def __init__(self, bundle: Bundle, observe: Any, **kwargs: Any):
        super().__init__(bundle, **kwargs)
        self._observe = observe
        self.sandboxes: list[Sandbox] = []

    def _make_sandbox(self) -> Sandbox:
        sb = super()._make_sandbox()
        self.sandboxes.append(sb)
        sb.turn_observer = lambda task: self._observe(sb, task)
        return sb


def _run_in_process(bundle: Bundle, walker_args: dict[str, Any], on_progress: ProgressFn | None = None) -> WalkResult:
    """The walk in this process (the testing API, debugging): host memory and recursion faults still end it as
    crashed; an engine abort or a runaway builtin cannot be survived here."""
    step: dict[str, Any] = {}
    t0 = time.perf_counter()
    shown = [t0]

    def observe(sb: Sandbox, task: Any) -> None:
        if task is not None:
            step.update(_step_of(sb, task))
            now = time.perf_counter()
            if on_progress is not None and now - shown[0] >= PROGRESS_EVERY_S:
                shown[0] = now
                on_progress(WalkProgress(step["turn"], step["page"], step["step"], now - t0))

    walker = _ObservedWalker(bundle, observe, **walker_args)
    try:
        return walker.run()
    except (MemoryError, RecursionError) as exc:
        what = _host_fault_text(type(exc).__name__, str(exc))
        sb = walker.sandboxes[-1] if walker.sandboxes else None
        trace = sb.trace if sb is not None else _empty_trace(bundle, walker_args)
        return _crashed(trace, walker.log, what, step, (time.perf_counter() - t0) * 1000.0,
                        units_per_ms=sb.engine.info.units_per_ms if sb is not None and sb.engine else 1.0)


def _step_of(sb: Sandbox, task: Any) -> dict[str, Any]:
    top = sb.router.top
    return {"turn": sb._turn_index + 1, "t": max(sb.now, task.t), "page": top.route if top else None,
            "step": clip(f"{task.op} {task.label or ''}".strip(), 200)}


def _host_fault_text(name: str, message: str) -> str:
    if name == "MemoryError":
        return "the host ran out of memory (MemoryError)"
    if name == "RecursionError":
        return f"the host recursed too deep (RecursionError: {clip(message, 200)})"
    return f"the host failed ({name}: {clip(message, 300)})"


def _empty_trace(bundle: Bundle, walker_args: dict[str, Any]) -> Trace:
    return Trace(bundle=bundle.name, platform=bundle.platform,
                 engine=str(walker_args.get("engine", "native")), cpu_unit="", seed=int(walker_args.get("seed", 0)))


def _crashed(trace: Trace, log: WalkLog, what: str, step: dict[str, Any], wall_ms: float, *,
             units_per_ms: float, peak_rss: int = 0, fault: dict[str, Any] | None = None) -> WalkResult:
    """The walk's result from what was recorded before it died: the trace ends ``crashed``, a note says how."""
    where = f" during {step['step']!r}" if step.get("step") else ""
    where += f" on {step['page']}" if step.get("page") else ""
    detail = f"{what}{where}"
    last = trace.events[-1] if trace.events else None
    seq = last.seq + 1 if last is not None else 0
    t = int(step.get("t") or (trace.turns[-1].t if trace.turns else 0))
    turn = int(step.get("turn") if step.get("turn") is not None else len(trace.turns))
    trace.events.append(NoteEvent(seq=seq, turn=turn, t=t, page=step.get("page"), code="walk-crashed",
                                  message=detail, data={**(fault or {}), **step}))
    trace.end = RunEnd(reason="crashed", detail=detail, turns=len(trace.turns), t=t,
                       cpu_units=sum(x.cpu_units for x in trace.turns),
                       peak_memory_bytes=max((x.memory_bytes for x in trace.turns), default=0),
                       dropped_events=0)
    if log.stopped_early is None:
        log.stopped_early = f"crashed: {detail}"
    stats = RunStats(wall_ms=wall_ms, turns=len(trace.turns), peak_rss_bytes=peak_rss)
    return WalkResult(trace=trace, log=log, stats=stats, views={}, launch_to_ready_ms=_launch_to_ready(trace),
                      units_per_ms=units_per_ms)


# ---- the protocol between the walk's process and the reviewer ---------------------------------------------------
class _Header(BaseModel):
    trace: Trace  # no events or turns: the walk's identity (engine, cpu unit)
    units_per_ms: float


class _Turns(BaseModel):
    events: list[Event]
    turns: list[Turn]
    # the walk's log; unless log_whole, its list fields hold only the items added since the last frame's
    log: WalkLog | None = None
    log_whole: bool = False


_LOG_LISTS = tuple(name for name, f in WalkLog.model_fields.items() if f.annotation == list[str])


def log_delta(log: WalkLog, sent: dict[str, tuple[list[str], int]]) -> tuple[WalkLog, bool]:
    """The log with each list cut to what was added since ``sent`` (each list and its length when last sent,
    updated), and whether it is whole instead (a list was replaced or shrank; the walker's lists only grow in
    place or are replaced): a walk of 300 pages re-sending its whole log at every handler it fired wrote 512 MB."""
    lists = {name: getattr(log, name) for name in _LOG_LISTS}
    whole = any(name in sent and (sent[name][0] is not items or sent[name][1] > len(items))
                for name, items in lists.items())
    cut = {name: items[0 if whole else sent[name][1] if name in sent else 0:] for name, items in lists.items()}
    sent.update({name: (items, len(items)) for name, items in lists.items()})
    return log.model_copy(update=cut), whole


def merge_log(base: WalkLog, delta: WalkLog) -> WalkLog:
    return delta.model_copy(update={name: getattr(base, name) + getattr(delta, name) for name in _LOG_LISTS})


class _Done(BaseModel):
    trace: Trace  # the events and turns not streamed yet, and the end
    events_from: int  # streamed events that belong to this trace (all, unless the walk made a new sandbox)
    turns_from: int
    log: WalkLog
    stats: RunStats
    views: dict[str, PageView]
    launch_to_ready_ms: int | None
    units_per_ms: float
    environment: Environment | None = None
    sources_read: list[str] = []
    # streamed events whose counts grew after they were sent (caps, folded repeats), by their place in the record
    amended: dict[int, Event] = {}
    amended_turns: dict[int, Turn] = {}


class _Fault(BaseModel):
    name: str
    message: str


_FRAMES: dict[bytes, TypeAdapter] = {b"H": TypeAdapter(_Header), b"T": TypeAdapter(_Turns),
                                     b"D": TypeAdapter(_Done), b"F": TypeAdapter(_Fault)}
_FRAME_HEAD = struct.Struct("<cI")
# the shared page: when the walk last made progress, the turn it is in, its virtual time, then "step\x1fpage"
_MARK = struct.Struct("<dqqH")
_MARK_TEXT = 2000
_SOURCE_FLAG = 4095  # the shared page's last byte: 1 once the walk has handed out a sensitive source


class _Child:
    """The reviewer's side: fork, watch the clocks while the walk runs, then read its record and reap it."""

    def __init__(self, bundle: Bundle, walker_args: dict[str, Any], limits: ProcessLimits,
                 on_progress: ProgressFn | None = None):
        self.bundle = bundle
        self.on_progress = on_progress
        self.walker_args = walker_args
        self.limits = limits
        self.header: _Header | None = None
        self.events: list[Any] = []
        self.turns: list[Turn] = []
        self.log = WalkLog(mode=walker_args.get("mode", "allow"))
        self.done: _Done | None = None
        self.fault: _Fault | None = None
        self.broken: str | None = None  # the record could not be read
        self.stream = -1

    def run(self) -> WalkResult:
        self.start()
        try:
            while (wait := self.poll()) is not None:
                self.sleep(wait)
        except BaseException:
            self.abandon()
            raise
        return self.finish()

    # The record goes to a memory file: the child writes each turn as it ends without waking the reviewer,
    # and whatever it wrote survives its death. The reviewer reads it once the child has ended.
    def start(self) -> None:
        """Fork the walk's process (from the reviewer's main thread: the child starts from its warm state)."""
        self.stream = os.memfd_create("mpsandbox-walk")
        self.marks = mmap.mmap(-1, 4096)
        self.t0 = time.monotonic()
        _MARK.pack_into(self.marks, 0, self.t0, -1, 0, 0)
        gc.freeze()  # the child's collections leave the inherited objects (and their pages) alone
        pid = os.fork()
        if pid == 0:  # the walk's process: never returns
            _child_main(self.bundle, self.walker_args, self.limits, self.stream, self.marks)
        gc.unfreeze()
        self.pid = pid
        try:
            self.ended = os.pidfd_open(pid)  # readable once the child has exited
        except (AttributeError, OSError):  # pragma: no cover - kernels before 5.3: poll instead
            self.ended = -1
        self.killed: str | None = None
        self.status, self.usage = 0, None
        self.exited = False
        self._shown = self.t0
        self._seen_mark: float | None = None
        self._cpu_at_mark = 0.0
        self.wall_ms = 0.0

    def source_read(self) -> bool:
        """The walk has handed out a sensitive source (the child flags it as it happens)."""
        return self.marks[_SOURCE_FLAG] == 1

    def poll(self) -> float | None:
        """One look at the running child: kill it past its budgets; None once it has ended (reaped), else how
        long to wait before the next look."""
        if self.exited:
            return None
        done, status, usage = _reap(self.pid, os.WNOHANG)
        if done:
            return self._ended(status, usage)
        now = time.monotonic()
        marks, t0 = self.marks, self.t0
        if self.on_progress is not None and now - self._shown >= PROGRESS_EVERY_S:
            self._shown = now
            step = _read_step(marks)
            if step:
                self.on_progress(WalkProgress(step["turn"], step["page"], step["step"], now - t0))
        mark = _MARK.unpack_from(marks, 0)[0]
        last = min(max(mark, t0), now)
        # A turn without progress is judged by the CPU the walk's process spent since its last mark (a
        # builtin that never polls the interrupt spins): on a loaded machine the process waits for a core,
        # and that wait is not the bundle's. A process that stops without spinning is still ended, after
        # STALL_WALL_FACTOR times as long in wall time.
        cpu = _process_cpu_s(self.pid)
        if mark != self._seen_mark:
            self._seen_mark, self._cpu_at_mark = mark, cpu
        killed = None
        if now - t0 > self.limits.walk_s:
            killed = f"the walk ran past its wall budget ({self.limits.walk_s:.0f} s)"
        elif cpu - self._cpu_at_mark > self.limits.stall_s:
            killed = (f"a turn ran past its wall budget ({self.limits.stall_s:.1f} s of CPU time without "
                      "progress)")
        elif now - last > self.limits.stall_s * STALL_WALL_FACTOR:
            killed = (f"a turn ran past its wall budget "
                      f"({self.limits.stall_s * STALL_WALL_FACTOR:.1f} s without progress)")
        elif os.fstat(self.stream).st_size > MAX_STREAM_BYTES:
            killed = f"the walk's record passed {MAX_STREAM_BYTES // MiB} MB"
        if killed is not None:
            self.killed = killed
            _kill(self.pid)
            _, status, usage = _reap(self.pid, 0)
            return self._ended(status, usage)
        return max(0.005, min(self.limits.stall_s - (cpu - self._cpu_at_mark), self.limits.walk_s - (now - t0),
                              PROGRESS_EVERY_S if self.on_progress is not None else 0.25))

    def _ended(self, status: int, usage: Any) -> None:
        self.exited = True
        self.status, self.usage = status, usage
        self.wall_ms = (time.monotonic() - self.t0) * 1000.0
        if self.ended >= 0:
            os.close(self.ended)
            self.ended = -1
        return None

    def sleep(self, wait: float) -> None:
        """Wait for the child to end, at most ``wait`` seconds."""
        if self.ended >= 0:
            select.select([self.ended], [], [], wait)
        else:  # pragma: no cover
            time.sleep(min(wait, 0.02))

    def abandon(self) -> None:
        """Kill the child and let its record go (a walk the review no longer needs, or the reviewer's own fault)."""
        if not self.exited:
            _kill(self.pid)
            _reap(self.pid, 0)
            self._ended(0, None)
        self._close()

    def _close(self) -> None:
        if self.stream >= 0:
            os.close(self.stream)
            self.stream = -1
            self.marks.close()

    def finish(self) -> WalkResult:
        """The walk's result, once :meth:`poll` said the child has ended."""
        try:
            self._read(self.stream)
            step = _read_step(self.marks)
        finally:
            self._close()
        usage = self.usage
        peak_rss = int(usage.ru_maxrss) * 1024 if usage is not None else 0
        if self.done is not None:  # the whole record arrived: how the process ended after it does not matter
            return self._result(self.wall_ms, peak_rss)
        if self.fault is not None and self.fault.name == "EngineUnavailable":
            raise EngineUnavailable(self.fault.message)
        return self._crash(self.status, self.killed, step, self.wall_ms, peak_rss)

    def _read(self, stream: int) -> None:
        """The frames the child wrote, validated (the child ran hostile code: its record is data to check)."""
        offset = 0
        size = os.fstat(stream).st_size
        while offset + _FRAME_HEAD.size <= size:
            kind, length = _FRAME_HEAD.unpack(os.pread(stream, _FRAME_HEAD.size, offset))
            adapter = _FRAMES.get(kind)
            if adapter is None or length > MAX_FRAME_BYTES:
                self.broken = f"frame {kind!r} of {length} bytes"
                return
            start = offset + _FRAME_HEAD.size
            if start + length > size:
                return  # cut short by the child's death
            try:
                frame = adapter.validate_json(os.pread(stream, length, start))
            except ValueError as exc:
                self.broken = clip(str(exc).splitlines()[0], 200)
                return
            offset = start + length
            if isinstance(frame, _Header):
                self.header = frame
            elif isinstance(frame, _Turns):
                self.events += frame.events
                self.turns += frame.turns
                if frame.log is not None:
                    self.log = frame.log if frame.log_whole else merge_log(self.log, frame.log)
                if len(self.events) + len(self.turns) > MAX_RECORD_ITEMS:
                    self.broken = f"more than {MAX_RECORD_ITEMS} events and turns"
                    return
            elif isinstance(frame, _Done):
                self.done = frame
            else:
                self.fault = frame

    def _result(self, wall_ms: float, peak_rss: int) -> WalkResult:
        done = self.done
        assert done is not None
        trace = done.trace
        trace.events[:0] = self.events[:done.events_from]
        for i, event in done.amended.items():
            if 0 <= i < done.events_from and trace.events[i].kind == event.kind and trace.events[i].seq == event.seq:
                trace.events[i] = event
        trace.turns[:0] = self.turns[:done.turns_from]
        for i, turn in done.amended_turns.items():
            if 0 <= i < done.turns_from and trace.turns[i].index == turn.index:
                trace.turns[i] = turn
        done.stats.peak_rss_bytes = peak_rss
        return WalkResult(trace=trace, log=done.log, stats=done.stats, views=done.views,
                          launch_to_ready_ms=done.launch_to_ready_ms, units_per_ms=done.units_per_ms,
                          environment=done.environment, sources_read=done.sources_read)

    def _crash(self, status: int, killed: str | None, step: dict[str, Any], wall_ms: float,
               peak_rss: int) -> WalkResult:
        fault: dict[str, Any] = {}
        if killed is not None:
            what = f"killed: {killed}"
            fault["kind"] = "timeout" if "wall budget" in killed else "record-size"
        elif self.fault is not None:
            what = _host_fault_text(self.fault.name, self.fault.message)
            fault.update(kind="host", error=self.fault.name)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            what = f"the walk's process was killed by {_signal_name(sig)}"
            if sig == signal.SIGXCPU:
                what += " (its CPU time limit)"
            elif sig == signal.SIGXFSZ:
                what += f" (its record passed {MAX_STREAM_BYTES // MiB} MB)"
            fault.update(kind="signal", signal=_signal_name(sig))
        else:
            what = f"the walk's process exited with status {os.WEXITSTATUS(status)} before the walk ended"
            fault["kind"] = "exit"
        if self.broken and killed is None:
            what += f"; its record was unreadable ({self.broken})"
        if self.header is not None:
            trace = self.header.trace.model_copy(update={"events": self.events, "turns": self.turns})
            units = self.header.units_per_ms
        else:
            trace = _empty_trace(self.bundle, self.walker_args)
            trace.events, trace.turns = self.events, self.turns
            units = 1.0
        return _crashed(trace, self.log, what, step, wall_ms, units_per_ms=units, peak_rss=peak_rss, fault=fault)


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int, flags: int) -> tuple[bool, int, Any]:
    """(ended, wait status, resource usage) of the child."""
    try:
        got, status, usage = os.wait4(pid, flags)
    except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler that waits for everything)
        return True, 0, None
    return got == pid, status, usage


def _read_step(marks: mmap.mmap) -> dict[str, Any]:
    """The turn the walk was in when it ended (written by the child, so read as untrusted bytes)."""
    _, turn, t, n = _MARK.unpack_from(marks, 0)
    if turn < 0:
        return {}
    text = bytes(marks[_MARK.size:_MARK.size + min(n, _MARK_TEXT)]).decode("utf-8", "replace")
    step, _, page = text.partition("\x1f")
    return {"turn": turn, "t": t, "step": clip(step, 200), "page": clip(page, 300) or None}


# ---- the walk's process ------------------------------------------------------------------------------------------
def _child_main(bundle: Bundle, walker_args: dict[str, Any], limits: ProcessLimits, fd: int, marks: mmap.mmap) -> None:
    code = 0
    try:
        _limit_self(limits)
        _Streamer(fd, marks).walk(bundle, walker_args)
    except BaseException as exc:  # noqa: BLE001 - whatever happened is reported, then the process ends
        code = 1
        try:
            _send(fd, b"F", _Fault(name=type(exc).__name__, message=clip(str(exc), 2000)).model_dump_json())
        except BaseException:  # noqa: BLE001 - no memory or no reader: the exit status says enough
            pass
    finally:
        os._exit(code)


def _limit_self(limits: ProcessLimits) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the reviewer's to handle: it kills this process
    faulthandler.disable()  # a crash here is reported as a finding, not as a traceback on the reviewer's terminal
    for sig in (signal.SIGTERM, signal.SIGPIPE, signal.SIGXCPU, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    try:  # die with the reviewer
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)  # the record file
    if hard == resource.RLIM_INFINITY or hard > MAX_STREAM_BYTES:
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_STREAM_BYTES, hard))
    data = _vm_data_bytes()
    if data:
        cap = data + limits.data_bytes
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = used + limits.cpu_s
    if hard == resource.RLIM_INFINITY or cpu < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _vm_data_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _send(fd: int, kind: bytes, payload: str | bytes) -> None:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    view = memoryview(_FRAME_HEAD.pack(kind, len(data)) + data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:  # pragma: no cover
            continue
        view = view[n:]


class _Streamer:
    """The child's side: walk, send each turn's events as it ends, then the result."""

    def __init__(self, fd: int, marks: mmap.mmap):
        self.fd = fd
        self.marks = marks
        self.current: Sandbox | None = None
        self.sent_events = 0
        self.sent_turns = 0
        self.sent_log: tuple = ()
        self.sent_log_items: dict[str, tuple[list[str], int]] = {}
        self.walker: _ObservedWalker | None = None
        self.test_fault = _test_fault()
        self.source_flagged = False

    def walk(self, bundle: Bundle, walker_args: dict[str, Any]) -> None:
        self.walker = _ObservedWalker(bundle, self.observe, **walker_args)
        result = self.walker.run()
        same = self.current is not None and result.trace is self.current.trace
        events_from, turns_from = (self.sent_events, self.sent_turns) if same else (0, 0)
        tail = result.trace.model_copy(update={"events": result.trace.events[events_from:],
                                               "turns": result.trace.turns[turns_from:]})
        amended: dict[int, Any] = {}
        amended_turns: dict[int, Any] = {}
        if same and self.current is not None:
            grown = {id(e) for e in self.current.recorder_amendable()}
            amended = {i: e for i, e in enumerate(result.trace.events[:events_from]) if id(e) in grown}
            grown = {id(t) for t in self.current.recorder_amendable_turns()}
            amended_turns = {i: t for i, t in enumerate(result.trace.turns[:turns_from]) if id(t) in grown}
        done = _Done.model_construct(trace=tail, events_from=events_from, turns_from=turns_from, log=result.log,
                                     stats=result.stats, views=result.views,
                                     launch_to_ready_ms=result.launch_to_ready_ms, units_per_ms=result.units_per_ms,
                                     environment=result.environment, sources_read=result.sources_read,
                                     amended=amended, amended_turns=amended_turns)
        _send(self.fd, b"D", done.model_dump_json())

    def observe(self, sb: Sandbox, task: Any) -> None:
        if sb is not self.current:
            self.current, self.sent_events, self.sent_turns = sb, 0, 0
            header = _Header.model_construct(trace=sb.trace.model_copy(update={"events": [], "turns": []}),
                                             units_per_ms=sb.engine.info.units_per_ms)
            _send(self.fd, b"H", header.model_dump_json())
        if task is not None:
            self._flush(sb)  # what was recorded between turns, before this turn can fail
            self._mark_turn(sb, task)
            if self.test_fault is not None:
                self._test_fault(sb, task)
            return
        self._mark()
        self._flush(sb)
        if not self.source_flagged and sb.api_host.canaries.canaries:
            self.source_flagged = True  # the reviewer may start this walk's differential twin now
            self.marks[_SOURCE_FLAG] = 1

    def _flush(self, sb: Sandbox) -> None:
        events, turns = sb.trace.events, sb.trace.turns
        log = self.walker.log if self.walker is not None else None
        state = (len(log.pages_visited), len(log.pages_failed), log.handlers_fired, len(log.budget_notes),
                 log.stopped_early) if log else ()
        if state == self.sent_log and len(events) == self.sent_events and len(turns) == self.sent_turns:
            return
        # a _Turns frame, serialized by each model's own serializer (3x faster than through the frame's unions)
        frame = b'{"events":' + to_json(events[self.sent_events:]) + b',"turns":' + to_json(turns[self.sent_turns:])
        if state != self.sent_log and log is not None:
            delta, whole = log_delta(log, self.sent_log_items)
            frame += b',"log":' + delta.__pydantic_serializer__.to_json(delta) + (b',"log_whole":true' if whole else b"")
        self.sent_events, self.sent_turns, self.sent_log = len(events), len(turns), state
        _send(self.fd, b"T", frame + b"}")

    def _mark(self) -> None:
        """Progress: the turn ended."""
        struct.pack_into("<d", self.marks, 0, time.monotonic())

    def _mark_turn(self, sb: Sandbox, task: Any) -> None:
        """Progress, and the step the walk is in, should it not come back from this turn."""
        top = sb.router.top
        text = f"{task.op} {task.label or ''}\x1f{top.route if top else ''}".encode("utf-8", "replace")[:_MARK_TEXT]
        self.marks[_MARK.size:_MARK.size + len(text)] = text
        _MARK.pack_into(self.marks, 0, time.monotonic(), sb._turn_index + 1, max(sb.now, task.t), len(text))

    def _test_fault(self, sb: Sandbox, task: Any) -> None:
        spec = self.test_fault or {}
        if "turn" in spec and spec["turn"] != sb._turn_index + 1:
            return
        if "label" in spec and str(spec["label"]) not in f"{task.op} {task.label or ''}":
            return
        do = spec.get("do")
        if do == "abort":
            os.abort()
        elif do == "segv":
            ctypes.string_at(0)
        elif do == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif do == "hang":
            while True:
                time.sleep(1)
        elif do == "spin":  # busy without coming back, as a builtin that never polls the interrupt
            while True:
                pass
        elif do == "pause":  # waits without spinning, as a process waiting for a core on a loaded machine
            time.sleep(float(spec.get("seconds", 1.0)))
        elif do == "memory":
            raise MemoryError
        elif do == "recursion":
            raise RecursionError("maximum recursion depth exceeded")


def _test_fault() -> dict[str, Any] | None:
    spec = os.environ.get(TEST_FAULT_ENV)
    if not spec:
        return None
    try:
        value = json.loads(spec)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


__all__ = ["ISOLATION_AVAILABLE", "ProcessLimits", "TEST_FAULT_ENV", "WALK_PROCESSES_ENV", "WalkHandle", "WalkPool", "process_limits",
           "run_walk"]


# ---- any other work on the bundle (exploration) -------------------------------------------------------------------
@dataclass(frozen=True)
class ChildOutcome:
    """What :func:`call_in_child` brought back: the function's JSON text, or why there is none."""

    text: str | None
    failure: str | None = None


def call_in_child(fn: Callable[[], str], limits: ProcessLimits, *, max_bytes: int = 64 * MiB) -> ChildOutcome:
    """Run ``fn`` (which returns JSON text) in a forked child under ``limits`` (memory, CPU, and ``walk_s`` of wall
    time), as walks run: whatever the bundle does to the engine there, the reviewer gets the text or a failure."""
    if not ISOLATION_AVAILABLE:  # pragma: no cover - not Linux
        return ChildOutcome(fn())
    out = os.memfd_create("mpsandbox-call")
    t0 = time.monotonic()
    try:
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _limit_self(limits)
                data = memoryview(fn().encode("utf-8"))
                data = data if len(data) <= max_bytes else memoryview(b"\0")  # too big: said by the marker
                while data:
                    data = data[os.write(out, data):]
            except BaseException as exc:  # noqa: BLE001 - reported through the exit status and the text
                code = 1
                try:
                    os.ftruncate(out, 0)
                    os.pwrite(out, f"{type(exc).__name__}: {clip(str(exc), 500)}".encode("utf-8", "replace"), 0)
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(code)
        gc.unfreeze()
        killed = None
        try:
            ended = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover
            ended = -1
        try:
            while True:
                done, status, _ = _reap(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() - t0 > limits.walk_s:
                    killed = f"it ran past its wall budget ({limits.walk_s:.0f} s)"
                    _kill(pid)
                    _, status, _ = _reap(pid, 0)
                    break
                if ended >= 0:
                    select.select([ended], [], [], 0.25)
                else:  # pragma: no cover
                    time.sleep(0.02)
        except BaseException:
            _kill(pid)
            _reap(pid, 0)
            raise
        finally:
            if ended >= 0:
                os.close(ended)
        size = os.fstat(out).st_size
        text = os.pread(out, min(size, max_bytes), 0).decode("utf-8", "replace") if size else ""
    finally:
        os.close(out)
    if killed is not None:
        return ChildOutcome(None, f"killed: {killed}")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return ChildOutcome(None, f"its process was killed by {_signal_name(sig)}"
                                  + (" (its CPU time limit)" if sig == signal.SIGXCPU else ""))
    if os.WEXITSTATUS(status) != 0:
        return ChildOutcome(None, _host_fault_text(*text.split(": ", 1)) if ": " in text else
                            f"its process exited with status {os.WEXITSTATUS(status)}")
    if text == "\0":
        return ChildOutcome(None, f"its result passed {max_bytes // MiB} MB")
    return ChildOutcome(text)
