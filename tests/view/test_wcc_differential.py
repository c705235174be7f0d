"""Our WXML rendering against the official compiler's, case by case (skipped where Node or the compiler is
missing)."""

from __future__ import annotations

import pytest

from mpsandbox.runtime.view.realm import ViewRealm

from ..runtime.bundles import template_bundle
from .wcc_oracle import compiler_dir, normalise_wcc, ours_as_plain, render_with_wcc

pytestmark = pytest.mark.skipif(compiler_dir() is None, reason="node or miniprogram-compiler not installed")

DATA = {
    "items": [{"id": 1, "name": "tea", "tags": ["a", "b"]}, {"id": 2, "name": "coffee", "tags": []}],
    "n": 3, "price": 12.5, "neg": -2, "flag": True, "off": False, "empty": "", "none": None,
    "obj": {"k": "v", "deep": {"x": 7}}, "s": "hello", "tab": 1, "zero": 0, "list": [3, 1, 2],
}

# (name, {file: text}); every case renders pages/p.wxml with DATA
CASES = {
    "text-and-attrs": {"pages/p.wxml": '<view id="v{{n}}" class="a {{flag ? \'on\' : \'off\'}}" '
                                       'style="width:{{price * 2}}px" data-id="{{items[0].id}}" data-s="x{{s}}" '
                                       'bindtap="go">{{s}} {{n + 1}} {{price}} {{neg}}</view>'},
    "literals": {"pages/p.wxml": '<text>{{1.50}}|{{0.1 + 0.2}}|{{10 / 4}}|{{7 % 3}}|{{\'a\' + 1}}|{{"q\'x"}}|'
                                 '{{true}}|{{null}}|{{undefined}}|{{[1,2]}}|{{obj}}</text>'},
    "logic": {"pages/p.wxml": '<view>{{flag && s}}|{{off || "dflt"}}|{{!flag}}|{{zero == false}}|'
                              '{{zero === false}}|{{n > 2 ? "big" : "small"}}|{{-n}}|{{n - -1}}|{{(n + 1) * 2}}</view>'},
    "members": {"pages/p.wxml": '<view>{{obj.deep.x}}|{{obj["k"]}}|{{items.length}}|{{s.length}}|{{missing.x}}|'
                                '{{list[1]}}|{{items[1].tags.length}}|{{s[1]}}</view>'},
    "if-chain": {"pages/p.wxml": '<view wx:if="{{tab == 0}}">zero</view>\n<view wx:elif="{{tab == 1}}">one</view>\n'
                                 '<view wx:else>other</view><text wx:if="{{off}}">no</text><text wx:else>yes</text>'},
    "for": {"pages/p.wxml": '<view wx:for="{{items}}" wx:key="id" data-i="{{index}}" bindtap="pick">'
                            '{{index}}:{{item.name}}<text wx:for="{{item.tags}}" wx:for-item="t" wx:for-index="j">'
                            '{{j}}{{t}}{{item.id}}</text></view>'},
    "for-kinds": {"pages/p.wxml": '<view wx:for="{{n}}">{{item}}</view><view wx:for="ab">{{item}}{{index}}</view>'
                                  '<view wx:for="{{obj}}">{{index}}</view><view wx:for="{{[5, 6]}}">{{item}}</view>'
                                  '<view wx:for="{{none}}">x</view><view wx:for-items="{{list}}">{{item}}</view>'},
    "for-if": {"pages/p.wxml": '<view wx:for="{{list}}" wx:if="{{item > 1}}">{{item}}</view>'},
    "block": {"pages/p.wxml": '<block wx:for="{{items}}"><text>{{item.name}}</text><text>!</text></block>'
                              '<block wx:if="{{flag}}"><view>shown</view></block>'},
    "template": {"pages/p.wxml": '<template name="row"><view class="row">{{name}}-{{id}}-{{extra}}</view></template>'
                                 '<template is="row" data="{{...items[0], extra: n}}"/>'
                                 '<template is="{{flag ? \'row\' : \'none\'}}" data="{{name: s, id}}"/>'
                                 '<block wx:for="{{items}}"><template is="row" data="{{...item}}"/></block>'},
    "import-include": {
        "pages/p.wxml": '<import src="../tpl/t.wxml"/><include src="../tpl/part.wxml"/>'
                        '<template is="card" data="{{title: s}}"/>',
        "tpl/t.wxml": '<template name="card"><view class="card">{{title}}</view></template>',
        "tpl/part.wxml": '<view class="part">{{n}}</view>',
    },
    "wxs-inline": {"pages/p.wxml": '<wxs module="f">var up = function(s) { return s.toUpperCase(); };\n'
                                   'module.exports = { up: up, sum: function(a) { return a.reduce(function(x, y) '
                                   '{ return x + y; }, 0); } };</wxs><view>{{f.up(s)}}|{{f.sum(list)}}</view>'},
    "wxs-file": {"pages/p.wxml": '<wxs module="u" src="../utils/u.wxs"/><view>{{u.price(price)}}</view>',
                 "utils/u.wxs": 'var fmt = require("./fmt.wxs");\nmodule.exports.price = function(p) '
                                '{ return fmt.money(p); };',
                 "utils/fmt.wxs": 'module.exports = { money: function(p) { return "¥" + p.toFixed(2); } };'},
    # a value's constructor is its type's name in WXS (Vant's array.wxs: array.constructor === 'Array')
    "wxs-constructor": {"pages/p.wxml": '<wxs module="t" src="../utils/t.wxs"/><view>{{t.kinds(list, obj, s, n, flag)}}'
                                        '</view><view wx:for="{{t.rows(list)}}">{{item}}</view>',
                        "utils/t.wxs": 'function isArray(a) { return a && a.constructor === "Array"; }\n'
                                       'module.exports.rows = function(l) { return isArray(l) ? l : []; };\n'
                                       'module.exports.kinds = function(l, o, s, n, f) { return [l.constructor, '
                                       'o["constructor"], s.constructor, n.constructor, f.constructor, '
                                       'isArray.constructor, getDate().constructor, getRegExp("x").constructor, '
                                       'l.constructor.constructor].join(); };'},
    "bools-and-spaces": {"pages/p.wxml": '<view hidden>a</view>\n  <view hidden="{{off}}">  b  </view>\n'
                                         '<input disabled value="{{s}}"/><checkbox checked="{{flag}}"/>'},
    "nested-components-tags": {"pages/p.wxml": '<scroll-view scroll-y="true" bindscrolltolower="more">'
                                               '<swiper-item wx:for="{{list}}" wx:key="*this">{{item}}</swiper-item>'
                                               '</scroll-view><button open-type="getPhoneNumber" '
                                               'bindgetphonenumber="phone" hover-class="h" bind:tap="t" catch:longpress="l" mut-bind:tap="m" '
                                               'capture-bind:tap="c" data-a-b="1">p</button>'},
    "operators": {"pages/p.wxml": '<view>{{n != 3}}|{{n !== "3"}}|{{n <= 3}}|{{n >= 4}}|{{n < price}}|'
                                  '{{!!empty}}|{{flag ? (off ? 1 : 2) : 3}}|{{n * 2 + 1 > 6 && !off}}|{{"a" + n + price}}|'
                                  '{{none === null}}|{{none.x}}|{{list[0] + list[1] * list[2]}}</view>'},
    "literals-in-data": {"pages/p.wxml": '<template name="t"><view>{{a}}|{{b}}|{{c.length}}|{{d.k}}|{{s}}</view></template>'
                                         '<template is="t" data="{{a: 1, b: \'x\', c: [1, 2, list], d: {k: s}, s}}"/>'
                                         '<view wx:for="{{[list, 9]}}">{{item}}</view>'},
    "nested-templates": {"pages/p.wxml": '<template name="inner"><text>{{v}}</text></template>'
                                         '<template name="outer"><view class="o"><template is="inner" data="{{v: name}}"/>'
                                         '<template wx:for="{{tags}}" is="inner" data="{{v: item}}"/></view></template>'
                                         '<template wx:for="{{items}}" is="outer" data="{{...item}}"/>'},
    "for-nesting": {"pages/p.wxml": '<block wx:for="{{items}}" wx:for-item="it" wx:for-index="i">'
                                    '<view wx:for="{{it.tags}}" wx:key="*this">{{i}}.{{index}}:{{item}}/{{it.name}}</view>'
                                    '<view wx:if="{{!it.tags.length}}">none {{i}}</view></block>'
                                    '<view wx:for="{{list}}" wx:for-item="index">{{index}}</view>'},
    "attr-mixes": {"pages/p.wxml": '<view class="a{{n}} b {{flag ? \'c\' : \'\'}} {{off ? \'d\' : \'\'}}" '
                                   'style="color: {{s}}; width: {{n * 10}}rpx" data-mixed="{{n}}-{{s}}" data-num="{{n}}" '
                                   'data-obj="{{obj}}" data-arr="{{list}}" data-bool="{{flag}}">x</view>'},
    "if-in-for-and-blocks": {"pages/p.wxml": '<block wx:for="{{list}}"><block wx:if="{{item == 1}}">one</block>'
                                             '<block wx:elif="{{item == 2}}"><text>two</text></block>'
                                             '<view wx:else>{{item}}</view></block>'},
    "include-in-for": {"pages/p.wxml": '<view wx:for="{{items}}"><include src="part.wxml"/></view>',
                       "pages/part.wxml": '<text>{{item.name}}{{index}}</text>'},
}


