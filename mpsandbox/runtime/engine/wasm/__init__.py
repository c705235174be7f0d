"""The ``wasm`` engine: QuickJS-NG compiled to WASI and run in wasmtime (see :mod:`.engine` and :mod:`.build`)."""

from .engine import WasmEngine

__all__ = ["WasmEngine"]
