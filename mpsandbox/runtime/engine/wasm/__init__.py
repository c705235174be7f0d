"""The ``wasm`` engine: QuickJS-NG compiled to WASI and run in wasmtime (see :mod:`.engine` and :mod:`.build`)."""

from __future__ import annotations

from typing import Any

__all__ = ["WasmEngine"]


def __getattr__(name: str) -> Any:
    # imported lazily, so that ``python -m mpsandbox.runtime.engine.wasm.build`` runs the build module only once
    if name == "WasmEngine":
        from .engine import WasmEngine

        return WasmEngine
    raise AttributeError(name)