@pytest.fixture(scope="module")
def oracle() -> dict[str, dict]:
    out = {}
    for name, files in CASES.items():
        out[name] = render_with_wcc(files, [["pages/p.wxml", DATA]])[0]
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_renders_like_the_official_compiler(case: str, oracle: dict[str, dict]) -> None:
    expected = oracle[case]
    assert "error" not in expected, expected
    want = normalise_wcc(expected["tree"])
    with ViewRealm(template_bundle(CASES[case])) as realm:
        got = realm.render("pages/p.wxml", DATA)
    assert got.error is None, got.error
    assert ours_as_plain(got.tree) == want


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_templates_render_like_source_ones(case: str) -> None:
    """wcc's $gwx code (what .wxapkg packages carry), run in our view realm, gives the tree our compiler gives."""
    from .wcc_oracle import compile_with_wcc

    code = compile_with_wcc(CASES[case])
    assert code
    with ViewRealm(template_bundle({})) as compiled_realm, ViewRealm(template_bundle(CASES[case])) as source_realm:
        assert compiled_realm.load_compiled(code) >= 1
        got = compiled_realm.render("pages/p.wxml", DATA)
        want = source_realm.render("pages/p.wxml", DATA)
    assert got.error is None, got.error
    assert ours_as_plain(got.tree) == ours_as_plain(want.tree)


