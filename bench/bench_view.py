"""View-layer figures (printed, never asserted): render and update (render + diff + patches) of a 200-node page
after a setData, on both engines; the same update as a running sandbox makes it (a tap's handler calls setData, the
page's view syncs: patches applied, view loads searched, component elements found); a screenshot in headless
Chromium where available.

Each figure is a median of wall time and, in brackets, of this thread's CPU time (which other processes on a
busy machine inflate less). ``uptime`` tells the load.

    python bench/bench_view.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from mpsandbox.bundle import bundle_from_files
from mpsandbox.runtime.view.html import to_html
from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.screenshot import Camera, ScreenshotUnavailable

TEMPLATE = ('<view class="list"><view wx:for="{{items}}" wx:key="id" class="item {{item.on ? \'on\' : \'\'}}" '
            'bindtap="open" data-id="{{item.id}}"><text class="name">{{item.name}}</text>'
            '<text class="price">{{item.price}}</text><image src="{{item.img}}"/></view></view>')


BUNDLE = bundle_from_files({"app.json": '{"pages": ["pages/p"]}', "pages/p.js": "Page({})", "pages/p.wxml": TEMPLATE},
                           "wx", name="bench-view")


class Figure:
    def __init__(self, wall: list[float], cpu: list[float]):
        self.wall, self.cpu = statistics.median(wall), statistics.median(cpu)

    def __format__(self, spec: str) -> str:
        return f"{self.wall:{spec}} ms [{self.cpu:{spec}}]"


def median_ms(fn, n: int = 300) -> Figure:
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.thread_time()
        fn()
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return Figure(wall, cpu)


PAGE_JS = ("Page({ data: { items: Array.from({length: 50}, (_, i) => ({id: i, name: 'n' + i, price: i * 1.5,"
           " on: i % 2 == 0, img: 'https://x/' + i + '.png'})) }, n: 0,\n"
           " open(e) { this.n++; this.setData({ ['items[' + (this.n % 50) + '].name']: 'm' + this.n }) } })")


def sandbox_sync(engine: str, n: int = 200) -> tuple[Figure, Figure]:
    """A tap whose handler sets one item's name: the whole turn, and the page's view sync within it."""
    with tempfile.TemporaryDirectory(prefix="bench-view-") as tmp:
        return _sandbox_sync(Path(tmp), engine, n)


def _sandbox_sync(root: Path, engine: str, n: int) -> tuple[Figure, Figure]:
    from mpsandbox.bundle import load_bundle
    from mpsandbox.runtime.sandbox import Sandbox

    files = {"app.json": '{"pages": ["pages/p/p"]}', "app.js": "App({})", "pages/p/p.wxml": TEMPLATE,
             "pages/p/p.js": PAGE_JS}
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    with Sandbox(load_bundle(root), engine=engine) as sb:
        sb.launch()
        sb.run()
        view = sb.view
        assert view is not None
        handle = view.handle
        sync_wall: list[float] = []
        sync_cpu: list[float] = []

        def timed(p: dict) -> dict | None:
            t, c = time.perf_counter(), time.thread_time()
            out = handle(p)
            if p.get("op") == "page":
                sync_cpu.append((time.thread_time() - c) * 1000)
                sync_wall.append((time.perf_counter() - t) * 1000)
            return out

        view.handle = timed  # type: ignore[method-assign]
        items = sb.view_tree().query_all(".item")
        turn_wall, turn_cpu = [], []
        for i in range(n):
            t, c = time.perf_counter(), time.thread_time()
            sb.tap_element(items[i % 50])
            sb.run()
            turn_cpu.append((time.thread_time() - c) * 1000)
            turn_wall.append((time.perf_counter() - t) * 1000)
    return Figure(turn_wall, turn_cpu), Figure(sync_wall, sync_cpu)


def main() -> None:
    data = {"items": [{"id": i, "name": f"n{i}", "price": i * 1.5, "on": i % 2 == 0, "img": f"https://x/{i}.png"}
                      for i in range(50)]}
    for engine in ("native", "wasm"):
        with ViewRealm(BUNDLE, engine=engine) as realm:
            tree = realm.render("pages/p.wxml", data).tree
            nodes = tree.stats()["nodes"]
            full = median_ms(lambda: realm.render("pages/p.wxml", data))
            realm.update("page", "pages/p.wxml", data)
            counter = [0]

            def one_change(counter: list[int] = counter) -> None:
                counter[0] += 1
                data["items"][counter[0] % 50]["name"] = f"m{counter[0]}"
                realm.update("page", "pages/p.wxml", data)

            upd = median_ms(one_change)

            def one_set_data(counter: list[int] = counter) -> None:
                counter[0] += 1
                realm.set_data("page", "pages/p.wxml", {f"items[{counter[0] % 50}].name": f"s{counter[0]}"})

            setd = median_ms(one_set_data)
        print(f"{engine:6} {nodes}-node page: full render {full:.3f}, re-render with all data + diff {upd:.3f}, "
              f"setData (changes in, patches out) {setd:.3f} (target <= 0.5 ms)")
        turn, sync = sandbox_sync(engine)
        print(f"{engine:6} in a sandbox: tap -> setData -> view synced {turn:.3f}, of which the page's view sync "
              f"{sync:.3f}")
    try:
        with Camera() as cam:
            doc = to_html(tree)
            cam.shoot(doc)
            shot = median_ms(lambda: cam.shoot(doc), n=20)
        print(f"screenshot (375x667 @2x) {shot:.0f} (target <= 300 ms; CPU: this thread's, not Chromium's)")
    except ScreenshotUnavailable as exc:
        print(f"screenshot: unavailable ({exc})")


if __name__ == "__main__":
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; medians: wall ms [this thread's CPU ms]")
    main()
