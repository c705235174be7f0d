"""setData: path keys against a reference model of the platforms' semantics, sizes, callbacks."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.runtime.sandbox import Sandbox

from .bundles import make_bundle
from .helpers import console_lines, run_pages


class JSArray(list):
    """A JS array: string-keyed properties exist but vanish from its JSON."""

    def __init__(self, *a):
        super().__init__(*a)
        self.props: dict = {}


def ref_parse(key: str):
    out, cur, i, n = [], "", 0, len(key)
    while i < n:
        ch = key[i]
        if ch == ".":
            if cur == "":
                return [key]
            out.append(cur)
            cur = ""
            i += 1
            continue
        if ch == "[":
            if cur != "":
                out.append(cur)
                cur = ""
            elif not out:
                return [key]
            j = key.find("]", i)
            if j == -1 or not re.fullmatch(r"\d+", key[i + 1 : j]):
                return [key]
            out.append(int(key[i + 1 : j]))
            i = j + 1
            if i < n and key[i] == ".":
                i += 1
                if i >= n:
                    return [key]
            elif i < n and key[i] != "[":
                return [key]
            continue
        cur += ch
        i += 1
    if cur != "":
        out.append(cur)
    elif not out or key.endswith("."):
        return [key]
    return out


def _get(container, seg):
    if isinstance(container, JSArray):
        if isinstance(seg, int):
            return container[seg] if seg < len(container) else None
        return container.props.get(seg)
    if isinstance(container, dict):
        return container.get(str(seg))
    return None


def _put(container, seg, value):
    if isinstance(container, JSArray):
        if isinstance(seg, int):
            while len(container) <= seg:
                container.append(None)
            container[seg] = value
        else:
            container.props[seg] = value
    else:
        container[str(seg)] = value


def to_js(value):
    if isinstance(value, list):
        return JSArray([to_js(v) for v in value])
    if isinstance(value, dict):
        return {k: to_js(v) for k, v in value.items()}
    return value


def to_json(value):
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def ref_set_data(data: dict, obj: dict) -> None:
    for key, value in obj.items():
        path = ref_parse(key)
        cur = data
        for seg, nxt in zip(path, path[1:]):
            child = _get(cur, seg)
            if not isinstance(child, (dict, JSArray)):
                child = JSArray() if isinstance(nxt, int) else {}
                _put(cur, seg, child)
            cur = child
        _put(cur, path[-1], to_js(value))


names = st.sampled_from(["a", "b", "list", "user", "x1"])
segments = st.lists(st.one_of(names, st.integers(0, 3)), min_size=0, max_size=3)


@st.composite
def path_keys(draw):
    head = draw(names)
    key = head
    for seg in draw(segments):
        key += f"[{seg}]" if isinstance(seg, int) else f".{seg}"
    return key


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["k", "v", "a"]), inner, max_size=3),
    max_leaves=6,
)


SETDATA_PAGE = """
Page({
  data: %s,
  apply(e) { this.setData(e.detail.obj) }
})
"""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.dictionaries(names, json_values, max_size=3),
    calls=st.lists(st.dictionaries(path_keys(), json_values, min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_set_data_matches_reference_model(initial, calls):
    bundle = make_bundle({"pages/p/p": SETDATA_PAGE % json.dumps(initial)})
    expected = to_js(initial)
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        for obj in calls:
            sb.tap("apply", detail={"obj": obj})
            sb.run()
            ref_set_data(expected, obj)
        assert sb.page_data() == to_json(expected)


@pytest.mark.parametrize(
    "key,expected",
    [
        ("a.b[2].c", ["a", "b", 2, "c"]),
        ("a[0][1]", ["a", 0, 1]),
        ("list[1]", ["list", 1]),
        ("[0]", ["[0]"]),
        ("a..b", ["a..b"]),
        ("a.", ["a."]),
        ("a[x]", ["a[x]"]),
        ("a[1]b", ["a[1]b"]),
        ("plain", ["plain"]),
    ],
)
def test_reference_path_parser(key, expected):
    assert ref_parse(key) == expected


def test_unparsable_keys_are_literal_property_names(engine_name):
    page = "Page({ data: {}, onLoad() { this.setData({'a..b': 1, '[0]': 2, 'ok.x': 3}) } })"
    bundle = make_bundle({"pages/p/p": page})
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run()
        assert sb.page_data() == {"a..b": 1, "[0]": 2, "ok": {"x": 3}}


def test_set_data_measures_bytes_and_refuses_over_one_megabyte(engine_name):
    page = """Page({ data: {}, onLoad() {
        this.setData({small: 'é'});
        this.setData({big: 'x'.repeat(1024 * 1024 + 10)});
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    events = trace.of_kind("setData")
    assert [e.keys for e in events] == [["small"], ["big"]]
    assert events[0].bytes == len(json.dumps({"small": "é"}, ensure_ascii=False, separators=(",", ":")).encode())
    assert events[1].bytes > 1024 * 1024 and events[1].applied is False
    assert any("exceeds limit" in line for line in console_lines(trace))


def test_set_data_callback_runs_after_render_and_undefined_is_ignored(engine_name):
    page = """Page({ data: {a: 1}, onLoad() {
        this.setData({a: 2, b: undefined}, () => console.log('rendered', JSON.stringify(this.data)));
        console.log('after setData', this.data.a);
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    lines = console_lines(trace)
    assert lines.index("after setData 2") < lines.index('rendered {"a":2}')
    assert any('"b" to undefined is invalid' in line for line in lines)


def test_set_data_rejects_cycles_and_non_objects(engine_name):
    page = """Page({ onLoad() {
        const o = {}; o.self = o;
        try { this.setData({o}) } catch (e) { console.log('cycle', e.name) }
        try { this.setData(5) } catch (e) { console.log('number', e.name) }
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    assert console_lines(trace) == ["cycle TypeError", "number TypeError"]


TOOLS_IN_DATA = """Page({
  onLoad() {
    const fs = PLATFORM.getFileSystemManager();
    const list = [1];
    this.setData({ fs, list, tool: { n: 1, twice() { return this.n * 2 } } });
    list.push(2);
    console.log(typeof this.data.fs.stat, typeof this.data.tool.twice, this.data.list.length);
  }
})"""


def test_douyin_keeps_the_values_set_in_this_data(engine_name):
    # Douyin's logic layer keeps the values themselves: its API demo keeps a canvas, a file's stats or an RTC
    # context in data and calls their methods later
    page = TOOLS_IN_DATA.replace("PLATFORM", "tt")
    assert console_lines(run_pages({"pages/p/p": page}, engine=engine_name)) == ["function function 2"]
