"""Exploration throughput (issue 15): runs per second on the store fixture, on each engine. Printed, never
asserted.

    python bench/bench_explore.py [--runs 40] [--seed 0] [--engine native|wasm|both] [--bundle NAME]

A run is a new sandbox, the launch, up to 8 actions chosen among those the rendered page offers (with permission
answers and API outcomes drawn as the app asks), the properties checked after each, and a last wait while calls
are in flight, then the review's rules over the run's trace (--no-rules: without them). Runs count every run hypothesis asked for (generation, targeting and shrinking). Wall and CPU time
of the process (the CPU figure is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.bundle import load_bundle  # noqa: E402
from mpsandbox.explore.rules import RuleCheck  # noqa: E402
from mpsandbox.explore.search import SearchStats, search  # noqa: E402
from mpsandbox.runtime.engine import EngineUnavailable, create_engine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", choices=("native", "wasm", "both"), default="both")
    ap.add_argument("--bundle", default="douyin-store")
    ap.add_argument("--no-rules", action="store_true", help="without the review's rules at the end of each run")
    args = ap.parse_args()
    bundle = load_bundle(ROOT / "fixtures" / "bundles" / args.bundle)
    engines = ("native", "wasm") if args.engine == "both" else (args.engine,)
    rules = None if args.no_rules else RuleCheck(bundle)
    print(f"explore {args.bundle}: --runs {args.runs} --seed {args.seed}" + (" (no review rules)" if not rules else ""))
    print(f"{'engine':<8} {'runs':>6} {'steps':>6} {'failures':>8} {'wall s':>8} {'cpu s':>7} {'runs/s':>8} "
          f"{'runs/cpu-s':>10} {'steps/s':>8}")
    for engine in engines:
        try:
            create_engine(engine).close()
        except EngineUnavailable as exc:
            print(f"{engine:<8} unavailable: {exc}")
            continue
        search(bundle, runs=3, seed_=args.seed, engine=engine, rules=rules)  # warm-up: builds, caches
        stats = SearchStats()
        w0, c0 = time.perf_counter(), time.process_time()
        found = search(bundle, runs=args.runs, seed_=args.seed, engine=engine, stats=stats, rules=rules)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(f"{engine:<8} {stats.runs:>6} {stats.steps:>6} {len(found):>8} {wall:>8.2f} {cpu:>7.2f} "
              f"{stats.runs / wall:>8.1f} {stats.runs / cpu:>10.1f} {stats.steps / wall:>8.1f}")


if __name__ == "__main__":
    main()
