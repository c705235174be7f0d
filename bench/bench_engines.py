"""Engine speed figures (issue 4), native and wasm side by side: printed, never asserted.

    python bench/bench_engines.py [--n 50]

- engine ready with the framework loaded (median ms): create_engine + load_trusted(framework) (wasm restores
  the linear-memory snapshot);
- sandbox ready (median ms): new Sandbox for a one-page bundle (the engine as above, then the framework's boot
  call with the API surface and the bundle's modules defined);
- CPU-bound JS (median ms and wasm/native ratio) on six workloads: a tight loop, calls, fib, primes, allocation + JSON, strings;
- bridge round trip (median µs): one call of the host function from JS and back; the same carrying the caller's
  stack (five frames deep) as frames read by the shim, and as Error().stack text (the way stacks crossed before);
- the CPU units each engine charges per real millisecond on each workload (how the budgets are calibrated);
- RSS after 10 and after --rss-n (default 1,000) sandboxes run and closed in one process (each engine measured in a
  fresh process, so that one engine's memory does not count against the other).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "runtime"))

from bundles import make_bundle  # noqa: E402

from mpsandbox.runtime.engine import EngineLimits, EngineUnavailable, create_engine  # noqa: E402
from mpsandbox.runtime.sandbox import Sandbox  # noqa: E402

WORKLOADS = {
    "loop": "let s = 0; for (let i = 0; i < 1000000; i++) s += i % 7; return s;",
    "calls": "function f(x) { return x + 1 } let y = 0; for (let i = 0; i < 300000; i++) y = f(y); return y;",
    "alloc+json": "const o = []; for (let j = 0; j < 50000; j++) o.push({a: j, b: String(j)}); return JSON.stringify(o).length;",
    "fib": "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } return fib(25);",
    "primes": "let c = 0; for (let n = 2; n < 60000; n++) { let p = true; for (let d = 2; d * d <= n; d++) if (n % d === 0) { p = false; break } if (p) c++ } return c;",
    "strings": "let t = ''; for (let i = 0; i < 30000; i++) t = ('ab' + i).toUpperCase().split('').reverse().join(''); return t;",
}
BIG = EngineLimits(cpu_ms_per_turn=1e6, wall_ms_per_turn=1e6)


def ready_ms(engine: str, n: int) -> float:
    bundle = make_bundle({"pages/index/index": "Page({ data: { n: 0 } })"})
    Sandbox(bundle, engine=engine).close()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        Sandbox(bundle, engine=engine).close()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def engine_ready_ms(engine: str, n: int) -> float:
    """A fresh engine with the framework loaded (wasm: restored from the snapshot), before the sandbox boots it."""
    from mpsandbox.runtime.sandbox import FRAMEWORK_FILE, _framework_source

    source = _framework_source()
    eng = create_engine(engine)
    eng.load_trusted(source, FRAMEWORK_FILE)
    eng.close()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        eng = create_engine(engine)
        eng.load_trusted(source, FRAMEWORK_FILE)
        samples.append((time.perf_counter() - t0) * 1000)
        eng.close()
    return statistics.median(samples)


def cpu(engine: str, source: str, reps: int = 5) -> tuple[float, float]:
    eng = create_engine(engine, BIG)
    eng.eval(f"globalThis.work = function () {{ {source} }}", "work.js")
    eng.call("work")
    walls, units = [], []
    for _ in range(reps):
        eng.begin_turn()
        t0 = time.perf_counter()
        eng.call("work")
        walls.append((time.perf_counter() - t0) * 1000)
        units.append(eng.end_turn().cpu_units)
    eng.close()
    wall = statistics.median(walls)
    return wall, statistics.median(units) / wall


def bridge_us(engine: str, calls: int = 20000) -> float:
    eng = create_engine(engine, BIG)
    eng.set_host_function("__h", lambda op, msg: msg)
    eng.eval("globalThis.spin = function (k) { const h = __h; for (let i = 0; i < k; i++) h('op', 'x'); return k }",
             "b.js")
    samples = []
    for _ in range(7):
        eng.begin_turn()
        t0 = time.perf_counter()
        eng.call("spin", calls)
        samples.append((time.perf_counter() - t0) * 1e6 / calls)
        eng.end_turn()
    eng.close()
    return statistics.median(samples)


def bridge_stack_us(engine: str, structured: bool, calls: int = 20000) -> float:
    """A host call that carries the caller's stack, five JS frames deep: as the frames the shim reads from QuickJS
    (``where`` 1), or as Error().stack text (how the framework sent stacks before)."""
    eng = create_engine(engine, BIG)
    if structured:
        eng.set_host_function("__h", lambda op, msg, frames: msg, frames=True)
        call = "h('op', 'x', 1)"
    else:
        eng.set_host_function("__h", lambda op, msg: msg)
        call = "h('op', new Error().stack + '\\u0001x')"
    eng.eval("globalThis.spin = function (k) { const h = __h; function a(n) { return b(n) } function b(n) { return c(n) }"
             f" function c(n) {{ return d(n) }} function d(n) {{ return {call} }}"
             " for (let i = 0; i < k; i++) a(i); return k }", "b.js")
    samples = []
    for _ in range(7):
        eng.begin_turn()
        t0 = time.perf_counter()
        eng.call("spin", calls)
        samples.append((time.perf_counter() - t0) * 1e6 / calls)
        eng.end_turn()
    eng.close()
    return statistics.median(samples)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / (1024 * 1024)


def rss_after(engine: str, n: int) -> tuple[float, float]:
    """RSS (MB) after 10 and after ``n`` sandboxes launched, run and closed, in this process."""
    bundle = make_bundle({"pages/index/index": "Page({ data: { n: 0 }, onLoad() { this.setData({ n: 1 }) } })"})
    after = {}
    for i in range(1, n + 1):
        sb = Sandbox(bundle, engine=engine)
        sb.launch()
        sb.run()
        sb.finish()
        sb.close()
        if i in (10, n):
            gc.collect()
            after[i] = _rss_mb()
    return after[10], after[n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--rss-n", type=int, default=1000)
    ap.add_argument("--rss-only", choices=["native", "wasm"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_only:
        print(*rss_after(args.rss_only, args.rss_n))
        return
    engines = []
    for name in ("native", "wasm"):
        try:
            create_engine(name).close()
            engines.append(name)
        except EngineUnavailable as exc:
            print(f"{name}: unavailable ({exc})")
    results: dict[str, dict[str, float]] = {e: {} for e in engines}
    rates: dict[str, dict[str, float]] = {e: {} for e in engines}
    for e in engines:
        results[e]["engine"] = engine_ready_ms(e, args.n)
        results[e]["ready"] = ready_ms(e, args.n)
        results[e]["bridge"] = bridge_us(e)
        results[e]["bridge-text"] = bridge_stack_us(e, structured=False)
        results[e]["bridge-frames"] = bridge_stack_us(e, structured=True)
        for name, src in WORKLOADS.items():
            results[e][name], rates[e][name] = cpu(e, src)
    print(f"{'figure':36}" + "".join(f"{e:>14}" for e in engines) + "   wasm/native   target")
    print(f"{'engine + framework (median ms)':36}" + "".join(f"{results[e]['engine']:>14.2f}" for e in engines)
          + "                 wasm ≤ 3 ms (snapshot restore)")
    print(f"{'sandbox ready (median ms)':36}" + "".join(f"{results[e]['ready']:>14.2f}" for e in engines)
          + "                 native ≤ 1 ms, wasm ≤ 2 ms")
    print(f"{'bridge round trip (median µs)':36}" + "".join(f"{results[e]['bridge']:>14.2f}" for e in engines)
          + "                 native ≤ 1 µs, wasm ≤ 3 µs")
    print(f"{'  + stack as Error().stack text (µs)':36}"
          + "".join(f"{results[e]['bridge-text']:>14.2f}" for e in engines) + "                 the old way")
    print(f"{'  + stack as frames (µs)':36}" + "".join(f"{results[e]['bridge-frames']:>14.2f}" for e in engines)
          + "                 shim reads QuickJS's frames")
    rss = {}
    for e in engines:
        out = subprocess.run([sys.executable, __file__, "--rss-only", e, "--rss-n", str(args.rss_n)],
                             capture_output=True, text=True, check=True).stdout.split()
        rss[e] = (float(out[0]), float(out[1]))
    print(f"{'RSS after 10 sandboxes (MB)':36}" + "".join(f"{rss[e][0]:>14.1f}" for e in engines))
    print(f"{f'RSS after {args.rss_n} sandboxes (MB)':36}" + "".join(f"{rss[e][1]:>14.1f}" for e in engines)
          + "                 within 20 % of after 10")
    for name in WORKLOADS:
        row = f"{'CPU-bound ' + name + ' (ms)':36}" + "".join(f"{results[e][name]:>14.1f}" for e in engines)
        if len(engines) == 2:
            row += f"{results['wasm'][name] / results['native'][name]:>14.2f}x   wasm ≤ 2.5x native"
        print(row)
    print()
    for e in engines:
        unit = create_engine(e).info
        print(f"{e}: {unit.cpu_unit} per real ms: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates[e].items())
              + f"  (budgets use {unit.units_per_ms:,.0f} per nominal ms)")


if __name__ == "__main__":
    main()
