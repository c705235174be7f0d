"""App/Page lifecycles, the page stack and routing limits."""

from __future__ import annotations

import json

from .helpers import console_lines, run_pages

LOGGING_PAGE = """
Page({
  onLoad(q) { console.log('%(n)s.onLoad', JSON.stringify(q)) },
  onShow() { console.log('%(n)s.onShow') },
  onReady() { console.log('%(n)s.onReady') },
  onHide() { console.log('%(n)s.onHide') },
  onUnload() { console.log('%(n)s.onUnload') },
  go(e) { tt.navigateTo({ url: e.detail.url, success: () => console.log('nav ok'), fail: r => console.log('nav fail', r.errMsg) }) },
  redirect(e) { tt.redirectTo({ url: e.detail.url }) },
  back() { tt.navigateBack({ delta: 1 }) },
})
"""
APP = """App({
  onLaunch(o) { console.log('App.onLaunch', o.path, JSON.stringify(o.query)) },
  onShow() { console.log('App.onShow') },
  onHide() { console.log('App.onHide') },
})"""


def page(n: str) -> str:
    return LOGGING_PAGE % {"n": n}


def test_launch_order_and_query(engine_name):
    trace = run_pages({"pages/a/a": page("A")}, app_js=APP, engine=engine_name)
    assert console_lines(trace) == ["App.onLaunch pages/a/a {}", "App.onShow", "A.onLoad {}", "A.onShow", "A.onReady"]
    hooks = [(e.target, e.hook) for e in trace.of_kind("lifecycle")]
    assert hooks == [("app", "onLaunch"), ("app", "onShow"), ("page", "onLoad"), ("page", "onShow"), ("page", "onReady")]


def test_navigate_then_back(engine_name):
    def steps(sb):
        sb.tap("go", detail={"url": "../b/b?id=7&name=%E5%BA%97"})
        sb.run()
        assert sb.pages == ["pages/a/a", "pages/b/b"]
        sb.tap("back")

    trace = run_pages({"pages/a/a": page("A"), "pages/b/b": page("B")}, engine=engine_name, steps=steps)
    lines = console_lines(trace)
    i = lines.index("A.onHide")
    assert lines[i:i + 5] == ["A.onHide", 'B.onLoad {"id":"7","name":"店"}', "B.onShow", "B.onReady", "nav ok"]
    assert lines[-2:] == ["B.onUnload", "A.onShow"]


def test_page_stack_limit_is_ten(engine_name):
    pages = {"pages/a/a": page("A")}

    def steps(sb):
        for _ in range(10):
            sb.tap("go", detail={"url": "/pages/a/a"})
            sb.run()

    trace = run_pages(pages, engine=engine_name, steps=steps)
    lines = console_lines(trace)
    assert lines.count("nav ok") == 9
    assert "nav fail navigateTo:fail webview count limit exceed" in lines
    navs = trace.of_kind("navigation")
    assert max(e.depth for e in navs) == 10


def test_route_rules_for_tab_pages_and_missing_pages(engine_name):
    app_json = {"pages": ["pages/a/a", "pages/tab/tab"], "tabBar": {"list": [{"pagePath": "pages/a/a"}, {"pagePath": "pages/tab/tab"}]}}

    def steps(sb):
        sb.tap("go", detail={"url": "/pages/tab/tab"})
        sb.tap("go", detail={"url": "/pages/missing/missing"})

    trace = run_pages({"pages/a/a": page("A"), "pages/tab/tab": page("T")}, engine=engine_name, steps=steps,
                      extra={"app.json": json.dumps(app_json)})
    lines = console_lines(trace)
    assert "nav fail navigateTo:fail can not navigateTo a tabbar page" in lines
    assert 'nav fail navigateTo:fail page "pages/missing/missing" is not found' in lines


