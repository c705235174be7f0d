"""The developer self-test API: MiniProgram, Page and the pytest fixture."""

from __future__ import annotations

import pytest

from mpsandbox.testing import MiniProgram, MiniProgramError

from ..runtime.fakebundle import make_bundle

COUNTER = """
Page({
  data: { count: 0, items: [] },
  onLoad(q) { this.setData({ from: q.from || 'none' }) },
  add(e) { this.setData({ count: this.data.count + Number(e.currentTarget.dataset.step || 1) }) },
  save() { tt.setStorageSync('count', this.data.count); tt.request({ url: 'https://api.example.com/c?n=' + this.data.count }) },
  later() { setTimeout(() => this.setData({ late: true }), 60000) },
  onShareAppMessage() { return { title: 'count ' + this.data.count, path: '/pages/c/c' } },
  boom() { null.x },
  go() { tt.navigateTo({ url: '/pages/d/d?x=1' }) },
})
"""


def bundle():
    return make_bundle({"pages/c/c": COUNTER, "pages/d/d": "Page({ onLoad(q) { this.setData({ x: q.x }) } })"})


def test_drive_a_page_and_assert(miniprogram):
    mp = miniprogram(bundle())
    page = mp.launch(**{"from": "test"})
    assert page.route == "pages/c/c" and page.data["from"] == "test"
    page.tap("add", step=2).tap("add")
    assert page.data["count"] == 3
    page.tap("save")
    assert mp.storage["count"] == 3
    assert mp.assert_called("request", times=1)[0].args[0]["url"].endswith("n=3")
    assert page.share()["title"] == "count 3"
    mp.assert_no_errors()


def test_virtual_time_navigation_and_errors():
    with MiniProgram(bundle()) as mp:
        page = mp.launch()
        page.tap("later")
        assert "late" not in page.data
        mp.advance(60_000)
        assert page.data["late"] is True
        page.tap("go")
        assert mp.pages == ["pages/c/c", "pages/d/d"] and mp.page.data["x"] == "1"
        mp.back()
        assert mp.page.route == "pages/c/c"
        mp.page.tap("boom")
        with pytest.raises(MiniProgramError, match="TypeError"):
            mp.assert_no_errors()
        with pytest.raises(MiniProgramError, match="no handler 'nope'"):
            mp.page.tap("nope")
        with pytest.raises(MiniProgramError, match="getLocation"):
            mp.assert_called("getLocation")


def test_mocks_answer_requests(miniprogram):
    src = "Page({ onLoad() { tt.request({ url: 'https://api.example.com/menu', success: r => this.setData({ menu: r.data }) }) } })"
    mp = miniprogram(make_bundle({"pages/m/m": src}),
                     mocks={"responses": [{"url": "https://api.example.com/menu", "data": {"items": [1, 2]}}]})
    assert mp.launch().data["menu"] == {"items": [1, 2]}


def test_launch_options_come_from_the_mocks_for_app_and_api_alike():
    app = "App({ onLaunch(o) { console.log('launch', o.path, o.query.from, o.scene) } })"
    page = "Page({ onLoad(q) { const o = tt.getLaunchOptionsSync(); console.log('page', q.from, o.scene) } })"
    bundle = make_bundle({"pages/a/a": "Page({})", "pages/b/b": page}, app_js=app)
    with MiniProgram(bundle, mocks={"launch": {"path": "pages/b/b", "query": {"from": "share"}, "scene": 1007}}) as mp:
        mp.launch()
        assert mp.page.route == "pages/b/b"
        assert mp.console() == ["launch pages/b/b share 1007", "page share 1007"]
