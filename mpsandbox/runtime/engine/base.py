"""The engine protocol: the only surface the rest of mpsandbox sees of a JavaScript engine.

Two backends implement it on the same QuickJS-NG sources and the same C shim (csrc/shim.c, built by qjs_build):
``native`` (a shared library loaded with ctypes) and ``wasm`` (compiled to WASI, run in wasmtime). Everything above
this module is engine-agnostic.

Conventions shared by every backend:

* CPU is counted in a deterministic unit of the backend (``poll`` on native: QuickJS interrupt polls, i.e.
  calls and backward jumps; ``fuel`` on wasm: wasmtime fuel). Budgets are given in milliseconds and converted with
  the backend's fixed ``units_per_ms`` so that a budget decision never depends on how busy the machine is. Two
  measured backstops stand behind it: the CPU time of the engine's thread (which load on the machine does not
  inflate: a builtin working long between two polls), and, much later, wall time (a stall: the thread blocked or
  never scheduled).
* A limit breach never escapes as a Python exception: it ends the current call with an :class:`Outcome`.
  ``Outcome.CPU`` and ``Outcome.WALL`` are uncatchable inside JS; ``MEMORY`` and ``STACK`` are reported when the
  corresponding error reaches the host.
* Values cross the boundary as JSON text. ``call`` takes JSON-able arguments and returns a JSON-able value.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

JSONValue = Any
HostFunction = Callable[..., str]
"""The single host function of the bridge: ``fn(op, payload_json) -> result_json``, or
``fn(op, payload_json, frames) -> result_json`` when set with ``frames=True`` (see :func:`decode_frames`). Must never
raise."""

FRAME_SEP, FIELD_SEP = "\x1e", "\x1f"
RawFrame = tuple[str, int, int, str]  # file, line, column, function name ("" when it has none)


class Outcome(str, enum.Enum):
    OK = "ok"
    ERROR = "error"  # a JS exception reached the host (not a limit)
    CPU = "cpu"  # the deterministic CPU budget of the turn was spent, or the engine thread's CPU-time backstop
    WALL = "wall"  # the hard wall limit: the turn stalled without spending its CPU time (blocked, not scheduled)
    MEMORY = "memory"  # the engine's memory limit was hit
    STACK = "stack"  # stack overflow reached the host
    TRAP = "trap"  # the engine itself failed (wasm trap, host error); the engine must be discarded

    @property
    def is_limit(self) -> bool:
        return self in (Outcome.CPU, Outcome.WALL, Outcome.MEMORY, Outcome.STACK)


@dataclass(frozen=True)
class EngineLimits:
    memory_bytes: int = 64 * 1024 * 1024
    stack_bytes: int = 4 * 1024 * 1024  # the most QuickJS may use; what it gets is js_stack_bytes(...)
    cpu_ms_per_turn: float = 2_000.0  # deterministic budget, converted to engine units
    thread_cpu_ms_per_turn: float = 30_000.0  # backstop: CPU time the engine's thread spends in a turn (measured)
    wall_ms_per_turn: float = 120_000.0  # stalls only: the turn took this long without spending its CPU time
    # Host work done for JS is charged to the turn as a fixed cost per host-function call, so that a loop of
    # cheap API calls spends its CPU budget deterministically instead of only the wall-clock backstop.
    host_call_cost_ms: float = 0.05


@dataclass(frozen=True)
class JSError:
    name: str
    message: str
    frames: str = ""  # the frames recorded for the thrown value, as the shim's records (see decode_frames)

    @property
    def text(self) -> str:
        return f"{self.name}: {self.message}" if self.name else self.message

    @property
    def stack(self) -> str:
        """The frames as QuickJS renders a stack (for people; evidence takes :attr:`frames`)."""
        return "\n".join(f"    at {fn or '<anonymous>'} ({file}:{line}:{col})"
                         for file, line, col, fn in decode_frames(self.frames))


@dataclass
class CallResult:
    outcome: Outcome
    value: JSONValue = None
    error: JSError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


@dataclass
class JobsResult:
    outcome: Outcome
    jobs: int = 0
    error: JSError | None = None


@dataclass
class TurnUsage:
    cpu_units: int = 0
    cpu_ms: float = 0.0  # deterministic estimate: cpu_units / units_per_ms
    wall_ms: float = 0.0  # measured; not deterministic, never part of a trace
    memory_bytes: int = 0  # heap in use at the end of the turn, as a deterministic figure (goes into traces)
    heap_bytes: int = 0  # heap in use as measured by the allocator (may vary between runs; stats only)
    memory_refused: int = 0  # allocations refused at the memory limit during the turn (when the backend knows)
    rejections_lost: int = 0  # unhandled rejections the engine could not keep (no memory left to track them)


@dataclass
class EngineInfo:
    name: str
    cpu_unit: str
    units_per_ms: float
    version: str
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    """One isolated JavaScript realm with its own heap and limits. Not thread-safe."""

    info: EngineInfo

    def set_host_function(self, global_name: str, fn: HostFunction, *, frames: bool = False) -> None:
        """Expose ``fn`` as ``globalThis[global_name](op, payload[, where[, value]])``; the framework captures and
        deletes it. With ``frames``, fn also gets the frames JS asked for: ``where`` 1, those of the call; 2, those
        recorded for ``value`` (a thrown value)."""

    def define_module(self, define_name: str, path: str, params: str, body: str) -> CallResult:
        """Compile ``body`` as the body of ``function (params)`` on its own, and call the pinned function
        ``define_name(path, fn)`` with it. Nothing of the body runs; a body that is not one function body (one
        that closes the function early) is a SyntaxError of ``path``. Lines and columns in frames are the body's."""

    def eval(self, source: str, filename: str) -> CallResult:
        """Evaluate untrusted global code; stack traces name ``filename``. Value: the completion value if
        JSON-able primitive, else None."""

    def pin(self, global_name: str) -> None:
        """Take the global function ``global_name`` out of JS reach; ``call`` can still invoke it."""

    def call(self, name: str, *args: JSONValue) -> CallResult:
        """Call a pinned (or global) function with JSON-able arguments; returns its JSON-able result."""

    def call_json(self, name: str, args_json: str) -> CallResult:
        """:meth:`call` with the arguments already as JSON text (a JSON array): for the host's own large,
        unchanging arguments, serialized once per process."""

    def set_rejection_handler(self, global_name: str) -> None:
        """Take the global function ``global_name`` out of JS reach and call it as ``fn(reason, promise)`` for
        every promise still rejected without a handler once the job queue is empty (inside ``run_jobs``)."""

    def run_jobs(self, max_jobs: int) -> JobsResult:
        """Drain pending jobs (microtasks) until none are left, ``max_jobs`` ran, or a limit was hit. When the
        queue is empty, deliver unhandled rejections to the rejection handler and keep draining."""

    def begin_turn(self) -> None:
        """Start the accounting of one turn: resets the CPU counter against ``cpu_ms_per_turn``."""

    def end_turn(self) -> TurnUsage:
        """Stop the turn's accounting and report what it used."""

    def memory_used(self) -> int: ...

    def gc(self) -> None: ...

    def close(self) -> None: ...


