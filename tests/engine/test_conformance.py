"""The Engine protocol, the same on both backends; and what only the wasm backend promises."""

from __future__ import annotations

import json
import time

import pytest

from mpsandbox.runtime.engine import EngineLimits, Outcome, create_engine

FAST = EngineLimits(cpu_ms_per_turn=50, thread_cpu_ms_per_turn=5_000, memory_bytes=32 * 1024 * 1024)


def turn(eng, fn):
    eng.begin_turn()
    try:
        return fn()
    finally:
        eng.end_turn()


def test_eval_values_and_errors(engine_name):
    eng = create_engine(engine_name)
    assert eng.eval("1 + 2", "a.js").value == 3
    assert eng.eval("'x'.repeat(3)", "a.js").value == "xxx"
    assert eng.eval("({a: 1})", "a.js").value is None
    err = eng.eval("function f() { throw new TypeError('boom') }\nf()", "pages/a.js")
    assert err.outcome is Outcome.ERROR and err.error.name == "TypeError" and err.error.message == "boom"
    assert "pages/a.js:1" in err.error.stack
    syntax = eng.eval("let = = 1", "bad.js")
    assert syntax.outcome is Outcome.ERROR and syntax.error.name == "SyntaxError"
    eng.close()


def test_call_with_json_arguments_and_pinning(engine_name):
    eng = create_engine(engine_name)
    eng.eval("globalThis.add = function (a, b) { return {sum: a.x + b[0], s: 'é\\u0000'} }", "f.js")
    assert eng.call("add", {"x": 1}, [2]).value == {"sum": 3, "s": "é\u0000"}
    eng.pin("add")
    assert eng.eval("typeof add", "g.js").value == "undefined"
    assert eng.call("add", {"x": 5}, [5]).value["sum"] == 10
    missing = eng.call("nope")
    assert missing.outcome is Outcome.ERROR and "not a function" in missing.error.message
    eng.close()


@pytest.mark.parametrize("payload", ["", "plain", "ünïcødé ✓ 😀", "nul\u0000inside", "x" * 200_000])
def test_host_function_round_trip(engine_name, payload):
    eng = create_engine(engine_name)
    seen = []

    def host(op, msg):  # messages are JSON both ways, as the bridge's are: NUL and every character survive
        text = json.loads(msg)
        seen.append((op, text))
        return json.dumps(text[::-1])

    eng.set_host_function("h", host)
    eng.eval("globalThis.f = function (s) { return JSON.parse(h('op', JSON.stringify(s))) }", "f.js")
    res = eng.call("f", payload)
    assert res.value == payload[::-1] and seen == [("op", payload)]
    eng.close()


def test_microtasks_and_job_cap(engine_name):
    eng = create_engine(engine_name)
    eng.eval("globalThis.log = []; Promise.resolve().then(() => log.push(1)).then(() => log.push(2))", "p.js")
    jobs = turn(eng, lambda: eng.run_jobs(1000))
    assert jobs.outcome is Outcome.OK and jobs.jobs == 2
    assert eng.eval("log.join()", "q.js").value == "1,2"
    eng.eval("(function spin() { Promise.resolve().then(spin) })()", "s.js")
    capped = turn(eng, lambda: eng.run_jobs(500))
    assert capped.jobs == 500
    eng.close()


def test_rejection_handler(engine_name):
    eng = create_engine(engine_name)
    eng.eval("globalThis.got = []; globalThis.onRej = function (r, p) { got.push(String(r)) }", "r.js")
    eng.set_rejection_handler("onRej")
    assert eng.eval("typeof onRej", "t.js").value == "undefined"
    eng.eval("Promise.reject('a'); Promise.reject('b').catch(() => {})", "u.js")
    turn(eng, lambda: eng.run_jobs(100))
    assert eng.eval("got.join()", "v.js").value == "a"
    eng.close()


def test_infinite_loop_is_a_cpu_outcome_in_bounded_time(engine_name):
    eng = create_engine(engine_name, FAST)
    start = time.perf_counter()
    res = turn(eng, lambda: eng.eval("for (;;) {}", "loop.js"))
    assert res.outcome is Outcome.CPU
    assert time.perf_counter() - start < 5
    assert eng.eval("1", "after.js").value == 1  # the engine is still usable
    eng.close()


