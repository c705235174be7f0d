"""The ``native`` backend: QuickJS-NG + mpsandbox's shim (csrc/shim.c) built as a shared library for this machine
(see :mod:`.qjs_build`) and driven in-process through ctypes.

The shim does the work in C: the JSON trampoline, rejection tracking, allocation accounting and the interrupt
handler that counts polls against the turn's budget and checks the backstops (the thread's CPU time, wall time). Python only crosses the bridge.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import json
import os
import threading
import time
import weakref
from typing import Any

from ...boundedjson import loads as bounded_loads
from ._watchdog import Backstop
from .base import (
    CallResult,
    EngineInfo,
    EstimateCadence,
    EngineLimits,
    EngineUnavailable,
    HostFunction,
    JobsResult,
    JSError,
    Outcome,
    TurnUsage,
    classify_error,
    host_reply,
    js_stack_bytes,
    module_source,
    split_error,
)

# The CPU unit is the QuickJS interrupt poll (one per function call and per backward jump), counted exactly by the
# shim. POLLS_PER_MS converts millisecond budgets; it is calibrated on framework-like code (bench/bench_engines.py
# prints the figure for this machine).
POLLS_PER_MS = 30_000.0
GC_THRESHOLD_BYTES = 4 * 1024 * 1024


def _fix_malloc_thresholds() -> None:
    """glibc moves its mmap threshold up as large blocks are freed, so the size malloc reports for the same request
    (what the engine's memory limit counts) would depend on what the process did before. A fixed threshold keeps
    the native engine's memory accounting the same in every process."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (setting it disables the dynamic adjustment)
    except (OSError, AttributeError):
        pass


_fix_malloc_thresholds()

# the shim's io block (int64): see enum in csrc/shim.c
IO_RESULT_PTR, IO_RESULT_LEN, IO_STACK_PTR, IO_STACK_LEN, IO_MALLOC_SIZE, IO_MEMORY_USED, IO_REFUSED, IO_UNITS, \
    IO_STOPPED, IO_REJECTIONS_LOST, IO_CHARGED, IO_COUNT = range(12)
STOPPED = {1: Outcome.CPU, 2: Outcome.WALL}

_HOST_CALL = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p,
                              ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32)
_HOST_TAKE = ctypes.CFUNCTYPE(None, ctypes.c_ssize_t, ctypes.c_void_p)

_lib: ctypes.CDLL | None = None
_lib_lock = threading.Lock()
_engines: dict[int, "weakref.ref[NativeEngine]"] = {}
_ids = itertools.count(1)
_bytecode_cache: dict[str, bytes] = {}


def _after_fork() -> None:
    """A forked child (an isolated walk) keeps the loaded library, not a lock another thread may hold."""
    global _lib_lock
    _lib_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _load() -> ctypes.CDLL:
    """The shared library, built at install (or on first use) from the pinned QuickJS-NG sources."""
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        from . import qjs_build

        try:
            path = qjs_build.native_path()
            # CDLL: calls release the GIL, so that the watchdog thread can nudge a turn past its wall deadline
            lib = ctypes.CDLL(str(path))
        except EngineUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any build or load failure means the backend cannot run here
            raise EngineUnavailable(f"the native engine could not be built or loaded: {type(exc).__name__}: {exc}") \
                from exc
        vp, i32, i64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
        sigs = {
            "shim_new": (vp, [i64, i64, i64, i64, i64, ctypes.c_double, ctypes.c_double, _HOST_CALL, _HOST_TAKE, ctypes.c_ssize_t]),
            "shim_free_state": (None, [vp]),
            "shim_version": (ctypes.c_char_p, []),
            "shim_begin_turn": (None, [vp]),
            "shim_turn_usage": (None, [vp, i32]),
            "shim_eval": (i32, [vp, ctypes.c_char_p, i32, ctypes.c_char_p]),
            "shim_compile": (i32, [vp, ctypes.c_char_p, i32, ctypes.c_char_p]),
            "shim_run_bytecode": (i32, [vp, ctypes.c_char_p, i32]),
            "shim_define_module": (i32, [vp, ctypes.c_char_p, i32, ctypes.c_char_p, ctypes.c_char_p]),
            "shim_pin": (i32, [vp, ctypes.c_char_p]),
            "shim_call": (i32, [vp, ctypes.c_char_p, ctypes.c_char_p, i32]),
            "shim_set_host_function": (i32, [vp, ctypes.c_char_p]),
            "shim_set_rejection_handler": (i32, [vp, ctypes.c_char_p]),
            "shim_pending_rejections": (i32, [vp]),
            "shim_deliver_rejections": (i32, [vp]),
            "shim_run_jobs": (i32, [vp, i32]),
            "shim_gc": (None, [vp]),
            "shim_memory": (None, [vp, i32]),
            "shim_counter_addr": (vp, [vp]),
        }
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
        _lib = lib
        return lib


