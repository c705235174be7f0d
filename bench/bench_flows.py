"""The differential walk's cost (issue 11): review time with and without it, printed, never asserted.

    python bench/bench_flows.py [--n 5] [--engine native|wasm|both] [--pages 200]

A review walks a bundle that read a sensitive source a second time with only the sources' values changed; a
bundle that read none is walked once. Target: the review with the differential walk takes at most 2x the time of
a single walk. Measured per bundle (load, walks, audits, JSON report; median of n, interleaved), as wall time and
as the process's CPU time (steadier on a shared machine):
- douyin-store, the showcase (location, login and phone number; walked with --deny too, so 2 + 2 walks);
- wechat-weather (location, coarse coordinates sent to its API; --deny);
- a generated big app (bench/bigapp.py) whose app reads the location at launch and sends it rounded from every page;
- package-size-wechat, the slowest fixture, which reads no source (no second walk: the figures must be equal).
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
sys.path.insert(0, str(ROOT / "bench"))

from bigapp import make_big_app  # noqa: E402

from mpsandbox.report.json_report import to_json  # noqa: E402
from mpsandbox.review.gather import gather, load  # noqa: E402
from mpsandbox.review.policy import resolve_policy  # noqa: E402
from mpsandbox.review.runner import ReviewOptions, build_report  # noqa: E402
from mpsandbox.runtime.engine import EngineUnavailable, create_engine  # noqa: E402

TARGET_RATIO = 2.0
BUNDLES = ROOT / "fixtures" / "bundles"


def big_app_reading_location(root: Path, pages: int) -> Path:
    """bench/bigapp.py's app, with the location read at launch and sent (rounded) by every page's button."""
    make_big_app(root, pages)
    app = json.loads((root / "app.json").read_text(encoding="utf-8"))
    app["permission"] = {"scope.userLocation": {"desc": "to show what is near you"}}
    (root / "app.json").write_text(json.dumps(app), encoding="utf-8")
    (root / "app.js").write_text(
        "App({ globalData: { lat: 0, lng: 0 },\n"
        "  onLaunch() { tt.getLocation({ success: (r) => { this.globalData.lat = r.latitude;"
        " this.globalData.lng = r.longitude; } }); } });\n", encoding="utf-8")
    for page in root.glob("pages/*/*.js"):
        js = page.read_text(encoding="utf-8")
        page.write_text(js.replace("data: { page: 2 }", "data: { page: 2, near: app.globalData.lat.toFixed(2) + ','"
                                                         " + app.globalData.lng.toFixed(2) }"), encoding="utf-8")
    return root


def review_ms(path: Path, engine: str, differential: bool, allow: list[str],
              deny: bool) -> tuple[float, float, int, str]:
    """One review end to end: its wall and CPU milliseconds, its walks (with the differential ones), its verdict."""
    t0, c0 = time.perf_counter(), time.process_time()
    bundle, _ = load(path, None)
    policy = resolve_policy(None, bundle.platform).with_allow_domains(allow)
    art = gather(bundle, policy, engine=engine, deny=deny, differential=differential)
    report = build_report(art, policy, ReviewOptions(deny=deny, allow_domains=allow))
    to_json(report)
    walks = len(art.runs) + sum(1 for r in art.runs if r.twin is not None)
    return (time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0, walks, report.verdict.value


def usable(engine: str) -> bool:
    try:
        create_engine(engine).close()
        return True
    except EngineUnavailable as exc:
        print(f"{engine}: unavailable ({exc})")
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--engine", default="native", choices=["native", "wasm", "both"])
    ap.add_argument("--pages", type=int, default=100)
    args = ap.parse_args()
    engines = ["native", "wasm"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory() as tmp:
        big = big_app_reading_location(Path(tmp) / "big-app", args.pages)
        targets = [
            ("douyin-store", BUNDLES / "douyin-store", ["api.example-store.com"], True),
            ("wechat-weather", BUNDLES / "wechat-weather", ["api.example-weather.com"], True),
            (f"big app ({args.pages} pages, location)", big, ["api.example-big.com"], False),
            ("package-size-wechat (no source)", BUNDLES / "package-size-wechat", [], False),
        ]
        for engine in filter(usable, engines):
            review_ms(BUNDLES / "douyin-store", engine, True, [], False)  # warm caches
            for name, path, allow, deny in targets:
                n = min(args.n, 2) if "big app" in name else args.n
                single, both = [], []
                for _ in range(n):  # interleaved, so machine load hits both alike
                    *figures, walks1, verdict1 = review_ms(path, engine, False, allow, deny)
                    single.append(figures)
                    *figures, walks2, verdict2 = review_ms(path, engine, True, allow, deny)
                    both.append(figures)
                (wall1, cpu1), (wall2, cpu2) = ([statistics.median(x) for x in zip(*rows)] for rows in (single, both))
                same = "same verdict" if verdict1 == verdict2 else f"verdict {verdict1} -> {verdict2}"
                print(f"{engine}: {name} ({walks1} walks -> {walks2}; {same}): wall {wall1:.0f} -> {wall2:.0f} ms "
                      f"x{wall2 / wall1:.2f}, CPU {cpu1:.0f} -> {cpu2:.0f} ms x{cpu2 / cpu1:.2f} "
                      f"(target ≤ x{TARGET_RATIO:.0f})")


if __name__ == "__main__":
    main()