def test_memory_bomb_is_a_memory_outcome(engine_name):
    eng = create_engine(engine_name, EngineLimits(memory_bytes=16 * 1024 * 1024, cpu_ms_per_turn=5_000))
    res = turn(eng, lambda: eng.eval("const a = []; for (;;) a.push(new Array(1e5).fill(1))", "m.js"))
    assert res.outcome is Outcome.MEMORY
    eng.close()


def test_deep_recursion_is_catchable_and_a_stack_outcome_when_uncaught(engine_name):
    eng = create_engine(engine_name)
    caught = eng.eval("function f(n) { return f(n + 1) + 1 } let r; try { f(0) } catch (e) { r = e.name } r", "s.js")
    assert caught.outcome is Outcome.OK and caught.value == "RangeError"
    assert eng.eval("function g(n) { return g(n + 1) + 1 } g(0)", "t.js").outcome is Outcome.STACK
    assert eng.eval("2 * 21", "after.js").value == 42
    eng.close()


NESTED = {
    "parser": "eval('['.repeat(100000))",
    "parser-ternary": "eval('1 ? '.repeat(100000) + '1' + ' : 1'.repeat(100000))",
    "parser-unary": "eval('!'.repeat(100000) + '1')",
    "parser-template": "eval('`${'.repeat(100000) + '1' + '}`'.repeat(100000))",
    "parser-blocks": "eval('{'.repeat(100000) + '}'.repeat(100000))",
    "json-reviver": "const s = '['.repeat(3000) + ']'.repeat(3000); function r(k, v) { return JSON.parse(s, r) } "
                    "JSON.parse('[1]', r)",
    "getter": "const o = { get x() { return this.x } }; o.x",
    "to-json": "const o = { toJSON() { return JSON.stringify(o) } }; JSON.stringify(o)",
    "array-join": "let a = [], c = a; for (let i = 0; i < 100000; i++) { const n = []; c.push(n); c = n } String(a)",
    "json-parse": "JSON.parse('['.repeat(100000) + ']'.repeat(100000))",
    "json-stringify": "let o = {}, c = o; for (let i = 0; i < 100000; i++) { c.a = {}; c = c.a } JSON.stringify(o)",
}


@pytest.mark.parametrize("case", NESTED)
def test_deep_c_recursion_never_kills_the_host(engine_name, case):
    eng = create_engine(engine_name)
    res = eng.eval(f"let r = 'none'; try {{ {NESTED[case]} }} catch (e) {{ r = e.name }} r", "n.js")
    # wasm: QuickJS checks the shadow stack; the build pads checked frames so that it runs out before wasmtime's
    assert res.outcome is Outcome.OK and res.value == "RangeError"
    assert eng.eval("2 * 21", "after.js").value == 42
    eng.close()


def test_cpu_units_are_deterministic(engine_name):
    def cost():
        eng = create_engine(engine_name)
        eng.eval("globalThis.work = function () { let s = 0; for (let i = 0; i < 20000; i++) s += i % 7; return s }",
                 "w.js")
        eng.begin_turn()
        eng.call("work")
        used = eng.end_turn().cpu_units
        eng.close()
        return used

    assert cost() == cost() > 0


def test_error_stacks_are_the_same_on_both_engines(engine_name):
    eng = create_engine(engine_name)
    err = eng.eval("function f() { throw new TypeError('boom') }\nfunction g() { f() }\ng()", "pages/a.js").error
    assert err.stack.splitlines() == ["    at f (pages/a.js:1:26)", "    at g (pages/a.js:2:16)",
                                      "    at <eval> (pages/a.js:3:1)"]
    eng.close()