# setData payloads applied one after another (each also a state the official compiler renders from scratch)
UPDATES = [
    {"items[0].name": "green tea"},
    {"items[1].tags": ["x"], "n": 4},
    {"flag": False, "list[2]": 1},
    {"items": [{"id": 2, "name": "coffee", "tags": ["x", "y"]}, {"id": 3, "name": "cake", "tags": []},
               {"id": 1, "name": "tea", "tags": ["a"]}]},
    {"items[2].tags[0]": "b", "s": "bye", "obj.deep.x": 8},
    {"list": [], "items": []},
    {"list": [2, 2], "items[0]": {"id": 9, "name": "pie", "tags": ["p"]}},
]
UPDATE_CASES = ["for", "template", "nested-templates", "for-nesting", "if-in-for-and-blocks", "attr-mixes",
                "include-in-for", "block", "for-kinds", "members"]


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_updates_render_like_the_official_compiler(engine: str) -> None:
    """After each setData the tree the view keeps up to date (patched, its unchanged list items kept) is the tree
    the official compiler renders from the data as it then is."""
    from .test_incremental import apply_changes

    states, data = [], DATA
    for changes in UPDATES:
        data = apply_changes(data, changes)
        states.append(data)
    for case in UPDATE_CASES:
        expected = render_with_wcc(CASES[case], [["pages/p.wxml", state] for state in states])
        with ViewRealm(template_bundle(CASES[case]), engine=engine) as realm:
            realm.update("page", "pages/p.wxml", DATA)
            for step, (changes, want) in enumerate(zip(UPDATES, expected)):
                assert "error" not in want, want
                got = realm.set_data("page", "pages/p.wxml", changes)
                assert got.error is None, got.error
                assert ours_as_plain(got.tree) == normalise_wcc(want["tree"]), (case, step)
