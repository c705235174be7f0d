"""Batch review throughput (issue 13): printed, never asserted.

    python bench/bench_batch.py [--min-bundles 500] [--workers N] [--per-process N] [--keep DIR]

Over every fixture under fixtures/bundles, on this machine, in one run:
- single process, in process: the fixtures reviewed one after another in this process (warm), reviews/min;
- one process per bundle: `python -m mpsandbox review B --format json` for each fixture, reviews/min;
- batch on Dask: the fixtures copied until there are at least --min-bundles distinct bundles (each copy gets a
  marker file, so no two share a content hash), reviewed by `review_many` on a local cluster of one worker process
  per core. Reviews/min against the target of 80 % of (cores x the single-process rate), the scheduler's overhead
  per bundle (worker slots x wall time - the time spent inside reviews, per bundle; target <= 5 ms) and each
  worker's memory at the start and the end of the batch (flat is the target).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.batch import local_cluster, review_many  # noqa: E402
from mpsandbox.review import ReviewOptions, review  # noqa: E402

FIXTURES = sorted(p for p in (ROOT / "fixtures" / "bundles").iterdir() if p.is_dir())
OPTIONS = ReviewOptions(engine="native")


def in_process_rate() -> float:
    review(FIXTURES[0], OPTIONS)  # warm: catalogue, compiled framework
    t0 = time.perf_counter()
    for b in FIXTURES:
        review(b, OPTIONS)
    wall = time.perf_counter() - t0
    print(f"single process, in process: {len(FIXTURES)} fixtures in {wall:.2f} s -> "
          f"{len(FIXTURES) / wall * 60:,.0f} reviews/min")
    return len(FIXTURES) / wall * 60


def per_process_rate(limit: int) -> float:
    bundles = FIXTURES[:limit] if limit else FIXTURES
    t0 = time.perf_counter()
    for b in bundles:
        subprocess.run([sys.executable, "-m", "mpsandbox", "review", str(b), "--format", "json", "--engine",
                        "native"], capture_output=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - t0
    print(f"one process per bundle: {len(bundles)} fixtures in {wall:.2f} s -> "
          f"{len(bundles) / wall * 60:,.0f} reviews/min")
    return len(bundles) / wall * 60


def make_copies(dest: Path, minimum: int) -> list[Path]:
    copies = -(-minimum // len(FIXTURES))
    out = []
    for i in range(copies):
        for b in FIXTURES:
            target = dest / f"{b.name}--{i}"
            shutil.copytree(b, target, symlinks=True)
            (target / f"bench-copy-{i}.txt").write_text(f"copy {i}\n")
            out.append(target)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-bundles", type=int, default=500)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--per-process", type=int, default=0, help="only the first N fixtures one process each [all]")
    ap.add_argument("--keep", type=Path, help="keep the batch output here")
    args = ap.parse_args()
    from distributed import Client

    single = in_process_rate()
    per_process = per_process_rate(args.per_process)
    with tempfile.TemporaryDirectory(prefix="mpsandbox-bench-batch-") as tmp:
        src = Path(tmp) / "bundles"
        bundles = make_copies(src, args.min_bundles)
        out = args.keep or Path(tmp) / "out"
        if out.exists():
            shutil.rmtree(out)
        t0 = time.perf_counter()
        cluster = local_cluster(args.workers)
        try:
            with Client(cluster, set_as_default=False) as client:
                client.wait_for_workers(args.workers)
                startup = time.perf_counter() - t0
                t1 = time.perf_counter()
                table = review_many([src], out, options=OPTIONS, client=client, progress=sys.stderr.isatty())
                wall = time.perf_counter() - t1
        finally:
            cluster.close()
    rows = table.to_pylist()
    n = len(rows)
    rate = n / wall * 60
    target = 0.8 * args.workers * single
    busy = sum(r["seconds"] or 0.0 for r in rows)
    overhead_ms = (args.workers * wall - busy) / n * 1000
    print(f"batch on Dask, {args.workers} worker processes: {n} bundles in {wall:.2f} s (cluster start "
          f"{startup:.1f} s more) -> {rate:,.0f} reviews/min; target >= 80 % of {args.workers} x {single:,.0f} = "
          f"{target:,.0f}: {'met' if rate >= target else 'NOT met'} ({rate / (args.workers * single):.0%} of "
          f"cores x single); {rate / per_process:.1f}x one process per bundle")
    print(f"  scheduler overhead per bundle: {overhead_ms:.1f} ms (worker slots x wall - time in reviews; "
          f"target <= 5 ms); status: {dict(sorted(_count(r['status'] for r in rows).items()))}")
    by_worker: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r["worker_reviews"] or 0):
        by_worker[r["worker"]].append(r)
    for worker, wrows in sorted(by_worker.items()):
        rss = [r["worker_rss_bytes"] / 2**20 for r in wrows]
        tenth = max(1, len(rss) // 10)
        print(f"  worker {worker}: {len(wrows)} reviews; RSS after its reviews, median of the first tenth "
              f"{statistics.median(rss[:tenth]):.0f} MiB, of the last tenth {statistics.median(rss[-tenth:]):.0f} "
              f"MiB; process peak {max(r['worker_peak_rss_bytes'] for r in wrows) / 2**20:.0f} MiB")


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


if __name__ == "__main__":
    main()
