"""Loading a compiled WeChat package: a ~1.5 MB .wxapkg (issue 9's target: <= 100 ms).

    python bench/bench_load.py [--runs 7]

Prints the median wall and CPU time of `load_bundle` over the runs.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = large_package(Path(tmp))
        walls, cpus = [], []
        for _ in range(args.runs):
            w0, c0 = time.perf_counter(), time.process_time()
            bundle = load_bundle(path)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        size = path.stat().st_size
        print(f"load_bundle of a {size / 1e6:.2f} MB .wxapkg ({len(bundle.compiled.modules)} modules): "
              f"median {statistics.median(walls) * 1000:.0f} ms wall, {statistics.median(cpus) * 1000:.0f} ms CPU "
              f"(target <= 100 ms) over {args.runs} runs")


if __name__ == "__main__":
    main()
