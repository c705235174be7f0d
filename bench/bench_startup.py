"""Start-up figures: a CLI review of the store fixture in a fresh process (native and wasm), the first review with an
empty cache, the import time, and the static scan of a real bundle file.

    python bench/bench_startup.py [--runs 7] [--scan-file PATH_TO_A_~220KB_JS_FILE]

Wall times are medians; CPU (user + sys of the child) is printed too, since wall time on a shared machine measures
the neighbours as much as mpsandbox.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "fixtures" / "bundles" / "douyin-store"
CLI = "import sys; from mpsandbox.cli import main; sys.argv[0] = 'mpsandbox'; main()"
DEFAULT_SCAN_FILE = "/work/corpus/unpacked/bdingtech__zhixing_20230922__APP__-dec/pages/flight/list/list.js"


def cli_review(engine: str, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, cpu s, exit code) of one `mpsandbox review` of the store fixture in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CLI, "review", str(STORE), "--allow-domain",
                           "api.example-store.com", "--engine", engine], capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"review failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    return wall, cpu, proc.returncode


def import_ms() -> float:
    """Cumulative import time (ms) of what a review imports, from python -X importtime."""
    code = ("import mpsandbox.cli, mpsandbox.report.render, mpsandbox.review, mpsandbox.runtime.sandbox, "
            "mpsandbox.runtime.engine.native")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    total = 0
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):  # top-level imports only: their cumulative times add up
            total += int(m.group(1))
    return total / 1000


def scan_ms(path: Path, runs: int) -> tuple[float, int]:
    from mpsandbox.bundle.jsscan import clear_scan_cache, scan_js

    source = path.read_text(encoding="utf-8", errors="replace")
    scan_js(str(path), source)  # parser made once per process
    times = []
    for _ in range(runs):
        clear_scan_cache()  # a scan, not a lookup of the last one
        started = time.perf_counter()
        scan_js(str(path), source)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, len(source)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scan-file", default=DEFAULT_SCAN_FILE)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="mpsandbox-empty-cache-") as empty:
        env = dict(os.environ, MPSANDBOX_CACHE=empty)
        wall, cpu, _ = cli_review("wasm", env)
        print(f"first review, empty cache (wasm, default engine): {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"(target <= 2 s)")
    for engine, target in (("native", 150), ("wasm", 250)):
        cli_review(engine)  # warm the catalogue cache and the OS file cache
        runs = [cli_review(engine) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs) * 1000
        cpu = statistics.median(r[1] for r in runs) * 1000
        print(f"fresh-process CLI review ({engine}): {wall:.0f} ms wall, {cpu:.0f} ms CPU, median of {args.runs} "
              f"(target <= {target} ms)")
    print(f"imports of a review: {statistics.median(import_ms() for _ in range(3)):.0f} ms")
    path = Path(args.scan_file)
    if path.is_file():
        ms, size = scan_ms(path, args.runs)
        print(f"static scan of {path.name} ({size // 1024} KiB): {ms:.1f} ms median (target <= 20 ms)")
    else:
        print(f"static scan: {path} not found (pass --scan-file)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