# wasm: QuickJS's stack is the shadow stack in linear memory, and wasmtime's own stack (2 MiB at most) runs ~2-2.6x
# as much alongside: 576 KiB of shadow stack keeps QuickJS's catchable RangeError first.
WASM_MAX_JS_STACK = 576 * 1024


def js_stack_bytes(stack_bytes: int, engine: str) -> int:
    """The stack QuickJS may use on each engine, so that the same code recurses about as deep on both (within ~10%
    for frames of 50 to 1,000 locals): wasm gets 9/64 of ``stack_bytes`` within what wasmtime allows, native 9/4 of
    that (its values and frames are about twice as large). Calls are also counted (csrc/shim.c, MAX_JS_DEPTH):
    ordinary recursion meets that first, at the same depth on both."""
    wasm = max(64 * 1024, min(int(stack_bytes) * 9 // 64, WASM_MAX_JS_STACK))
    return wasm if engine == "wasm" else wasm * 9 // 4


class EstimateCadence:
    """When to pay for QuickJS's structural memory estimate (a walk of the whole heap): every
    ``every`` turns, or when the allocator's count moved by more than ``slack`` since the last walk. In between the
    figure is the last estimate moved by the allocator's change, so per-turn bookkeeping stays flat as the heap
    grows. Both inputs are deterministic, so the figures are too."""

    def __init__(self, every: int = 32, slack_bytes: int = 1 << 20):
        self.every, self.slack = every, slack_bytes
        self.turns = 0
        self.estimate = 0
        self.heap_at_estimate = -1

    def due(self, heap: int) -> bool:
        self.turns += 1
        # a walk costs in proportion to the heap: a big heap is walked less often (every 32 turns per 8 MiB)
        every = self.every * max(1, heap >> 23)
        return (self.heap_at_estimate < 0 or self.turns >= every
                or abs(heap - self.heap_at_estimate) > max(self.slack, self.heap_at_estimate // 10))

    def measured(self, heap: int, estimate: int) -> int:
        self.turns, self.estimate, self.heap_at_estimate = 0, estimate, heap
        return estimate

    def guess(self, heap: int) -> int:
        return max(0, self.estimate + heap - self.heap_at_estimate)


class EngineUnavailable(RuntimeError):
    """The backend cannot run on this machine (missing toolchain, unsupported wheel...). Message says why."""


def host_reply(fn: HostFunction, op: str, message: str, frames: str | None = None) -> bytes | None:
    """What the host function answers a call from JS, as UTF-8 (None: undefined); ``frames`` (the shim's records)
    go to a host function set with ``frames=True``. The bridge never raises into the engine: an exception becomes a
    ``hostError`` reply."""
    try:
        out = fn(op, message) if frames is None else fn(op, message, frames)
    except BaseException as exc:  # noqa: BLE001
        out = json.dumps({"hostError": f"{type(exc).__name__}: {exc}"})
    return None if out is None else str(out).encode("utf-8", "surrogatepass")


def classify_error(text: str) -> Outcome:
    """Map the text of an error that reached the host to an outcome (shared by both backends)."""
    if "out of memory" in text:
        return Outcome.MEMORY
    if "Maximum call stack size exceeded" in text or "stack overflow" in text:
        return Outcome.STACK
    return Outcome.ERROR


def split_error(text: str, frames: str = "") -> JSError:
    """The shim's ``"Name: message"`` description of an exception (read without running JS) and its frames."""
    name, sep, message = text.partition(": ")
    if not sep or not name.replace("_", "").isalnum():
        name, message = "", text
    return JSError(name=name, message=message, frames=frames)


def module_source(params: str, body: str) -> str:
    """What :meth:`Engine.define_module` compiles: the first line (numbered 0) holds the head, so the body's lines
    are the file's."""
    return f"(function ({params}) {{\n{body}\n}})"


def decode_frames(records: str) -> list[RawFrame]:
    """The shim's frame records (``file US line US col US name RS`` each, innermost first). The shim writes the
    separators and blanks every control character inside a field, so no name or file can add or move a frame."""
    out: list[RawFrame] = []
    for record in records.split(FRAME_SEP):
        fields = record.split(FIELD_SEP)
        if len(fields) != 4:
            continue
        file, line, col, fn = fields
        try:
            out.append((file, int(line), int(col), fn))
        except ValueError:
            continue
    return out
