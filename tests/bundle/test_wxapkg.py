"""Compiled WeChat packages (.wxapkg): the container reader and writer, hostile packages, and loading them as bundles."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.bundle import BundleError, LoadLimits, load_bundle
from mpsandbox.bundle.compiled import split_service
from mpsandbox.bundle.wxapkg import read_wxapkg, write_wxapkg
from mpsandbox.runtime.sandbox import Sandbox

from .compiled_helpers import FIXTURES, compile_source, define

FORMS_JS = """Page({
  data: { rows: [] },
  onRoot() { console.log('tapped onRoot'); },
  onSave(e) { console.log('tapped onSave ' + e.currentTarget.dataset.kind); },
  onStop() { console.log('tapped onStop'); },
  onCapture() { console.log('tapped onCapture'); },
  onLong() {
    throw new Error('long press broke');
  },
  onPhone() { console.log('tapped onPhone'); },
  onQuoted() { console.log('tapped onQuoted ' + global.fromApp); },
  onMut() { console.log('tapped onMut ' + typeof window + ' ' + typeof document + ' ' + typeof XMLHttpRequest); },
});
"""


def _forms_source(tmp_path: Path) -> Path:
    root = tmp_path / "forms-src"
    (root / "pages" / "forms").mkdir(parents=True)
    (root / "app.json").write_text(json.dumps({"pages": ["pages/forms/forms"], "window": {"navigationBarTitleText": "F"}}))
    (root / "app.js").write_text("global.fromApp = 'shared';\nApp({ onLaunch() { console.log('launched'); } });\n")
    (root / "pages" / "forms" / "forms.js").write_text(FORMS_JS)
    (root / "pages" / "forms" / "forms.json").write_text('{"navigationBarTitleText": "Forms"}')
    shutil.copy(FIXTURES / "compiled" / "src" / "pages" / "forms" / "forms.wxml", root / "pages" / "forms")
    return root


@pytest.fixture
def forms_pkg(tmp_path: Path) -> Path:
    path = tmp_path / "forms.wxapkg"
    path.write_bytes(compile_source(_forms_source(tmp_path)))
    return path


# ---- the container ---------------------------------------------------------------------------------------------

def test_round_trip_keeps_names_and_bytes():
    files = {"app-config.json": b"{}", "pages/a/a.html": b"<p>", "img/\u56fe.png": bytes(range(256)), "empty.txt": b""}
    data = write_wxapkg(files)
    first, info, index_len, body_len, last = struct.unpack(">BIIIB", data[:14])
    assert (first, info, last) == (0xBE, 0, 0xED) and 14 + index_len + body_len == len(data)
    assert read_wxapkg(data) == files


def _entry_table(data: bytes) -> list[tuple[int, int, int]]:
    """(position of the offset field, offset, size) of each entry."""
    pos, out = 18, []
    for _ in range(struct.unpack_from(">I", data, 14)[0]):
        (n,) = struct.unpack_from(">I", data, pos)
        pos += 4 + n
        out.append((pos, *struct.unpack_from(">II", data, pos)))
        pos += 8
    return out


def _with_names(*names: str) -> bytes:
    return write_wxapkg({n: b"x" for n in names})


def _hostile() -> dict[str, tuple[bytes, str]]:
    good = write_wxapkg({"a.js": b"aaaa", "b.js": b"bbbb"})
    (p1, o1, _), (p2, o2, _) = _entry_table(good)
    lying = bytearray(good)
    struct.pack_into(">I", lying, p2, o2 + 100)
    overlap = bytearray(good)
    struct.pack_into(">I", overlap, p2, o1 + 2)
    before_body = bytearray(good)
    struct.pack_into(">I", before_body, p1, 3)
    huge = bytearray(good)
    struct.pack_into(">I", huge, 14, 0xFFFFFFFF)
    many = bytearray(good)
    struct.pack_into(">I", many, 14, 1500)
    marks = bytearray(good)
    marks[0] = 0xBF
    long_name = bytearray(good)
    struct.pack_into(">I", long_name, 18, 0x7FFFFFFF)
    return {
        "truncated": (good[:10], "wxapkg-truncated"),
        "truncated-index": (good[:30], "wxapkg-truncated"),
        "cut-body": (good[:-3], "wxapkg-bad-length"),
        "bad-marks": (bytes(marks), "wxapkg-bad-mark"),
        "lying-offset": (bytes(lying), "wxapkg-bad-offset"),
        "offset-in-header": (bytes(before_body), "wxapkg-bad-offset"),
        "overlap": (bytes(overlap), "wxapkg-overlap"),
        "huge-count": (bytes(huge), "too-many-entries"),
        "count-beyond-index": (bytes(many), "wxapkg-bad-index"),
        "huge-name-length": (bytes(long_name), "wxapkg-bad-index"),
        "traversal": (_with_names("../../etc/passwd"), "path-traversal"),
        "absolute": (_with_names("//etc/passwd"), "absolute-path"),
        "nul": (_with_names("a\x00.js"), "bad-name"),
        "duplicate": (write_wxapkg({"/a.js": b"1", "a.js": b"2"}), "duplicate-name"),
        "duplicate-case": (_with_names("A.js", "a.js"), "duplicate-name"),
        "encrypted": (b"V1MMWX" + bytes(2000), "wxapkg-encrypted"),
    }


@pytest.mark.parametrize("case", sorted(_hostile()))
def test_hostile_package_gives_a_clear_error(case: str, tmp_path: Path):
    data, code = _hostile()[case]
    with pytest.raises(BundleError) as exc:
        read_wxapkg(data)
    assert exc.value.code == code, str(exc.value)
    path = tmp_path / "x.wxapkg"
    path.write_bytes(data)
    with pytest.raises(BundleError) as exc:
        load_bundle(path)
    assert exc.value.code == code


def test_a_file_listed_twice_with_the_same_bytes_is_one_file(tmp_path: Path):
    data = write_wxapkg({"/app.js": b"App({})", "app.js": b"App({})", "/b.js": b"1"})
    assert len(_entry_table(data)) == 3 and read_wxapkg(data) == {"app.js": b"App({})", "b.js": b"1"}
    with pytest.raises(BundleError) as exc:
        read_wxapkg(write_wxapkg({"/app.js": b"App({})", "app.js": b"App({a:1})"}))
    assert exc.value.code == "duplicate-name"


def test_caps_apply_while_reading():
    data = write_wxapkg({f"f{i}.js": b"x" * 100 for i in range(20)})
    with pytest.raises(BundleError, match="too-many-entries"):
        read_wxapkg(data, LoadLimits(max_entries=10))
    with pytest.raises(BundleError, match="file-too-large"):
        read_wxapkg(data, LoadLimits(max_file_bytes=50))
    with pytest.raises(BundleError, match="too-large"):
        read_wxapkg(data, LoadLimits(max_total_bytes=1000))


def test_entry_without_leading_slash_is_refused():
    data = bytearray(write_wxapkg({"ab.js": b"1"}))
    at = data.index(b"/ab.js")
    data[at:at + 6] = b"xab.js"
    with pytest.raises(BundleError, match="bad-name"):
        read_wxapkg(bytes(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes):
    try:
        read_wxapkg(b"\xbe" + data)
        read_wxapkg(data)
    except BundleError:
        pass


_VALID = write_wxapkg({"app-config.json": b'{"pages":["p/a"]}', "app-service.js": b'define("p/a.js", '
                       b"function(require, module, exports){ Page({}) });", "p/a.html": b"<p>"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(0, len(_VALID)))
def test_fuzz_mutated_packages(edits: list[tuple[int, int]], cut: int):
    data = bytearray(_VALID)
    for pos, value in edits:
        data[pos] = value
    for candidate in (bytes(data), bytes(data[:cut])):
        try:
            read_wxapkg(candidate)
        except BundleError:
            pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(14, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=3))
def test_fuzz_loading_mutated_packages(tmp_path_factory, edits: list[tuple[int, int]]):
    data = bytearray(_VALID)
    for pos, value in edits:
        data[pos] = value
    path = tmp_path_factory.mktemp("fuzz") / "m.wxapkg"
    path.write_bytes(bytes(data))
    try:
        load_bundle(path)
    except BundleError:
        pass


# ---- modules ---------------------------------------------------------------------------------------------------

def test_split_finds_modules_and_skips_bootstrap():
    text = ("var __wxRoute = __wxRoute || '';\n" + define("utils/u.js", "module.exports = { a: '})' };")
            + define("pages/a/a.js", "var u = require('../../utils/u.js');\nPage({})", route="pages/a/a"))
    modules, how = split_service(text)
    assert how == "fast"
    assert [m.path for m in modules] == ["utils/u.js", "pages/a/a.js"]
    assert modules[0].body.strip() == "module.exports = { a: '})' };"
    assert modules[1].body.strip().startswith("var u = require")
    assert "__wxRoute" not in modules[1].body and "require(\"pages/a/a.js\")" not in modules[1].body


def test_split_falls_back_to_a_parse_when_the_shape_is_unusual():
    text = define("a.js", "exports.a = 1;") + "\nconsole.log('trailing code that is no bootstrap line');\n" * 200
    modules, how = split_service(text)
    assert how == "tree-sitter" and [m.path for m in modules] == ["a.js"]
    assert modules[0].body.strip() == "exports.a = 1;"


# ---- loading and reviewing ---------------------------------------------------------------------------------------

def test_compiled_package_loads_as_a_bundle(forms_pkg: Path):
    b = load_bundle(forms_pkg)
    assert b.source_form == b.facts.source_form == "wxapkg"
    assert b.platform == "wx" and b.name == "forms"
    assert [p.route for p in b.pages] == ["pages/forms/forms"] and b.pages[0].exists
    assert {"app.js", "pages/forms/forms.js", "app.json", "pages/forms/forms.json"} <= set(b.files)
    assert "app-service.js" not in b.files  # bootstrap code is no module
    assert b.page_config("pages/forms/forms").navigation_bar_title_text == "Forms"
    assert b.read_text("pages/forms/forms.js").strip() == FORMS_JS.strip()
    assert b.compiled is not None and b.compiled.templates["pages/forms/forms.wxml"] == "page-frame.html"
    assert "$gwx" in b.compiled.gwx_sources["page-frame.html"]
    got = {(x.kind, x.event, x.handler, x.dynamic) for x in b.bindings("pages/forms/forms")}
    assert got == {("bind", "tap", "onRoot", False), ("bind", "tap", "onSave", False),
                   ("catch", "tap", "onStop", False), ("capture-bind", "touchstart", "onCapture", False),
                   ("catch", "longpress", "onLong", False), ("bind", "getphonenumber", "onPhone", False),
                   ("bind", "tap", "{{item.handler}}", True), ("bind", "tap", "onQuoted", False),
                   ("mut-bind", "tap", "onMut", False)}
    save = next(x for x in b.bindings("pages/forms/forms") if x.handler == "onSave")
    assert save.dataset == {"itemId": "{{item.id}}", "kind": "save"} and save.id == "save"
    phone = next(x for x in b.bindings("pages/forms/forms") if x.handler == "onPhone")
    assert phone.open_type == "getPhoneNumber"


def test_review_walks_the_compiled_package_and_points_into_modules(forms_pkg: Path):
    from mpsandbox.runtime.walker import walk

    result = walk(load_bundle(forms_pkg), engine="native")
    assert result.log.pages_visited == ["pages/forms/forms"]
    logs = [e.text for e in result.trace.events if e.kind == "console"]
    # app-service.js's `global` is one plain object all modules share
    for handler in ("onRoot", "onSave save", "onStop", "onCapture", "onPhone", "onQuoted shared"):
        assert f"tapped {handler}" in logs
    # the platform passes require, module, exports only: browser globals are undefined in a WeChat module
    assert "tapped onMut undefined undefined undefined" in logs
    errors = [e for e in result.trace.events if e.kind == "error"]
    assert errors and errors[0].message.endswith("long press broke")
    frame = errors[0].stack[0]
    assert frame.file == "pages/forms/forms.js" and frame.line == FORMS_JS.splitlines().index(
        "    throw new Error('long press broke');") + 1


def test_review_cli_reads_a_wxapkg(forms_pkg: Path):
    from mpsandbox.review import review

    report = review(forms_pkg)
    assert report.error is None and report.bundle.name == "forms"
    assert report.runs[0].handlers_fired >= 8 and report.runs[0].pages_visited == ["pages/forms/forms"]
    assert any(f.rule == "uncaught-error" and f.location and f.location.file == "pages/forms/forms.js"
               for f in report.findings)


def test_folder_of_main_and_subpackage(tmp_path: Path):
    config = {"pages": ["pages/forms/forms"], "subPackages": [{"root": "sub/", "pages": ["pages/s/s"]}],
              "page": {"sub/pages/s/s.html": {"window": {"navigationBarTitleText": "S"}}}}
    main = json.loads(json.dumps(config))
    src = _forms_source(tmp_path)
    (src / "app.json").write_text(json.dumps({k: v for k, v in main.items() if k != "page"}))
    main_pkg = compile_source(src, include_subpackages=False)  # the subpackage goes in its own package
    sub = write_wxapkg({
        "sub/app-service.js": define("sub/pages/s/s.js", "Page({ onGo() { console.log('go'); } })",
                                     route="sub/pages/s/s").encode(),
        "sub/page-frame.js": (FIXTURES / "compiled" / "gwx.js").read_bytes().replace(
            b"pages/cities/cities.wxml", b"sub/pages/s/s.wxml"),
        "sub/pages/s/s.html": b"<script>$gwx('./sub/pages/s/s.wxml')</script>",
    })
    folder = tmp_path / "pkgs"
    folder.mkdir()
    (folder / "__APP__.wxapkg").write_bytes(main_pkg)
    (folder / "_sub_.wxapkg").write_bytes(sub)
    (folder / "__APP__.enc.wxapkg").write_bytes(b"V1MMWX" + bytes(64))
    b = load_bundle(folder)
    assert b.compiled.packages == ["__APP__.wxapkg", "_sub_.wxapkg"]
    page = next(p for p in b.pages if p.route == "sub/pages/s/s")
    assert page.exists and page.package == "sub"
    assert b.files["sub/pages/s/s.js"].package == "sub"
    assert {x.handler for x in b.bindings("sub/pages/s/s")} == {"onChoose", "onInput", "onRemove"}
    assert any(p.code == "wxapkg-encrypted" for p in b.problems)
    with pytest.raises(BundleError, match="wxapkg-subpackage"):
        load_bundle(folder / "_sub_.wxapkg")


def test_unpacked_compiled_folder(forms_pkg: Path, tmp_path: Path):
    out = tmp_path / "unpacked"
    for name, data in read_wxapkg(forms_pkg.read_bytes()).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    b = load_bundle(out)
    assert b.source_form == "wxapkg" and b.name == "unpacked"
    assert {x.handler for x in b.bindings("pages/forms/forms")} >= {"onRoot", "onMut"}


def test_folder_with_only_encrypted_packages(tmp_path: Path):
    (tmp_path / "__APP__.wxapkg").write_bytes(b"V1MMWX" + bytes(100))
    with pytest.raises(BundleError, match="wxapkg-encrypted"):
        load_bundle(tmp_path)


def test_a_large_package_loads_with_the_fast_splitter(tmp_path: Path):  # its speed: bench/bench_load.py
    big = "var table = [" + ",".join(f'"{i:06d}"' for i in range(30_000)) + "];\nmodule.exports = table;\n"
    extra_modules = "".join(define(f"data/t{i}.js", big) for i in range(6))
    src = _forms_source(tmp_path)
    data = compile_source(src, extra={"app-service-extra.js": b""})
    files = read_wxapkg(data)
    files["app-service.js"] = files["app-service.js"] + extra_modules.encode()
    path = tmp_path / "big.wxapkg"
    path.write_bytes(write_wxapkg(files))
    size = path.stat().st_size
    assert size > 1_400_000
    b = load_bundle(path)
    assert len(b.compiled.modules) == 8 and b.compiled.splitter["app-service.js"] == "fast"


TARO_LIKE_GWX = """var __WXML_GLOBAL__ = {ops_cached: {}};
function gz$gwx_1(){
if( __WXML_GLOBAL__.ops_cached.$gwx_1)return __WXML_GLOBAL__.ops_cached.$gwx_1
__WXML_GLOBAL__.ops_cached.$gwx_1=[];
(function(z){var a=11;function Z(ops){z.push(ops)}
Z([3,'eh'])
Z([[6],[[7],[3,'i']],[3,'sid']])
Z(z[0])
})(__WXML_GLOBAL__.ops_cached.$gwx_1);return __WXML_GLOBAL__.ops_cached.$gwx_1
}
var x=['./base.wxml','./pages/forms/forms.wxml','../../base.wxml'];d_[x[0]]={}
d_[x[0]]["tmpl_0_0"]=function(e,s,r,gg){
var z=gz$gwx_1()
var oB=_mz(z,'view',['bindtap',0,'data-sid',1,'catchlongpress',1],[],e,s,gg)
_(r,oB)
return r
}
var m0=function(e,s,r,gg){
var z=gz$gwx_1()
return r
}
e_[x[0]]={f:m0,j:[],i:[],ti:[],ic:[]}
d_[x[1]]={}
var m1=function(e,s,r,gg){
var z=gz$gwx_1()
return r
}
e_[x[1]]={f:m1,j:[],i:[],ti:[x[2]],ic:[]}
"""


def test_page_template_that_only_imports_gets_the_imported_bindings(tmp_path: Path):
    """Taro's shape: every page template is empty and imports base.wxml, whose templates hold the bindings."""
    path = tmp_path / "taro.wxapkg"
    path.write_bytes(compile_source(_forms_source(tmp_path), gwx=TARO_LIKE_GWX))
    b = load_bundle(path)
    assert b.compiled.templates["pages/forms/forms.wxml"] == "page-frame.html"
    assert b.pages[0].files_present[".wxml"]
    got = {(x.kind, x.event, x.handler, x.file, tuple(x.dataset.items())) for x in b.bindings("pages/forms/forms")}
    assert got == {("bind", "tap", "eh", "base.wxml", (("sid", "{{i.sid}}"),)),
                   ("catch", "longpress", "eh", "base.wxml", (("sid", "{{i.sid}}"),))}