def test_cpu_outcome_is_uncatchable_and_counted_outside_turns(engine_name):
    eng = create_engine(engine_name, FAST)
    start = time.perf_counter()
    # no begin_turn: as on native, work since the last turn began (or the engine was made) counts against it
    res = eng.eval("try { for (;;) {} } catch (e) {} 'escaped'", "c.js")
    assert res.outcome is Outcome.CPU and time.perf_counter() - start < 5
    res = turn(eng, lambda: eng.eval("let n = 0; try { for (;;) n++ } finally { n = -1 } n", "d.js"))
    assert res.outcome is Outcome.CPU
    assert turn(eng, lambda: eng.eval("6 * 7", "e.js")).value == 42
    eng.close()


def test_host_calls_charge_a_fixed_cost(engine_name):
    eng = create_engine(engine_name)
    eng.set_host_function("h", lambda op, msg: "1")
    eng.eval("globalThis.k = function (n) { for (let i = 0; i < n; i++) h('op', 'x') }", "k.js")
    costs = []
    for calls in (0, 100, 100):
        eng.begin_turn()
        eng.call("k", calls)
        costs.append(eng.end_turn().cpu_units)
    per_call = eng.limits.host_call_cost_ms * eng.info.units_per_ms
    assert costs[1] - costs[0] >= 100 * per_call
    if engine_name == "wasm":
        assert costs[1] == costs[2]  # fuel is exact
    eng.close()


def test_memory_figures(engine_name):
    eng = create_engine(engine_name)
    before = eng.memory_used()
    eng.eval("globalThis.keep = new Array(100000).fill({a: 1})", "k.js")
    assert eng.memory_used() > before > 0
    eng.eval("keep = null", "k2.js")
    eng.gc()
    eng.close()


def test_refused_allocations_are_counted_even_when_caught(engine_name):
    eng = create_engine(engine_name, EngineLimits(memory_bytes=16 * 1024 * 1024, cpu_ms_per_turn=5_000))
    eng.begin_turn()
    res = eng.eval("let r = 'none'; try { const a = []; for (;;) a.push(new Array(1e5).fill(1)) } "
                   "catch (e) { r = 'caught' } r", "m.js")
    usage = eng.end_turn()
    assert res.outcome is Outcome.OK and res.value == "caught"  # the bundle swallowed the out-of-memory error
    assert usage.memory_refused >= 1  # and the engine still knows the limit was met
    eng.gc()
    assert turn(eng, lambda: eng.eval("[1, 2].length", "n.js")).value == 2
    eng.begin_turn()
    eng.eval("1", "o.js")
    assert eng.end_turn().memory_refused == 0
    eng.close()


RUNAWAY_BUILTINS = {
    "string-indexOf": "const s = 'a'.repeat(1 << 22); s.indexOf('a'.repeat(1 << 21) + 'b')",
    "string-includes": "const s = 'a'.repeat(1 << 22); s.includes('a'.repeat(1 << 21) + 'b')",
    "string-split": "const s = 'a'.repeat(1 << 22); s.split('a'.repeat(1 << 21) + 'b')",
    "array-like-join": "Array.prototype.join.call({length: 2 ** 40}, '')",
    "array-like-lastIndexOf": "Array.prototype.lastIndexOf.call({length: 2 ** 53 - 1}, 1)",
    "regex-backtracking": "/(a+)+b/.test('a'.repeat(40))",
}


@pytest.mark.parametrize("case", RUNAWAY_BUILTINS)
def test_runaway_builtin_is_interrupted_and_the_engine_lives_on(engine_name, case):
    eng = create_engine(engine_name, FAST)
    start = time.thread_time()  # CPU time: a loaded machine stretches the wall clock, not this
    res = turn(eng, lambda: eng.eval(f"try {{ {RUNAWAY_BUILTINS[case]} }} catch (e) {{}} 'escaped'", "r.js"))
    assert res.outcome is Outcome.CPU, res
    assert time.thread_time() - start < 5
    assert turn(eng, lambda: eng.eval("6 * 7", "after.js")).value == 42
    eng.close()


