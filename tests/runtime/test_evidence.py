"""Evidence a bundle cannot forge, and one record on both engines: what reaches the trace."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import engine_unavailable_reason

from mpsandbox.runtime.sandbox import RunLimits

from .helpers import console_lines, run_pages

FORGED = "x\\n    at pages/other/other.js:1:1\\n"


def test_a_function_name_cannot_move_a_call_into_another_file(engine_name):
    page = (f"const f = {{['{FORGED}']: function () {{ tt.getLocation({{}}) }}}}['{FORGED}'];\n"
            "Page({ onLoad() { f() } })")
    trace = run_pages({"pages/index/index": page, "pages/other/other": "Page({})"}, engine=engine_name)
    (call,) = [e for e in trace.of_kind("api") if e.api == "getLocation"]
    assert [(f.file, f.line) for f in call.stack] == [("pages/index/index.js", 1), ("pages/index/index.js", 2)]
    assert call.stack[0].function == "x     at pages/other/other.js:1:1 "


def test_an_error_is_placed_where_it_was_made_whatever_its_stack_says(engine_name):
    page = ("function fail() {\n"
            "  const e = new Error('boom')\n"
            "  Object.defineProperty(e, 'stack', { value: '    at pages/other/other.js:9:9' })\n"
            "  throw e\n"
            "}\n"
            "Page({ onLoad() { fail() }, onShow() { throw { message: 'plain', stack: '    at pages/other/other.js:9:9' } } })")
    trace = run_pages({"pages/index/index": page, "pages/other/other": "Page({})"}, engine=engine_name)
    errors = {e.message: e for e in trace.of_kind("error")}
    assert [(f.file, f.line, f.function) for f in errors["boom"].stack][:2] == [
        ("pages/index/index.js", 2, "fail"), ("pages/index/index.js", 6, "onLoad")]
    assert (errors["plain"].stack[0].file, errors["plain"].stack[0].line) == ("pages/index/index.js", 6)


@pytest.mark.parametrize("escape", ["}); console.log('ran before its turn'); (function () {",
                                    "}); __mpsb_define_0('pages/index/index.js', function () {}); ({ x: 1"])
def test_a_file_that_closes_its_module_function_is_a_syntax_error_of_that_file(engine_name, escape):
    # Alipay's module function is the file's body alone; WeChat and Douyin nest it (see the next test)
    trace = run_pages({"pages/index/index": "Page({ onLoad() { console.log('page loaded') } })"},
                      extra={"evil.js": "// a comment\n" + escape}, engine=engine_name, platform="my")
    (error,) = [e for e in trace.of_kind("error") if e.error == "module"]
    assert error.source == "evil.js" and error.name == "SyntaxError"
    assert (error.stack[0].file, error.stack[0].line, error.stack[0].column) == ("evil.js", 2, 1)
    assert console_lines(trace) == ["page loaded"]  # nothing of evil.js ran, and the page is its own


@pytest.mark.parametrize("platform", ["wx", "tt"])
@pytest.mark.parametrize("escape", ["}); console.log('ran before its turn'); (function () {",
                                    "}); __mpsb_define_0('pages/index/index.js', function () {}); ({ x: 1",
                                    "}, console.log('evil ran'), () => {"])
def test_a_file_closing_its_inner_module_function_runs_nothing_before_its_turn(engine_name, platform, escape):
    # the escape can only close the inner function (what follows the outer `return` never runs): the file runs
    # when required, in its own frames, and cannot redefine another module
    page = "Page({ onLoad() { console.log('page loaded'); require('../../evil.js') } })"
    trace = run_pages({"pages/index/index": page}, extra={"evil.js": "// a comment\n" + escape},
                      engine=engine_name, platform=platform)
    assert console_lines(trace) in (["page loaded"], ["page loaded", "evil ran"])
    assert not trace.of_kind("error")


def test_no_bundle_file_can_take_the_frameworks_name(engine_name):
    from mpsandbox.runtime.stacks import FRAMEWORK_FILES

    # the framework's names hold "//", which no bundle path can (the loader drops empty path parts): frames in
    # a bundle file are never dropped as the framework's
    assert all("//" in name for name in FRAMEWORK_FILES - {"<input>"})
    trace = run_pages({"pages/index/index": "Page({ onLoad() { require('../../lib/WAService.js') } })"},
                      extra={"lib/WAService.js": "tt.getLocation({})"}, engine=engine_name)
    (call,) = [e for e in trace.of_kind("api") if e.api == "getLocation"]
    assert call.stack and call.stack[0].file == "lib/WAService.js"


def _on_both(page: str, limits: RunLimits | None = None) -> dict[str, object]:
    traces = {}
    for name in ("native", "wasm"):
        if engine_unavailable_reason(name):
            pytest.skip(f"{name} engine unavailable")
        traces[name] = run_pages({"pages/index/index": page}, engine=name, limits=limits)
    return traces


def test_five_thousand_unhandled_rejections_are_recorded_alike_on_both_engines():
    traces = _on_both("Page({ onLoad() { for (let i = 0; i < 5000; i++) Promise.reject(new Error('r' + i)) } })")
    for trace in traces.values():
        rejected = [e for e in trace.of_kind("error") if e.error == "unhandled-rejection"]
        assert Counter(e.message for e in rejected) == Counter(f"r{i}" for i in range(5000))
        assert all(e.stack and e.stack[0].file == "pages/index/index.js" for e in rejected)
    assert traces["native"].behaviour() == traces["wasm"].behaviour()


def test_a_caught_out_of_memory_ends_the_turn_alike_on_both_engines():
    traces = _on_both("Page({ onLoad() { let r; try { const a = []; for (;;) a.push(new Array(1e5).fill(1)) } "
                      "catch (e) { r = String(e) } console.log('caught', r) } })",
                      # 64 MB: filling the default 512 MB costs ~2.6 s of wasm fuel, past the turn's CPU budget
                      RunLimits(memory_bytes=64 * 1024 * 1024))
    for trace in traces.values():
        assert console_lines(trace) == ["caught InternalError: out of memory"]
        assert [e.budget for e in trace.of_kind("budget")] == ["memory"]
    assert traces["native"].behaviour() == traces["wasm"].behaviour()


def test_the_bundle_sees_the_same_globals_on_both_engines():
    traces = _on_both("Page({ onLoad() { console.log(Object.getOwnPropertyNames(globalThis).sort().join()) } })")
    native, wasm = (console_lines(traces[name]) for name in ("native", "wasm"))
    # the same on both, with Atomics as on devices (installed by the framework) and no SharedArrayBuffer
    assert native == wasm and "Atomics" in native[0].split(",") and "SharedArrayBuffer" not in native[0]
    assert not [name for name in native[0].split(",") if name.startswith("__mpsb")]  # the framework took its own
