"""ES modules run as the platforms' babel output does: every import/export form, cycles, mixed with require."""

from __future__ import annotations

from .helpers import console_lines, run_pages


def test_import_forms_and_interop_with_commonjs(engine_name):
    extra = {
        "m/esm.js": "export default 'dflt'\nexport const one = 1\nexport function two() { return 2 }\n"
                    "export class Three { get v() { return 3 } }\nlet four = 4\nexport { four as quatre }\n",
        "m/cjs.js": "module.exports = { name: 'cjs', helper() { return 'h' } }",
        "m/flagged.js": "exports.__esModule = true; exports.default = 'flagged-default'",
        "m/side.js": "console.log('side effect ran')",
    }
    page = """import dflt, { one, two as deux, Three, quatre } from '../../m/esm'
import * as ns from '../../m/esm'
import cjs, { name } from '../../m/cjs'
import * as cjsNs from '../../m/cjs'
import flagged from '../../m/flagged'
import '../../m/side'
console.log(dflt, one, deux(), new Three().v, quatre, ns.default, ns.one)
console.log(cjs.name, name, cjs.helper(), cjsNs.default.name, cjsNs.name, flagged)
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["side effect ran", "dflt 1 2 3 4 dflt 1", "cjs cjs h cjs cjs flagged-default"]
    assert not trace.of_kind("error")


def test_export_forms_seen_through_require(engine_name):
    extra = {
        "m/base.js": "export const a = 'A'\nexport default function () { return 'anon' }\n",
        "m/more.js": "export const b = 'B'\nexport const c = 'C'\n",
        "m/reexport.js": "export { a as aa, default as baseDefault } from './base'\nexport * from './more'\n"
                         "export * as moreNs from './more'\nexport default class Named { hi() { return 'hi' } }\n"
                         "export var { x, y: [z] } = { x: 'X', y: ['Z'] }\n",
    }
    page = """const r = require('../../m/reexport')
console.log(r.__esModule, r.aa, r.baseDefault(), r.b, r.c, r.moreNs.b, new r.default().hi(), r.x, r.z)
console.log(Object.keys(r).sort().join(','))
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["true A anon B C B hi X Z", "aa,b,baseDefault,c,default,moreNs,x,z"]


def test_cycle_reads_live_bindings_after_it_completes(engine_name):
    extra = {
        "m/a.js": "import { b, readA } from './b'\nexport let a = 'a-initial'\nexport function getB() { return b }\n"
                  "a = 'a-final'\nconsole.log('in a, b =', b, readA())\n",
        "m/b.js": "import { a, getB } from './a'\nexport const b = 'b-value'\n"
                  "export function readA() { return a }\nconsole.log('in b, a =', a, typeof getB)\n",
    }
    page = """import { a, getB } from '../../m/a'
import { readA } from '../../m/b'
console.log(a, getB(), readA())
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    # b runs first and sees a's hoisted function but not its let yet (undefined as in babel's output)
    assert console_lines(trace) == ["in b, a = undefined function", "in a, b = b-value a-final",
                                    "a-final b-value a-final"]


def test_shadowing_declarations_are_not_rewritten(engine_name):
    extra = {"m/v.js": "export const v = 'imported'\nexport default 'def'\n"}
    page = """import d, { v } from '../../m/v'
function f(v) { return v }
const g = () => { const v = 'local'; return [v, d] }
const h = ({ v }) => v
const o = { v, d }
try { throw 'caught' } catch (v) { console.log(v) }
for (const v of ['loop']) console.log(v)
console.log(f('param'), g().join('/'), h({ v: 'pattern' }), o.v, o.d, v)
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["caught", "loop", "param local/def pattern imported def imported"]


def test_dynamic_import_is_a_promise_of_the_module(engine_name):
    extra = {"m/lazy.js": "export const n = 42", "m/lazycjs.js": "module.exports = 'cjs'"}
    page = """const p = import('../../m/lazy')
console.log(p instanceof Promise)
Page({ onLoad() {
  p.then(m => console.log(m.n))
  import('../../m/lazycjs').then(m => console.log(m.default))
  import('../../m/missing').catch(e => console.log('rejected'))
} })
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["true", "42", "cjs", "rejected"]


def test_errors_in_es_modules_point_at_the_developer_line(engine_name):
    extra = {"m/boom.js": "import x from './x'\nexport const y = 1\n\nexport function boom() {\n  return x.missing.deep\n}\n",
             "m/x.js": "export default {}"}
    page = "import { boom } from '../../m/boom'\nPage({ onLoad() { boom() } })\n"
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    (err,) = trace.of_kind("error")
    frames = [(f.file, f.line) for f in err.stack]
    assert ("m/boom.js", 5) in frames and ("pages/p/p.js", 2) in frames


def test_global_is_a_shared_object(engine_name):
    extra = {"m/setter.js": "global.shared = { n: 1 }\nmodule.exports = typeof global"}
    page = """const t = require('../../m/setter')
console.log(t, global.shared.n, typeof shared, global === globalThis)
Page({})
"""
    trace = run_pages({"pages/p/p": page}, extra=extra, engine=engine_name)
    assert console_lines(trace) == ["object 1 undefined false"]
    assert not trace.of_kind("error")