def test_app_config_subpackages_become_app_json_subpackages():
    from mpsandbox.bundle.compiled import app_json_of

    listed = app_json_of({"pages": ["p/a", "subA/x/x", "subB/y/y"], "entryPagePath": "p/a.html",
                          "subPackages": [{"root": "subA/", "pages": ["subA/x/x"]}, {"root": "subB"}],
                          "global": {"window": {"navigationBarTitleText": "T"}}, "page": {"p/a.html": {}}})
    assert listed["pages"] == ["p/a"] and listed["entryPagePath"] == "p/a"
    assert [(s["root"], s["pages"]) for s in listed["subPackages"]] == [("subA/", ["x/x"]), ("subB", ["y/y"])]
    assert listed["window"] == {"navigationBarTitleText": "T"} and "page" not in listed and "global" not in listed


def test_app_config_tab_pages_lose_their_html_and_plugin_pages_are_the_plugins():
    from mpsandbox.bundle.compiled import app_json_of

    listed = app_json_of({
        "pages": ["p/a", "p/b", "__plugin__/wx50b5593e81dd937a/pages/index/index", "sub/x/x",
                  "sub/__plugin__/wx87ebb56764fea681/pages/role/role"],
        "tabBar": {"color": "#000", "list": [{"pagePath": "p/a.html", "text": "A"}, {"pagePath": "p/b.html"}]},
        "subPackages": [{"root": "sub/", "plugins": {"x": {"provider": "wx87ebb56764fea681"}}}]})
    assert listed["tabBar"] == {"color": "#000", "list": [{"pagePath": "p/a", "text": "A"}, {"pagePath": "p/b"}]}
    assert listed["pages"] == ["p/a", "p/b"] and [s["pages"] for s in listed["subPackages"]] == [["x/x"]]