@_HOST_CALL
def _host_call(opaque: int, op: int, op_len: int, msg: int, msg_len: int, frames: int, frames_len: int, reply: int,
               cap: int) -> int:
    ref = _engines.get(opaque)
    eng = ref() if ref is not None else None
    if eng is None:
        return -1
    try:
        return eng._host_call(op, op_len, msg, msg_len, frames, frames_len, reply, cap)
    except BaseException:  # noqa: BLE001 - never unwind through C; the bridge reports undefined
        return -1


@_HOST_TAKE
def _host_take(opaque: int, dst: int) -> None:
    ref = _engines.get(opaque)
    eng = ref() if ref is not None else None
    if eng is not None:
        data, eng._pending_reply = eng._pending_reply, b""
        ctypes.memmove(dst, data, len(data))


class NativeEngine:
    """One QuickJS-NG runtime in this process, with deterministic poll budgets enforced by the shim."""

    def __init__(self, limits: EngineLimits | None = None):
        self.limits = limits or EngineLimits()
        lib = self._lib = _load()
        self._id = next(_ids)
        self._unit_limit = max(1, int(self.limits.cpu_ms_per_turn * POLLS_PER_MS))
        st = lib.shim_new(int(self.limits.memory_bytes), js_stack_bytes(self.limits.stack_bytes, "native"),
                          GC_THRESHOLD_BYTES,
                          self._unit_limit, int(self.limits.host_call_cost_ms * POLLS_PER_MS),
                          self.limits.thread_cpu_ms_per_turn / 1000.0, self.limits.wall_ms_per_turn / 1000.0,
                          _host_call, _host_take, self._id)
        if not st:
            raise EngineUnavailable("the native engine could not allocate a runtime")
        self._st = st
        self._io = (ctypes.c_int64 * IO_COUNT).from_address(st)
        if self._io[IO_STOPPED] == -1:
            text = self._result()
            lib.shim_free_state(st)
            self._st = None
            raise EngineUnavailable(f"the native engine failed to start: {text}")
        _engines[self._id] = weakref.ref(self)
        self._counter = ctypes.c_int32.from_address(lib.shim_counter_addr(st))
        self._backstop = Backstop(self.limits.thread_cpu_ms_per_turn / 1000.0, self.limits.wall_ms_per_turn / 1000.0)
        self._host_fn: HostFunction | None = None
        self._host_frames = False
        self._pending_reply = b""
        self._refused_start = 0
        self._stopped_before = 0  # the turn was already stopped when the current call began
        self._lost_start = 0
        self._turn_started = 0.0
        self._cadence = EstimateCadence()
        self.info = EngineInfo(name="native", cpu_unit="poll", units_per_ms=POLLS_PER_MS,
                               version=lib.shim_version().decode(), details={"exact_polls": True})

    # -- plumbing -------------------------------------------------------------------------------------------
    def _text(self, ptr_slot: int, len_slot: int) -> str:
        n = self._io[len_slot]
        return ctypes.string_at(self._io[ptr_slot], n).decode("utf-8", "surrogatepass") if n > 0 else ""

    def _result(self) -> str:
        return self._text(IO_RESULT_PTR, IO_RESULT_LEN)

    def _stack(self) -> str:
        """The frames recorded for the last exception (the shim's records)."""
        n = self._io[IO_STACK_LEN]
        return ctypes.string_at(self._io[IO_STACK_PTR], n).decode("utf-8", "replace") if n > 0 else ""

    def _host_call(self, op_ptr: int, op_len: int, msg_ptr: int, msg_len: int, frames_ptr: int, frames_len: int,
                   reply: int, cap: int) -> int:
        """JS called the host function: the reply goes to ``reply`` when it fits ``cap``, else it is kept for
        ``_host_take``. Returns the reply's length, -1 for undefined."""
        fn = self._host_fn
        if fn is None:
            return -1
        op = ctypes.string_at(op_ptr, op_len).decode("utf-8", "surrogatepass") if op_len else ""
        msg = ctypes.string_at(msg_ptr, msg_len).decode("utf-8", "surrogatepass") if msg_len else ""
        frames = None
        if self._host_frames:
            frames = ctypes.string_at(frames_ptr, frames_len).decode("utf-8", "replace") if frames_len > 0 else ""
        data = host_reply(fn, op, msg, frames)
        if data is None:
            return -1
        if len(data) <= cap:
            ctypes.memmove(reply, data, len(data))
        else:
            self._pending_reply = data
        return len(data)

    def _live(self) -> int:
        if self._st is None:
            raise RuntimeError("the native engine is closed")
        return self._st

    # -- limits ---------------------------------------------------------------------------------------------
    def begin_turn(self) -> None:
        st = self._live()
        self._lib.shim_begin_turn(st)
        self._refused_start = self._io[IO_REFUSED]
        self._lost_start = self._io[IO_REJECTIONS_LOST]
        self._turn_started = time.perf_counter()
        # the shim checks the backstops whenever QuickJS polls; a builtin that works long between two polls is
        # nudged by the watchdog once they are due: a zero counter makes the next poll call the handler
        self._backstop.start()
        self._backstop.arm(self._force_poll)

    def _force_poll(self) -> None:  # the watchdog thread
        if self._st is not None:
            self._counter.value = 0

    def end_turn(self) -> TurnUsage:
        st = self._live()
        self._backstop.disarm()
        wall = (time.perf_counter() - self._turn_started) * 1000.0 if self._turn_started else 0.0
        self._turn_started = 0.0
        self._lib.shim_turn_usage(st, 1)
        self._lib.shim_memory(st, 0)
        io = self._io
        heap = io[IO_MALLOC_SIZE]
        if self._cadence.due(heap):
            self._lib.shim_memory(st, 1)
            estimate = self._cadence.measured(heap, io[IO_MEMORY_USED])
        else:
            estimate = self._cadence.guess(heap)
        units = io[IO_UNITS]
        return TurnUsage(cpu_units=units, cpu_ms=round(units / POLLS_PER_MS, 3), wall_ms=wall,
                         memory_bytes=estimate, heap_bytes=heap,
                         memory_refused=max(0, io[IO_REFUSED] - self._refused_start),
                         rejections_lost=max(0, io[IO_REJECTIONS_LOST] - self._lost_start))

    # -- outcomes -------------------------------------------------------------------------------------------
    def _failure(self) -> CallResult:
        text, stack = self._result(), self._stack()
        stopped = STOPPED.get(self._io[IO_STOPPED])
        if stopped is not None and "interrupted" in text:
            return CallResult(stopped, error=JSError("InternalError", "interrupted", stack))
        return CallResult(classify_error(text), error=split_error(text, stack))

    def _value(self) -> CallResult:
        stopped = STOPPED.get(self._io[IO_STOPPED])
        if stopped is not None and not self._stopped_before:
            # the turn was stopped inside a builtin (which then returned early) and no poll came after it to throw:
            # the call ran out all the same, and what it returned is not to be trusted
            return CallResult(stopped, error=JSError("InternalError", "interrupted", ""))
        raw = self._result()
        return CallResult(Outcome.OK, value=bounded_loads(raw) if raw else None)

    # -- protocol -------------------------------------------------------------------------------------------
    def set_host_function(self, global_name: str, fn: HostFunction, *, frames: bool = False) -> None:
        self._host_fn = fn
        self._host_frames = frames
        self._lib.shim_set_host_function(self._live(), global_name.encode("utf-8", "surrogatepass"))

    def eval(self, source: str, filename: str) -> CallResult:
        self._stopped_before = self._io[IO_STOPPED] if self._st is not None else 0
        data = source.encode("utf-8", "surrogatepass")
        status = self._lib.shim_eval(self._live(), data, len(data), filename.encode("utf-8", "replace"))
        return self._value() if status == 0 else self._failure()

    def define_module(self, define_name: str, path: str, params: str, body: str) -> CallResult:
        self._stopped_before = self._io[IO_STOPPED] if self._st is not None else 0
        data = module_source(params, body).encode("utf-8", "surrogatepass")
        status = self._lib.shim_define_module(self._live(), data, len(data), path.encode("utf-8", "surrogatepass"),
                                              define_name.encode("utf-8", "surrogatepass"))
        return self._value() if status == 0 else self._failure()

    def load_trusted(self, source: str, filename: str) -> CallResult:
        """Run mpsandbox's own code, compiled once per process and replayed from bytecode."""
        key = hashlib.sha256(filename.encode() + b"\0" + source.encode()).hexdigest()
        code = _bytecode_cache.get(key)
        if code is None:
            # compiled in a scratch runtime, so that every engine's heap starts from the same state
            scratch = NativeEngine(self.limits)
            try:
                data = source.encode("utf-8")
                if self._lib.shim_compile(scratch._st, data, len(data), filename.encode()) != 0:
                    return scratch._failure()
                code = ctypes.string_at(scratch._io[IO_RESULT_PTR], scratch._io[IO_RESULT_LEN])
            finally:
                scratch.close()
            _bytecode_cache[key] = code
        if self._lib.shim_run_bytecode(self._live(), code, len(code)) != 0:
            return self._failure()
        return CallResult(Outcome.OK)

    def pin(self, global_name: str) -> None:
        if self._lib.shim_pin(self._live(), global_name.encode("utf-8", "surrogatepass")):
            raise KeyError(f"no global function {global_name!r} to pin")

    def call(self, name: str, *args: Any) -> CallResult:
        return self.call_json(name, json.dumps(args))

    def call_json(self, name: str, args_json: str) -> CallResult:
        self._stopped_before = self._io[IO_STOPPED] if self._st is not None else 0
        data = args_json.encode("utf-8", "surrogatepass")
        status = self._lib.shim_call(self._live(), name.encode("utf-8", "surrogatepass"), data, len(data))
        return self._value() if status == 0 else self._failure()

    def set_rejection_handler(self, global_name: str) -> None:
        if self._lib.shim_set_rejection_handler(self._live(), global_name.encode("utf-8", "surrogatepass")):
            raise KeyError(f"no global function {global_name!r} for rejections")

    def run_jobs(self, max_jobs: int) -> JobsResult:
        lib, st = self._lib, self._live()
        jobs = 0
        while jobs < max_jobs:
            ran = lib.shim_run_jobs(st, max_jobs - jobs)
            if ran < 0:  # a job threw after -ran - 1 others ran
                jobs += -ran
                res = self._failure()
                if res.outcome is not Outcome.ERROR:
                    return JobsResult(res.outcome, jobs, res.error)
                continue  # an exception escaping a job is reported by the framework (unhandled rejection)
            jobs += ran
            stopped = STOPPED.get(self._io[IO_STOPPED])
            if stopped is not None:
                return JobsResult(stopped, jobs)
            if jobs >= max_jobs:
                break
            if not lib.shim_pending_rejections(st):
                return JobsResult(Outcome.OK, jobs)
            if lib.shim_deliver_rejections(st) != 0:
                res = self._failure()
                if res.outcome.is_limit:
                    return JobsResult(res.outcome, jobs, res.error)
        return JobsResult(STOPPED.get(self._io[IO_STOPPED], Outcome.OK), jobs)

    def memory_used(self) -> int:
        """Bytes the engine's allocator holds (what the memory limit is checked against); no heap walk."""
        self._lib.shim_memory(self._live(), 0)
        return int(self._io[IO_MALLOC_SIZE])

    def memory_estimate(self) -> int:
        """QuickJS's structural estimate of the heap: deterministic, but blind to string data."""
        self._lib.shim_memory(self._live(), 1)
        return int(self._io[IO_MEMORY_USED])

    def gc(self) -> None:
        if self._st is not None:
            self._lib.shim_gc(self._st)

    def close(self) -> None:
        st, self._st = getattr(self, "_st", None), None
        if st is None:
            return
        _engines.pop(self._id, None)
        self._backstop.disarm()
        self._host_fn = None
        self._io = None  # type: ignore[assignment]
        self._lib.shim_free_state(st)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit the library may be gone
            pass
