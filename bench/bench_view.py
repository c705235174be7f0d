"""View-layer figures (printed, never asserted): render and update (render + diff + patches) of a 200-node page
after a setData, on both engines, and a screenshot in headless Chromium where available.

    python bench/bench_view.py
"""

from __future__ import annotations

import statistics
import time

from mpsandbox.bundle import bundle_from_files
from mpsandbox.runtime.view.html import to_html
from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.screenshot import Camera, ScreenshotUnavailable

TEMPLATE = ('<view class="list"><view wx:for="{{items}}" wx:key="id" class="item {{item.on ? \'on\' : \'\'}}" '
            'bindtap="open" data-id="{{item.id}}"><text class="name">{{item.name}}</text>'
            '<text class="price">{{item.price}}</text><image src="{{item.img}}"/></view></view>')


BUNDLE = bundle_from_files({"app.json": '{"pages": ["pages/p"]}', "pages/p.js": "Page({})", "pages/p.wxml": TEMPLATE},
                           "wx", name="bench-view")


def median_ms(fn, n: int = 300) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


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
        print(f"{engine:6} {nodes}-node page: full render {full:.3f} ms, re-render with all data + diff {upd:.3f} ms, "
              f"setData (changes in, patches out) {setd:.3f} ms (medians; target <= 0.5 ms)")
    try:
        with Camera() as cam:
            doc = to_html(tree)
            cam.shoot(doc)
            shot = median_ms(lambda: cam.shoot(doc), n=10)
        print(f"screenshot (375x667 @2x) {shot:.0f} ms median (target <= 300 ms)")
    except ScreenshotUnavailable as exc:
        print(f"screenshot: unavailable ({exc})")


if __name__ == "__main__":
    main()