def test_a_compiled_tab_bar_works_as_the_source_one(tmp_path, engine_name):
    from mpsandbox.testing import MiniProgram

    src = tmp_path / "src"
    src.mkdir()
    files = {"app.js": "App({})", "app.json": json.dumps({"pages": ["p/a", "p/b"], "tabBar": {"list": [
                 {"pagePath": "p/a", "text": "A"}, {"pagePath": "p/b", "text": "B"}]}}),
             "p/a.js": "Page({ go() { wx.switchTab({ url: '/p/b', fail: (e) => console.log(e.errMsg) }) } })",
             "p/b.js": "Page({ onShow() { console.log('tab b') } })"}
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    package = tmp_path / "app.wxapkg"
    package.write_bytes(compile_source(src))
    with MiniProgram(package, engine=engine_name) as mp:
        mp.launch("p/a").tap("go")
        assert mp.page.route == "p/b"
        mp.assert_no_errors()


def test_a_subpackage_template_function_with_a_number_renders(tmp_path: Path):
    # a subpackage's page-frame.js names its template function $gwx28 (the main package's is $gwx)
    files = read_wxapkg(compile_source(_forms_source(tmp_path)))
    renamed = {name: data.replace(b"$gwx=function(", b"$gwx28=function(").replace(b"$gwx('", b"$gwx28('")
               if name.endswith(".html") else data for name, data in files.items()}
    assert b"$gwx28=function(" in renamed["page-frame.html"]
    path = tmp_path / "sub.wxapkg"
    path.write_bytes(write_wxapkg(renamed))
    with Sandbox(load_bundle(path), engine="native") as sb:
        sb.launch()
        sb.run()
        assert sb.view is not None and sb.view.pages and not sb.view.errors
        tree = next(iter(sb.view.pages.values()))
        assert any(el.tag == "button" for el in tree.raw_iter())


def test_each_compiled_template_function_is_known_by_its_paths():
    # a big app has a function per package; the view calls a template's own one, not each (their memory adds up)
    from mpsandbox.runtime.view.realm import gwx_paths

    code = ("$gwx=function(path,global){var x=['./pages/a/a.wxml','./base.wxml'];}\n"
            "$gwx28=function(path,global){var x=['./sub/b/b.wxml','../../base.wxml'];}")
    assert gwx_paths(code) == {"$gwx": ["pages/a/a.wxml", "base.wxml"], "$gwx28": ["sub/b/b.wxml", "../../base.wxml"]}
