"""Direct access to the QuickJS-NG C API inside the ``quickjs-ng`` wheel.

The Python wrapper of ``quickjs-ng`` evaluates everything under the file name ``<input>`` and refuses calls into
Python while its time limit is set, which rules out both readable stack traces and a CPU budget next to the bridge.
The wheel exports the whole QuickJS C API, so this module reaches the *same* runtime through ctypes for three
things: an interrupt handler (deterministic CPU ticks and a wall-clock backstop), ``JS_Eval`` with a real file name,
and bytecode for our own trusted framework (fast start).

The wrapper's private ``RuntimeData`` layout is read at fixed offsets. That is only sound for the pinned wheel, so
:func:`attach` verifies every pointer against the C API before it is used and raises :class:`EngineUnavailable`
otherwise.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import _quickjs  # type: ignore[import-not-found]
import quickjs

from .base import EngineUnavailable

SUPPORTED_WHEEL = "0.17.0.2"

TAG_STRING = -7
TAG_INT = 0
TAG_BOOL = 1
TAG_NULL = 2
TAG_UNDEFINED = 3
TAG_EXCEPTION = 6
TAG_FLOAT64 = 8

EVAL_TYPE_GLOBAL = 0
EVAL_FLAG_COMPILE_ONLY = 1 << 5
WRITE_OBJ_BYTECODE = 1 << 0
READ_OBJ_BYTECODE = 1 << 0


class JSValue(ctypes.Structure):
    # quickjs-ng on 64-bit hosts: no NaN boxing, {union u; int64 tag}.
    _fields_ = [("u", ctypes.c_uint64), ("tag", ctypes.c_int64)]


INTERRUPT_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

_vp = ctypes.c_void_p
_lib = ctypes.CDLL(_quickjs.__file__)


def _fn(name: str, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


JS_GetRuntime = _fn("JS_GetRuntime", _vp, _vp)
JS_GetRuntimeOpaque = _fn("JS_GetRuntimeOpaque", _vp, _vp)
JS_SetInterruptHandler = _fn("JS_SetInterruptHandler", None, _vp, INTERRUPT_HANDLER, _vp)
JS_UpdateStackTop = _fn("JS_UpdateStackTop", None, _vp)
JS_Eval = _fn("JS_Eval", JSValue, _vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int)
JS_EvalFunction = _fn("JS_EvalFunction", JSValue, _vp, JSValue)
JS_GetException = _fn("JS_GetException", JSValue, _vp)
JS_FreeValue = _fn("JS_FreeValue", None, _vp, JSValue)
JS_GetPropertyStr = _fn("JS_GetPropertyStr", JSValue, _vp, JSValue, ctypes.c_char_p)
JS_ToCStringLen2 = _fn("JS_ToCStringLen2", _vp, _vp, ctypes.POINTER(ctypes.c_size_t), JSValue, ctypes.c_bool)
JS_FreeCString = _fn("JS_FreeCString", None, _vp, _vp)
JS_WriteObject = _fn("JS_WriteObject", _vp, _vp, ctypes.POINTER(ctypes.c_size_t), JSValue, ctypes.c_int)
JS_ReadObject = _fn("JS_ReadObject", JSValue, _vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
js_free = _fn("js_free", None, _vp, _vp)
JS_SetGCThreshold = _fn("JS_SetGCThreshold", None, _vp, ctypes.c_size_t)
JS_GetVersion = _fn("JS_GetVersion", ctypes.c_char_p)

_PyThreadState_Get = ctypes.pythonapi.PyThreadState_Get
_PyThreadState_Get.restype = _vp

# Offsets into the wrapper's RuntimeData (module.c): PyObject_HEAD, JSRuntime*, JSContext*, int has_time_limit,
# clock_t time_limit, PyThreadState* thread_state.
_HEAD = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
_OFF_RUNTIME = _HEAD
_OFF_CONTEXT = _HEAD + 8
_OFF_HAS_TIME_LIMIT = _HEAD + 16
_OFF_THREAD_STATE = _HEAD + 32


@dataclass
class EvalOutcome:
    ok: bool
    value: object = None
    error_text: str = ""  # "Name: message"
    error_stack: str = ""


class Handle:
    """The C pointers of one ``quickjs.Context`` and the operations that bypass the wrapper."""

    def __init__(self, ctx: quickjs.Context):
        base = id(ctx)
        self._ctx = ctx  # keeps the pointers alive
        self.rt = ctypes.c_void_p.from_address(base + _OFF_RUNTIME).value
        self.cx = ctypes.c_void_p.from_address(base + _OFF_CONTEXT).value
        self._thread_state = ctypes.c_void_p.from_address(base + _OFF_THREAD_STATE)
        has_limit = ctypes.c_int.from_address(base + _OFF_HAS_TIME_LIMIT).value
        if (
            not self.rt
            or not self.cx
            or JS_GetRuntime(self.cx) != self.rt
            or JS_GetRuntimeOpaque(self.rt) != base
            or has_limit != 0
            or self._thread_state.value is not None
        ):
            raise EngineUnavailable(
                "the native engine could not attach to the quickjs-ng wheel's runtime; "
                f"mpsandbox supports quickjs-ng=={SUPPORTED_WHEEL} on 64-bit CPython"
            )
        self._owner = threading.get_ident()

    # The wrapper releases the GIL around JS and stores the thread state so that a call back into Python can
    # take the GIL again. Entering JS through ctypes must do the same, or a bridge call would crash the host.
    def _enter(self) -> None:
        if threading.get_ident() != self._owner:
            raise RuntimeError("a QuickJS context must be used from the thread that created it")
        self._thread_state.value = _PyThreadState_Get()
        JS_UpdateStackTop(self.rt)

    def _leave(self) -> None:
        self._thread_state.value = None

    def set_gc_threshold(self, size: int) -> None:
        JS_SetGCThreshold(self.rt, size)

    def set_interrupt_handler(self, handler) -> None:
        JS_SetInterruptHandler(self.rt, handler, None)

    def clear_interrupt_handler(self) -> None:
        JS_SetInterruptHandler(self.rt, INTERRUPT_HANDLER(), None)

    def _to_str(self, value: JSValue) -> str:
        n = ctypes.c_size_t()
        p = JS_ToCStringLen2(self.cx, ctypes.byref(n), value, False)
        if not p:
            self._drop_exception()
            return "<unprintable>"
        try:
            return ctypes.string_at(p, n.value).decode("utf-8", "replace")
        finally:
            JS_FreeCString(self.cx, p)

    def _drop_exception(self) -> None:
        JS_FreeValue(self.cx, JS_GetException(self.cx))

    def _take_exception(self) -> EvalOutcome:
        exc = JS_GetException(self.cx)
        try:
            text = self._to_str(exc)
            stack = ""
            if exc.tag == -1:  # object: read .stack
                st = JS_GetPropertyStr(self.cx, exc, b"stack")
                if st.tag == TAG_EXCEPTION:
                    self._drop_exception()
                else:
                    if st.tag == TAG_STRING:
                        stack = self._to_str(st)
                    JS_FreeValue(self.cx, st)
            return EvalOutcome(False, error_text=text, error_stack=stack)
        finally:
            JS_FreeValue(self.cx, exc)

    def _convert(self, v: JSValue) -> object:
        tag = v.tag
        if tag == TAG_INT:
            return ctypes.c_int32(v.u & 0xFFFFFFFF).value
        if tag == TAG_BOOL:
            return bool(v.u & 0xFFFFFFFF)
        if tag == TAG_FLOAT64:
            return ctypes.c_double.from_buffer_copy(ctypes.c_uint64(v.u)).value
        if tag in (TAG_STRING, -6):
            return self._to_str(v)
        return None

    def eval(self, source: str, filename: str) -> EvalOutcome:
        data = source.encode("utf-8", "surrogatepass")
        self._enter()
        try:
            v = JS_Eval(self.cx, data, len(data), filename.encode("utf-8", "replace"), EVAL_TYPE_GLOBAL)
            if v.tag == TAG_EXCEPTION:
                return self._take_exception()
            try:
                return EvalOutcome(True, value=self._convert(v))
            finally:
                JS_FreeValue(self.cx, v)
        finally:
            self._leave()

    def compile_to_bytecode(self, source: str, filename: str) -> bytes:
        """Compile trusted code without running it; the result is only ever fed back to :meth:`run_bytecode`."""
        data = source.encode("utf-8")
        self._enter()
        try:
            fn = JS_Eval(self.cx, data, len(data), filename.encode(), EVAL_TYPE_GLOBAL | EVAL_FLAG_COMPILE_ONLY)
            if fn.tag == TAG_EXCEPTION:
                out = self._take_exception()
                raise SyntaxError(f"{filename}: {out.error_text}\n{out.error_stack}")
            try:
                n = ctypes.c_size_t()
                p = JS_WriteObject(self.cx, ctypes.byref(n), fn, WRITE_OBJ_BYTECODE)
                if not p:
                    self._drop_exception()
                    raise MemoryError("JS_WriteObject failed")
                try:
                    return ctypes.string_at(p, n.value)
                finally:
                    js_free(self.cx, p)
            finally:
                JS_FreeValue(self.cx, fn)
        finally:
            self._leave()

    def run_bytecode(self, code: bytes) -> EvalOutcome:
        self._enter()
        try:
            fn = JS_ReadObject(self.cx, code, len(code), READ_OBJ_BYTECODE)
            if fn.tag == TAG_EXCEPTION:
                return self._take_exception()
            v = JS_EvalFunction(self.cx, fn)  # consumes fn
            if v.tag == TAG_EXCEPTION:
                return self._take_exception()
            JS_FreeValue(self.cx, v)
            return EvalOutcome(True)
        finally:
            self._leave()


def attach(ctx: quickjs.Context) -> Handle:
    return Handle(ctx)


def engine_version() -> str:
    return JS_GetVersion().decode()


# -- the interrupt counter ------------------------------------------------------------------------------------
# JSContext.interrupt_counter counts down from 10,000 on every call and backward jump and calls the interrupt
# handler at zero. Reading it gives an exact, deterministic count of polls per turn; writing 0 into it from the
# watchdog thread makes the next poll call the handler. Its offset is found by observation and then proven by
# writing to it; if the proof fails the engine falls back to coarse counting (whole handler calls).
COUNTER_RESET = 10_000
_SCAN_BYTES = 1024
_counter_offset: int | None | bool = False  # False: not probed yet


def _scan(cx: int) -> list[int]:
    return list((ctypes.c_int32 * (_SCAN_BYTES // 4)).from_address(cx))


def _probe_counter_offset() -> int | None:
    ctx = quickjs.Context()
    h = Handle(ctx)
    calls = [0]

    @INTERRUPT_HANDLER
    def count(_rt, _op):
        calls[0] += 1
        return 0

    h.set_interrupt_handler(count)
    try:
        loop = "for (var i = 0; i < {n}; i++) {{}}"
        h.eval(loop.format(n=50), "probe.js")
        for _attempt in range(4):
            snaps, wrapped = [_scan(h.cx)], False
            for n in (100, 300, 500):
                before = calls[0]
                h.eval(loop.format(n=n), "probe.js")
                wrapped |= calls[0] != before
                snaps.append(_scan(h.cx))
            if wrapped:
                continue
            found = []
            for i in range(len(snaps[0])):
                d = [snaps[k][i] - snaps[k + 1][i] for k in range(3)]
                if 0 < d[0] < d[1] < d[2] and d[2] - d[1] == d[1] - d[0] and 0 < snaps[3][i] <= COUNTER_RESET:
                    found.append(i * 4)
            for off in found:
                cell = ctypes.c_int32.from_address(h.cx + off)
                before, cell.value = calls[0], 1
                h.eval(loop.format(n=3), "probe.js")
                if calls[0] == before + 1 and 0 < cell.value <= COUNTER_RESET:
                    return off
            return None
        return None
    finally:
        h.clear_interrupt_handler()


def interrupt_counter_offset() -> int | None:
    global _counter_offset
    if _counter_offset is False:
        _counter_offset = _probe_counter_offset()
    return _counter_offset  # type: ignore[return-value]


# -- unhandled promise rejections ------------------------------------------------------------------------------
REJECTION_TRACKER = ctypes.CFUNCTYPE(None, _vp, JSValue, JSValue, ctypes.c_bool, _vp)
JS_SetHostPromiseRejectionTracker = _fn("JS_SetHostPromiseRejectionTracker", None, _vp, REJECTION_TRACKER, _vp)
JS_DupValue = _fn("JS_DupValue", JSValue, _vp, JSValue)
JS_GetGlobalObject = _fn("JS_GetGlobalObject", JSValue, _vp)
JS_Call = _fn("JS_Call", JSValue, _vp, JSValue, JSValue, ctypes.c_int, ctypes.POINTER(JSValue))
_UNDEFINED = JSValue(0, TAG_UNDEFINED)


class RejectionTracker:
    """Collects promises rejected without a handler; :meth:`deliver` hands each one to a JS function.

    The tracker callback runs in the middle of JS execution, so it only takes references; the JS handler is
    called later, between jobs, the way a host's ``unhandledrejection`` event is.
    """

    def __init__(self, handle: Handle, handler_global: str):
        self._h = handle
        self._pending: dict[int, tuple[JSValue, JSValue]] = {}
        glob = JS_GetGlobalObject(handle.cx)
        try:
            self._fn = JS_GetPropertyStr(handle.cx, glob, handler_global.encode())
        finally:
            JS_FreeValue(handle.cx, glob)
        if self._fn.tag != -1:
            JS_FreeValue(handle.cx, self._fn)
            raise KeyError(f"no global function {handler_global!r} for rejections")
        self._callback = REJECTION_TRACKER(self._track)
        JS_SetHostPromiseRejectionTracker(handle.rt, self._callback, None)

    def _track(self, _cx, promise: JSValue, reason: JSValue, handled: bool, _opaque) -> None:
        key = promise.u
        if handled:
            pair = self._pending.pop(key, None)
            if pair is not None:
                JS_FreeValue(self._h.cx, pair[0])
                JS_FreeValue(self._h.cx, pair[1])
        elif key not in self._pending:
            self._pending[key] = (JS_DupValue(self._h.cx, promise), JS_DupValue(self._h.cx, reason))

    def has_pending(self) -> bool:
        return bool(self._pending)

    def deliver(self) -> EvalOutcome | None:
        """Call the handler with (reason, promise) for each pending rejection; returns the first failure."""
        failure = None
        while self._pending:
            key = next(iter(self._pending))
            promise, reason = self._pending.pop(key)
            argv = (JSValue * 2)(reason, promise)
            self._h._enter()
            try:
                r = JS_Call(self._h.cx, self._fn, _UNDEFINED, 2, argv)
                if r.tag == TAG_EXCEPTION:
                    failure = failure or self._h._take_exception()
                else:
                    JS_FreeValue(self._h.cx, r)
            finally:
                self._h._leave()
                JS_FreeValue(self._h.cx, reason)
                JS_FreeValue(self._h.cx, promise)
        return failure

    def close(self) -> None:
        JS_SetHostPromiseRejectionTracker(self._h.rt, REJECTION_TRACKER(), None)
        for promise, reason in self._pending.values():
            JS_FreeValue(self._h.cx, promise)
            JS_FreeValue(self._h.cx, reason)
        self._pending.clear()
        JS_FreeValue(self._h.cx, self._fn)
