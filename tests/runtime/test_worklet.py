"""wx.worklet (Skyline animations): shared values animate on the virtual clock, callbacks run, this.renderer."""

from __future__ import annotations

import json

from .bundles import make_bundle
from .helpers import console_lines
from mpsandbox.runtime.sandbox import Sandbox

PAGE = """
const { shared, derived, timing, spring, decay, sequence, repeat, delay, cancelAnimation, runOnJS, runOnUI,
        Easing } = wx.worklet;
const log = (...a) => console.log(a.join(' '));
Page({
  onLoad() {
    log('renderer', this.renderer, typeof Easing.bezier(0.4, 0, 0.2, 1).factory(),
        Easing.cubicBezier(0.42, 0, 0.58, 1)(0.5).toFixed(4), Easing.inOut(Easing.quad)(0.25));
    const x = shared(0), doubled = derived(() => { 'worklet'; return x.value * 2 });
    let styled = 0;
    this.applyAnimatedStyle('.box', () => { 'worklet'; styled++; return { left: x.value + 'px' } });
    x.value = timing(100, { duration: 1000, easing: Easing.linear }, (done) => {
      'worklet'; log('timing', done, x.value, doubled.value);
    });
    setTimeout(() => log('halfway', x.value, doubled.value), 500);
    setTimeout(() => log('styled again', styled > 1), 2000);
    const s = shared(10);
    s.value = spring(0, {}, (done) => log('spring', done, s.value));
    const c = shared(0);
    c.value = timing(50, { duration: 300 }, (done) => log('cancelled', done, c.value > 0 && c.value < 50));
    setTimeout(() => cancelAnimation(c), 150);
    const q = shared(0);
    q.value = sequence(timing(5, { duration: 10 }), delay(20, timing(7, { duration: 10 })));
    const r = shared(1);
    r.value = repeat(timing(3, { duration: 10 }), 2, true, (done) => log('repeat', done, r.value));
    const d = shared(0);
    d.value = decay({ velocity: 1000, clamp: [0, 200] }, (done) => log('decay', done, d.value <= 200, d.value > 0));
    setTimeout(() => log('ends', q.value, r.value), 3000);
    runOnUI(() => { 'worklet'; runOnJS(log)('on JS', 'later') })();
    log('sync first');
  }
})
"""


def _run(engine: str, page_json: dict, platform: str = "wx") -> list[str]:
    bundle = make_bundle({"pages/a/a": PAGE}, extra={"pages/a/a.json": json.dumps(page_json)}, platform=platform)
    with Sandbox(bundle, engine=engine) as sb:
        sb.launch()
        sb.run()
        trace = sb.finish()
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    assert not trace.of_kind("unknown")
    return console_lines(trace)


def test_worklet_animations_run_on_the_virtual_clock(engine_name):
    lines = _run(engine_name, {"renderer": "skyline"})
    assert lines[:2] == ["renderer skyline function 0.5000 0.125", "sync first"]
    assert set(lines[2:]) == {
        "on JS later", "halfway 50 100", "timing true 100 200", "spring true 0", "cancelled false true",
        "repeat true 1", "decay true true true", "styled again true", "ends 7 1"}
    assert lines.index("halfway 50 100") < lines.index("timing true 100 200")


def test_renderer_follows_the_page_json_then_its_subpackage_then_app_json(engine_name):
    page = "Page({ onLoad() { console.log(this.route + ' ' + this.renderer) } })"
    app = {"pages": ["pages/a/a", "pages/b/b"], "renderer": "webview",
           "subpackages": [{"root": "sky/", "pages": ["c/c", "d/d"], "renderer": "skyline"}]}
    extra = {"app.json": json.dumps(app), "pages/b/b.json": json.dumps({"renderer": "skyline"}),
             "sky/d/d.json": json.dumps({"renderer": "webview"})}
    bundle = make_bundle({r: page for r in ("pages/a/a", "pages/b/b", "sky/c/c", "sky/d/d")}, extra=extra,
                         platform="wx")
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run()
        for route in ("pages/b/b", "sky/c/c", "sky/d/d"):
            sb.route("navigateTo", "/" + route)
            sb.run()
        lines = console_lines(sb.finish())
    assert lines == ["pages/a/a webview", "pages/b/b skyline", "sky/c/c skyline", "sky/d/d webview"]
