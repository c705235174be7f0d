"""The view in a running sandbox: rendered pages and components, element events, the element-driven walk,
gestures by event type, typed personal data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.runtime.sandbox import Sandbox
from mpsandbox.runtime.walker import walk


def make(tmp: Path, files: dict[str, str], platform: str = "wx") -> Path:
    ext = {"wx": ".wxml", "tt": ".ttml", "my": ".axml"}[platform]
    pages = sorted(p[:-len(ext)] for p in files if p.startswith("pages/") and p.endswith(ext))
    base = {"app.json": json.dumps({"pages": pages}), "app.js": "App({})"}
    for path, text in {**base, **files}.items():
        f = tmp / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return tmp


def console(sb_or_trace) -> list[str]:
    trace = sb_or_trace.trace if hasattr(sb_or_trace, "trace") else sb_or_trace
    return [e.text for e in trace.events if e.kind == "console"]


CARD_FILES = {
    "pages/p/p.json": '{"usingComponents": {"card": "/components/card/card"}}',
    "pages/p/p.wxml": '<card wx:for="{{items}}" wx:key="id" item-id="{{item.id}}" title="{{item.name}}" '
                      'bind:pick="onPick"/>',
    "pages/p/p.js": "Page({ data: { items: [{id: 7, name: 'tea'}, {id: 8, name: 'cake'}] },\n"
                    "  onPick(e) { console.log('picked', e.detail.id) },\n"
                    "  shrink() { this.setData({ items: this.data.items.slice(0, 1) }) } })",
    "components/card/card.json": '{"component": true}',
    "components/card/card.wxml": '<view class="card" bindtap="choose">{{title}}#{{itemId}}</view>',
    "components/card/card.js": "Component({ properties: { title: String, itemId: { type: Number, observer(v) {"
                               " console.log('id set', v) } } },\n"
                               "  lifetimes: { attached() { console.log('attached', this.data.title) },"
                               " detached() { console.log('detached', this.data.title) } },\n"
                               "  methods: { choose() { this.triggerEvent('pick', { id: this.data.itemId }) } } })",
}


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_components_follow_the_rendered_list(tmp_path: Path, engine: str) -> None:
    bundle = load_bundle(make(tmp_path, CARD_FILES))
    with Sandbox(bundle, engine=engine) as sb:
        sb.launch()
        sb.run()
        tree = sb.view_tree()
        cards = tree.query_all(".card")
        assert [c.text for c in cards] == ["tea#7", "cake#8"]
        assert console(sb) == ["attached tea", "attached cake"]
        sb.tap_element(cards[1])
        sb.run()
        assert "picked 8" in console(sb)
        sb.trigger("shrink")  # not a page hook: nothing happens
        sb.run()


def test_a_shrinking_list_detaches_its_components(tmp_path: Path) -> None:
    files = {**CARD_FILES, "pages/p/p.wxml": CARD_FILES["pages/p/p.wxml"] + '<button id="s" bindtap="shrink">-</button>'}
    bundle = load_bundle(make(tmp_path, files))
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap_element(sb.view_tree().query("#s"))
        sb.run()
        assert "detached cake" in console(sb)
        assert [c.text for c in sb.view_tree().query_all(".card")] == ["tea#7"]


def test_open_type_and_submit_buttons(tmp_path: Path) -> None:
    files = {
        "pages/p/p.wxml": '<button id="ph" open-type="getPhoneNumber" bindgetphonenumber="phone">p</button>'
                          '<form bindsubmit="sent"><input name="who" value="{{who}}"/><switch name="ok" checked/>'
                          '<button id="go" form-type="submit">send</button></form>',
        "pages/p/p.js": "Page({ data: { who: 'ann' },\n"
                        "  phone(e) { console.log('phone', typeof e.detail.code, e.type) },\n"
                        "  sent(e) { console.log('form', JSON.stringify(e.detail.value)) } })",
    }
    bundle = load_bundle(make(tmp_path, files))
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        assert sb.tap_element(sb.view_tree().query("#ph")) == ["phone"]
        sb.run()
        assert sb.tap_element(sb.view_tree().query("#go")) == ["sent"]
        sb.run()
    lines = console(sb)
    assert "phone string getphonenumber" in lines
    assert 'form {"who":"ann","ok":true}' in lines


def test_input_is_no_gesture_but_tap_is(tmp_path: Path) -> None:
    files = {
        "pages/p/p.wxml": '<input id="i" bindinput="typed"/><view id="v" bindtap="tapped"/>',
        "pages/p/p.js": "Page({ typed() { wx.requestPayment({ timeStamp: '1', nonceStr: 'n', package: 'p', "
                        "signType: 'MD5', paySign: 's' }) }, tapped() { wx.requestPayment({ timeStamp: '1', "
                        "nonceStr: 'n', package: 'p', signType: 'MD5', paySign: 's' }) } })",
    }
    bundle = load_bundle(make(tmp_path, files))
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap_element(sb.view_tree().query("#i"), "input", {"value": "1"})
        sb.run()
        sb.tap_element(sb.view_tree().query("#v"))
        sb.run()
    pays = [e for e in sb.trace.events if e.kind == "api" and e.called_as.endswith("requestPayment")]
    assert [(p.gesture, p.chain is not None) for p in pays] == [(False, False), (True, True)]


def test_the_walk_taps_rendered_items_with_their_evaluated_dataset(tmp_path: Path) -> None:
    files = {
        "pages/p/p.wxml": '<view wx:for="{{list}}" wx:key="id" class="row" data-id="{{item.id}}" bindtap="open">'
                          '{{item.name}}</view><view wx:if="{{opened}}" class="more" bindtap="more">more</view>',
        "pages/p/p.js": "Page({ data: { list: [{id: 42, name: 'a'}, {id: 43, name: 'b'}], opened: false },\n"
                        "  open(e) { console.log('open', e.currentTarget.dataset.id); this.setData({ opened: true }) },\n"
                        "  more() { console.log('revealed and tapped') } })",
    }
    result = walk(load_bundle(make(tmp_path, files)))
    lines = console(result.trace)
    assert "open 42" in lines  # the first item's evaluated data-id, not a placeholder
    assert "open 43" not in lines  # one item of a list
    assert "revealed and tapped" in lines  # an element the first tap revealed
    assert result.log.elements_acted == 2


def test_typed_personal_data_is_a_source(tmp_path: Path) -> None:
    files = {
        "pages/p/p.wxml": '<input placeholder="手机号" bindinput="typed"/><button bindtap="save">save</button>',
        "pages/p/p.js": "Page({ typed(e) { this.phone = e.detail.value },\n"
                        "  save() { wx.request({ url: 'https://api.example.com/u', data: { phone: this.phone } }) } })",
    }
    result = walk(load_bundle(make(tmp_path, files)), allow_domains=["api.example.com"])
    flows = [e for e in result.trace.events if e.kind == "flow"]
    assert any(f.source_api == "user-input" and f.source_kind == "phoneNumber" and f.sink == "network" for f in flows)


def test_elements_bound_to_one_dispatcher_are_told_apart_by_template_node(tmp_path: Path) -> None:
    # uni-app binds every event to `__e` and says what to run in data-event-opts
    files = {
        "pages/p/p.wxml": "<view bindtap=\"__e\" data-event-opts=\"{{[['tap',[['one']]]]}}\">1</view>"
                          "<view bindtap=\"__e\" data-event-opts=\"{{[['tap',[['two']]]]}}\">2</view>"
                          "<view wx:for=\"{{[1, 2, 3]}}\" bindtap=\"__e\" data-event-opts=\"{{[['tap',[['item']]]]}}\">i</view>",
        "pages/p/p.js": "Page({ __e(e) { const opts = e.currentTarget.dataset.eventOpts; console.log('run', opts[0][1][0][0]) } })",
    }
    lines = console(walk(load_bundle(make(tmp_path, files))).trace)
    # each tapped once, then a second time, then once more after the app's second launch
    assert lines == ["run one", "run two", "run item"] * 3


def test_constant_template_expressions_are_known_without_data() -> None:
    from mpsandbox.runtime.walker import static_value

    assert static_value("{{[['tap',[['go',['$event']]]]]}}") == [["tap", [["go", ["$event"]]]]]
    assert static_value("{{-2}}") == -2 and static_value("{{'a' + 'b'}}") == "ab" and static_value("plain") == "plain"
    assert static_value("{{item.id}}") == "1" and static_value("x{{y}}") == "1"


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_what_each_update_makes_the_view_load_is_recorded(tmp_path: Path, engine: str) -> None:
    """After the first render only what an update changed is searched for view loads: new sources, styles, new
    list items and component shadows are all still recorded (each once)."""
    files = {
        "pages/p/p.json": '{"usingComponents": {"pic": "/components/pic/pic"}}',
        "pages/p/p.wxml": '<view wx:for="{{items}}" wx:key="id" style="{{item.bg}}"><image src="{{item.src}}"/>'
                          '</view><pic src="{{logo}}"/><button id="go" bindtap="go">go</button>',
        "pages/p/p.js": "Page({ data: { logo: 'https://c/0.png', items: [{id: 1, src: 'https://a/1.png', bg: ''},"
                        " {id: 2, src: 'https://a/2.png', bg: ''}] }, n: 0,\n"
                        "  go() { this.n++; if (this.n === 1) this.setData({ 'items[1].src': 'https://a/2b.png' });"
                        " if (this.n === 2) this.setData({ 'items[0].bg': 'background: url(https://b/1.png)' });"
                        " if (this.n === 3) this.setData({ items: this.data.items.concat([{id: 3, src:"
                        " 'https://a/3.png', bg: ''}]) }); if (this.n === 4) this.setData({ logo: 'https://c/1.png' });"
                        " if (this.n === 5) this.setData({ 'items[1].src': 'https://a/2.png' }) } })",
        "components/pic/pic.json": '{"component": true}',
        "components/pic/pic.wxml": '<image class="pic" src="{{src}}"/>',
        "components/pic/pic.js": "Component({ properties: { src: String } })",
    }
    bundle = load_bundle(make(tmp_path, files))
    with Sandbox(bundle, engine=engine) as sb:
        sb.launch()
        sb.run()
        for _ in range(5):
            sb.tap_element(sb.view_tree().query("#go"))
            sb.run()
        trace = sb.finish()
    from mpsandbox.trace import VIEW_LOAD_API

    loads = [(e.args[0]["url"], e.args[0]["component"]) for e in trace.api_calls(VIEW_LOAD_API)]
    assert loads == [("https://a/1.png", None), ("https://a/2.png", None), ("https://c/0.png", "components/pic/pic"),
                     ("https://a/2b.png", None), ("https://b/1.png", None), ("https://a/3.png", None),
                     ("https://c/1.png", "components/pic/pic")]


@pytest.mark.parametrize("platform", ["tt", "wx"])
def test_a_share_button_calls_on_share_app_message_from_the_button(tmp_path: Path, platform: str) -> None:
    ext = {"tt": "ttml", "wx": "wxml"}[platform]
    files = {
        f"pages/p/p.{ext}": '<button id="sh" open-type="share" data-channel="video" data-item="7">share</button>',
        "pages/p/p.js": "Page({ onShareAppMessage(o) { console.log(JSON.stringify(o)); return { title: 't' } } })",
    }
    bundle = load_bundle(make(tmp_path, files, platform))
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap_element(sb.view_tree().query("#sh"))
        sb.run()
    target = {"id": "sh", "dataset": {"channel": "video", "item": "7"}, "offsetLeft": 0, "offsetTop": 0}
    expected = {"from": "button", "target": target, **({"channel": "video"} if platform == "tt" else {})}
    assert [json.loads(line) for line in console(sb)] == [expected]