# Loops of builtins that each work for a while between two polls: without the charges (qjs_build.MEM_CHARGE,
# csrc/shim.c charge) the native engine counted a poll or two for each (the thread's CPU-time backstop ended them,
# seconds later) and wasm checked its fuel only every 10,000 polls (a compare of big strings ran the tank dry)
BUILTIN_LOOPS = {
    "string-compare": "const a = 'a'.repeat(1 << 20), b = ('a'.repeat(1 << 19) + 'a'.repeat(1 << 19)).slice(0);"
                      " for (;;) a === b",
    "string-compare-wide": "const a = '\u0101'.repeat(1 << 19), b = ('\u0101'.repeat(1 << 18) +"
                           " '\u0101'.repeat(1 << 18)).slice(0); for (;;) a === b",
    "array-indexOf": "const a = []; for (let i = 0; i < 1 << 16; i++) a.push(i); for (;;) a.indexOf(-1)",
    "array-sort": "const a = []; for (let i = 0; i < 1 << 14; i++) a.push('k' + (i * 7919 % 16384));"
                  " for (;;) a.slice().sort()",
    "typed-array-indexOf": "const t = new Uint8Array(1 << 22); for (;;) t.indexOf(1)",
    "typed-array-sort": "const t = new Float64Array(1 << 18); for (;;) t.sort()",
    "typed-array-fill": "const t = new Float64Array(1 << 20); for (;;) t.fill(1)",
    "typed-array-copyWithin": "const t = new Uint8Array(1 << 22); for (;;) t.copyWithin(1, 0)",
    "string-padEnd": "for (;;) 'ab'.padEnd(1 << 22, 'xy').length",
    "array-join": "const a = new Array(1 << 16).fill('abcdefgh'); for (;;) a.join(',').length",
}


@pytest.mark.parametrize("case", BUILTIN_LOOPS)
def test_builtin_work_counts_against_the_turn_on_both_engines(engine_name, case):
    """The turn ends at its budget, as a CPU outcome, whichever engine: the builtins' work is counted."""
    eng = create_engine(engine_name, FAST)
    start = time.thread_time()
    eng.begin_turn()
    res = eng.eval(f"try {{ {BUILTIN_LOOPS[case]} }} catch (e) {{}} 'escaped'", "r.js")
    usage = eng.end_turn()
    assert res.outcome is Outcome.CPU, res
    assert FAST.cpu_ms_per_turn <= usage.cpu_ms <= 3 * FAST.cpu_ms_per_turn, usage  # no overrun of the budget
    assert time.thread_time() - start < 2.5  # far from the thread's CPU-time backstop (5 s)
    assert turn(eng, lambda: eng.eval("6 * 7", "after.js")).value == 42
    eng.close()


def test_a_turn_stopped_inside_its_last_builtin_is_a_cpu_outcome(engine_name):
    """A builtin stopped at the budget returns early (the search's -1 is not its answer); with no poll after it to
    throw, the call still ends as a CPU outcome and its value is not reported."""
    eng = create_engine(engine_name, FAST)
    res = turn(eng, lambda: eng.eval("'a'.repeat(1 << 22).indexOf('a'.repeat(1 << 21) + 'b')", "i.js"))
    assert res.outcome is Outcome.CPU and res.value is None
    assert turn(eng, lambda: eng.eval("6 * 7", "after.js")).value == 42
    eng.close()


WATCHED_JSON = """
var seen = [];
function special(key, v, level, binary) {
  seen.push(key + '@' + level + (binary ? ':binary' : ''));
  if (typeof v === 'bigint') return String(v);
  return level === 1 ? {deep: true} : v;
}
function attempt(value, depth, nodes, chars) {
  try { return __mpsb_json(value, special, depth, nodes, chars); } catch (e) { return e.name + ': ' + e.message; }
}
var cycle = {}; cycle.self = cycle;
function Item() { this.n = 1; }
JSON.stringify([
  attempt({a: [1, 'x', {b: 2n}], f: function () {}, u: undefined, s: Symbol('q'), c: new Uint8Array(2)}, 2, 1e6, 1e6),
  seen.splice(0),
  attempt({x: {y: 1}, z: [new Item()]}, 1, 1e6, 1e6),
  seen.splice(0),
  attempt({a: 'x'.repeat(50)}, -1, 1e6, 10),
  attempt([1, 2, 3, 4, 5], -1, 3, 1e6),
  attempt(cycle, -1, 1e6, 1e6),
  attempt(undefined, -1, 1, 1) === undefined,
  attempt({toJSON: function () { return JSON.stringify({in: 1}); }}, -1, 1e6, 1e6),
])
"""


