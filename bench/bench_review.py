"""Review speed figures (issue 5): printed, never asserted.

    python bench/bench_review.py [--n 10] [--engine native|wasm|both]

- the douyin-store fixture reviewed end to end (load, walk, audits, JSON report), median ms per engine;
- throughput: every fixture under fixtures/bundles reviewed one after another (bundles per second).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.report.json_report import to_json  # noqa: E402
from mpsandbox.review import ReviewOptions, review  # noqa: E402
from mpsandbox.runtime.engine import EngineUnavailable, create_engine  # noqa: E402

STORE = ROOT / "fixtures" / "bundles" / "douyin-store"
TARGET_MS = 300.0


def review_ms(path: Path, engine: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    report = review(path, ReviewOptions(engine=engine, allow_domains=["api.example-store.com"]))
    to_json(report)
    return (time.perf_counter() - t0) * 1000.0, report.verdict.value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--engine", default="both", choices=["native", "wasm", "both"])
    args = ap.parse_args()
    engines = ["native", "wasm"] if args.engine == "both" else [args.engine]
    bundles = sorted(p for p in (ROOT / "fixtures" / "bundles").iterdir() if p.is_dir())
    for engine in engines:
        try:
            create_engine(engine).close()
        except EngineUnavailable as exc:
            print(f"{engine}: unavailable ({exc})")
            continue
        review_ms(STORE, engine)  # warm caches (catalogue, compiled framework)
        samples = [review_ms(STORE, engine)[0] for _ in range(args.n)]
        print(f"{engine}: douyin-store review end to end: median {statistics.median(samples):.1f} ms "
              f"(min {min(samples):.1f}, max {max(samples):.1f}; target ≤ {TARGET_MS:.0f} ms on native)")
        t0 = time.perf_counter()
        slowest = []
        for b in bundles:
            ms, verdict = review_ms(b, engine)
            slowest.append((ms, b.name, verdict))
        total = time.perf_counter() - t0
        print(f"{engine}: {len(bundles)} fixtures in {total:.2f} s → {len(bundles) / total:.1f} bundles/s")
        for ms, name, verdict in sorted(slowest, reverse=True)[:5]:
            print(f"    {ms:8.1f} ms  {name} ({verdict})")


if __name__ == "__main__":
    main()
