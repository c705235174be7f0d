"""Where the compiled and source forms of a real app (the official WeChat demo, bench/compiled_vs_source.py)
disagreed: each case as a small hand-written bundle or template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.bundle.gwx import attr_value, scan_gwx
from mpsandbox.bundle.templates import parse_template
from mpsandbox.bundle.wxapkg import write_wxapkg

from ..view.wcc_oracle import compile_with_wcc, compiler_dir
from .compiled_helpers import PREAMBLE, define

PAGE_JS = "Page({ onPick() {} });"
COMP_JS = "Component({ methods: { choose() { this.triggerEvent('pickIt', {}); } } });"
PAGE_WXML = '<mp-indexList list="{{list}}" activeClass="on" bind:pickIt="onPick"></mp-indexList>'
COMP_WXML = '<view bindtap="choose" data-userId="{{1}}">x</view>'


def _source(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for path, text in {
        "app.json": json.dumps({"pages": ["pages/a/a"]}),
        "app.js": "App({});",
        "pages/a/a.js": PAGE_JS,
        "pages/a/a.json": json.dumps({"usingComponents": {"mp-indexList": "../../comp/list"},
                                      "navigationBarTitleText": "A"}),
        "pages/a/a.wxml": PAGE_WXML,
        "comp/list.js": COMP_JS,
        "comp/list.json": json.dumps({"component": True}),
        "comp/list.wxml": COMP_WXML,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_page_json_in_app_code_keeps_its_components(tmp_path: Path):
    # the packager writes a page's window settings into app-config.json's "page" section and the page's JSON as
    # written (with usingComponents) as __wxAppCode__['page.json'] in app-service.js: both count
    config = {"pages": ["pages/a/a"], "page": {"pages/a/a.html": {"window": {"navigationBarTitleText": "A"}}},
              "entryPagePath": "pages/a/a.html", "global": {"window": {}}}
    service = (PREAMBLE + "\t__wxAppCode__['pages/a/a.json'] = "
               '{"usingComponents":{"mp-indexList":"../../comp/list"},"navigationBarTitleText":"A"};\n'
               "\t__wxAppCode__['comp/list.json'] = {\"component\":true};\n"
               + define("comp/list.js", COMP_JS) + define("app.js", "App({});") + 'require("app.js");\n'
               + define("pages/a/a.js", PAGE_JS, route="pages/a/a"))
    pkg = tmp_path / "a.wxapkg"
    pkg.write_bytes(write_wxapkg({"app-config.json": json.dumps(config).encode(),
                                  "app-service.js": service.encode()}))
    bundle = load_bundle(pkg)
    assert bundle.page_config("pages/a/a").using_components == {"mp-indexList": "../../comp/list"}
    assert json.loads(bundle.read_text("pages/a/a.json"))["navigationBarTitleText"] == "A"


def test_source_template_keeps_the_case_wxml_is_read_with():
    facts = parse_template('<mp-indexList activeClass="on" bind:sceneReady="ready" data-userId="1" bindtap="t"/>'
                           '<block bind:other="never"><view catch:longpress="lp"/></block>', "wx")
    list_tag = facts.tags[0]
    assert list_tag.tag == "mp-indexList"  # usingComponents keys are case-sensitive
    assert list_tag.attrs["active-class"] == "on"  # the property activeClass
    assert [(b.event, b.handler) for b in list_tag.bindings] == [("sceneReady", "ready"), ("tap", "t")]
    assert list_tag.bindings[0].dataset == {"userid": "1"}  # data-userId is dataset.userid
    # a <block> renders nothing: what it binds never fires (wcc drops it)
    assert [(t.tag, [b.handler for b in t.bindings]) for t in facts.tags] == [
        ("mp-indexList", ["ready", "t"]), ("block", []), ("view", ["lp"])]


def test_alipay_and_douyin_templates_are_read_as_before():
    facts = parse_template('<view onTap="go" catchLongTap="x"/>', "my")
    assert [(b.kind, b.event, b.handler) for b in facts.tags[0].bindings] == [("alipay-on", "tap", "go"),
                                                                               ("alipay-catch", "longTap", "x")]
    facts = parse_template('<my-List bind:Pick="p" bindtap="t"/>', "tt")
    assert facts.tags[0].tag == "my-List" and [b.event for b in facts.tags[0].bindings] == ["pick", "tap"]


def test_compiled_constants_read_as_the_expressions_they_were():
    assert attr_value([1, True]) == "{{true}}"
    assert attr_value([1, None]) == "{{null}}"
    assert attr_value([1, 5]) == "{{5}}"
    assert attr_value([1, "it's"]) == "{{'it\\'s'}}"
    assert attr_value([3, "text"]) == "text"


@pytest.mark.skipif(compiler_dir() is None, reason="the official wcc (npm miniprogram-compiler) is not installed")
def test_source_and_wcc_templates_give_the_same_facts():
    templates = {"pages/a/a.wxml": PAGE_WXML + '<view back="{{true}}" bindtap="go" data-k="{{false}}"/>'
                 '<block bind:x="never"/><grid-item use-slot bindtap="go"><view hidden/></grid-item>',
                 "comp/list.wxml": COMP_WXML}
    code = compile_with_wcc(templates)
    compiled = scan_gwx(code)
    for path, text in templates.items():
        source = parse_template(text, "wx")
        src = [(t.tag, t.attrs, [(b.event, b.handler, b.dataset) for b in t.bindings]) for t in source.tags
               if t.tag != "block"]
        out = [(t.tag, t.attrs, [(b.event, b.handler, b.dataset) for b in t.bindings]) for t in compiled[path].tags]
        assert src == out, path


def test_source_and_compiled_bundles_agree_on_case_sensitive_names(tmp_path: Path):
    if compiler_dir() is None:
        pytest.skip("the official wcc (npm miniprogram-compiler) is not installed")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from compile_wxapkg import build

    src = _source(tmp_path)
    build(src, tmp_path / "pkgs")
    a, b = load_bundle(src), load_bundle(tmp_path / "pkgs")
    for bundle in (a, b):
        assert [u["path"] for u in bundle.component_usages("pages/a/a")] == ["comp/list"]
        facts = {(x.handler, x.event, x.tag, x.owner) for p in bundle.facts.pages for x in p.bindings}
        assert facts == {("onPick", "pickIt", "mp-indexList", None), ("choose", "tap", "view", "comp/list")}


def test_compiled_elements_are_told_apart_by_their_template_node(tmp_path: Path, engine_name):
    # four elements bind one handler with different data-*; a list's items share one node. In the source form the
    # walk taps each distinct node once; the compiled form says where each element comes from in wcc's debug
    # lines (cs.push("file:tag:line:col")), so it does the same
    if compiler_dir() is None:
        pytest.skip("the official wcc (npm miniprogram-compiler) is not installed")
    import sys

    from mpsandbox.runtime.walker import Walker

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from compile_wxapkg import build

    root = tmp_path / "src"
    files = {
        "app.json": json.dumps({"pages": ["pages/a/a"]}),
        "app.js": "App({});",
        "pages/a/a.js": "Page({ data: { items: [1, 2, 3] }, onItem(e) { console.log('item ' + "
                        "e.currentTarget.dataset.type); } });",
        "pages/a/a.wxml": "".join(f'<view bindtap="onItem" data-type="{t}">{t}</view>' for t in "abcd")
        + '<view wx:for="{{items}}" bindtap="onItem" data-type="list">{{item}}</view>',
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    build(root, tmp_path / "pkgs")
    taps = []
    for path in (root, tmp_path / "pkgs"):
        trace = Walker(load_bundle(path), engine=engine_name).run().trace
        taps.append(sorted({e.text for e in trace.events if e.kind == "console" and e.text.startswith("item ")}))
    assert taps[0] == taps[1] == ["item a", "item b", "item c", "item d", "item list"]