def test_json_watched_in_c_passes_plain_values_and_counts_the_budget(engine_name):
    """__mpsb_json (the framework's fast serializer): plain values pass in C; bigints, binary data (flagged by class),
    objects of other prototypes and containers at the host depth go to `special`; past the budget of values or
    characters, or on a cycle, it throws (the framework then serializes the slow way). A stringify nested in a
    toJSON is not watched."""
    eng = create_engine(engine_name)
    out = json.loads(eng.eval(WATCHED_JSON, "w.js").value)
    assert out[0] == '{"a":[1,"x",{"b":"2"}],"c":{"deep":true}}'
    assert out[1] == ["2@2", "b@3", "c@1:binary"]  # the array 'a' at depth 1 is plain below host depth 2
    assert out[2] == '{"x":{"deep":true},"z":{"deep":true}}' and out[3] == ["x@1", "z@1"]
    assert out[4] == out[5] == "RangeError: mpsandbox: serialization budget"
    assert out[6] == "TypeError: circular reference"
    assert out[7] is True and out[8] == '"{\\"in\\":1}"'
    eng.close()


def test_both_engines_offer_the_same_globals():
    from tests.conftest import engine_unavailable_reason

    listing = ("Object.getOwnPropertyNames(globalThis).sort().map(k => k + ':' + typeof globalThis[k]).join()")
    seen = {}
    for name in ("native", "wasm"):
        if engine_unavailable_reason(name):
            pytest.skip(f"{name} engine unavailable")
        eng = create_engine(name)
        seen[name] = eng.eval(listing, "g.js").value
        eng.close()
    assert seen["native"] == seen["wasm"] and "JSON:object" in seen["native"]


# ---- wasm only ------------------------------------------------------------------------------------------------------
@pytest.fixture
def wasm(engine_name):
    if engine_name != "wasm":
        pytest.skip("wasm-only behaviour")
    return engine_name


def test_wasm_clock_and_random_are_fixed_before_the_framework(wasm):
    a, b = create_engine(wasm), create_engine(wasm)
    for eng in (a, b):
        eng.eval("globalThis.t = Date.now(); globalThis.r = Math.random()", "x.js")
    assert a.eval("t", "y.js").value == b.eval("t", "y.js").value == 1_735_689_600_000
    assert a.eval("r", "y.js").value == b.eval("r", "y.js").value


def test_wasm_trap_discards_the_instance(wasm):
    eng = create_engine(wasm, EngineLimits(thread_cpu_ms_per_turn=200, cpu_ms_per_turn=100_000))
    eng.eval("globalThis.big = []; for (let i = 0; i < 300000; i++) big.push({a: i, b: 'x' + i})", "b.js")
    eng.begin_turn()
    first = eng.eval("for (;;) JSON.stringify(big)", "loop.js")
    eng.end_turn()
    assert first.outcome in (Outcome.WALL, Outcome.CPU, Outcome.TRAP)
    if first.outcome is Outcome.TRAP or eng._dead:  # noqa: SLF001 - the instance was killed: never reused
        assert eng.eval("1", "again.js").outcome is Outcome.TRAP


def test_wasm_fuel_trap_discards_the_instance(wasm):
    eng = create_engine(wasm)
    eng.eval("globalThis.f = function () { let s = 0; for (let i = 0; i < 1e6; i++) s += i; return s }", "f.js")
    eng.begin_turn()
    eng._store.set_fuel(1000)  # noqa: SLF001 - the hard backstop: the tank runs dry before an interrupt poll
    first = eng.call("f")
    eng.end_turn()
    assert first.outcome is Outcome.CPU and eng._dead  # noqa: SLF001
    for again in (eng.eval("1", "a.js"), eng.call("f")):
        assert again.outcome is Outcome.TRAP
    assert turn(eng, lambda: eng.run_jobs(10)).outcome is Outcome.TRAP
    eng.close()


