"""Runtime speed figures (issue 2): printed, never asserted.

    python bench/bench_runtime.py [--engine native|wasm|both] [--n 200]

- sandbox ready: a new Sandbox with the framework loaded and a one-page bundle defined (median ms);
- store launch: the douyin-store fixture from Sandbox() to its first page's onReady (median ms);
- bridge round trip: one host-function call from JS and back, raw (median µs), and one recorded sync API call
  (tt.getStorageSync) through the whole bridge, catalogue and trace (median µs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "runtime"))

from bundles import make_bundle  # noqa: E402

from mpsandbox.runtime.engine import EngineUnavailable, create_engine  # noqa: E402
from mpsandbox.runtime.sandbox import Sandbox  # noqa: E402

TARGETS = {"ready_ms": 2.0, "launch_ms": 15.0, "bridge_us": 5.0}


def median_ms(fn, n: int, clock=time.perf_counter) -> float:
    samples = []
    for _ in range(n):
        t0 = clock()
        fn()
        samples.append((clock() - t0) * 1000.0)
    return statistics.median(samples)


def sandbox_ready(engine: str, n: int, clock=time.perf_counter) -> float:
    bundle = make_bundle({"pages/index/index": "Page({data: {n: 0}})"})

    def once():
        Sandbox(bundle, engine=engine).close()

    once()
    return median_ms(once, n, clock)


def store_launch(engine: str, n: int) -> float | None:
    try:
        from mpsandbox.bundle import load_bundle

        bundle = load_bundle(ROOT / "fixtures" / "bundles" / "douyin-store")
    except Exception as exc:  # noqa: BLE001 - a bench prints what it cannot measure
        print(f"  (store fixture unavailable: {exc})")
        return None

    def once() -> float:
        with Sandbox(bundle, engine=engine) as sb:  # the clock starts in the constructor
            sb.launch()
            sb.run(until=0)
            return sb.stats.launch_wall_ms or float("nan")

    once()
    return statistics.median(once() for _ in range(n))


def raw_bridge_us(engine: str, n: int, clock=time.perf_counter) -> float:
    eng = create_engine(engine)
    try:
        eng.set_host_function("__bench_host", lambda op, payload: payload)
        eng.eval("globalThis.__bench = function (k) { var h = __bench_host; for (var i = 0; i < k; i++) h('x', 'y'); return k }", "bench.js")
        samples = []
        for _ in range(20):
            eng.begin_turn()
            t0 = clock()
            eng.call("__bench", n)
            samples.append((clock() - t0) * 1e6 / n)
            eng.end_turn()
        return statistics.median(samples)
    finally:
        eng.close()


def api_call_us(engine: str, n: int, clock=time.perf_counter) -> float:
    src = f"Page({{ onLoad() {{ tt.setStorageSync('k', 1); for (let i = 0; i < {n}; i++) tt.getStorageSync('k') }} }})"
    bundle = make_bundle({"pages/index/index": src})
    samples = []
    for _ in range(5):
        with Sandbox(bundle, engine=engine) as sb:
            sb.launch()
            t0 = clock()
            sb.run()
            samples.append((clock() - t0) * 1e6 / n)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="both", choices=["native", "wasm", "both"])
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    engines = ["native", "wasm"] if args.engine == "both" else [args.engine]
    print(f"{'figure':34} " + " ".join(f"{e:>12}" for e in engines) + "   target (native)")
    rows: dict[str, list[str]] = {}
    for engine in engines:
        try:
            create_engine(engine).close()
        except EngineUnavailable as exc:
            for key in ("ready", "launch", "raw", "api"):
                rows.setdefault(key, []).append("n/a")
            print(f"  ({engine} unavailable: {exc})")
            continue
        rows.setdefault("ready", []).append(f"{sandbox_ready(engine, args.n):.2f} ms")
        launch = store_launch(engine, max(20, args.n // 5))
        rows.setdefault("launch", []).append("n/a" if launch is None else f"{launch:.2f} ms")
        rows.setdefault("raw", []).append(f"{raw_bridge_us(engine, 10_000):.2f} µs")
        rows.setdefault("api", []).append(f"{api_call_us(engine, 2_000):.1f} µs")
    labels = {
        "ready": ("sandbox ready (framework loaded)", f"≤ {TARGETS['ready_ms']} ms"),
        "launch": ("store fixture launch → onReady", f"≤ {TARGETS['launch_ms']} ms"),
        "raw": ("bridge round trip (raw host call)", f"≤ {TARGETS['bridge_us']} µs"),
        "api": ("recorded sync API call", "(whole path, for reference)"),
    }
    for key, (label, target) in labels.items():
        print(f"{label:34} " + " ".join(f"{v:>12}" for v in rows.get(key, [])) + f"   {target}")


if __name__ == "__main__":
    main()
