"""One behaviour on both engines (globals, recursion, rejections, memory), what the wasm bridge refuses from inside,
and engines that fit a 4 GiB address space and give their memory back."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from mpsandbox.runtime.engine import EngineLimits, Outcome, create_engine
from tests.conftest import engine_unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
FAST = EngineLimits(cpu_ms_per_turn=50, thread_cpu_ms_per_turn=5_000)


def on_both(source: str, limits: EngineLimits | None = None) -> dict[str, object]:
    out = {}
    for name in ("native", "wasm"):
        if engine_unavailable_reason(name):
            pytest.skip(f"{name} engine unavailable")
        eng = create_engine(name, limits)
        res = eng.eval(source, "p.js")
        out[name] = res.value if res.ok else res.outcome
        eng.close()
    return out


def test_neither_engine_has_the_globals_left_out():
    present = on_both("['Atomics', 'SharedArrayBuffer', 'WeakRef', 'FinalizationRegistry']"
                      ".filter(k => k in globalThis).join()")
    assert present == {"native": "", "wasm": ""}


def test_recursion_meets_the_same_limit_on_both():
    depths = on_both("let d = 0; function f() { d++; f() } try { f() } catch (e) { d = e.name + ' ' + d } d")
    assert depths["native"] == depths["wasm"] == "RangeError 999"


def test_a_caught_out_of_memory_is_counted_on_both(engine_name):
    # default limits: under wasm the allocator's fragmentation fills linear memory first, and that is counted too
    eng = create_engine(engine_name, EngineLimits(cpu_ms_per_turn=100_000))
    eng.begin_turn()
    res = eng.eval("let r = 'none'; try { const a = []; for (;;) a.push(new Array(1e5).fill(1)) } "
                   "catch (e) { r = e.message } r", "m.js")
    usage = eng.end_turn()
    assert res.value == "out of memory" and usage.memory_refused >= 1
    eng.close()


def test_every_unhandled_rejection_reaches_the_handler_even_across_stopped_turns(engine_name):
    eng = create_engine(engine_name, FAST)
    eng.eval("globalThis.got = []; globalThis.onRej = function (r) { let s = 0; for (let i = 0; i < 3000; i++) "
             "s += i; got.push(r) }", "r.js")
    eng.set_rejection_handler("onRej")
    eng.eval("for (let i = 0; i < 5000; i++) Promise.reject(i);"
             "const late = Promise.reject('handled later'); Promise.resolve().then(() => late.catch(() => {}))", "p.js")
    outcomes = []
    for _ in range(200):  # the handler's work spends each turn's budget: delivery goes on turn after turn
        eng.begin_turn()
        outcomes.append(eng.run_jobs(100_000).outcome)
        eng.end_turn()
        if outcomes[-1] is Outcome.OK:
            break
    assert Outcome.CPU in outcomes and outcomes[-1] is Outcome.OK
    eng.begin_turn()
    got = eng.eval("got.length + ' ' + new Set(got).size + ' ' + got.every((v, i) => v === i)", "c.js").value
    assert got == "5000 5000 true"
    eng.close()


# ---- the wasm bridge trusts no pointer from inside ----------------------------------------------------------------
@pytest.fixture
def wasm_engine(engine_name):
    if engine_name != "wasm":
        pytest.skip("wasm-only behaviour")
    eng = create_engine("wasm")
    eng.eval("1", "init.js")
    yield eng
    eng.close()


def test_guest_spans_are_bounded_by_linear_memory(wasm_engine):
    from mpsandbox.runtime.engine.wasm.engine import GuestFault

    size = wasm_engine._memory.data_len(wasm_engine._store)  # noqa: SLF001
    assert wasm_engine._span(size - 8, 8) == wasm_engine._base + size - 8  # noqa: SLF001
    for ptr, n in ((size - 8, 9), (size, 1), (-1, 1), (0, -1), (0xFFFFFFF0, 64), (16, 1 << 40)):
        with pytest.raises(GuestFault):
            wasm_engine._span(ptr, n)  # noqa: SLF001


def test_a_forged_pointer_on_the_bridge_is_a_trap(wasm_engine):
    """A guest that calls the host function with pointers of its choosing (here a small module sharing the engine's
    store and its bridge) traps: the host never reads or writes outside linear memory."""
    import wasmtime

    eng = wasm_engine
    calls = []
    eng.set_host_function("h", lambda op, msg: calls.append(op) or "null")
    linker = wasmtime.Linker(eng._shared.engine)  # noqa: SLF001
    eng._define_imports(linker)  # noqa: SLF001
    forged = wasmtime.Module(eng._shared.engine, """(module  ;; op at an address past linear memory
      (import "mpsb" "host_call" (func $h (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (func (export "go") (param $op i32) (param $len i32) (result i32)
        (call $h (local.get $op) (local.get $len) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                 (i32.const 0) (i32.const 0))))""")
    go = linker.instantiate(eng._store, forged).exports(eng._store)["go"]  # noqa: SLF001
    size = eng._memory.data_len(eng._store)  # noqa: SLF001
    assert go(eng._store, 0, 0) == 4 and calls == [""]  # noqa: SLF001 - in bounds: the call goes through
    for op, length in ((size - 2, 16), (0x7FFFFFF0, 4096), (0, -5)):
        with pytest.raises((wasmtime.Trap, wasmtime.WasmtimeError), match="outside its"):
            go(eng._store, op, length)  # noqa: SLF001
    assert calls == [""]


# ---- address space and memory given back ------------------------------------------------------------------------
def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_wasm_memory_is_bounds_checked_only_where_the_address_space_is_limited():
    """Guard pages (no bounds checks, ~15-50% faster) need over 4 GiB of address space an instance: they are used
    only where nothing limits it."""
    if engine_unavailable_reason("wasm"):
        pytest.skip("wasm engine unavailable")
    from mpsandbox.runtime.engine.wasm import build as wasm_build

    probe = "from mpsandbox.runtime.engine.wasm.build import memory_layout; print(*memory_layout())"
    limited = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             preexec_fn=_limit_address_space)
    assert tuple(map(int, limited.stdout.split())) == wasm_build.BOUNDED_LAYOUT, limited.stderr
    if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:
        assert wasm_build.memory_layout() == wasm_build.FAST_LAYOUT


@pytest.mark.parametrize("engine", ["native", "wasm", "auto"])
def test_a_review_runs_in_a_4_gib_address_space(engine):
    if engine != "auto" and engine_unavailable_reason(engine):
        pytest.skip(f"{engine} engine unavailable")
    r = subprocess.run([sys.executable, "-m", "mpsandbox", "review", str(ROOT / "fixtures/bundles/douyin-store"),
                        "--engine", engine, "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, preexec_fn=_limit_address_space)
    assert r.returncode in (0, 1, 2), r.stderr[-2000:]
    expected = engine if engine != "auto" else ("native" if engine_unavailable_reason("wasm") else "wasm")
    assert f'"engine": "{expected}"' in r.stdout and "failed to start" not in r.stderr


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1 << 20)


def test_closed_engines_give_their_memory_back(engine_name):
    import gc

    def one() -> None:
        eng = create_engine(engine_name)
        eng.eval("globalThis.a = []; for (let i = 0; i < 20000; i++) a.push({ i, s: 'x' + i })", "a.js")
        eng.close()

    for _ in range(20):
        one()
    gc.collect()
    before = _rss_mb()
    for _ in range(200):
        one()
    gc.collect()
    assert _rss_mb() - before < 16  # each engine held a few MB: 200 of them kept would be hundreds
