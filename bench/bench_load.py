"""Loading a compiled WeChat package: a ~1.5 MB .wxapkg (issue 9's target: <= 100 ms), and the static JS scan
(issue 12), which loading no longer runs: it runs when the facts are first read.

    python bench/bench_load.py [--runs 7] [BUNDLE_OR_JS_FILE ...]

Prints medians over the runs: `load_bundle` (wall and CPU), then the scan of the loaded bundle's JS with the
content cache emptied first (cold: what a fresh process pays) and again with it (warm), per MB of JS. Paths given
are measured the same way (a .js file: its scan alone); without them, a generated 1.67 MB package is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.bundle import load_bundle  # noqa: E402
from mpsandbox.bundle.jsscan import JsScan, clear_scan_cache, scan_js  # noqa: E402
from mpsandbox.bundle.wxapkg import read_wxapkg, write_wxapkg  # noqa: E402
from tests.bundle.compiled_helpers import compile_source, define  # noqa: E402


def large_package(root: Path) -> Path:
    src = root / "src"
    (src / "pages" / "index").mkdir(parents=True)
    (src / "app.json").write_text(json.dumps({"pages": ["pages/index/index"]}))
    (src / "app.js").write_text("App({});\n")
    (src / "pages" / "index" / "index.js").write_text("Page({ onTap() {} });\n")
    (src / "pages" / "index" / "index.wxml").write_text('<view bindtap="onTap">hi</view>\n')
    files = read_wxapkg(compile_source(src))
    table = "var table = [" + ",".join(f'"{i:06d}"' for i in range(30_000)) + "];\nmodule.exports = table;\n"
    files["app-service.js"] += "".join(define(f"data/t{i}.js", table) for i in range(6)).encode()
    path = root / "big.wxapkg"
    path.write_bytes(write_wxapkg(files))
    return path


def _timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000


def _median(pairs: list[tuple[float, float]]) -> str:
    return f"{statistics.median(w for w, _ in pairs):.0f} ms wall, {statistics.median(c for _, c in pairs):.0f} ms CPU"


def measure_bundle(path: Path, runs: int, label: str) -> None:
    loads, cold, warm = [], [], []
    loaded = []
    for _ in range(runs):
        loads.append(_timed(lambda: loaded.append(load_bundle(path))))
        bundle = loaded.pop()
        clear_scan_cache()
        cold.append(_timed(lambda b=bundle: b.facts.js))
        scan = bundle.facts._js_scan
        again = JsScan(scan._texts, scan._paths)  # the same files, the cache now full
        warm.append(_timed(lambda s=again: s.facts))
    js = bundle.facts.js
    contents = {bundle.read_text(p).encode() for p in js}
    mb = sum(len(bundle.read_text(p).encode()) for p in js) / 1e6
    distinct_mb = sum(len(c) for c in contents) / 1e6
    facts = sum(len(f.api_uses) + len(f.dynamic_code) + len(f.requires) for f in js.values())
    cut = sum(1 for f in js.values() if f.cut)
    cold_cpu = statistics.median(c for _, c in cold)
    print(f"{label}: {path.stat().st_size / 1e6 if path.is_file() else _size(path) / 1e6:.2f} MB, {len(js)} JS files "
          f"({mb:.2f} MB, {distinct_mb:.2f} MB distinct), {facts} facts{f', {cut} cut' if cut else ''}")
    print(f"  load_bundle   {_median(loads)} (target <= 100 ms)")
    print(f"  scan, cold    {_median(cold)}; {cold_cpu / distinct_mb if mb else 0:.0f} ms CPU per distinct MB")
    print(f"  scan, cached  {_median(warm)}")


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def measure_file(path: Path, runs: int) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    times = []
    for _ in range(runs):
        clear_scan_cache()
        times.append(_timed(lambda: scan_js(path.name, text)))
    print(f"{path.name}: {len(text.encode()) / 1e3:.0f} KB, scan {_median(times)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("paths", nargs="*", type=Path)
    args = ap.parse_args()
    if args.paths:
        for path in args.paths:
            if path.suffix == ".js":
                measure_file(path, args.runs)
            else:
                measure_bundle(path, args.runs, path.name)
        return
    with tempfile.TemporaryDirectory() as tmp:
        measure_bundle(large_package(Path(tmp)), args.runs, "generated .wxapkg")


if __name__ == "__main__":
    main()
