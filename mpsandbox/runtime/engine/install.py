"""What ``pip install`` builds (setup.py calls :func:`build_into`): both engines from the one QuickJS-NG source and
shim (:mod:`.qjs_build`), and the wasm engine's module compiled for this machine (:mod:`.wasm.build`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import qjs_build


def build_into(dest: Path, report: Callable[[str], None] = qjs_build.say) -> list[Path]:
    """Build both engines into ``dest`` (what ``pip install`` does, see setup.py); and, where wasmtime is
    importable, the wasm engine's compiled module for this machine too. Returns the files written."""
    # the wasm link is the slower: its objects first
    targets = [qjs_build.wasm_target(), qjs_build.native_target_spec()]
    built = qjs_build.compile_targets(targets, report)
    written = []
    for t in targets:
        qjs_build.write_verified(dest / t.file_name, built[t.name])
        written.append(dest / t.file_name)
    try:
        from .wasm import build as wasm_build
    except ImportError:  # wasmtime is not there: the module is compiled on first use instead
        report("wasmtime not importable: the wasm engine's module is compiled on first use")
        return written
    written.append(wasm_build.compile_module_into(dest, built["wasm32-wasi"], report))
    return written