def test_switch_tab_keeps_tab_pages_and_relaunch_unloads_all(engine_name):
    app_json = {"pages": ["pages/a/a", "pages/tab/tab", "pages/c/c"],
                "tabBar": {"list": [{"pagePath": "pages/a/a"}, {"pagePath": "pages/tab/tab"}]}}

    def steps(sb):
        assert sb.route("navigateTo", "/pages/c/c")
        sb.run()
        assert sb.route("switchTab", "/pages/tab/tab")
        sb.run()
        assert sb.pages == ["pages/tab/tab"]
        assert sb.route("switchTab", "/pages/a/a")
        sb.run()
        assert sb.pages == ["pages/a/a"]
        assert sb.route("reLaunch", "/pages/c/c?x=1")
        sb.run()
        assert sb.pages == ["pages/c/c"]

    trace = run_pages({"pages/a/a": page("A"), "pages/tab/tab": page("T"), "pages/c/c": page("C")},
                      engine=engine_name, steps=steps, extra={"app.json": json.dumps(app_json)})
    lines = console_lines(trace)
    assert lines.count("A.onLoad {}") == 1  # the tab page was kept while hidden, then shown again
    assert lines.count("C.onUnload") == 1
    assert lines[-5:] == ["T.onUnload", "A.onUnload", 'C.onLoad {"x":"1"}', "C.onShow", "C.onReady"] or \
        lines[-5:] == ["A.onUnload", "T.onUnload", 'C.onLoad {"x":"1"}', "C.onShow", "C.onReady"]


def test_launch_on_missing_page_calls_on_page_not_found(engine_name):
    app = "App({ onPageNotFound(r) { console.log('not found', r.path, r.isEntryPage) } })"
    from mpsandbox.runtime.sandbox import Sandbox

    from .bundles import make_bundle

    with Sandbox(make_bundle({"pages/a/a": page("A")}, app_js=app), engine=engine_name) as sb:
        sb.launch(page="pages/nope/nope")
        trace = sb.finish()
    lines = console_lines(trace)
    assert "not found pages/nope/nope true" in lines and "A.onLoad {}" in lines


def test_app_hide_show_and_page_hooks(engine_name):
    page_js = """Page({
      onPullDownRefresh() { console.log('refresh'); tt.stopPullDownRefresh && tt.stopPullDownRefresh() },
      onReachBottom() { console.log('bottom') },
      onShareAppMessage(o) { console.log('share from', o.from); return { title: 'T', path: '/pages/a/a?ref=1' } },
    })"""

    def steps(sb):
        sb.trigger("onPullDownRefresh")
        sb.trigger("onReachBottom")
        sb.trigger("onShareAppMessage", {"from": "menu"}, gesture=True)
        sb.hide_app()
        sb.show_app()

    trace = run_pages({"pages/a/a": page_js}, app_js=APP, engine=engine_name, steps=steps)
    lines = console_lines(trace)
    assert lines[-6:] == ["refresh", "bottom", "share from menu", "App.onHide", "App.onShow"][-5:] or \
        ["refresh", "bottom", "share from menu", "App.onHide", "App.onShow"] == lines[-5:]
    share = [e for e in trace.of_kind("note") if e.code == "share-payload"]
    assert share and share[0].data["path"] == "/pages/a/a?ref=1"


def test_navigate_to_links_event_channels(engine_name):
    # the opener passes data with res.eventChannel.emit in navigateTo's success (as real Alipay/WeChat apps do) and
    # listens with `events`; the opened page talks back through getOpenerEventChannel()
    opener = """Page({
      go() {
        tt.navigateTo({ url: '/pages/b/b', events: { fromB: (d) => console.log('A got', d.ok) },
          success: (res) => res.eventChannel.emit('indexData', { data: '3' }) });
      },
    })"""
    opened = """Page({
      onLoad() {
        const ch = this.getOpenerEventChannel();
        ch.on('indexData', (d) => console.log('B got', d.data));
        ch.emit('fromB', { ok: true });
      },
    })"""

    def steps(sb):
        sb.tap("go")

    trace = run_pages({"pages/a/a": opener, "pages/b/b": opened}, engine=engine_name, steps=steps)
    assert console_lines(trace) == ["A got true", "B got 3"]
    assert not trace.of_kind("error")


def test_douyin_binds_page_methods_to_the_page_wechat_does_not():
    # a page method passed bare as a callback: on Douyin `this` is still the page; on WeChat it is not
    page = """Page({
      data: { n: 0 },
      onLoad() { setTimeout(this.tick, 10); console.log('same', this.tick === this.tick) },
      tick() { this.setData({ n: 1 }); console.log('ticked', this.data.n) },
    })"""
    douyin = run_pages({"pages/p/p": page})
    assert console_lines(douyin) == ["same true", "ticked 1"] and not douyin.of_kind("error")
    wechat = run_pages({"pages/p/p": page}, platform="wx")
    assert console_lines(wechat) == ["same true"]
    assert [e.source for e in wechat.of_kind("error")] == ["timer"]
