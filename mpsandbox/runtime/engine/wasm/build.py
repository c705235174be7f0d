"""The wasm engine's module: QuickJS-NG + the shim for wasm32-wasi (built by :mod:`..qjs_build`), compiled by
wasmtime once and cached.

    python -m mpsandbox.runtime.engine.wasm.build      # make the compiled module ahead

``pip install`` compiles it into the package next to the .wasm (:func:`compile_module_into`, called by
:func:`..install.build_into`); when that one is missing or refused (another wasmtime, another CPU), it lives in the
cache (``$MPSANDBOX_CACHE`` or ``~/.cache/mpsandbox``), keyed by the
.wasm's build key, the wasmtime version and the engine configuration, with a sha256 sidecar; anything stale,
corrupt or refused by wasmtime is compiled again.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import resource
from importlib import metadata

import wasmtime

from .. import qjs_build
from ..qjs_build import cache_dir, read_verified as _read_verified, sha as _sha, write_verified as _write_verified

__all__ = ["cache_dir", "build_key", "module_key", "ensure_module_bytes", "build_wasm", "_read_verified", "_sha"]


def build_key() -> str:
    return qjs_build.wasm_key()


def module_key(config: str) -> str:
    return hashlib.sha256(f"{build_key()}|wasmtime={metadata.version('wasmtime')}|{config}".encode()).hexdigest()[:24]


def build_wasm() -> bytes:
    """The .wasm bytes (from the install, the cache, or built now)."""
    path = qjs_build.wasm_path()
    data = _read_verified(path)
    if data is None:  # pragma: no cover - changed under our feet
        raise RuntimeError(f"the wasm engine file {path} does not verify")
    return data


def _deserialize(engine: wasmtime.Engine, data: bytes | None) -> wasmtime.Module | None:
    if data is None:
        return None
    try:
        return wasmtime.Module.deserialize(engine, data)
    except Exception:  # noqa: BLE001 - a cache entry wasmtime refuses is rebuilt
        return None


MAX_NATIVE_STACK = 2 * 1024 * 1024  # wasmtime caps the host stack wasm may use at its async stack size (2 MiB)
# Address space per instance: linear memory is reserved up front and never moves (the watchdog writes into it by
# address), so the reservation is also the most it can grow to. wasmtime's default (4 GiB and a 2 GiB guard, which
# let it drop bounds checks) takes over 4 GiB of address space an instance: two of them fail under
# `ulimit -v 4194304`. Where the address space is limited, instances reserve 1 GiB (the store limit of a 640 MiB JS
# heap; a larger heap limit is cut to what fits) and every access is bounds-checked: that costs ~15-50% of CPU time
# (fib +45%, a loop +15%, allocation +25%), so the default layout stays where nothing limits the address space.
# Fuel counts wasm instructions, not machine code: budgets and traces are the same in both layouts.
FAST_LAYOUT = (4 << 30, 2 << 30)  # reservation, guard
BOUNDED_LAYOUT = (1 << 30, 64 * 1024)


@functools.lru_cache(maxsize=1)
def memory_layout() -> tuple[int, int]:
    """The layout for this process, chosen once: bounded when its address space is limited (RLIMIT_AS)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return FAST_LAYOUT if soft == resource.RLIM_INFINITY else BOUNDED_LAYOUT


def engine_config() -> wasmtime.Config:
    cfg = wasmtime.Config()
    cfg.consume_fuel = True
    cfg.epoch_interruption = True
    cfg.cranelift_opt_level = "speed"
    cfg.max_wasm_stack = MAX_NATIVE_STACK
    cfg.memory_may_move = False  # the watchdog writes into linear memory by address
    cfg.memory_reservation, cfg.memory_guard_size = memory_layout()
    cfg.memory_reservation_for_growth = 0
    return cfg


def config_fingerprint() -> str:
    reservation, guard = memory_layout()
    return f"fuel=1;epoch=1;opt=speed;stack={MAX_NATIVE_STACK};nomove=1;reserve={reservation};guard={guard}"


def module_name(config: str) -> str:
    return f"module-{module_key(config)}.cwasm"


def compile_module_into(dest, wasm: bytes, report=qjs_build.say):
    """Compile the .wasm with the engine configuration the wasm engine uses, into ``dest`` (at install)."""
    report("compiling the wasm engine's module with wasmtime...")
    path = dest / module_name(config_fingerprint())
    _write_verified(path, wasmtime.Module(wasmtime.Engine(engine_config()), wasm).serialize())
    return path


def ensure_module_bytes(engine: wasmtime.Engine, config: str) -> wasmtime.Module:
    """The compiled module: the one built at install, else deserialized from the cache when valid, else compiled
    and cached."""
    module = _deserialize(engine, _read_verified(qjs_build.BUILT_DIR / module_name(config)))
    if module is not None:
        return module
    path = cache_dir() / module_name(config)
    module = _deserialize(engine, _read_verified(path))
    if module is not None:
        return module
    wasm = build_wasm()
    with open(cache_dir() / "module.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers compile once
        module = _deserialize(engine, _read_verified(path))
        if module is None:
            qjs_build.say("compiling the wasm engine's module with wasmtime (one time, a few seconds)...")
            module = wasmtime.Module(engine, wasm)
            _write_verified(path, module.serialize())
        return module


def main() -> None:
    ensure_module_bytes(wasmtime.Engine(engine_config()), config_fingerprint())
    print(f"wasm engine ready in {cache_dir()}")


if __name__ == "__main__":
    main()
