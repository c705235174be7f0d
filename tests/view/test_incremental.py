"""Incremental re-rendering (view.js: list items kept between renders of a slot when what they read is the same):
whatever a slot's updates keep, its tree is the tree a full render of the same data gives."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.tree import Element

FILES = {
    "pages/p.wxml": (
        '<import src="./t.wxml"/>'
        '<view class="top {{title}}">{{title}}</view>'
        '<view wx:for="{{items}}" wx:key="id" class="{{sel === item.id ? \'sel\' : \'\'}}" data-i="{{index}}">'
        '{{item.name}}'
        '<text wx:for="{{item.tags}}" wx:for-item="tag" wx:for-index="ti">{{tag}}-{{index}}-{{ti}}-{{sel}}</text>'
        '<template is="row" data="{{...item, sel}}"/>'
        '<block wx:if="{{item.on}}">on</block><block wx:elif="{{missing}}">{{missing}}</block><block wx:else>off'
        '</block>'
        '<template is="{{item.on ? \'row\' : \'nope\'}}" data="{{tags: item.tags, name: title}}"/>'
        '</view>'
        '<view wx:for="{{map}}" wx:for-item="v" wx:for-index="k" wx:key="*this">{{k}}={{v}}</view>'
        '<view wx:for="{{n}}">{{item}}{{items.length}}</view>'
        '<include src="./inc.wxml"/>'
        '<view wx:for="{{items}}" wx:for-item="x" wx:for-index="x">{{x}}</view>'
        '<view wx:for="{{items}}" wx:if="{{item.on}}" wx:key="{{item.name}}">{{item.id}}</view>'
        '<view wx:for="{{items}}" wx:for-item="it"><text wx:for="{{it.tags}}">{{title}}{{missing}}{{n}}</text></view>'
        'tail {{sel}}'
    ),
    "pages/t.wxml": '<template name="row"><view wx:for="{{tags}}">{{item}}/{{sel}}/{{name}}/{{missing}}</view>'
                    '</template>',
    "pages/inc.wxml": '<view wx:for="{{items}}" wx:key="id" style="background: url(https://i/{{item.name}}.png)">'
                      '{{item.id}}{{title}}</view><image wx:for="{{items}}" src="https://img/{{item.name}}"/>',
}


class Bundle:
    platform = "wx"
    files = FILES

    def read_text(self, path: str) -> str:
        return self.files[path]


def _path(path: str) -> list[Any]:
    out: list[Any] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        out.append(int(index) if index else name)
    return out


class Hole(Exception):
    pass


def apply_changes(data: dict, changes: dict[str, Any]) -> dict:
    """setData's changes, as the logic layer applies them (for the paths these tests make); Hole for a change
    that leaves a hole in a list (JSON has none: the realm's copy and a JSON copy would differ)."""
    data = copy.deepcopy(data)

    def put(o: Any, k: Any, v: Any) -> None:
        if isinstance(o, list):
            if k > len(o):
                raise Hole(k)
            if k == len(o):
                o.append(None)
        o[k] = v

    for key, value in changes.items():
        p = _path(key)
        o: Any = data
        for j, k in enumerate(p[:-1]):
            child = o[k] if (isinstance(o, dict) and k in o) or (isinstance(o, list) and k < len(o)) else None
            if not isinstance(child, (dict, list)):
                child = [] if isinstance(p[j + 1], int) else {}
                put(o, k, child)
            o = child
        put(o, p[-1], copy.deepcopy(value))
    return data


def shape(tree: Element) -> list[Any]:
    return [tree.pretty(), [(e.tag, e.key, e.line, e.source) for e in tree.iter()]]


def check_steps(realm: ViewRealm, start: dict, steps: list[tuple[str, Any]]) -> None:
    realm.drop("page")
    data = copy.deepcopy(start)
    realm.update("page", "pages/p.wxml", data)
    for op, arg in steps:
        if op == "set":
            try:
                data = apply_changes(data, arg)
            except Hole:
                continue
            res = realm.set_data("page", "pages/p.wxml", arg)
        else:
            data = copy.deepcopy(arg)
            res = realm.update("page", "pages/p.wxml", data)
        full = realm.render("pages/p.wxml", data)
        assert res.error == full.error
        assert res.problems == full.problems
        assert shape(res.tree) == shape(full.tree)


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_updates_keep_what_did_not_change_and_match_a_full_render(engine: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    word = st.sampled_from(["a", "b", "c", "", "dd"])
    item = st.fixed_dictionaries({"id": st.integers(0, 4), "name": word, "on": st.booleans(),
                                  "tags": st.lists(word, max_size=3)})
    state = st.fixed_dictionaries({"items": st.lists(item, max_size=4), "sel": st.integers(0, 4), "title": word,
                                   "map": st.dictionaries(st.sampled_from(["x", "y", "z"]), word, max_size=3),
                                   "n": st.integers(0, 3)})
    i = st.integers(0, 4)
    change = st.one_of(
        st.builds(lambda k, v: {f"items[{k}].name": v}, i, word),
        st.builds(lambda k, v: {f"items[{k}].on": v}, i, st.booleans()),
        st.builds(lambda k, j, v: {f"items[{k}].tags[{j}]": v}, i, st.integers(0, 3), word),
        st.builds(lambda k, v: {f"items[{k}].tags": v}, i, st.lists(word, max_size=3)),
        st.builds(lambda k, v: {f"items[{k}]": v}, i, item),
        st.builds(lambda v: {"items": v}, st.lists(item, max_size=4)),
        st.builds(lambda v: {"sel": v}, st.integers(0, 4)),
        st.builds(lambda v: {"title": v}, word),
        st.builds(lambda v: {"missing": v}, word),
        st.builds(lambda k, v: {f"map.{k}": v}, st.sampled_from(["x", "y", "w"]), word),
        st.builds(lambda v: {"n": v}, st.integers(0, 3)),
    )
    step = st.one_of(
        st.builds(lambda cs: ("set", {k: v for c in cs for k, v in c.items()}), st.lists(change, min_size=1,
                                                                                          max_size=3)),
        st.builds(lambda s: ("update", s), state),
    )
    with ViewRealm(Bundle(), engine=engine) as realm:
        @settings(max_examples=60 if engine == "native" else 20, deadline=None)
        @given(state, st.lists(step, min_size=1, max_size=6))
        def check(start: dict, steps: list) -> None:
            check_steps(realm, start, steps)

        check()


def test_an_update_of_one_item_patches_only_that_item() -> None:
    data = {"items": [{"id": i, "name": f"n{i}", "on": False, "tags": ["t"]} for i in range(20)], "sel": -1,
            "title": "", "map": {}, "n": 0}
    with ViewRealm(Bundle()) as realm:
        realm.update("page", "pages/p.wxml", data)
        res = realm.set_data("page", "pages/p.wxml", {"items[3].name": "changed"})
        # the item's text, its template row's text, its background url and its image src
        assert res.patches == 4
        assert res.tree.query_all("image")[3].attrs["src"] == "https://img/changed"
        data["items"][3]["name"] = "changed"
        data["items"][5]["name"] = "again"
        res = realm.update("page", "pages/p.wxml", data)
        assert res.patches == 4
        assert shape(res.tree) == shape(realm.render("pages/p.wxml", data).tree)
        # a list set again with one more item (its items kept)
        data["items"].append({"id": 20, "name": "new", "on": False, "tags": []})
        res = realm.set_data("page", "pages/p.wxml", {"items": data["items"]})
        assert shape(res.tree) == shape(realm.render("pages/p.wxml", data).tree)


@pytest.mark.parametrize("engine", ["native", "wasm"])
def test_script_modules_make_every_render_complete(engine: str) -> None:
    """A script module's function may keep state, read the clock or change what it is given: nothing a render
    with script modules made is reused."""
    files = {"pages/p.wxml": '<wxs module="m">var n = 0; module.exports = {next: function (x) { n += 1; '
                             'return x + n; }};</wxs><view wx:for="{{items}}">{{m.next(item)}}</view><text>{{t}}'
                             '</text>'}

    class WxsBundle(Bundle):
        pass

    WxsBundle.files = files
    with ViewRealm(WxsBundle(), engine=engine) as realm:
        realm.update("page", "pages/p.wxml", {"items": [1, 2], "t": "a"})
        res = realm.set_data("page", "pages/p.wxml", {"t": "b"})
        assert [v.text for v in res.tree.query_all("view")] == ["4", "6"]


def test_kept_items_still_count_against_the_element_limit() -> None:
    files = {"pages/p.wxml": '<view wx:for="{{a}}"><text>{{item}}</text></view><view wx:for="{{b}}">{{item}}</view>'}

    class Small(Bundle):
        pass

    Small.files = files
    with ViewRealm(Small(), max_nodes=30) as realm:
        realm.update("page", "pages/p.wxml", {"a": list(range(10)), "b": []})
        res = realm.set_data("page", "pages/p.wxml", {"b": list(range(11))})
        assert res.error and "more than 30" in res.error
        assert res.error == realm.render("pages/p.wxml", {"a": list(range(10)), "b": list(range(11))}).error
        res = realm.set_data("page", "pages/p.wxml", {"b": []})
        assert res.error is None and len(res.tree.query_all("text")) == 10


def test_zero_and_negative_zero_are_different_data() -> None:
    # a template tells them apart (1 / x): an update from -0.0 to 0.0 must not keep the old object (a hypothesis
    # run found it: the shared data kept c = -0.0 and the page showed -Infinity)
    class Zeros(Bundle):
        files = {"pages/z.wxml": '<view wx:for="{{q}}" wx:for-index="k">{{k}}|{{1 / item}}</view>'}

    with ViewRealm(Zeros()) as realm:
        for first, then in ((-0.0, 0.0), (0.0, -0.0)):
            realm.update("slot", "pages/z.wxml", {"q": {"a": 1, "c": first}})
            res = realm.update("slot", "pages/z.wxml", {"q": {"a": 1, "c": then}})
            fresh = realm.render("pages/z.wxml", {"q": {"a": 1, "c": then}})
            assert res.tree.pretty() == fresh.tree.pretty()
            assert ("-Infinity" in fresh.tree.pretty()) == (then == 0.0 and str(then).startswith("-"))
            realm.drop("slot")


def test_data_changes_turn_the_old_data_into_the_new() -> None:
    """The setData paths a sandbox's view sync sends instead of the whole data (session.data_changes) give the new
    data exactly: JSON's types (True is not 1, 1.0 and -0.0 cross as such), key order, lengths."""
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mpsandbox.runtime.view.session import data_changes

    scalar = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, -0.0, 1.0, 1.5]),
                       st.sampled_from(["", "a", "b"]))
    key = st.sampled_from(["a", "b", "c", "d.e", "x[0]", "10"])
    value = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(key, inner, max_size=3)), max_leaves=8)
    top = st.dictionaries(st.sampled_from(["p", "q", "r", "s"]), value, max_size=4)

    def typed(v: Any) -> Any:  # what JSON keeps: types, -0.0, key order
        if isinstance(v, dict):
            return [[k, typed(x)] for k, x in v.items()]
        if isinstance(v, list):
            return [typed(x) for x in v]
        return [type(v).__name__, json.dumps(v)]

    @settings(max_examples=300, deadline=None)
    @given(top, top)
    def check(old: dict, new: dict) -> None:
        changes = data_changes(old, new)
        if changes is None:  # a top-level key removed or moved: the whole data crosses
            assert list(new)[:len(old)] != list(old)
            return
        try:
            got = apply_changes(old, changes)
        except Hole:  # every path leads into what exists, or sets a whole value
            raise AssertionError(changes) from None
        assert typed(got) == typed(new), changes
        # and in the view realm: the old data updated by these paths renders as the new data does
        realm.update("slot", "pages/g.wxml", old)
        res = realm.set_data("slot", "pages/g.wxml", changes)
        assert res.tree.pretty() == realm.render("pages/g.wxml", new).tree.pretty()

    class Generic(Bundle):
        files = {"pages/g.wxml": '<view wx:for="{{[p, q, r, s]}}" wx:for-item="top"><view wx:for="{{top}}" '
                                 'wx:for-index="k">{{k}}={{item}}|{{1 / item}}<text wx:for="{{item}}" '
                                 'wx:for-index="j">{{j}}:{{item}}</text></view></view>'}

    with ViewRealm(Generic()) as realm:
        check()
