"""The ``wasm`` backend: QuickJS-NG compiled to wasm32-wasi, run in wasmtime.

An engine bug stays inside linear memory; CPU is wasm fuel (the same bundle costs the same on every machine); the
clock and the WASI surface are fixed stubs, so the bundle sees only what the bridge gives it. After the trusted
framework has loaded once, later engines restore a copy of that linear memory instead of evaluating it again.
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
from dataclasses import dataclass
from typing import Any

import wasmtime
from wasmtime import _bindings as _ffi
from wasmtime import _func as _wasmtime_func

from ..base import (
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
from ....boundedjson import loads as bounded_loads
from .._watchdog import Backstop
from .build import (config_fingerprint, engine_config,
                    ensure_module_bytes, memory_layout, module_key)

# the shim's io block (int64 slots; see csrc/shim.c)
IO_RESULT_PTR, IO_RESULT_LEN, IO_STACK_PTR, IO_STACK_LEN, IO_MALLOC_SIZE, IO_MEMORY_USED, IO_REFUSED = range(7)
IO_STOPPED, IO_REJECTIONS_LOST, IO_CHARGED, IO_COUNT = 8, 9, 10, 11

# Fuel per nominal millisecond of CPU. Calibrated so that plain JS (loops and calls) costs the same nominal ms on
# both engines (native counts ~15,000 loop iterations a ms, wasm spends ~700 fuel on one), so a budget means the
# same on both. Wasm runs ~6-8 M fuel in a real millisecond here; bench/bench_engines.py prints both figures.
FUEL_PER_MS = 10_000_000.0
# The shim charges work that fuel does not see (bulk-memory copies and fills, one instruction each) in native polls
# (csrc/shim.c, charge): a poll is worth what it is in nominal ms on the native engine (30,000 polls a ms there).
FUEL_PER_POLL = FUEL_PER_MS / 30_000.0
GC_THRESHOLD_BYTES = 4 * 1024 * 1024
WASM_STACK_BYTES = 8 * 1024 * 1024  # the shadow stack linked into the module (build.py); JS stack lives in it
EPOCH_TICK_S = 0.01
FIXED_TIME_NS = 1_735_689_600_000_000_000  # 2025-01-01T00:00:00Z: what the WASI clock always says


@dataclass
class _Shared:
    engine: wasmtime.Engine
    module: wasmtime.Module
    key: str


_shared: _Shared | None = None
_shared_lock = threading.Lock()
# (framework, init params) -> (pages, [(offset, bytes)]): what differs from a fresh instance's memory
_snapshots: dict[str, tuple[int, int, list[tuple[int, bytes]]]] = {}  # pages, shim state, chunks
SNAPSHOT_CHUNK = 4096
_ticker_started = False


def _shared_module() -> _Shared:
    global _shared
    with _shared_lock:
        if _shared is None:
            engine = wasmtime.Engine(engine_config())
            module = ensure_module_bytes(engine, config_fingerprint())
            _shared = _Shared(engine, module, module_key(config_fingerprint()))
        _start_ticker(_shared.engine)
        return _shared


def _start_ticker(engine: wasmtime.Engine) -> None:
    """Epoch interruption is the wall-clock backstop: one daemon thread advances the epoch every 10 ms."""
    global _ticker_started
    if _ticker_started:
        return
    _ticker_started = True

    def tick() -> None:
        while True:
            time.sleep(EPOCH_TICK_S)
            engine.increment_epoch()

    threading.Thread(target=tick, name="mpsandbox-wasm-epoch", daemon=True).start()


def _after_fork() -> None:
    """In a forked child (an isolated walk) the compiled module is reused, the epoch thread is gone."""
    global _shared_lock, _ticker_started
    _shared_lock = threading.Lock()
    _ticker_started = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class WasmEngine:
    """One QuickJS-NG runtime inside one wasmtime instance. Not thread-safe."""

    def __init__(self, limits: EngineLimits | None = None):
        self.limits = limits or EngineLimits()
        self._cadence = EstimateCadence()
        try:
            shared = _shared_module()
        except EngineUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any build or load failure means the backend cannot run here
            raise EngineUnavailable(f"the wasm engine could not be built or loaded: {type(exc).__name__}: {exc}") from exc
        self._shared = shared
        self._store = wasmtime.Store(shared.engine)
        js_limit = int(self.limits.memory_bytes)
        # room for the allocator's fragmentation over the JS limit (so that the shim's limit, the same as native's,
        # is what a growing heap meets first), within the reservation
        self._store.set_limits(memory_size=min(memory_layout()[0],
                                               2 * js_limit + WASM_STACK_BYTES + 32 * 1024 * 1024))
        self._unit_limit = max(1, int(self.limits.cpu_ms_per_turn * FUEL_PER_MS))
        self._host_call_fuel = int(self.limits.host_call_cost_ms * FUEL_PER_MS)
        self._fuel_start = 0
        self._stopped: Outcome | None = None
        self._backstop = Backstop(self.limits.thread_cpu_ms_per_turn / 1000.0, self.limits.wall_ms_per_turn / 1000.0)
        self._turn_started = 0.0
        self._in_turn = False
        self._refused_start = 0
        self._stopped_before = False  # the turn was already stopped when the current call began
        self._dead: str | None = None
        self._host_fn: HostFunction | None = None
        self._host_frames = False
        self._pending_reply = b""
        self._lost_start = 0
        self._memory_len = 0  # linear memory's size when last looked at (it only grows)
        # QuickJS checks its stack against the shadow stack in linear memory, where every checked recursive frame
        # reserves a pad (build.STACK_CHECK_PADDED): ~400 bytes a JS call, ~150 a level of JSON, while wasmtime's
        # own stack (2 MiB) takes ~2-2.6x that (see base.js_stack_bytes).
        js_stack = js_stack_bytes(self.limits.stack_bytes, "wasm")
        self._init_params = (js_limit, js_stack, GC_THRESHOLD_BYTES)
        self._initialized = False
        self._counter_addr = 0  # absolute host address of QuickJS's interrupt counter
        self._st = 0  # the shim's state (its io block first) in linear memory
        self._inbox = 0  # a reusable buffer for strings passed in
        self._inbox_cap = 0
        linker = wasmtime.Linker(shared.engine)
        self._define_imports(linker)
        self._instance = linker.instantiate(self._store, shared.module)
        ex = self._instance.exports(self._store)
        self._memory: wasmtime.Memory = ex["memory"]  # type: ignore[assignment]
        # linear memory never moves (Config.memory_may_move = False): its host address is fixed for the instance
        self._base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
        self._ex = {name: _RawExport(self._store, ex[name]) for name in (
            "_initialize", "shim_alloc", "shim_free", "shim_new", "shim_version", "shim_eval", "shim_pin", "shim_call",
            "shim_set_host_function", "shim_set_rejection_handler", "shim_pending_rejections",
            "shim_deliver_rejections", "shim_gc", "shim_memory", "shim_counter_addr", "shim_run_jobs",
            "shim_begin_turn", "shim_define_module")}
        self.info = EngineInfo(name="wasm", cpu_unit="fuel", units_per_ms=FUEL_PER_MS, version="",
                               details={"module": shared.key[:16], "snapshot": False})
        self._refuel(0)  # as on native, work before the first turn counts against a turn's budget

    # ---- wasm plumbing ----------------------------------------------------------------------------------------------
    def _define_imports(self, linker: wasmtime.Linker) -> None:
        i32 = wasmtime.ValType.i32()
        i64 = wasmtime.ValType.i64()
        ft = wasmtime.FuncType
        # The functions live in wasmtime-py's process-wide table until their Store is dropped: they hold this
        # engine (and so its Store) only weakly, or no Store would ever be freed.
        ref = weakref.ref(self)

        def host_take(dst: int) -> None:  # a GuestFault here is a trap (wasmtime-py turns exceptions into traps)
            eng = ref()
            if eng is not None:
                data, eng._pending_reply = eng._pending_reply, b""
                ctypes.memmove(eng._span(dst, len(data)), data, len(data))

        def should_interrupt() -> int:
            eng = ref()
            return 1 if eng is None or eng._check_limits() else 0

        # the bridge's hot path skips wasmtime-py's generic trampoline (one Val object per argument): raw arguments

        def raw_host_call(args: Any) -> int:
            eng = ref()
            if eng is None:
                return -1
            u = 0xFFFFFFFF  # addresses are unsigned; lengths stay signed, so a negative one is refused
            return eng._host_call(args[0].i32 & u, args[1].i32, args[2].i32 & u, args[3].i32, args[4].i32 & u,
                                  args[5].i32, args[6].i32 & u, args[7].i32)

        _define_raw(linker, "mpsb", "host_call", ft([i32] * 8, [i32]), raw_host_call)
        linker.define_func("mpsb", "host_take", ft([i32], []), host_take)
        linker.define_func("mpsb", "should_interrupt", ft([], [i32]), should_interrupt)

        # A fixed WASI surface: no files, no environment, a clock that never moves, output discarded.
        def clock_time_get(_clock: int, _precision: int, out_ptr: int) -> int:
            eng = ref()
            if eng is not None:
                eng._memory.write(eng._store, FIXED_TIME_NS.to_bytes(8, "little"), out_ptr)
            return 0

        def fd_write(_fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
            eng = ref()
            if eng is None:
                return 8
            total = 0
            raw = eng._memory.read(eng._store, iovs, iovs + 8 * iovs_len)
            for k in range(iovs_len):
                total += int.from_bytes(raw[8 * k + 4:8 * k + 8], "little")
            eng._memory.write(eng._store, total.to_bytes(4, "little"), nwritten)
            return 0

        wasi = "wasi_snapshot_preview1"
        linker.define_func(wasi, "clock_time_get", ft([i32, i64, i32], [i32]), clock_time_get)
        linker.define_func(wasi, "fd_write", ft([i32, i32, i32, i32], [i32]), fd_write)
        linker.define_func(wasi, "fd_close", ft([i32], [i32]), lambda fd: 8)  # EBADF
        linker.define_func(wasi, "fd_fdstat_get", ft([i32, i32], [i32]), lambda fd, p: 8)
        linker.define_func(wasi, "fd_seek", ft([i32, i64, i32, i32], [i32]), lambda fd, off, wh, p: 8)

    def _host_call(self, op_ptr: int, op_len: int, msg_ptr: int, msg_len: int, frames_ptr: int, frames_len: int,
                   reply: int, cap: int) -> int:
        """The bridge: JS called the host function; the reply is written to ``reply`` when it fits ``cap``, else
        kept for ``host_take``. Returns the reply's length, -1 for undefined. Every pointer and length comes from
        inside the sandbox: one outside linear memory is a GuestFault (a trap), never a read of the host's memory."""
        self._charge_host_call()
        op = ctypes.string_at(self._span(op_ptr, op_len), op_len).decode("utf-8", "surrogatepass")
        msg = ctypes.string_at(self._span(msg_ptr, msg_len), msg_len).decode("utf-8", "surrogatepass")
        frames_at = self._span(frames_ptr, frames_len)
        reply_at = self._span(reply, cap)
        fn = self._host_fn
        if fn is None:
            return -1
        frames = ctypes.string_at(frames_at, frames_len).decode("utf-8", "replace") if self._host_frames else None
        data = host_reply(fn, op, msg, frames)
        if data is None:
            return -1
        if len(data) <= cap:
            ctypes.memmove(reply_at, data, len(data))
        else:
            self._pending_reply = data
        return len(data)

    def _span(self, ptr: int, n: int) -> int:
        """The host address of the guest's bytes [ptr, ptr + n), once they are known to lie in linear memory."""
        if ptr < 0 or n < 0 or ptr + n > self._memory_len:
            self._memory_len = self._memory.data_len(self._store)  # it may have grown since
            if ptr < 0 or n < 0 or ptr + n > self._memory_len:
                raise GuestFault(f"the wasm engine gave the host {n} bytes at {ptr:#x}, outside its "
                                 f"{self._memory_len:#x} bytes of memory")
        return self._base + ptr

    def _x(self, name: str, *args: Any) -> Any:
        """Call a small helper export (alloc, free, result buffers): no turn budget, but never a stale epoch."""
        self._store.set_epoch_deadline(1_000_000)
        return self._ex[name](self._store, *args)

    def _read(self, ptr: int, n: int, errors: str = "surrogatepass") -> str:
        """Text the guest points at (a GuestFault when it is not in its memory)."""
        try:
            return ctypes.string_at(self._span(ptr, n), n).decode("utf-8", errors) if n else ""
        except GuestFault as fault:
            self._dead = f"wasm fault: {fault}"
            raise _Dead(self._dead) from None

    def _put(self, *texts: str) -> list[tuple[int, int]]:
        """Copy strings (NUL-terminated) into the reusable inbox; returns (pointer, length) of each."""
        blobs = [t.encode("utf-8", "surrogatepass") + b"\0" for t in texts]
        need = sum(len(b) for b in blobs)
        if need > self._inbox_cap:
            if self._inbox:
                self._x("shim_free", self._inbox)
            cap = max(need, 64 * 1024, 2 * self._inbox_cap)
            self._inbox = self._x("shim_alloc", cap)
            if not self._inbox:
                self._inbox_cap = 0
                raise MemoryError("the wasm engine has no memory left for its inbox")
            self._inbox_cap = cap
        out, at = [], self._inbox
        self._write(at, b"".join(blobs))
        for b in blobs:
            out.append((at, len(b) - 1))
            at += len(b)
        return out

    def _write(self, offset: int, data: bytes) -> None:
        """Copy into linear memory straight from ``data`` (wasmtime-py's Memory.write copies it once more)."""
        try:
            ctypes.memmove(self._span(offset, len(data)), data, len(data))
        except GuestFault as fault:
            self._dead = f"wasm fault: {fault}"
            raise _Dead(self._dead) from None

    def _io_int(self, slot: int) -> int:
        """One int64 of the shim's io block (see csrc/shim.c), which starts its state."""
        try:
            return ctypes.c_int64.from_address(self._span(self._st + 8 * slot, 8)).value
        except GuestFault as fault:
            self._dead = f"wasm fault: {fault}"
            raise _Dead(self._dead) from None

    def _result(self) -> str:
        return self._read(self._io_int(IO_RESULT_PTR), self._io_int(IO_RESULT_LEN))

    def _stack(self) -> str:
        """The frames recorded for the last exception (the shim's records)."""
        return self._read(self._io_int(IO_STACK_PTR), self._io_int(IO_STACK_LEN), "replace")

    def _set_fuel(self, fuel: int) -> None:
        self._store.set_fuel(max(0, int(fuel)))

    def _fuel_used(self) -> int:
        """Fuel spent since the tank was filled, plus the work the shim charged that fuel does not count."""
        return self._fuel_start - self._store.get_fuel() + self._charged_fuel()

    def _charged_fuel(self) -> int:
        if not self._st or self._dead is not None:
            return 0
        try:
            return int(self._io_int(IO_CHARGED) * FUEL_PER_POLL)
        except _Dead:
            return 0

    def _refuel(self, used: int) -> None:
        """Fill the tank for the current turn, ``used`` of it already spent: the budget plus a reserve. The
        interrupt handler stops the turn cleanly at the budget; running dry (a long builtin with no interrupt
        poll) traps and kills the instance."""
        tank = 5 * self._unit_limit + 1_000_000_000
        self._set_fuel(max(0, tank - used))
        self._fuel_start = tank

    # ---- limits -----------------------------------------------------------------------------------------------------
    def _check_limits(self) -> bool:
        if self._stopped is not None:
            return True
        if self._fuel_used() > self._unit_limit:  # also between turns: native counts from the last begin_turn
            self._stopped = Outcome.CPU
            return True
        due = self._backstop.due() if self._in_turn else None  # the thread's CPU time, then a stall's wall time
        if due is not None:
            self._stopped = Outcome.CPU if due == "cpu" else Outcome.WALL
            return True
        return False

    def _charge_host_call(self) -> None:
        remaining = self._store.get_fuel()
        self._set_fuel(remaining - min(remaining, self._host_call_fuel))

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Call an export; a trap (fuel backstop, epoch, wasm stack, engine bug) kills this instance."""
        if self._dead is not None:
            raise _Dead(self._dead, fresh=False)
        # the interrupt handler stops a turn at its backstops when JS polls (fuel stops a builtin that burns CPU
        # without polling); the epoch kills the instance when no poll comes at all past the wall limit (a stall)
        ticks = int((1.25 * self.limits.wall_ms_per_turn + 1000) / 1000.0 / EPOCH_TICK_S) + 2
        self._store.set_epoch_deadline(ticks)
        try:
            return fn(self._store, *args)
        except wasmtime.Trap as exc:
            self._dead = f"wasm trap: {exc.message if hasattr(exc, 'message') else exc}"
            raise _Dead(self._dead) from None
        except wasmtime.WasmtimeError as exc:
            self._dead = f"wasm error: {exc}"
            raise _Dead(self._dead) from None

    def _ensure_init(self) -> None:
        if self._initialized:
            return
        self._guard(self._ex["_initialize"])
        # no host function pointers under wasm: the bridge is the module's imports
        st = self._guard(self._ex["shim_new"], *self._init_params, 0, 0, 0.0, 0.0, 0, 0, 0)
        if not st:
            raise EngineUnavailable("the wasm engine could not allocate a runtime")
        self._st = st
        if self._io_int(IO_STOPPED) == -1:
            raise EngineUnavailable(f"the wasm engine failed to start: {self._result()}")
        self.info.version = self._read(self._x("shim_version"), 32).split("\0")[0]
        self._initialized = True
        self._locate_counter()

    def _locate_counter(self) -> None:
        try:
            self._counter_addr = self._span(int(self._x("shim_counter_addr", self._st)), 4)
        except GuestFault as fault:
            self._dead = f"wasm fault: {fault}"
            raise _Dead(self._dead) from None

    def _force_poll(self) -> None:  # watchdog thread: the next interrupt poll calls the handler
        if self._counter_addr and self._dead is None:
            ctypes.c_int32.from_address(self._counter_addr).value = 0

    def begin_turn(self) -> None:
        self._stopped = None
        self._turn_started = time.perf_counter()
        self._backstop.start()
        self._refused_start = self._refused()
        self._lost_start = self._io_count(IO_REJECTIONS_LOST)
        if self._initialized and self._dead is None:
            self._x("shim_begin_turn", self._st)
        self._refuel(0)
        self._in_turn = True
        if self._counter_addr:
            self._backstop.arm(self._force_poll)

    def end_turn(self) -> TurnUsage:
        self._backstop.disarm()
        used = self._fuel_used() if self._store is not None else 0
        wall = (time.perf_counter() - self._turn_started) * 1000.0 if self._turn_started else 0.0
        self._in_turn = False
        self._turn_started = 0.0
        heap, _ = self._memory_pair(estimate=False)
        if self._cadence.due(heap):
            estimate = self._cadence.measured(*self._memory_pair())
        else:
            estimate = self._cadence.guess(heap)
        refused = self._refused() - self._refused_start
        lost = self._io_count(IO_REJECTIONS_LOST) - self._lost_start
        if self._dead is None:
            # calls after the turn keep counting against it, as on native (not the figures above); the charged
            # work stays in the shim's count until the next turn begins
            self._refuel(used - self._charged_fuel())
        return TurnUsage(cpu_units=used, cpu_ms=round(used / FUEL_PER_MS, 3), wall_ms=wall,
                         memory_bytes=estimate, heap_bytes=heap, memory_refused=max(0, refused),
                         rejections_lost=max(0, lost))

    def _io_count(self, slot: int) -> int:
        if self._dead is not None or not self._initialized:
            return 0
        try:
            return self._io_int(slot)
        except _Dead:
            return 0

    def _refused(self) -> int:
        return self._io_count(IO_REFUSED)

    # ---- outcomes ---------------------------------------------------------------------------------------------------
    def _failure(self, text: str, stack: str = "") -> CallResult:
        if self._stopped is not None and "interrupted" in text:
            return CallResult(self._stopped, error=JSError("InternalError", "interrupted", stack))
        return CallResult(classify_error(text), error=split_error(text, stack))

    def _outcome(self, status: int) -> CallResult:
        """What a finished call left in the shim's buffers (read inside the caller's _Dead handler)."""
        if status == 0 and self._stopped is not None and not self._stopped_before:
            # stopped inside a builtin that returned early, with no poll after it to throw: out all the same
            return CallResult(self._stopped, error=JSError("InternalError", "interrupted", ""))
        if status == 0:
            raw = self._result()
            return CallResult(Outcome.OK, value=bounded_loads(raw) if raw else None)
        return self._failure(self._result(), self._stack())

    def _dead_result(self, dead: "_Dead") -> CallResult:
        """The call that killed the instance reports why (wall, CPU); every later call is a TRAP."""
        why = str(dead)
        cause = next((ln.strip() for ln in reversed(why.splitlines()) if "wasm trap:" in ln), "") or \
            (why.splitlines()[0] if why else "wasm trap")
        outcome = Outcome.TRAP
        if dead.fresh and ("wasm trap: interrupt" in why or "epoch" in why):
            outcome = Outcome.WALL
        elif dead.fresh and "fuel" in why:
            outcome = Outcome.CPU
        elif dead.fresh and "call stack exhausted" in why:
            # C recursion that QuickJS's check (on the shadow stack) did not see coming, e.g. a parser or JSON
            # nesting thousands deep: the wasm stack ran out first. A stack outcome, but the instance is gone.
            return CallResult(Outcome.STACK, error=JSError("RangeError", "Maximum call stack size exceeded",
                                                           ""))
        return CallResult(outcome, error=JSError("InternalError", cause))

    # ---- protocol ---------------------------------------------------------------------------------------------------
    def set_host_function(self, global_name: str, fn: HostFunction, *, frames: bool = False) -> None:
        self._ensure_init()
        self._host_fn = fn
        self._host_frames = frames
        ((ptr, _),) = self._put(global_name)
        self._guard(self._ex["shim_set_host_function"], self._st, ptr)

    def eval(self, source: str, filename: str) -> CallResult:
        self._stopped_before = self._stopped is not None
        try:
            self._ensure_init()
            (src, n), (name, _) = self._put(source, filename)
            return self._outcome(self._guard(self._ex["shim_eval"], self._st, src, n, name))
        except _Dead as dead:
            return self._dead_result(dead)

    def define_module(self, define_name: str, path: str, params: str, body: str) -> CallResult:
        self._stopped_before = self._stopped is not None
        try:
            self._ensure_init()
            (src, n), (name, _), (define, _) = self._put(module_source(params, body), path, define_name)
            return self._outcome(self._guard(self._ex["shim_define_module"], self._st, src, n, name, define))
        except _Dead as dead:
            return self._dead_result(dead)

    def load_trusted(self, source: str, filename: str) -> CallResult:
        """Evaluate mpsandbox's own code; the first time per process, snapshot linear memory afterwards and
        restore that image in later engines instead of evaluating again."""
        key = hashlib.sha256(f"{self._shared.key}\0{self._init_params}\0{filename}\0{source}".encode()).hexdigest()
        snap = _snapshots.get(key)
        if snap is not None and not self._initialized:
            pages, st, chunks = snap
            grow = pages - self._memory.size(self._store)
            if grow > 0:
                self._memory.grow(self._store, grow)
            for offset, data in chunks:
                self._write(offset, data)
            self._initialized = True
            self._st = st
            self._locate_counter()
            self.info.details["snapshot"] = True
            self.info.version = self._read(self._x("shim_version"), 32).split("\0")[0]
            return CallResult(Outcome.OK)
        fresh = not self._initialized
        baseline = bytes(self._memory.read(self._store, 0, self._memory.data_len(self._store))) if fresh else b""
        res = self.eval(source, filename)
        if res.ok and fresh:
            image = bytes(self._memory.read(self._store, 0, self._memory.data_len(self._store)))
            _snapshots[key] = (self._memory.size(self._store), self._st, _diff_chunks(baseline, image))
        return res

    def pin(self, global_name: str) -> None:
        self._ensure_init()
        ((ptr, _),) = self._put(global_name)
        bad = self._guard(self._ex["shim_pin"], self._st, ptr)
        if bad:
            raise KeyError(f"no global function {global_name!r} to pin")

    def call(self, name: str, *args: Any) -> CallResult:
        return self.call_json(name, json.dumps(args))

    def call_json(self, name: str, args_json: str) -> CallResult:
        self._stopped_before = self._stopped is not None
        try:
            self._ensure_init()
            (np, _), (ap, an) = self._put(name, args_json)
            return self._outcome(self._guard(self._ex["shim_call"], self._st, np, ap, an))
        except _Dead as dead:
            return self._dead_result(dead)

    def set_rejection_handler(self, global_name: str) -> None:
        self._ensure_init()
        ((ptr, _),) = self._put(global_name)
        bad = self._guard(self._ex["shim_set_rejection_handler"], self._st, ptr)
        if bad:
            raise KeyError(f"no global function {global_name!r} for rejections")

    def run_jobs(self, max_jobs: int) -> JobsResult:
        jobs = 0
        try:
            self._ensure_init()
            while jobs < max_jobs:
                ran = self._guard(self._ex["shim_run_jobs"], self._st, max_jobs - jobs)
                if ran < 0:  # a job threw after -ran - 1 others ran
                    jobs += -ran
                    res = self._failure(self._result(), self._stack())
                    if res.outcome is not Outcome.ERROR:
                        return JobsResult(res.outcome, jobs, res.error)
                    continue
                jobs += ran
                if jobs >= max_jobs:
                    break
                if self._stopped is not None:
                    return JobsResult(self._stopped, jobs)
                if not self._guard(self._ex["shim_pending_rejections"], self._st):
                    return JobsResult(Outcome.OK, jobs)
                status = self._guard(self._ex["shim_deliver_rejections"], self._st)
                if status != 0:
                    res = self._failure(self._result(), self._stack())
                    if res.outcome.is_limit:
                        return JobsResult(res.outcome, jobs, res.error)
        except _Dead as dead:
            res = self._dead_result(dead)
            return JobsResult(res.outcome, jobs, res.error)
        return JobsResult(Outcome.CPU if self._stopped else Outcome.OK, jobs)

    def _memory_pair(self, estimate: bool = True) -> tuple[int, int]:
        if self._dead is not None:
            return 0, 0
        try:
            self._ensure_init()
            self._x("shim_memory", self._st, int(estimate))
            return self._io_int(IO_MALLOC_SIZE), self._io_int(IO_MEMORY_USED)
        except _Dead:
            return 0, 0

    def memory_used(self) -> int:
        return self._memory_pair(estimate=False)[0]

    def memory_estimate(self) -> int:
        return self._memory_pair()[1]

    def gc(self) -> None:
        if self._dead is None and self._initialized:
            try:
                self._guard(self._ex["shim_gc"], self._st)
            except _Dead:
                pass

    def close(self) -> None:
        self._backstop.disarm()
        self._counter_addr = 0
        self._host_fn = None
        self._dead = self._dead or "closed"
        self._ex = {}
        self._instance = None  # type: ignore[assignment]
        self._store = None  # type: ignore[assignment]


def _diff_chunks(baseline: bytes, image: bytes) -> list[tuple[int, bytes]]:
    """The runs of SNAPSHOT_CHUNK-sized blocks where ``image`` differs from ``baseline`` (zeros beyond its end)."""
    runs: list[tuple[int, bytes]] = []
    start = None
    for off in range(0, len(image), SNAPSHOT_CHUNK):
        block = image[off:off + SNAPSHOT_CHUNK]
        base = baseline[off:off + SNAPSHOT_CHUNK]
        same = block == base if len(base) == len(block) else not block.strip(b"\0") and not base.strip(b"\0")
        if not same and start is None:
            start = off
        elif same and start is not None:
            runs.append((start, image[start:off]))
            start = None
    if start is not None:
        runs.append((start, image[start:]))
    return runs


# Host functions defined with wasmtime's unchecked API: the callback reads and writes raw values in place.
_RAW_FUNCS: dict[int, Any] = {}
_raw_ids = itertools.count(1)


_RAW_KINDS = {"i32": "i32", "i64": "i64", "f32": "f32", "f64": "f64"}


class _RawExport:
    """An export called through wasmtime's unchecked API, with raw values in place: wasmtime-py's generic call
    builds a FuncType and a Val per argument and result on every call (~25 us; several calls make each turn).
    Same arguments, results (a signed i32 as wasmtime-py gives it), traps and errors as calling the export."""

    __slots__ = ("_func", "_kinds", "_result", "_size", "_arity")

    def __init__(self, store: wasmtime.Store, func: Any):
        ty = func.type(store)
        self._func = func._func  # noqa: SLF001 - the raw wasmtime_func_t
        self._kinds = tuple(_RAW_KINDS[str(t)] for t in ty.params)
        results = ty.results
        if len(results) > 1:
            raise ValueError("exports with more than one result are not called raw")
        self._result = _RAW_KINDS[str(results[0])] if results else None
        self._arity = len(self._kinds)
        self._size = max(self._arity, len(results), 1)

    def __call__(self, store: wasmtime.Store, *args: Any) -> Any:
        if len(args) != self._arity:
            raise wasmtime.WasmtimeError(f"{len(args)} arguments given, {self._arity} expected")
        vals = (_ffi.wasmtime_val_raw_t * self._size)()
        for i, kind in enumerate(self._kinds):
            setattr(vals[i], kind, args[i])
        trap = ctypes.POINTER(_ffi.wasm_trap_t)()
        err = _ffi.wasmtime_func_call_unchecked(store._context(), ctypes.byref(self._func), vals,  # noqa: SLF001
                                                self._size, ctypes.byref(trap))
        if err:
            _wasmtime_func.maybe_raise_last_exn()
            raise wasmtime.WasmtimeError._from_ptr(err)  # noqa: SLF001
        if trap:
            trap_obj = wasmtime.Trap._from_ptr(trap)  # noqa: SLF001
            _wasmtime_func.maybe_raise_last_exn()
            raise trap_obj
        return getattr(vals[0], self._result) if self._result is not None else None


class GuestFault(Exception):
    """The wasm instance gave the host a pointer or length outside its linear memory: it traps and is discarded."""


@_ffi.wasmtime_func_unchecked_callback_t
def _raw_trampoline(env: int, _caller: Any, args: Any, _nargs: int) -> int:
    try:
        fn = _RAW_FUNCS.get(env or 0)
        args[0].i32 = fn(args) if fn is not None else -1
    except GuestFault as fault:
        msg = str(fault).encode()
        return ctypes.cast(_ffi.wasmtime_trap_new(ctypes.create_string_buffer(msg), len(msg)), ctypes.c_void_p).value
    except BaseException:  # noqa: BLE001 - never unwind through wasm; the bridge reports undefined
        args[0].i32 = -1
    return 0  # no trap


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _raw_finalize(env: int) -> None:
    _RAW_FUNCS.pop(env or 0, None)


def _define_raw(linker: wasmtime.Linker, module: str, name: str, ty: wasmtime.FuncType, fn: Any) -> None:
    key = next(_raw_ids)
    _RAW_FUNCS[key] = fn
    mod, nm = module.encode(), name.encode()
    err = _ffi.wasmtime_linker_define_func_unchecked(linker.ptr(), ctypes.create_string_buffer(mod), len(mod),
                                                     ctypes.create_string_buffer(nm), len(nm), ty.ptr(),
                                                     _raw_trampoline, key, _raw_finalize)
    if err:
        _RAW_FUNCS.pop(key, None)
        raise wasmtime.WasmtimeError._from_ptr(err)  # noqa: SLF001


class _Dead(Exception):
    """The instance trapped (or was closed) and must not run again."""

    def __init__(self, why: str, fresh: bool = True):
        super().__init__(why)
        self.fresh = fresh  # raised by the call that trapped, not by a later one
