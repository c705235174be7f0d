"""A generated large app for the walk's scale (issue 9): N pages, each with timers, requests and a few handlers.

    python bench/bigapp.py [--pages 500] [--engine native]   # prints the review's time and coverage

Also importable: ``make_big_app(dir, pages)`` writes the bundle (used by the tests with a smaller N).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 60.0

PAGE_JS = """const app = getApp();
Page({
  data: { items: [], ticks: 0, query: '', on: false },
  onLoad(query) {
    this.poll = setInterval(() => this.setData({ ticks: this.data.ticks + 1 }), 1000);
    setTimeout(() => this.setData({ ready: true }), 300);
    tt.request({
      url: 'https://api.example-big.com/page/%(i)d',
      success: (res) => this.setData({ items: (res.data && res.data.data && res.data.data.list) || [] }),
    });
  },
  onUnload() { clearInterval(this.poll); },
  onTapItem(e) { this.setData({ picked: e.currentTarget.dataset.id }); },
  onInput(e) { this.setData({ query: e.detail.value }); },
  onSwitch(e) { this.setData({ on: e.detail.value === true }); },
  onMore() {
    tt.request({ url: 'https://api.example-big.com/more/%(i)d', method: 'POST', data: { page: 2 },
                 success: () => tt.showToast({ title: 'ok' }) });
  },
  onPullDownRefresh() { tt.stopPullDownRefresh(); },
});
"""

PAGE_TTML = """<view class="page">
  <input bindinput="onInput" value="{{query}}" />
  <switch bindchange="onSwitch" checked="{{on}}" />
  <view tt:for="{{items}}" data-id="{{item.id}}" bindtap="onTapItem">{{item.name}}</view>
  <button bindtap="onMore">more</button>
</view>
"""


def make_big_app(root: Path, pages: int = 500, subpackage_pages: int = 0) -> Path:
    """Write a Douyin bundle with ``pages`` main pages (plus ``subpackage_pages`` in one subpackage)."""
    root.mkdir(parents=True, exist_ok=True)
    main = [f"pages/p{i}/p{i}" for i in range(pages)]
    app: dict = {"pages": main, "window": {"navigationBarTitleText": "big"}}
    routes = list(main)
    if subpackage_pages:
        sub = [f"p{i}/p{i}" for i in range(subpackage_pages)]
        app["subPackages"] = [{"root": "pkg", "pages": sub}]
        routes += [f"pkg/{r}" for r in sub]
    (root / "app.json").write_text(json.dumps(app, indent=1), encoding="utf-8")
    (root / "app.js").write_text("App({ onLaunch() { this.globalData = { started: Date.now() }; } });\n",
                                 encoding="utf-8")
    (root / "project.config.json").write_text(json.dumps({"appid": "tt0000000000000000"}), encoding="utf-8")
    for i, route in enumerate(routes):
        base = root / route
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_suffix(".js").write_text(PAGE_JS % {"i": i}, encoding="utf-8")
        base.with_suffix(".ttml").write_text(PAGE_TTML, encoding="utf-8")
        base.with_suffix(".json").write_text("{}", encoding="utf-8")
    return root


def main() -> None:
    import tempfile

    from mpsandbox.review import ReviewOptions, review

    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--engine", default="native", choices=["native", "wasm"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_big_app(Path(tmp) / "big-app", args.pages)
        t0 = time.perf_counter()
        report = review(path, ReviewOptions(engine=args.engine, allow_domains=["api.example-big.com"]))
        seconds = time.perf_counter() - t0
    run = report.runs[0]
    print(f"{args.engine}: review of a {args.pages}-page app: {seconds:.1f} s (target ≤ {TARGET_S:.0f} s on one core); "
          f"pages visited {len(run.pages_visited)}/{args.pages}, handlers fired {run.handlers_fired}, "
          f"{run.turns} turns, verdict {report.verdict.value}, findings {sorted({f.rule for f in report.findings})}")


if __name__ == "__main__":
    main()
