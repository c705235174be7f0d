"""Every fixture bundle walked on both engines: the traces are identical apart from the cost figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpsandbox.runtime.sandbox import RunLimits

from .conftest import engine_unavailable_reason

bundle_module = pytest.importorskip("mpsandbox.bundle", reason="the bundle loader is not importable yet")
walker_module = pytest.importorskip("mpsandbox.runtime.walker", reason="the walker is not importable yet")
BundleError, load_bundle, Walker = bundle_module.BundleError, bundle_module.load_bundle, walker_module.Walker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
BUNDLES = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
# Budgets large enough that well-behaved work never meets them on either engine; hostile bundles meet them on both.
LIMITS = RunLimits(cpu_ms_per_turn=1_000, cpu_ms_total=20_000, max_cpu_breaches=2, memory_bytes=64 * 1024 * 1024)


def _walk(bundle, engine: str, mode: str):
    return Walker(bundle, engine=engine, mode=mode, limits=LIMITS, idle_after_unload_ms=5_000).run().trace


@pytest.mark.skipif(not BUNDLES, reason="no fixture bundles yet")
@pytest.mark.skipif(engine_unavailable_reason("wasm") is not None, reason="the wasm engine is unavailable")
@pytest.mark.parametrize("path", BUNDLES, ids=[p.name for p in BUNDLES])
def test_both_engines_behave_the_same(path):
    try:
        bundle = load_bundle(path)
    except BundleError:
        pytest.skip("not loadable (reviewed as bundle-unloadable)")
    native = _walk(bundle, "native", "allow").behaviour()
    wasm = _walk(bundle, "wasm", "allow").behaviour()
    if native == wasm:
        return
    # Memory sizes (wasm32 values are half as wide) and stack depth (frames differ in size) are cost figures
    # too: a bundle that exhausts memory or the stack may meet the limit at another point of its work. Up to
    # that point the traces must be identical, and both must meet the same kinds of limit.
    first = next(i for i, (a, b) in enumerate(zip(native["events"], wasm["events"])) if a != b)
    assert _is_limit(native["events"][first]) and _is_limit(wasm["events"][first]), (
        f"first difference at event {first}: {native['events'][first]} != {wasm['events'][first]}")
    assert _limit_kinds(native) == _limit_kinds(wasm)


def _is_limit(event: dict) -> bool:
    if event["kind"] == "budget":
        return event["budget"] in ("memory", "stack")
    text = f"{event.get('name', '')} {event.get('message', '')}".lower()
    return event["kind"] == "error" and (event.get("error") == "limit" or "memory" in text or "stack" in text
                                         or text.strip() in ("", "null", "internalerror"))


def _limit_kinds(trace: dict) -> set[str]:
    return {e["budget"] for e in trace["events"] if e["kind"] == "budget" and e["budget"] in ("memory", "stack")}
