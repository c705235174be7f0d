"""Bundle loading: platforms, configuration, static facts, problems and fatal errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mpsandbox.bundle import BundleError, LoadLimits, bundle_from_files, load_bundle

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "fixtures" / "bundles" / "douyin-store"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def zip_dir(src: Path, dest: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(src).as_posix())
    return dest


def test_store_directory_and_zip_give_the_same_facts(tmp_path):
    d = load_bundle(STORE)
    z = load_bundle(zip_dir(STORE, tmp_path / "douyin-store.zip"))
    assert d.facts.model_dump() == z.facts.model_dump()
    assert d.platform == "tt" and d.name == "douyin-store"
    assert d.entry_page == "pages/home/home"
    assert d.tab_pages == ["pages/home/home", "pages/menu/menu", "pages/orders/orders", "pages/mine/mine"]
    detail = next(p for p in d.pages if p.route == "packageShop/pages/detail/detail")
    assert detail.package == "packageShop" and detail.exists
    assert d.facts.subpackage_sizes["packageShop"] == sum(f.size for f in d.facts.files if f.package == "packageShop")
    assert d.facts.total_size == d.facts.main_size + sum(d.facts.subpackage_sizes.values())
    assert all(len(f.sha256) == 64 for f in d.facts.files)
    assert d.app.permission["scope.userLocation"].desc
    assert d.app.network_timeout.request == 10000
    assert not d.problems


def test_files_in_memory_give_the_same_bundle_as_their_directory():
    files = {str(p.relative_to(STORE).as_posix()): p.read_bytes() for p in sorted(STORE.rglob("*")) if p.is_file()}
    d = load_bundle(STORE)
    m = bundle_from_files(files, name="douyin-store")
    assert m.facts.model_dump() == d.facts.model_dump() and m.facts.js.keys() == d.facts.js.keys()
    assert (m.platform, m.entry_page, m.tab_pages, m.pages, m.app) == (d.platform, d.entry_page, d.tab_pages, d.pages,
                                                                       d.app)
    assert m.component_usages("pages/home/home") == d.component_usages("pages/home/home")
    assert [p.code for p in m.problems] == [p.code for p in d.problems]


@pytest.mark.parametrize("files, code", [
    ({"../app.json": "{}"}, "path-traversal"),
    ({"/app.json": "{}"}, "absolute-path"),
    ({"app.json": "{}", "APP.json": "{}"}, "duplicate-name"),
    ({"app.js": "App({})"}, "missing-app-json"),
    ({"app.json": '{"pages": []}'}, "no-pages"),
    ({"app.json": '{"pages": ["a"]}', "big.js": "x" * 2048}, "file-too-large"),
])
def test_files_in_memory_are_checked_like_a_zips_entries(files, code):
    with pytest.raises(BundleError) as info:
        bundle_from_files(files, limits=LoadLimits(max_file_bytes=1024))
    assert info.value.code == code


def test_zip_wrapped_in_one_folder_is_unwrapped(tmp_path):
    z = load_bundle(zip_dir(STORE, tmp_path / "wrapped.zip", prefix="dist/"))
    assert z.entry_page == "pages/home/home"


def test_template_bindings_of_every_syntax(tmp_path):
    tpl = """
    <view bindtap="a" data-item-id="7" id="x"><text catchtap="b">b</text></view>
    <button bind:tap="c" catch:longpress="d" capture-bind:touchstart="e" capture-catch:touchend="f" mut-bind:tap="g">x</button>
    <button open-type="getPhoneNumber" bindgetphonenumber="onPhone">phone</button>
    <input bindinput="{{handlerName}}" />
    <view wx:if="{{a < b && c > d}}" bindtap="h">cmp</view>
    <include src="./part.wxml" />
    """
    root = write(tmp_path / "b", {"app.json": json.dumps({"pages": ["pages/p/p"]}), "pages/p/p.js": "Page({})",
                                  "pages/p/p.wxml": tpl, "pages/p/part.wxml": '<view bindtap="fromInclude"/>'})
    b = load_bundle(root)
    assert b.platform == "wx"
    got = {(x.handler, x.event, x.kind) for x in b.bindings("pages/p/p")}
    assert {("a", "tap", "bind"), ("b", "tap", "catch"), ("c", "tap", "bind"), ("d", "longpress", "catch"),
            ("e", "touchstart", "capture-bind"), ("f", "touchend", "capture-catch"), ("g", "tap", "mut-bind"),
            ("onPhone", "getphonenumber", "bind"), ("h", "tap", "bind"), ("fromInclude", "tap", "bind")} <= got
    a = next(x for x in b.bindings("pages/p/p") if x.handler == "a")
    assert a.dataset == {"itemId": "7"} and a.id == "x" and a.line == 2
    assert next(x for x in b.bindings("pages/p/p") if x.handler == "onPhone").open_type == "getPhoneNumber"
    assert next(x for x in b.bindings("pages/p/p") if x.event == "input").dynamic


def test_alipay_bindings_and_tabbar_items(tmp_path):
    root = write(tmp_path / "a", {
        "app.json": json.dumps({"pages": ["pages/i/i"], "tabBar": {"items": [{"pagePath": "pages/i/i", "name": "Home"}]}}),
        "pages/i/i.js": "Page({})", "pages/i/i.axml": '<view onTap="go" catchTap="stop">x</view>'})
    b = load_bundle(root)
    assert b.platform == "my" and b.tab_pages == ["pages/i/i"] and b.app.tab_bar.list[0].text == "Home"
    assert {(x.handler, x.event, x.kind) for x in b.bindings("pages/i/i")} == {("go", "tap", "alipay-on"),
                                                                                ("stop", "tap", "alipay-catch")}


def test_component_usages_resolve_paths_and_props(tmp_path):
    root = write(tmp_path / "c", {
        "app.json": json.dumps({"pages": ["pages/p/p"], "usingComponents": {"g-card": "/components/g/g"}}),
        "pages/p/p.js": "Page({})",
        "pages/p/p.json": json.dumps({"usingComponents": {"my-card": "../../components/card/card"}}),
        "pages/p/p.ttml": '<my-card id="c1" class="a b" title="Cake" price="{{p}}" bind:change="onChange"/><g-card/>',
        "components/card/card.js": "Component({})", "components/card/card.ttml": '<view bindtap="inner"/>',
        "components/g/g.js": "Component({})"})
    b = load_bundle(root)
    uses = b.component_usages("pages/p/p")
    assert [u["path"] for u in uses] == ["components/card/card", "components/g/g"]
    assert uses[0]["props"] == {"title": "Cake"} and uses[0]["classes"] == ["a", "b"] and uses[0]["id"] == "c1"
    assert uses[0]["bindings"] == [{"event": "change", "handler": "onChange", "prop": None}]
    inner = next(x for x in b.bindings("pages/p/p") if x.handler == "inner")
    assert inner.owner == "components/card/card"


def test_project_config_miniprogram_root(tmp_path):
    root = write(tmp_path / "proj", {"project.config.json": json.dumps({"miniprogramRoot": "miniprogram/"}),
                                     "miniprogram/app.json": json.dumps({"pages": ["pages/i/i"]}),
                                     "miniprogram/pages/i/i.js": "Page({})", "cloud/fn.js": "exports.main = 1"})
    b = load_bundle(root)
    assert set(b.files) == {"app.json", "pages/i/i.js"}


def test_problems_are_recorded_not_raised(tmp_path):
    root = write(tmp_path / "p", {
        "app.json": json.dumps({"pages": ["pages/a/a", "pages/gone/gone"],
                                "tabBar": {"list": [{"pagePath": "pages/a/a"}, {"pagePath": "pages/x/x"}]}}),
        "pages/a/a.js": "Page({})", "pages/a/a.json": '{"x": 1,}', "pages/a/a.ttml": b"<view>\xff\xfe</view>",
        "utils/broken.js": "function ( {"})
    b = load_bundle(root)
    codes = {p.code for p in b.problems}
    assert {"page-missing", "tabbar-page-not-in-pages", "invalid-json", "non-utf8", "js-syntax"} <= codes
    bad_json = next(p for p in b.problems if p.code == "invalid-json")
    assert bad_json.file == "pages/a/a.json" and bad_json.line == 1 and bad_json.column
    assert not next(p for p in b.pages if p.route == "pages/gone/gone").exists


@pytest.mark.parametrize("files, code", [
    ({"app.js": "App({})"}, "missing-app-json"),
    ({"app.json": '{\n  "pages": [\n    "a",\n  ]\n}'}, "invalid-json"),
    ({"app.json": "[]"}, "invalid-json"),
    ({"app.json": '{"pages": []}'}, "no-pages"),
    ({"app.json": '{"pages": "pages/a/a"}'}, "invalid-config"),
])
def test_fatal_errors_are_structured(tmp_path, files, code):
    with pytest.raises(BundleError) as info:
        load_bundle(write(tmp_path / "x", files))
    assert info.value.code == code and str(info.value).startswith(code)
    if code == "invalid-json" and "pages" in files["app.json"]:
        assert (info.value.file, info.value.line, info.value.column) == ("app.json", 4, 3)


def test_not_found_and_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="not-found"):
        load_bundle(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("hello")
    with pytest.raises(BundleError, match="not-a-bundle"):
        load_bundle(tmp_path / "f.txt")


def test_symlink_in_a_directory_is_refused(tmp_path):
    root = write(tmp_path / "s", {"app.json": json.dumps({"pages": ["pages/a/a"]}), "pages/a/a.js": "Page({})"})
    (root / "secret.js").symlink_to("/etc/passwd")
    with pytest.raises(BundleError) as info:
        load_bundle(root)
    assert info.value.code == "symlink"


def test_platform_override_and_js_detection(tmp_path):
    root = write(tmp_path / "j", {"app.json": json.dumps({"pages": ["pages/a/a"]}),
                                  "pages/a/a.js": "Page({ onLoad() { my.request({}); my.alert({}) } })"})
    assert load_bundle(root).platform == "my"
    assert load_bundle(root, platform="tt").platform == "tt"


def test_static_js_scan_sees_hidden_names_and_dynamic_code():
    from mpsandbox.bundle.jsscan import scan_js

    facts = scan_js("a.js", "tt['get' + 'Location']({}); wx.request({}); eval('x'); new Function('a', 'b');\n"
                            "setTimeout('alert(1)', 5); setTimeout(() => 1, 5); const m = require('./m.js');")
    names = {(u.name, u.computed) for u in facts.api_uses}
    assert ("getLocation", True) in names and ("request", False) in names
    assert [d.what for d in facts.dynamic_code] == ["eval", "new Function", "setTimeout(string)"]
    assert facts.requires == ["./m.js"] and not facts.parse_error


def test_large_js_files_get_a_full_parse():
    from mpsandbox.bundle import jsscan

    table = "module.exports = [" + ",".join(f'"row-{i}"' for i in range(60000)) + "];\n"
    tail = "eval('x'); tt['get' + 'Location']({}); const m = require('./m' + '.js');\n"
    source = table + tail
    assert len(source) > 512 * 1024
    facts = jsscan.scan_js("data.js", source)
    # a computed name folded and a require: only a parse (not a pattern match over the text) sees these
    assert [d.what for d in facts.dynamic_code] == ["eval"] and facts.dynamic_code[0].line == 2
    assert [(u.name, u.computed, u.resolved) for u in facts.api_uses] == [("getLocation", True, True)]
    assert facts.requires == ["./m.js"] and not facts.parse_error


def test_static_scan_folds_deep_concatenations_without_recursion():
    from mpsandbox.bundle import jsscan

    deep = "tt[" + " + ".join(["'a'"] * 5000) + "]();\n"  # deeper than Python's recursion limit
    short = "tt[" + " + ".join(["'b'"] * 20) + "]();\n"
    facts = jsscan.scan_js("deep.js", deep + short)
    assert [(u.resolved, u.name if u.resolved else None) for u in facts.api_uses] == [(False, None), (True, "b" * 20)]
