"""Evidence the bundle cannot shape, on both engines: frames taken from QuickJS's own structures, exceptions told
to the host without running JS, and module code compiled on its own."""

from __future__ import annotations

import pytest

from mpsandbox.runtime.engine import Outcome, create_engine
from mpsandbox.runtime.engine.base import decode_frames, module_source

FORGED = "x\\n    at pages/other/other.js:1:1\\n"  # JS source text of a name that renders as a frame of another file


def frames_host(eng):
    """A host function that keeps the frames of every call."""
    seen = []
    eng.set_host_function("h", lambda op, msg, frames: seen.append(decode_frames(frames)) or "null", frames=True)
    return seen


def test_frames_of_a_call_are_data_whatever_the_function_is_named(engine_name):
    eng = create_engine(engine_name)
    seen = frames_host(eng)
    res = eng.eval(f"const f = {{['{FORGED}']: function () {{ h('op', '1', 1) }}}}['{FORGED}'];\n"
                   "function g() { f() }\ng()", "pages/a.js")
    assert res.ok, res
    (frames,) = seen
    assert [(file, line) for file, line, _, _ in frames] == [("pages/a.js", 1), ("pages/a.js", 2), ("pages/a.js", 3)]
    assert frames[0][3] == "x     at pages/other/other.js:1:1 "  # a name, blanked of its newlines: no new frame
    assert frames[1][3] == "g"
    eng.close()


def test_long_function_names_are_capped(engine_name):
    eng = create_engine(engine_name)
    seen = frames_host(eng)
    eng.eval("const f = {['é'.repeat(100000)]: function () { h('op', '1', 1) }}['é'.repeat(100000)]; f()", "a.js")
    (frames,) = seen
    assert frames[0][3] == "é" * 128 + "…"  # cut, and says so
    eng.close()


def test_an_error_keeps_the_frames_of_where_it_was_made(engine_name):
    eng = create_engine(engine_name)
    seen = frames_host(eng)
    source = ("function make() { return new TypeError('boom') }\n"
              "const e = make();\n"
              "Object.defineProperty(e, 'stack', { value: '    at pages/other/other.js:9:9' });\n"
              "function report(v) { h('error', '1', 2, v) }\n"
              "try { throw e } catch (c) { report(c) }\n"
              "throw e")
    res = eng.eval(source, "pages/a.js")
    (reported,) = seen
    for frames in (reported, decode_frames(res.error.frames)):  # through the bridge, and reaching the host
        assert frames[:2] == [("pages/a.js", 1, 30, "make"), ("pages/a.js", 2, 11, "<eval>")]
    assert res.error.name == "TypeError" and res.error.message == "boom"
    eng.close()


def test_any_other_value_has_the_frames_of_where_it_was_thrown(engine_name):
    eng = create_engine(engine_name)
    seen = frames_host(eng)
    source = ("function thrower() {\n"
              "  throw { name: 'E', message: 'm', stack: '    at pages/other/other.js:9:9' }\n"
              "}\n"
              "try { thrower() } catch (c) { h('error', '1', 2, c) }\n"
              "thrower()")
    res = eng.eval(source, "pages/a.js")
    (reported,) = seen
    assert reported[0][:2] == ("pages/a.js", 2) and reported[0][3] == "thrower"
    assert decode_frames(res.error.frames)[0][:2] == ("pages/a.js", 2)
    assert res.error.text == "E: m"
    eng.close()


@pytest.mark.parametrize("thrown, text", [
    ("new Error('x')", "Error: x"),  # Error.prototype.name is made lazily by QuickJS: it is read all the same
    ("new RangeError('r')", "RangeError: r"),
    ("new (class Custom extends Error {})('c')", "Error: c"),
    ("new (class Named extends Error { get name() { return 'Getter' } })('g')", "g"),  # a getter is not run
    ("'plain'", "plain"),
])
def test_an_exception_is_named_as_its_data_says(engine_name, thrown, text):
    eng = create_engine(engine_name)
    res = eng.eval(f"throw {thrown}", "a.js")
    assert res.outcome is Outcome.ERROR and res.error.text == text
    eng.close()


def test_an_exception_is_told_to_the_host_without_running_js(engine_name):
    eng = create_engine(engine_name)
    eng.eval("globalThis.ran = []", "a.js")
    for thrown in ("{ get name() { ran.push('name') }, get message() { ran.push('message') }, "
                   "toString() { ran.push('toString') } }",
                   "new Proxy({}, { get() { ran.push('proxy') }, getPrototypeOf() { ran.push('proto') } })",
                   "Object.assign(Object.create({ get message() { ran.push('inherited') } }), { name: 'N' })"):
        res = eng.eval(f"throw {thrown}", "b.js")
        assert res.outcome is Outcome.ERROR
    assert eng.eval("ran.join()", "c.js").value == ""
    eng.close()


MODULE_ESCAPES = {
    "closes-and-reopens": "}); globalThis.evil = 1; (function () {",
    "closes-into-an-object": "}); globalThis.evil = 1; ({ x: 1",
    "sequence": "}, globalThis.evil = 1, function () {",
    "closes-with-a-comment": "}); globalThis.evil = 1; //",
}


@pytest.fixture
def loader(engine_name):
    eng = create_engine(engine_name)
    eng.eval("globalThis.defs = {}; globalThis.define = function (path, fn) { defs[path] = fn }", "loader.js")
    eng.pin("define")
    yield eng
    eng.close()


@pytest.mark.parametrize("case", MODULE_ESCAPES)
def test_a_module_cannot_close_its_function(loader, case):
    res = loader.define_module("define", "pages/evil.js", "require, module, exports", MODULE_ESCAPES[case])
    assert res.outcome is Outcome.ERROR and res.error.name == "SyntaxError"
    assert decode_frames(res.error.frames)[0][0] == "pages/evil.js"
    assert loader.eval("typeof evil + ' ' + Object.keys(defs).length", "check.js").value == "undefined 0"


def test_a_stray_brace_is_placed_at_its_line_and_column(loader):
    res = loader.define_module("define", "m.js", "require", "let a = 1\n  }); globalThis.evil = 1; (function () {")
    assert res.error.message.startswith("unexpected '}'")
    assert decode_frames(res.error.frames) == [("m.js", 2, 3, "")]


def test_a_module_body_is_a_function_body_with_the_files_own_lines(loader):
    body = "'use strict'\nif (module.skip) return\nmodule.run = function () {\n  throw new Error('at line 4')\n}"
    assert loader.define_module("define", "pages/m.js", "require, module, exports", body).ok
    res = loader.eval("const m = {}; defs['pages/m.js'](null, m, {}); m.run()", "run.js")
    assert decode_frames(res.error.frames)[0] == ("pages/m.js", 4, 13, "")
    assert loader.eval("(function () { try { defs['pages/m.js'](null, {skip: 1}, {}); return 'ok' } "
                       "catch (e) { return String(e) } })()", "skip.js").value == "ok"
    syntax = loader.define_module("define", "pages/bad.js", "", "let x = 1\nlet = = 2")
    assert syntax.error.name == "SyntaxError" and decode_frames(syntax.error.frames)[0][:2] == ("pages/bad.js", 2)


def test_module_source_puts_the_head_on_a_line_of_its_own():
    assert module_source("a, b", "x") == "(function (a, b) {\nx\n})"
