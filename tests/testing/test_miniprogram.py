"""The developer self-test API: MiniProgram, Page and the pytest fixture."""

from __future__ import annotations

import pytest

from mpsandbox.testing import MiniProgram, MiniProgramError

from ..runtime.bundles import make_bundle

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


def _menu(tmp_path):
    import json as _json

    files = {
        "app.json": _json.dumps({"pages": ["pages/menu/menu"]}), "app.js": "App({})",
        "pages/menu/menu.wxml": '<view class="item" wx:for="{{items}}" wx:key="id" data-id="{{item.id}}" '
                                'bindtap="add"><text class="name">{{item.name}}</text></view>'
                                '<input class="note" bindinput="note" value="{{note}}"/><text class="cart">{{cart}}</text>',
        "pages/menu/menu.js": "Page({ data: { items: [{id: 1, name: 'tea'}, {id: 2, name: 'cake'}], cart: 0, note: '' },\n"
                              "  add(e) { this.setData({ cart: this.data.cart + e.currentTarget.dataset.id }) },\n"
                              "  note(e) { this.setData({ note: e.detail.value }) } })",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return tmp_path


def test_rendered_elements_query_tap_input_render(miniprogram, tmp_path):
    mp = miniprogram(_menu(tmp_path))
    page = mp.launch()
    assert [e.text for e in page.query_all(".item .name")] == ["tea", "cake"]
    page.query_all(".item")[1].tap()
    assert page.query(".cart").text == "2"
    page.tap("add", id=1)  # the element bound to add whose data-id is 1
    assert page.data["cart"] == 3
    page.query(".note").input("no sugar")
    assert page.data["note"] == "no sugar" and page.query(".note").attrs["value"] == "no sugar"
    assert "<text class='cart'>\n  '3'" in page.render()
    with pytest.raises(MiniProgramError, match=r"binds tap to 'remove'; bound: input:note, tap:add"):
        page.tap("remove")
    with pytest.raises(MiniProgramError, match="has dataset"):
        page.tap("add", id=9)


def test_mocks_change_during_a_test(miniprogram):
    src = ("Page({ load() { tt.request({ url: 'https://api.example.com/menu', success: r => this.setData({ menu: r.data }),"
           " fail: e => this.setData({ err: e.errMsg }) }) },\n"
           "  where() { tt.getLocation({ success: r => this.setData({ lat: r.latitude }), fail: e => this.setData({ err: e.errMsg }) }) } })")
    mp = miniprogram(make_bundle({"pages/m/m": src}), mocks={"responses": [{"url": "https://api.example.com/*", "data": {"v": 1}}]})
    page = mp.launch()
    page.tap("load")
    assert page.data["menu"] == {"v": 1}
    mp.mock_response("https://api.example.com/menu", {"v": 2})
    page.tap("load")
    assert page.data["menu"] == {"v": 2}
    mp.mock_api("getLocation", fail="auth deny")
    page.tap("where")
    assert "auth deny" in page.data["err"]


def test_the_fixture_resolves_bundles_from_the_rootdir(pytester):
    import shutil
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "douyin-store"
    shutil.copytree(src, pytester.path / "app")
    pytester.makeini("[pytest]\nmpsandbox_bundle = app\n")
    pytester.makepyfile(test_app="def test_it(miniprogram):\n    assert miniprogram().launch().route == 'pages/home/home'\n")
    result = pytester.runpytest("-p", "no:cacheprovider", str(pytester.path / "test_app.py"))
    result.assert_outcomes(passed=1)
