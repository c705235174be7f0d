"""The ``native`` backend: QuickJS-NG from the ``quickjs-ng`` wheel, in-process."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import quickjs

import ctypes

from . import _qjs_abi as abi
from ._watchdog import WATCHDOG
from .base import (
    CallResult,
    EngineInfo,
    EngineLimits,
    HostFunction,
    JobsResult,
    JSError,
    Outcome,
    TurnUsage,
    classify_error,
    split_error,
)

# The CPU unit is the QuickJS interrupt poll (one per function call and per backward jump), counted exactly when
# the counter's address is known (see _qjs_abi), else in steps of 10,000. POLLS_PER_MS converts millisecond
# budgets; it is calibrated on framework-like code (bench/engine_bench.py prints the figure for this machine).
POLLS_PER_MS = 30_000.0

_TRAMPOLINE = r"""(function () {
  var parse = JSON.parse, stringify = JSON.stringify, apply = Reflect.apply;
  var slice = String.prototype.slice, code = String.prototype.charCodeAt;
  return function (fn, argsJson) {
    var r = apply(fn, undefined, parse(argsJson));
    // a string marked with U+0002 is already JSON (the framework's replies)
    if (typeof r === 'string' && apply(code, r, [0]) === 2) return apply(slice, r, [1]);
    return r === undefined ? undefined : stringify(r);
  };
})()"""

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

_bytecode_cache: dict[str, bytes] = {}


class NativeEngine:
    """QuickJS-NG in this process, with deterministic tick budgets enforced by an interrupt handler."""

    def __init__(self, limits: EngineLimits | None = None):
        self.limits = limits or EngineLimits()
        self._ctx = quickjs.Context()
        self._abi = abi.attach(self._ctx)
        self._ctx.set_memory_limit(int(self.limits.memory_bytes))
        self._ctx.set_max_stack_size(int(self.limits.stack_bytes))
        # the cycle collector walks the whole heap; the framework alone is ~0.3 MB, so the 0.5 MB default would
        # run it every few calls
        self._abi.set_gc_threshold(GC_THRESHOLD_BYTES)
        offset = abi.interrupt_counter_offset()
        self._counter = ctypes.c_int32.from_address(self._abi.cx + offset) if offset is not None else None
        self.info = EngineInfo(
            name="native",
            cpu_unit="poll",
            units_per_ms=POLLS_PER_MS,
            version=abi.engine_version(),
            details={"exact_polls": self._counter is not None},
        )
        self._ticks = 0
        self._unit_limit = max(1, int(self.limits.cpu_ms_per_turn * POLLS_PER_MS))
        self._host_call_cost = int(self.limits.host_call_cost_ms * POLLS_PER_MS)
        self._charged = 0
        self._counter_start = 0
        self._watch: int | None = None
        self._deadline = float("inf")
        self._stopped: Outcome | None = None
        self._turn_started = 0.0
        self._closed = False
        self._handler = abi.INTERRUPT_HANDLER(self._on_interrupt)
        self._abi.set_interrupt_handler(self._handler)
        self._pinned: dict[str, Any] = {}
        self._rejections: abi.RejectionTracker | None = None
        out = self._abi.eval("globalThis.__mpsb_trampoline = " + _TRAMPOLINE, "<mpsandbox>")
        assert out.ok, out.error_text
        self.pin("__mpsb_trampoline")
        self._trampoline = self._pinned["__mpsb_trampoline"]

    # -- limits --------------------------------------------------------------------------------------------
    def _on_interrupt(self, _rt, _opaque) -> int:
        self._ticks += 1
        if self._stopped is not None:
            return 1
        if self._polls() + self._charged > self._unit_limit:
            self._stopped = Outcome.CPU
            return 1
        if time.perf_counter() > self._deadline:
            self._stopped = Outcome.WALL
            return 1
        return 0

    def _polls(self) -> int:
        if self._counter is None:
            return self._ticks * abi.COUNTER_RESET
        return self._ticks * abi.COUNTER_RESET + self._counter_start - self._counter.value

    def _charge_host_call(self) -> None:
        self._charged += self._host_call_cost
        if self._counter is not None and self._polls() + self._charged > self._unit_limit:
            self._counter.value = 0  # the next poll runs the handler, which stops the turn

    def _force_poll(self) -> None:  # watchdog thread: make the next poll call the handler
        if self._counter is not None and not self._closed:
            self._counter.value = 0

    def begin_turn(self) -> None:
        if self._watch is not None:
            WATCHDOG.disarm(self._watch)
        self._ticks = 0
        self._charged = 0
        self._stopped = None
        self._counter_start = self._counter.value if self._counter is not None else 0
        self._turn_started = time.perf_counter()
        self._deadline = self._turn_started + self.limits.wall_ms_per_turn / 1000.0
        if self._counter is not None:
            self._watch = WATCHDOG.arm(self._deadline, self._force_poll)

    def end_turn(self) -> TurnUsage:
        if self._watch is not None:
            WATCHDOG.disarm(self._watch)
            self._watch = None
        wall = (time.perf_counter() - self._turn_started) * 1000.0 if self._turn_started else 0.0
        polls = self._polls() + self._charged
        mem = self._ctx.memory()  # one heap walk for both figures
        usage = TurnUsage(
            cpu_units=polls,
            cpu_ms=round(polls / POLLS_PER_MS, 3),
            wall_ms=wall,
            memory_bytes=int(mem.get("memory_used_size", 0)),
            heap_bytes=int(mem.get("malloc_size", 0)),
        )
        self._turn_started = 0.0
        self._deadline = float("inf")
        return usage

    # -- outcomes ------------------------------------------------------------------------------------------
    def _failure(self, text: str, stack: str = "", overflow: bool = False) -> CallResult:
        if self._stopped is not None and "interrupted" in text:
            err = JSError("InternalError", "interrupted", stack)
            return CallResult(self._stopped, error=err)
        err = split_error(text)
        if stack and not err.stack:
            err = JSError(err.name, err.message, stack)
        outcome = Outcome.STACK if overflow else classify_error(text)
        return CallResult(outcome, error=err)

    # -- protocol ------------------------------------------------------------------------------------------
    def set_host_function(self, global_name: str, fn: HostFunction) -> None:
        def guarded(op, payload):
            self._charge_host_call()
            try:
                return fn(str(op), str(payload))
            except BaseException as exc:  # the bridge must never raise into C
                return json.dumps({"hostError": f"{type(exc).__name__}: {exc}"})

        self._ctx.add_callable(global_name, guarded)

    def eval(self, source: str, filename: str) -> CallResult:
        out = self._abi.eval(source, filename)
        if out.ok:
            return CallResult(Outcome.OK, value=out.value)
        return self._failure(out.error_text, out.error_stack, "Maximum call stack" in out.error_text)

    def load_trusted(self, source: str, filename: str) -> CallResult:
        """Run mpsandbox's own code, compiled once per process and replayed from bytecode."""
        key = hashlib.sha256(filename.encode() + b"\0" + source.encode()).hexdigest()
        code = _bytecode_cache.get(key)
        if code is None:
            # compiled in a scratch runtime, so that every engine's heap starts from the same state
            scratch = quickjs.Context()
            code = abi.attach(scratch).compile_to_bytecode(source, filename)
            del scratch
            _bytecode_cache[key] = code
        out = self._abi.run_bytecode(code)
        if out.ok:
            return CallResult(Outcome.OK)
        return self._failure(out.error_text, out.error_stack)

    def pin(self, global_name: str) -> None:
        fn = self._ctx.get(global_name)
        if not isinstance(fn, quickjs.Object):
            raise KeyError(f"no global function {global_name!r} to pin")
        self._pinned[global_name] = fn
        self._abi.eval(f"delete globalThis[{json.dumps(global_name)}]", "<mpsandbox>")

    def call(self, name: str, *args: Any) -> CallResult:
        fn = self._pinned.get(name)
        if fn is None:
            fn = self._ctx.get(name)
            if not isinstance(fn, quickjs.Object):
                return CallResult(Outcome.ERROR, error=JSError("TypeError", f"{name} is not a function"))
        try:
            raw = self._trampoline(fn, json.dumps(args))
        except quickjs.StackOverflow as exc:
            return self._failure(str(exc), overflow=True)
        except quickjs.JSException as exc:
            return self._failure(str(exc))
        return CallResult(Outcome.OK, value=json.loads(raw) if isinstance(raw, str) else None)

    def set_rejection_handler(self, global_name: str) -> None:
        if self._rejections is not None:
            self._rejections.close()
        self._rejections = abi.RejectionTracker(self._abi, global_name)
        self._abi.eval(f"delete globalThis[{json.dumps(global_name)}]", "<mpsandbox>")

    def _deliver_rejections(self) -> CallResult | None:
        if self._rejections is None or not self._rejections.has_pending():
            return None
        failure = self._rejections.deliver()
        if failure is None:
            return CallResult(Outcome.OK)
        return self._failure(failure.error_text, failure.error_stack)

    def run_jobs(self, max_jobs: int) -> JobsResult:
        jobs = 0
        while jobs < max_jobs:
            try:
                if not self._ctx.execute_pending_job():
                    delivered = self._deliver_rejections()
                    if delivered is None:
                        return JobsResult(Outcome.OK, jobs)
                    if delivered.outcome.is_limit or delivered.outcome is Outcome.TRAP:
                        return JobsResult(delivered.outcome, jobs, delivered.error)
                    continue
            except quickjs.StackOverflow as exc:
                res = self._failure(str(exc), overflow=True)
                return JobsResult(res.outcome, jobs + 1, res.error)
            except quickjs.JSException as exc:
                res = self._failure(str(exc))
                if res.outcome is not Outcome.ERROR:
                    return JobsResult(res.outcome, jobs + 1, res.error)
                # An exception escaping a job is reported by the framework (unhandled rejection); keep draining.
            jobs += 1
        return JobsResult(Outcome.CPU if self._stopped else Outcome.OK, jobs)

    def has_pending_jobs(self) -> bool:
        return False  # not observable through the wrapper without running one

    def memory_used(self) -> int:
        """Bytes allocated by the engine (what the memory limit is checked against). Measured: glibc rounds
        allocations depending on the state of its free lists, so it varies by a few bytes between runs."""
        return int(self._ctx.memory().get("malloc_size", 0))

    def memory_estimate(self) -> int:
        """QuickJS's structural estimate of the heap: deterministic, but blind to string data."""
        return int(self._ctx.memory().get("memory_used_size", 0))

    def gc(self) -> None:
        self._ctx.gc()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._watch is not None:
            WATCHDOG.disarm(self._watch)
        self._counter = None
        if self._rejections is not None:
            self._rejections.close()
            self._rejections = None
        self._pinned.clear()
        self._trampoline = None
        self._abi.clear_interrupt_handler()
        self._ctx = None  # type: ignore[assignment]
        self._abi = None  # type: ignore[assignment]
