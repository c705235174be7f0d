"""Rendering templates of all three platforms in the view realm: directives, script modules, bad and hostile
templates, element queries."""

from __future__ import annotations

import pytest

from mpsandbox.runtime.view.parse import parse
from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.tree import Element

from ..runtime.bundles import template_bundle


def render(platform: str, files: dict[str, str], data: dict, page: str = "pages/p", engine: str = "native"):
    ext = {"wx": ".wxml", "tt": ".ttml", "my": ".axml"}[platform]
    with ViewRealm(template_bundle(files, platform), engine=engine) as realm:
        return realm.render(page + ext, data)


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_douyin_directives_and_sjs(engine: str) -> None:
    files = {
        "pages/p.ttml": '<sjs module="fmt" src="./fmt.sjs"></sjs>'
                        '<view tt:for="{{goods}}" tt:for-item="g" tt:key="id" bindtap="open" data-id="{{g.id}}">'
                        '<text tt:if="{{g.sale}}">{{fmt.price(g.price)}}</text><text tt:else>sold out</text></view>',
        "pages/fmt.sjs": "export default { price: function (p) { return '¥' + p.toFixed(2); } };",
    }
    res = render("tt", files, {"goods": [{"id": 7, "price": 3, "sale": True}, {"id": 8, "price": 4, "sale": False}]},
                 engine=engine)
    assert res.error is None
    views = res.tree.query_all("view")
    assert [v.dataset for v in views] == [{"id": 7}, {"id": 8}]
    assert [v.text for v in views] == ["¥3.00", "sold out"]
    assert views[0].bindings[0].event == "tap" and views[0].bindings[0].handler == "open"
    assert [v.key for v in views] == [7, 8]


def test_alipay_directives_import_sjs_and_event_names() -> None:
    files = {
        "pages/p.axml": '<import-sjs name="m" from="../util/m.sjs"/>'
                        '<view a:for="{{list}}" key="{{item}}" onTap="pick" catchLongTap="hold" data-v="{{item}}">'
                        '{{m.twice(item)}}</view><view a:if="{{!list.length}}">none</view>',
        "util/m.sjs": "const twice = (x) => x * 2;\nexport default { twice };",
    }
    res = render("my", files, {"list": [1, 2]})
    assert res.error is None
    views = res.tree.query_all("view")
    assert [v.text for v in views] == ["2", "4"]
    assert {(b.event, b.handler, b.kind) for b in views[0].bindings} == {("tap", "pick", "bind"),
                                                                         ("longTap", "hold", "catch")}


def test_dynamic_handler_names_evaluate() -> None:
    res = render("wx", {"pages/p.wxml": '<button bindtap="{{handler}}">x</button>'}, {"handler": "onBuy"})
    assert res.tree.query("button").bindings[0].handler == "onBuy"


def test_templates_get_only_their_data() -> None:
    files = {"pages/p.wxml": '<template name="t"><text>{{a}}|{{b}}</text></template>'
                             '<template is="t" data="{{a: 1}}"/>'}
    res = render("wx", files, {"a": 9, "b": 9})
    assert res.tree.query("text").text == "1|"


def test_missing_template_and_include_are_problems_not_errors() -> None:
    res = render("wx", {"pages/p.wxml": '<template is="nope"/><include src="gone.wxml"/><view>ok</view>'}, {})
    assert res.error is None
    assert res.tree.query("view").text == "ok"
    assert any("nope" in p for p in res.problems)


def test_bad_markup_is_repaired_with_problems() -> None:
    parsed = parse('<view><text>a</view></span><view b="{{ x > 1 ? "<" : ">" }}">c')
    messages = [p.message for p in parsed.problems]
    assert any("</span>" in m for m in messages)
    assert any("<text> is not closed" in m for m in messages)
    second = parsed.root.children[1]
    assert second.get("b") == '{{ x > 1 ? "<" : ">" }}'


def test_bad_expression_is_a_problem_and_renders_empty() -> None:
    with ViewRealm(template_bundle({"pages/p.wxml": "<view>{{ a + }}</view><view>{{ function(){} }}</view>"})) as r:
        res = r.render("pages/p.wxml", {"a": 1})
        assert res.error is None
        assert len(r.problems) == 2
        assert [v.text for v in res.tree.query_all("view")] == ["", ""]


