"""CommonJS modules over the bundle's files."""

from __future__ import annotations

from .helpers import console_lines, run_pages


def test_require_relative_absolute_json_index_and_this(engine_name):
    page = """
const a = require('../../utils/a');
const b = require('/utils/b.js');
const cfg = require('../../config/data.json');
const lib = require('../../lib');
console.log(a.name, b.name, cfg.items.length, lib.name, this === module.exports, typeof exports);
Page({})
"""
    extra = {
        "utils/a.js": "exports.name = 'a'",
        "utils/b.js": "module.exports = { name: 'b' }",
        "config/data.json": '{"items": [1, 2, 3]}',
        "lib/index.js": "module.exports = { name: 'lib' }",
    }
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["a b 3 lib true object"]


def test_bare_path_resolves_relative_then_npm_then_root(engine_name):
    page = "const x = require('util'); const y = require('dayjs'); const z = require('utils/z'); console.log(x, y, z); Page({})"
    extra = {
        "pages/p/util.js": "module.exports = 'sibling'",
        "miniprogram_npm/dayjs/index.js": "module.exports = 'npm'",
        "utils/z.js": "module.exports = 'root'",
    }
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["sibling npm root"]


def test_cycles_see_partial_exports_and_modules_run_once(engine_name):
    extra = {
        "m/a.js": "exports.early = 'a-early'; const b = require('./b'); exports.late = 'a-late'; exports.fromB = b.seen; console.log('a ran')",
        "m/b.js": "const a = require('./a'); exports.seen = a.early + '/' + a.late; console.log('b ran')",
    }
    page = "const a = require('../../m/a'); require('../../m/a'); console.log(a.fromB, a.late); Page({})"
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["b ran", "a ran", "a-early/undefined a-late"]


def test_missing_module_error_names_requiring_file(engine_name):
    page = "Page({ onLoad() { try { require('./nope') } catch (e) { console.log(e.message) } } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    (line,) = console_lines(trace)
    assert "./nope" in line and "pages/p/p.js" in line
    notes = [e for e in trace.of_kind("note") if e.code == "module-not-found"]
    assert notes and notes[0].data["from"] == "pages/p/p.js"


def test_module_that_throws_is_not_cached_and_syntax_error_is_recorded(engine_name):
    extra = {
        "m/flaky.js": "if (!getApp().globalData.n) { getApp().globalData.n = 1; throw new Error('first load fails') } module.exports = 'ok'",
        "m/broken.js": "const = ;",
    }
    page = """
let first; try { require('../../m/flaky') } catch (e) { first = e.message }
console.log(first, require('../../m/flaky'));
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["first load fails ok"]
    module_errors = [e for e in trace.of_kind("error") if e.error == "module"]
    assert [e.source for e in module_errors] == ["m/broken.js"]
    assert module_errors[0].name == "SyntaxError"
    assert module_errors[0].stack[0].file == "m/broken.js"


def test_module_scope_is_private(engine_name):
    extra = {"m/a.js": "var secret = 42; module.exports = {}"}
    page = "require('../../m/a'); console.log(typeof secret); Page({})"
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["undefined"]
