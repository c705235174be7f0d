"""JavaScript engines behind one protocol (see :mod:`.base`)."""

from __future__ import annotations

from .base import (
    CallResult,
    Engine,
    EngineInfo,
    EngineLimits,
    EngineUnavailable,
    JobsResult,
    JSError,
    Outcome,
    TurnUsage,
)

ENGINES = ("native", "wasm")


def create_engine(name: str = "native", limits: EngineLimits | None = None) -> Engine:
    """Create a fresh engine. Raises :class:`EngineUnavailable` with a reason when the backend cannot run."""
    if name == "native":
        from .native import NativeEngine

        return NativeEngine(limits)
    if name == "wasm":
        try:
            from .wasm import WasmEngine
        except ImportError as exc:  # pragma: no cover - depends on the build
            raise EngineUnavailable(f"the wasm engine is not available: {exc}") from exc
        return WasmEngine(limits)
    raise EngineUnavailable(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


__all__ = [
    "CallResult",
    "Engine",
    "EngineInfo",
    "EngineLimits",
    "EngineUnavailable",
    "JobsResult",
    "JSError",
    "Outcome",
    "TurnUsage",
    "create_engine",
    "ENGINES",
]
