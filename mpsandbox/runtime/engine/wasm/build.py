"""Build QuickJS-NG + the shim to wasm32-wasi, once, and cache the compiled module.

    python -m mpsandbox.runtime.engine.wasm.build      # build ahead (the first wasm engine does it otherwise)

The C sources are those of the quickjs-ng source distribution on PyPI at exactly the version of the installed
``quickjs-ng`` package (the native engine's), compiled with the ``ziglang`` toolchain from PyPI. Nothing else is
downloaded and no binary is committed. The cache (``$MPSANDBOX_CACHE`` or ``~/.cache/mpsandbox``) holds the .wasm
and wasmtime's serialized module, keyed by quickjs-ng version, shim hash, build flags, wasmtime version and engine
configuration; each file has a sha256 sidecar, and anything stale, corrupt or unverifiable is rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata, resources
from pathlib import Path

import wasmtime

from ..base import EngineUnavailable

SOURCES = ("quickjs.c", "libregexp.c", "libunicode.c", "dtoa.c")
CFLAGS = ("-target", "wasm32-wasi", "-O2", "-DNDEBUG")
LDFLAGS = ("-mexec-model=reactor", "-Wl,-z,stack-size=8388608")
BUILD_TIMEOUT_S = 900
# QuickJS checks its stack depth against the stack pointer, which under wasm is the shadow stack in linear memory:
# recursive C code (JSON.parse, JSON.stringify, JS calls) keeps most of its frame on wasmtime's own stack, which
# runs out first (a trap that kills the instance) unless each checked frame also reserves some shadow stack. The
# check is inlined into every recursive function that makes it, so a pad there is reserved once per level.
STACK_CHECK = """static inline bool js_check_stack_overflow(JSRuntime *rt, size_t alloca_size)
{
    uintptr_t sp;"""
STACK_CHECK_PADDED = """static char *volatile mpsb_pad_sink;
#define MPSB_PARSE_PAD(n) char mpsb_ppad[n]; mpsb_pad_sink = mpsb_ppad
static inline __attribute__((always_inline)) bool js_check_stack_overflow(JSRuntime *rt, size_t alloca_size)
{
    /* mpsandbox patch: reserve shadow stack in the calling frame, in proportion to its wasm stack use */
    char mpsb_pad[128];
    mpsb_pad_sink = mpsb_pad;
    uintptr_t sp;"""
# The parser's recursive functions make no check of their own (next_token checks the shadow stack pointer) and
# keep ~2 KB a nesting level on wasmtime's stack: pads in the functions that every level of nesting of expressions
# goes through (assignment expressions, unary chains) make deep nesting a catchable RangeError too (~450 levels of
# brackets). Nested statements already use enough shadow stack for the check (no pad: long else-if chains).
PARSER_PADS = tuple(
    (head, head + f"    MPSB_PARSE_PAD({pad});\n") for head, pad in (
        ("static __exception int js_parse_assign_expr2(JSParseState *s, int parse_flags)\n{\n", 768),
        ("static __exception int js_parse_unary(JSParseState *s, int parse_flags)\n{\n", 512),
    ))
# Appended to quickjs.c before compiling: the one accessor the shim needs that quickjs.h does not offer (the
# interrupt counter's address, so the host's watchdog can make the next interrupt poll call the handler).
QUICKJS_PATCH = """
/* mpsandbox patch: where the interrupt counter lives */
int *mpsb_interrupt_counter(JSContext *ctx) { return &ctx->interrupt_counter; }
"""


def cache_dir() -> Path:
    root = os.environ.get("MPSANDBOX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mpsandbox")
    path = Path(root) / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def quickjs_version() -> str:
    try:
        return metadata.version("quickjs-ng")
    except metadata.PackageNotFoundError as exc:
        raise EngineUnavailable("the quickjs-ng package is not installed") from exc


def shim_source() -> bytes:
    return (resources.files("mpsandbox.runtime.engine.wasm") / "shim.c").read_bytes()


def build_key() -> str:
    h = hashlib.sha256()
    h.update(quickjs_version().encode())
    h.update(shim_source())
    h.update(" ".join(CFLAGS + LDFLAGS + SOURCES).encode())
    h.update(QUICKJS_PATCH.encode())
    h.update(STACK_CHECK_PADDED.encode())
    h.update(repr(PARSER_PADS).encode())
    return h.hexdigest()[:24]


def module_key(config: str) -> str:
    return hashlib.sha256(f"{build_key()}|wasmtime={metadata.version('wasmtime')}|{config}".encode()).hexdigest()[:24]


def _say(msg: str) -> None:
    print(f"mpsandbox: {msg}", file=sys.stderr, flush=True)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_verified(path: Path) -> bytes | None:
    side = path.with_suffix(path.suffix + ".sha256")
    try:
        data = path.read_bytes()
        expected = side.read_text().strip()
    except OSError:
        return None
    return data if _sha(data) == expected else None


def _write_verified(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    path.with_suffix(path.suffix + ".sha256").write_text(_sha(data) + "\n")


def _zig(*args: str, cwd: Path) -> None:
    cmd = [sys.executable, "-m", "ziglang", "cc", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise EngineUnavailable(f"compiling the wasm engine failed: {' '.join(args[-3:])}\n{proc.stderr[-2000:]}")


def _fetch_sdist(work: Path) -> Path:
    """The quickjs-ng sdist from PyPI (pip's cache makes this a local copy after the first time). A cached copy
    that does not unpack is fetched again."""
    try:
        return _unpack_sdist(work)
    except (tarfile.TarError, OSError, EOFError):
        (cache_dir() / f"quickjs_ng-{quickjs_version()}.tar.gz").unlink(missing_ok=True)
        shutil.rmtree(work / "src", ignore_errors=True)
        return _unpack_sdist(work)


def _unpack_sdist(work: Path) -> Path:
    version = quickjs_version()
    cached = cache_dir() / f"quickjs_ng-{version}.tar.gz"
    if not cached.exists():
        _say(f"fetching the quickjs-ng {version} source distribution from PyPI")
        proc = subprocess.run([sys.executable, "-m", "pip", "download", f"quickjs-ng=={version}", "--no-binary",
                               ":all:", "--no-deps", "-d", str(work / "dl")],
                              capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        found = sorted((work / "dl").glob("quickjs_ng-*.tar.gz")) if (work / "dl").exists() else []
        if proc.returncode != 0 or not found:
            raise EngineUnavailable(f"could not download the quickjs-ng {version} sources from PyPI: "
                                    f"{proc.stderr.strip()[-500:]}")
        shutil.copy(found[0], cached.with_suffix(f".part{os.getpid()}"))
        os.replace(cached.with_suffix(f".part{os.getpid()}"), cached)
    with tarfile.open(cached) as tar:
        members = [m for m in tar.getmembers() if "/upstream-quickjs/" in m.name and m.isfile()
                   and ".." not in m.name and not m.name.startswith("/")]
        tar.extractall(work / "src", members=members, filter="data")
    roots = list((work / "src").glob("*/upstream-quickjs"))
    if not roots:
        raise EngineUnavailable("the quickjs-ng source distribution has no upstream-quickjs folder")
    return roots[0]


def build_wasm() -> bytes:
    """Compile QuickJS-NG and the shim; returns the .wasm bytes (cached)."""
    target = cache_dir() / f"quickjs-{build_key()}.wasm"
    data = _read_verified(target)
    if data is not None:
        return data
    try:
        import ziglang  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable("the ziglang package is not installed (pip install ziglang)") from exc
    started = time.monotonic()
    _say("building the wasm engine (QuickJS-NG for wasm32-wasi, one time, about a minute)...")
    with tempfile.TemporaryDirectory(prefix="mpsandbox-wasm-") as tmp:
        work = Path(tmp)
        src = _fetch_sdist(work)
        text = (src / "quickjs.c").read_text(encoding="utf-8")
        for old, new in ((STACK_CHECK, STACK_CHECK_PADDED), *PARSER_PADS):
            if text.count(old) != 1:
                raise EngineUnavailable(f"quickjs.c does not have the code the wasm build patches: {old[:60]!r}")
            text = text.replace(old, new)
        (src / "quickjs.c").write_text(text + QUICKJS_PATCH, encoding="utf-8")
        (work / "shim.c").write_bytes(shim_source())
        jobs = [(str(src / name), f"{name[:-2]}.o") for name in SOURCES] + [("shim.c", "shim.o")]
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(lambda j: _zig(*CFLAGS, f"-I{src}", "-c", j[0], "-o", j[1], cwd=work), jobs))
        _zig(*CFLAGS[:2], *LDFLAGS, "-o", "engine.wasm", *[o for _, o in jobs], cwd=work)
        data = (work / "engine.wasm").read_bytes()
    _write_verified(target, data)
    _say(f"wasm engine built in {time.monotonic() - started:.0f} s ({len(data) // 1024} KiB), cached in {target.parent}")
    return data


def ensure_module_bytes(engine: wasmtime.Engine, config: str) -> wasmtime.Module:
    """The compiled module: deserialized from the cache when valid, else compiled and cached."""
    path = cache_dir() / f"module-{module_key(config)}.cwasm"
    data = _read_verified(path)
    if data is not None:
        try:
            return wasmtime.Module.deserialize(engine, data)
        except Exception:  # noqa: BLE001 - a cache entry wasmtime refuses is rebuilt
            pass
    lock_path = cache_dir() / "build.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers build once
        data = _read_verified(path)
        if data is not None:
            try:
                return wasmtime.Module.deserialize(engine, data)
            except Exception:  # noqa: BLE001
                pass
        wasm = build_wasm()
        module = wasmtime.Module(engine, wasm)
        _write_verified(path, module.serialize())
        return module


def main() -> None:
    from .engine import _config, config_fingerprint

    ensure_module_bytes(wasmtime.Engine(_config()), config_fingerprint())
    print(f"wasm engine ready in {cache_dir()}")


if __name__ == "__main__":
    main()
