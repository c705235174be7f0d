"""Batch review throughput (issue 13): printed, never asserted.

    python bench/bench_batch.py [--min-bundles 500] [--workers N] [--per-process N] [--chunk N] [--keep DIR]

Over every fixture under fixtures/bundles, on this machine, in one run:
- single process, in process: the fixtures reviewed one after another in this process (warm), reviews/min;
- one process per bundle: `python -m mpsandbox review B --format json` for each fixture, reviews/min;
- a plain multiprocessing pool of one process per core over the same bundles, in process (what the machine gives
  right now, other load included);
- batch on Dask: the fixtures copied until there are at least --min-bundles distinct bundles (each copy gets a
  marker file, so no two share a content hash), reviewed by `review_many` on a local cluster of one worker process
  per core. Reviews/min against the target of 80 % of (cores x the single-process rate), the scheduler's overhead
  per bundle (worker slots x wall time - the time spent inside reviews, per bundle; target <= 5 ms) and each
  worker's memory at the start and the end of the batch (flat is the target).
"""

from __future__ import annotations

import argparse
import os
import resource
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


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def in_process_rate() -> tuple[float, float]:
    review(FIXTURES[0], OPTIONS)  # warm: catalogue, compiled framework
    t0, c0 = time.perf_counter(), cpu_seconds()
    for b in FIXTURES:
        review(b, OPTIONS).model_dump_json()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(f"single process, in process: {len(FIXTURES)} fixtures in {wall:.2f} s -> "
          f"{len(FIXTURES) / wall * 60:,.0f} reviews/min; CPU {cpu / len(FIXTURES) * 1000:.1f} ms a review")
    return len(FIXTURES) / wall * 60, cpu / len(FIXTURES)


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


def _review_path(path: str) -> float:
    t0 = time.perf_counter()
    review(path, OPTIONS).model_dump_json()
    return time.perf_counter() - t0


def plain_pool_rate(bundles: list[Path], workers: int) -> float:
    """The same bundles on `workers` plain processes (multiprocessing, no scheduler, no store): what the
    machine gives right now, other load included, to read the Dask figure against."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_review_path, [str(FIXTURES[0])] * workers)  # warm each process
        t0 = time.perf_counter()
        list(pool.imap_unordered(_review_path, [str(b) for b in bundles], chunksize=4))
        wall = time.perf_counter() - t0
    print(f"{workers} plain processes (multiprocessing pool, in process, no store): {len(bundles)} bundles in "
          f"{wall:.2f} s -> {len(bundles) / wall * 60:,.0f} reviews/min")
    return len(bundles) / wall * 60


def make_copies(dest: Path, minimum: int) -> list[Path]:
    copies = -(-minimum // len(FIXTURES))
    out = []
    for i in range(copies):
        for b in FIXTURES:
            target = dest / f"{i:02d}--{b.name}"  # round after round: each fifth of the batch is alike
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
    ap.add_argument("--chunk", type=int, default=None, help="bundles a Dask task reviews [chosen by the batch]")
    args = ap.parse_args()
    from distributed import Client

    single, single_cpu = in_process_rate()
    per_process = per_process_rate(args.per_process)
    with tempfile.TemporaryDirectory(prefix="mpsandbox-bench-batch-") as tmp:
        src = Path(tmp) / "bundles"
        bundles = make_copies(src, args.min_bundles)
        plain = plain_pool_rate(bundles, args.workers)
        out = args.keep or Path(tmp) / "out"
        if out.exists():
            shutil.rmtree(out)
        t0 = time.perf_counter()
        cluster = local_cluster(args.workers)
        try:
            with Client(cluster, set_as_default=False) as client:
                client.wait_for_workers(args.workers)
                startup = time.perf_counter() - t0
                workers_cpu0 = client.run(cpu_seconds)
                t1, c1, t1_epoch = time.perf_counter(), cpu_seconds(), time.time()
                table = review_many([src], out, options=OPTIONS, client=client, progress=sys.stderr.isatty(),
                                    chunk=args.chunk)
                wall, driver_cpu = time.perf_counter() - t1, cpu_seconds() - c1
                workers_cpu1 = client.run(cpu_seconds)
        finally:
            cluster.close()
    rows = table.to_pylist()
    n = len(rows)
    rate = n / wall * 60
    target = 0.8 * args.workers * single
    busy = sum(r["seconds"] or 0.0 for r in rows)
    # the scheduler's share: within the window where reviews ran (first start to last end), the worker slots' time
    # that was not spent in reviews; the driver's own steps before (sources, hashes) and after (table, summary) apart
    first = min(r["started_at"] for r in rows)
    last = max(r["started_at"] + (r["seconds"] or 0.0) for r in rows)
    window = last - first
    overhead_ms = (args.workers * window - busy) / n * 1000
    before_s = first - t1_epoch
    after_s = wall - before_s - window
    print(f"batch on Dask, {args.workers} worker processes, {args.chunk or 'automatic'} bundles a task: {n} bundles "
          f"in {wall:.2f} s (cluster start "
          f"{startup:.1f} s more) -> {rate:,.0f} reviews/min; target >= 80 % of {args.workers} x {single:,.0f} = "
          f"{target:,.0f}: {'met' if rate >= target else 'NOT met'} ({rate / (args.workers * single):.0%} of "
          f"cores x single); {rate / plain:.0%} of the plain process pool; {rate / per_process:.1f}x one process per "
          f"bundle")
    print(f"  scheduler overhead per bundle: {overhead_ms:.1f} ms (worker slots x the reviews' window - time in "
          f"reviews; target <= 5 ms); status: {dict(sorted(_count(r['status'] for r in rows).items()))}")
    print(f"  the driver's own steps: {before_s:.2f} s before the first review (sources, content hashes, cluster "
          f"warm-up), {after_s:.2f} s after the last (table, Parquet, JSONL, summary); "
          f"{(args.workers * wall - busy) / n * 1000:.1f} ms a bundle counting them")
    worker_cpu = sum(workers_cpu1[w] - workers_cpu0.get(w, 0.0) for w in workers_cpu1)
    review_cpu = sum(r["cpu_seconds"] or 0.0 for r in rows)
    per_bundle = (worker_cpu + driver_cpu) / n
    print(f"  CPU a bundle: {review_cpu / n * 1000:.1f} ms in the review thread, {worker_cpu / n * 1000:.1f} ms in "
          f"the worker process, {driver_cpu / n * 1000:.1f} ms in the driver (scheduler, store, table, summary) -> "
          f"{single_cpu / per_bundle:.0%} of the in-process CPU efficiency ({single_cpu * 1000:.1f} ms a review): "
          f"on an idle machine the batch would reach about {single_cpu / per_bundle:.0%} of cores x single")
    by_worker: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r["worker_reviews"] or 0):
        by_worker[r["worker"]].append(r)
    for worker, wrows in sorted(by_worker.items()):
        rss = [r["worker_rss_bytes"] / 2**20 for r in wrows]
        fifth = max(1, -(-len(rss) // 5))
        parts = [rss[i:i + fifth] for i in range(0, len(rss), fifth)]
        print(f"  worker {worker}: {len(wrows)} reviews; RSS after a review, median (max) in each fifth of its "
              f"reviews: " + ", ".join(f"{statistics.median(p):.0f} ({max(p):.0f})" for p in parts)
              + f" MiB; process peak {max(r['worker_peak_rss_bytes'] for r in wrows) / 2**20:.0f} MiB")


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


if __name__ == "__main__":
    main()