def test_wasm_snapshot_restore_behaves_like_a_fresh_load_in_a_sandbox(wasm):
    from tests.runtime.bundles import make_bundle

    from mpsandbox.runtime.engine.wasm import engine as wasm_engine
    from mpsandbox.runtime.sandbox import Sandbox

    bundle = make_bundle({"pages/index/index": "Page({ data: { n: 0 }, onLoad() { this.setData({ n: 1 }) } })"})
    traces = []
    for keep in (False, True):
        if not keep:
            wasm_engine._snapshots.clear()  # noqa: SLF001 - the first sandbox evaluates the framework
        sb = Sandbox(bundle, engine=wasm)
        assert sb.engine.info.details["snapshot"] is keep
        sb.launch()
        sb.run()
        traces.append((sb.finish().behaviour(), [t.cpu_units for t in sb.trace.turns]))
        sb.close()
    assert traces[0] == traces[1]


def test_wasm_snapshot_restore_equals_a_fresh_load(wasm):
    from mpsandbox.runtime.engine.wasm import engine as wasm_engine

    source = "globalThis.__fw = {n: 0}; globalThis.__fwCall = function (k) { __fw.n += k; return __fw.n }"
    key_source = source + "// snapshot test"
    fresh = create_engine(wasm)
    assert fresh.load_trusted(key_source, "fw.js").ok and not fresh.info.details["snapshot"]
    restored = create_engine(wasm)
    assert restored.load_trusted(key_source, "fw.js").ok and restored.info.details["snapshot"]
    for eng in (fresh, restored):
        eng.pin("__fwCall")
    outs = []
    for eng in (fresh, restored):
        eng.begin_turn()
        value = eng.call("__fwCall", 5).value
        outs.append((value, eng.end_turn().cpu_units))
    assert outs[0] == outs[1] and outs[0][0] == 5
    assert any(k for k in wasm_engine._snapshots)  # noqa: SLF001


def test_wasm_corrupt_cache_is_rebuilt(wasm, tmp_path, monkeypatch):
    import shutil

    import wasmtime

    from mpsandbox.runtime.engine import qjs_build
    from mpsandbox.runtime.engine.wasm import build, engine

    name = build.module_name(engine.config_fingerprint())
    wasm_file = f"quickjs-{build.build_key()}.wasm"
    home = qjs_build.BUILT_DIR if (qjs_build.BUILT_DIR / name).exists() else build.cache_dir()
    assert (home / name).exists(), "the module exists once an engine was created (built at install or cached)"
    # a private copy in a private cache, and no install: the fallback path (the .wasm stays valid: no C rebuild)
    private = tmp_path / "wasm"
    private.mkdir()
    for f in (wasm_file, wasm_file + ".sha256", name, name + ".sha256"):
        shutil.copy(home / f, private / f)
    monkeypatch.setattr(qjs_build, "BUILT_DIR", tmp_path / "not-installed")
    monkeypatch.setenv("MPSANDBOX_CACHE", str(tmp_path))
    target = private / name
    original = target.read_bytes()
    target.write_bytes(b"garbage" + original[:100])  # sidecar no longer matches
    module = build.ensure_module_bytes(wasmtime.Engine(engine.engine_config()), engine.config_fingerprint())
    assert module is not None
    assert build._read_verified(target) is not None  # rewritten and verified again  # noqa: SLF001
    # a matching sidecar does not make garbage trusted either: wasmtime refuses it, and it is rebuilt
    garbage = b"\0asm-not-really" * 64
    target.write_bytes(garbage)
    target.with_suffix(".cwasm.sha256").write_text(build._sha(garbage) + "\n")  # noqa: SLF001
    monkeypatch.setattr(engine, "_shared", None)  # a new process: the next engine loads from the cache
    eng = create_engine(wasm)
    assert eng.eval("[1, 2, 3].map(x => x * 2).join()", "a.js").value == "2,4,6"
    eng.close()
    assert target.read_bytes() != garbage and build._read_verified(target) is not None  # noqa: SLF001
