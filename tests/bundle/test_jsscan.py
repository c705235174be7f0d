"""The static JS scan: the same facts as the query scan it replaced, made once per content, on first use, bounded."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from mpsandbox.bundle import jsscan, load_bundle
from mpsandbox.review import ReviewOptions, review

from .jsscan_reference import reference_scan_js
from .test_loader import write

ROOT = Path(__file__).resolve().parents[2]


def _fixture_js() -> list[Path]:
    return sorted(p for top in (ROOT / "fixtures", ROOT / "examples") for p in top.rglob("*.js")
                  if "node_modules" not in p.parts)


def _same(path: str, source: str) -> None:
    jsscan.clear_scan_cache()
    new, old = jsscan.scan_js(path, source), reference_scan_js(path, source)
    assert new.model_dump() == old.model_dump(), path


def test_the_scan_finds_what_the_query_scan_found_in_every_fixture():
    files = _fixture_js()
    assert len(files) > 200
    for path in files:
        _same(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace"))


PIECES = [
    "wx.request({url: u})", "tt['get' + 'Location']()", "my[name]()", "swan.x", "qq?.y", "wx?.['a' + `b`]",
    "eval(s)", "(0, eval)(s)", "new Function('a', 'b')", "Function('x')()", "setTimeout('go()', 5)",
    "setInterval(() => 1, 5)", "setTimeout(`a${b}`)", "require('./m' + '.js')", "require(x)", "new require('y')",
    "'wx.request in a string'", "/* eval(x) in a comment */", "// tt.login\n", "obj.wx.request()", "a.eval(x)",
    "wxx.request()", "my_tt.x", "$wx.y", "wx$.z", "var wx = 1;", "function eval2() {}", "x = {wx: 1, tt}",
    "class A { eval() {} }", "`${wx.getStorageSync('k')}`", "wx[", "wx.", "eval(", "tt.(", "require(",
    "if (a) { wx.x(", "}}", "wx\\u0061.b", "\\u0077x.c", "é wx.d", "ñwx.e", "wx.é()", "/wx.f/g.test(s)",
    "label: wx.g()", "a ? wx.h : tt['i']", "new wx.Thing()", "require.resolve('z')", "my.tt.wx",
]


def test_the_scan_finds_what_the_query_scan_found_in_generated_code():
    rng = random.Random(12)
    for _ in range(300):  # small files, often broken, where error recovery shapes the tree
        _same("gen.js", rng.choice([";\n", " ", "\n", "+"]).join(rng.choices(PIECES, k=rng.randint(1, 12))))
    # a large module: a data table, then every piece many times, past the facts cap
    table = "var table = [" + ",".join(f'"{i:06d}"' for i in range(30_000)) + "];\n"
    body = ";\n".join(PIECES[i % len(PIECES)] for i in range(4 * len(PIECES))) + ";\n"
    many = "".join(f"wx.api{i}();tt['k' + {i}];\n" for i in range(jsscan.MAX_FACTS_PER_KIND // 2 + 500))
    _same("big.js", table + body + many + body)


def test_a_scan_is_made_once_per_content_and_given_its_own_path():
    jsscan.clear_scan_cache()
    source = "wx.request({}); eval('x');"
    a = jsscan.scan_js("a.js", source)
    b = jsscan.scan_js("b.js", source)
    assert (a.path, b.path) == ("a.js", "b.js") and len(jsscan._SCANS) == 1
    assert a.api_uses == b.api_uses and a.api_uses is not b.api_uses
    a.api_uses.clear()
    assert [u.name for u in jsscan.scan_js("c.js", source).api_uses] == ["request"]


def test_loading_does_not_scan_and_the_first_reader_does(tmp_path):
    root = write(tmp_path / "b", {"app.json": json.dumps({"pages": ["pages/a/a"]}),
                                  "pages/a/a.js": "Page({ onLoad() { wx.getLocation({}) } })",
                                  "utils/broken.js": "function ( {"})
    bundle = load_bundle(root)
    scan = bundle.facts._js_scan
    assert scan is not None and scan._facts is None  # loading read and split the bundle, no more
    assert "js-syntax" in {p.code for p in bundle.problems}
    assert scan._facts is not None
    assert [u.name for u in bundle.facts.js["pages/a/a.js"].api_uses] == ["getLocation"]
    assert "pages/a/a.js" in bundle.facts.model_dump()["js"]


def _pathological_bundle(root: Path) -> Path:
    return write(root, {"app.json": json.dumps({"pages": ["pages/a/a"]}), "pages/a/a.js": "Page({})",
                        "lib/huge.js": "eval('x');\n" + "a?" * 50_000 + "b" + ":c" * 50_000 + ";\n"})


def test_a_file_over_the_size_bound_is_cut_and_said_so(tmp_path, monkeypatch):
    monkeypatch.setattr(jsscan, "MAX_SCAN_FILE_BYTES", 64 * 1024)
    jsscan.clear_scan_cache()
    bundle = load_bundle(_pathological_bundle(tmp_path / "b"))
    huge = bundle.facts.js["lib/huge.js"]
    assert huge.cut and "not parsed" in huge.cut and not huge.dynamic_code and not huge.parse_error
    assert bundle.facts.js["pages/a/a.js"].cut is None
    cut = [p for p in bundle.problems if p.code == "js-scan-cut"]
    assert [p.file for p in cut] == ["lib/huge.js"] and "not listed" in cut[0].message


def test_a_parse_past_its_cpu_time_is_cut(tmp_path, monkeypatch):
    monkeypatch.setattr(jsscan, "PARSE_CPU_SECONDS", 0.0)
    jsscan.clear_scan_cache()
    facts = jsscan.scan_js("slow.js", "a?" * 50_000 + "b" + ":c" * 50_000)
    assert facts.cut and "CPU" in facts.cut
    assert not jsscan._SCANS  # a cut by the clock is not kept: another try may finish
    monkeypatch.setattr(jsscan, "PARSE_CPU_SECONDS", 60.0)
    assert jsscan.scan_js("slow.js", "a?b:c; eval(x)").cut is None


def test_the_bundle_budget_cuts_the_files_after_it(tmp_path, monkeypatch):
    monkeypatch.setattr(jsscan, "MAX_SCAN_BUNDLE_BYTES", 200)
    files = {"app.json": json.dumps({"pages": ["pages/a/a"]}), "pages/a/a.js": "Page({});" + " " * 150}
    files.update({f"lib/m{i}.js": f"eval('{i}');" + " " * 100 for i in range(3)})
    bundle = load_bundle(write(tmp_path / "b", files))
    cut = {p for p, f in bundle.facts.js.items() if f.cut}
    assert cut == {"lib/m1.js", "lib/m2.js", "pages/a/a.js"}  # in file order, past the first 200 bytes
    assert [d.what for d in bundle.facts.js["lib/m0.js"].dynamic_code] == ["eval"]


def test_a_cut_scan_is_a_bundle_problem_in_the_review(tmp_path, monkeypatch):
    monkeypatch.setattr(jsscan, "MAX_SCAN_FILE_BYTES", 64 * 1024)
    jsscan.clear_scan_cache()
    report = review(_pathological_bundle(tmp_path / "b"), ReviewOptions(engine="native"))
    assert report.error is None
    hits = [f for f in report.findings if f.rule == "bundle-problem" and "js-scan-cut" in f.message]
    assert hits and hits[0].location.file == "lib/huge.js"


@pytest.mark.parametrize("source", ["(" * 100_000, "`${" * 30_000, "a<" * 100_000, "\x00\ud800" * 1000])
def test_hostile_sources_end_in_facts_not_errors(source):
    facts = jsscan.scan_js("h.js", source)
    assert facts.parse_error and facts.cut is None


def test_a_statement_ended_by_automatic_semicolon_insertion_is_not_a_syntax_error():
    # tree-sitter's grammar assumes a missing ";" where the engines insert it (seen in the WeChat demo's zoom.js)
    asi = "let enter, exit\n\n(() => { enter = 1 })()\nwx.getLocation({})\n"
    facts = jsscan.scan_js("zoom.js", asi)
    assert not facts.parse_error and [a.name for a in facts.api_uses] == ["getLocation"]
    assert jsscan.scan_js("broken.js", "let enter, exit\n(() => {").parse_error
