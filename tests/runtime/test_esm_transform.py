"""The ES module transform itself: which files change, lines kept, speed on big files."""

from __future__ import annotations

import time

from mpsandbox.runtime.modules import has_module_syntax, to_commonjs


def test_commonjs_and_mentions_in_text_are_left_alone():
    for source in ("module.exports = { important: 1 }",
                   "// import x from 'y'\nconst s = 'export default 1'\n",
                   "const exported = 1; const importer = 2",
                   "var s = `\nexport const x = 1\n`"):
        out = to_commonjs(source)
        assert out.code == source and not out.changed and out.line1_shift == 0
    assert not has_module_syntax("const importance = require('x')")


def test_every_statement_keeps_its_line():
    source = ("import {\n  a,\n  b as c,\n} from './m'\n"
              "export const x = a +\n  c\n"
              "export {\n  x as y,\n}\n"
              "export default function () {\n  return a\n}\n"
              "export * from './n'\n"
              "console.log(a, c)\n")
    out = to_commonjs(source)
    assert out.changed
    assert out.code.count("\n") == source.count("\n")
    lines = out.code.split("\n")
    assert lines[13].startswith("console.log(") and "__mpsb_m" in lines[13]
    assert lines[9].startswith("function __mpsb_default")
    assert out.code[out.line1_shift:].startswith("var __mpsb_m")


def test_big_files_are_fast():
    body = "".join(f"export function f{i}(a, b) {{ return helper(a) + b + {i} }}\n" for i in range(5000))
    source = "import helper from './helper'\n" + body  # ~300 KB, 5,000 exports, 5,000 references
    start = time.perf_counter()
    out = to_commonjs(source)
    took = time.perf_counter() - start
    assert out.changed and out.code.count("\n") == source.count("\n")
    assert took < 2.0, took
    plain = "var x = 1;\n" * 100_000  # 1 MB without module syntax: the pre-check alone
    start = time.perf_counter()
    assert not to_commonjs(plain).changed
    assert time.perf_counter() - start < 0.2