def test_expressions_cannot_reach_prototypes_or_call_data() -> None:
    res = render("wx", {"pages/p.wxml": "<view>{{s.constructor}}|{{o.__proto__}}|{{s.toUpperCase()}}|"
                                        "{{o.hasOwnProperty('x')}}</view>"}, {"s": "ab", "o": {"x": 1}})
    assert res.tree.query("view").text == "|||"


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_endless_script_module_stops_within_budget(engine: str) -> None:
    files = {"pages/p.wxml": '<wxs module="w">module.exports = {f: function () { while (true) {} }};</wxs>'
                             '<view>{{w.f()}}</view>'}
    res = render("wx", files, {}, engine=engine)
    assert res.error and "render stopped" in res.error


def test_huge_lists_are_capped() -> None:
    with ViewRealm(template_bundle({"pages/p.wxml": '<view wx:for="{{n}}">{{item}}</view>'}), max_nodes=500) as r:
        res = r.render("pages/p.wxml", {"n": 10**9})
    assert res.error and "more than 500 elements" in res.error
    assert len(res.tree.query_all("view")) == 500


def test_deep_markup_renders_without_recursion_errors() -> None:
    depth = 2000
    src = "<view>" * depth + "x" + "</view>" * depth
    res = render("wx", {"pages/p.wxml": src}, {})
    assert res.error is None
    assert res.tree.stats()["depth"] <= 200


def test_queries() -> None:
    res = render("wx", {"pages/p.wxml": '<view class="list"><view class="item on" id="a" data-k="1">A</view>'
                                        '<view class="item">B</view></view><view class="item">C</view>'}, {})
    tree: Element = res.tree
    assert [e.text for e in tree.query_all(".item")] == ["A", "B", "C"]
    assert [e.text for e in tree.query_all(".list .item")] == ["A", "B"]
    assert [e.text for e in tree.query_all(".list > .item.on")] == ["A"]
    assert tree.query("#a").dataset == {"k": "1"}
    assert tree.query("[data-k='1']").id == "a"
    assert tree.stats() == {"nodes": 4, "depth": 2, "max_children": 2}
    assert "<view class='item on' id='a' data-k='1'>" in tree.pretty()


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_updates_cross_as_patches_and_match_a_full_render(engine: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    files = {"pages/p.wxml": '<view wx:for="{{items}}" wx:key="id" class="{{item.on ? \'on\' : \'\'}}" '
                             'data-id="{{item.id}}">{{item.name}}<text wx:if="{{item.on}}">!</text></view>'
                             '<view wx:if="{{title}}" hidden="{{hide}}">{{title}}</view>'}
    item = st.fixed_dictionaries({"id": st.integers(0, 5), "name": st.text(max_size=3), "on": st.booleans()})
    state = st.fixed_dictionaries({"items": st.lists(item, max_size=5), "title": st.text(max_size=3),
                                   "hide": st.booleans()})
    with ViewRealm(template_bundle(files), engine=engine) as realm:
        @settings(max_examples=40, deadline=None)
        @given(st.lists(state, min_size=1, max_size=4))
        def check(states: list[dict]) -> None:
            realm.drop("page-1")
            for data in states:
                updated = realm.update("page-1", "pages/p.wxml", data)
                full = realm.render("pages/p.wxml", data)
                assert updated.tree.pretty() == full.tree.pretty()
                for el in updated.tree.iter():
                    assert el.parent is not None

        check()


def test_set_data_paths_update_the_view_copy() -> None:
    files = {"pages/p.wxml": '<view wx:for="{{list}}">{{item.name}}</view><text>{{a.b[1]}}</text>'}
    with ViewRealm(template_bundle(files)) as realm:
        realm.update("p1", "pages/p.wxml", {"list": [{"name": "x"}], "a": {"b": [0, 1]}})
        res = realm.set_data("p1", "pages/p.wxml", {"list[0].name": "y", "list[1]": {"name": "z"}, "a.b[1]": 5,
                                                    "__proto__.polluted": 1, "c.d": 2})
        assert [v.text for v in res.tree.query_all("view")] == ["y", "z"]
        assert res.tree.query("text").text == "5"
        assert res.patches and res.patches >= 3
        other = realm.set_data("p2", "pages/p.wxml", {"list": [{"name": "only"}]})
        assert [v.text for v in other.tree.query_all("view")] == ["only"]


def test_data_json_cannot_hold_renders_as_text() -> None:
    import datetime

    res = render("wx", {"pages/p.wxml": "<view>{{when}}</view>"}, {"when": datetime.date(2026, 1, 2)})
    assert res.tree.query("view").text == "2026-01-02"
