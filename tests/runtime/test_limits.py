"""Hostile code ends within its budgets, with typed outcomes, and the run goes on where it can."""

from __future__ import annotations

import time

from mpsandbox.runtime.sandbox import RunLimits

from .helpers import console_lines, run_pages

FAST = RunLimits(cpu_ms_per_turn=100, memory_bytes=32 * 1024 * 1024, thread_cpu_ms_per_turn=5_000, max_turns=2_000)


def outcomes(trace):
    return [t.outcome for t in trace.turns if t.outcome != "ok"]


def budgets(trace):
    return [e.budget for e in trace.of_kind("budget")]


def test_infinite_loops_end_the_turn_and_the_run_continues(engine_name):
    page = """Page({
      onLoad() { console.log('before'); while (true) {} },
      onReady() { console.log('ready still runs') },
      spin() { for (;;) { try { for (;;) {} } catch (e) {} finally { } } },
      ok() { console.log('alive') },
    })"""

    def steps(sb):
        sb.tap("spin")
        sb.run()
        sb.tap("ok")

    start = time.thread_time()  # CPU time: machine load stretches the clock, not this
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST, steps=steps)
    assert time.thread_time() - start < 10
    assert outcomes(trace) == ["cpu", "cpu"]
    assert budgets(trace) == ["cpu", "cpu"]
    assert console_lines(trace) == ["before", "ready still runs", "alive"]


def test_repeated_cpu_breaches_end_the_run(engine_name):
    page = "Page({ onLoad() { setInterval(() => { while (true) {} }, 10) } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST)
    assert trace.end.reason == "cpu"
    assert budgets(trace).count("cpu") == FAST.max_cpu_breaches


def test_memory_bomb_is_a_memory_outcome_and_the_engine_recovers(engine_name):
    page = """Page({
      onLoad() { const hoard = []; while (true) hoard.push(new Array(100000).fill('x')) },
      ok() { console.log('alive', [1, 2, 3].length) },
    })"""
    # filling 32 MB costs ~160 ms of wasm fuel: a CPU budget the bomb cannot reach first, so memory is what stops it
    limits = FAST.model_copy(update={"cpu_ms_per_turn": 1_000})
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits, steps=lambda sb: sb.tap("ok"))
    assert "memory" in outcomes(trace)
    assert "memory" in budgets(trace)
    assert "alive 3" in console_lines(trace)


def test_a_caught_out_of_memory_is_recorded_the_same_on_both_engines(engine_name):
    """A bundle that allocates to the limit and catches the error: the limit was met (a memory outcome and budget
    event), and the run's peak is the limit though the turn let its garbage go (issue 11: wasm read 0.5 MB)."""
    page = """Page({ onLoad() {
      try { var big = []; for (;;) big.push('x'.repeat(1 << 20) + big.length); } catch (e) { big = null; }
      console.log('caught');
    } })"""
    limits = FAST.model_copy(update={"cpu_ms_per_turn": 1_000})
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits)
    assert console_lines(trace) == ["caught"]
    assert outcomes(trace) == ["memory"]
    assert budgets(trace) == ["memory"]
    assert trace.end.peak_memory_bytes == limits.memory_bytes


def test_global_memory_hoard_ends_the_run(engine_name):
    page = "var hoard = []; Page({ onLoad() { while (true) hoard.push('x'.repeat(65536) + Math.random()) } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST)
    assert trace.end.reason == "memory"


def test_deep_recursion_is_catchable_in_js_and_a_stack_outcome_when_uncaught(engine_name):
    page = """Page({ onLoad() {
        function down(n) { return down(n + 1) + 1 }
        try { down(0) } catch (e) { console.log('caught', e instanceof RangeError) }
        down(0);
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST)
    assert console_lines(trace) == ["caught true"]
    assert outcomes(trace) == ["stack"]
    err = [e for e in trace.of_kind("error") if e.name == "RangeError"][0]
    assert err.stack and err.stack[0].file == "pages/p/p.js"


def test_microtask_loop_hits_the_jobs_budget(engine_name):
    limits = RunLimits(cpu_ms_per_turn=10_000, max_jobs_per_turn=20_000, memory_bytes=256 * 1024 * 1024)
    page = "Page({ onLoad() { const f = () => Promise.resolve().then(f); f() } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits)
    assert "jobs" in budgets(trace)
    assert max(t.jobs for t in trace.turns) >= 20_000


def test_timer_flood_hits_the_turn_budget(engine_name):
    page = "Page({ onLoad() { setInterval(() => {}, 0) } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST)
    assert trace.end.reason == "turns"
    assert trace.end.turns == FAST.max_turns


def test_virtual_time_budget(engine_name):
    page = "Page({ onLoad() { setTimeout(() => console.log('too late'), 10 * 60 * 1000) } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=RunLimits(virtual_ms=60_000))
    assert trace.end.reason == "virtual-time"
    assert "too late" not in console_lines(trace)


def test_regex_catastrophic_backtracking_is_interrupted(engine_name):
    page = "Page({ onLoad() { /^(a+)+$/.test('a'.repeat(40) + 'b') } })"
    start = time.thread_time()  # CPU time: machine load stretches the clock, not this
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=FAST)
    assert time.thread_time() - start < 10
    assert outcomes(trace) == ["cpu"]


def test_heavy_builtin_work_per_iteration_hits_the_cpu_time_backstop(engine_name):
    limits = RunLimits(cpu_ms_per_turn=100_000, thread_cpu_ms_per_turn=300, memory_bytes=128 * 1024 * 1024)
    page = """Page({ onLoad() {
        const big = []; for (let i = 0; i < 200000; i++) big.push({ a: i, b: 'x' + i });
        for (;;) JSON.stringify(big);
    } })"""
    start = time.thread_time()  # CPU time: machine load stretches the clock, not this
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits)
    assert time.thread_time() - start < 10
    assert outcomes(trace) == ["cpu"]  # CPU time the thread spent: a CPU breach, not a stall


def _stalling_console(monkeypatch, seconds: float) -> None:
    """console.log blocks the engine's thread in host code, as a machine that does not schedule it would."""
    from mpsandbox.runtime.sandbox import Sandbox

    original = Sandbox._op_console

    def stall(self, p):
        time.sleep(seconds)
        return original(self, p)

    monkeypatch.setattr(Sandbox, "_op_console", stall)


def test_a_stalled_turn_is_a_wall_event_and_no_cpu_breach(engine_name, monkeypatch):
    _stalling_console(monkeypatch, 0.5)
    limits = RunLimits(cpu_ms_per_turn=100_000, thread_cpu_ms_per_turn=10_000, wall_ms_per_turn=300,
                       max_cpu_breaches=1)
    page = ("function work(t) { console.log(t); for (let i = 0; i < 1e6; i++) {} }\n"
            "Page({ onLoad() { setTimeout(() => work('a'), 10); setTimeout(() => work('b'), 20) } })")
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits)
    assert budgets(trace) == ["wall", "wall"] and outcomes(trace) == ["wall", "wall"]
    assert all(e.detail.startswith("turn stalled") for e in trace.of_kind("budget"))
    assert trace.end is None or trace.end.reason != "cpu"  # one CPU breach would have ended the run


def test_a_slow_turn_that_spends_little_cpu_time_is_no_breach(engine_name, monkeypatch):
    _stalling_console(monkeypatch, 0.25)
    limits = RunLimits(cpu_ms_per_turn=100_000, thread_cpu_ms_per_turn=200, wall_ms_per_turn=60_000)
    page = "Page({ onLoad() { for (let i = 0; i < 4; i++) console.log(i) } })"  # 1 s on the clock
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits)
    assert budgets(trace) == [] and console_lines(trace) == ["0", "1", "2", "3"]


def test_a_busy_turn_is_a_cpu_breach_on_the_cpu_time_backstop(engine_name):
    limits = RunLimits(cpu_ms_per_turn=100_000, thread_cpu_ms_per_turn=200, wall_ms_per_turn=60_000)
    trace = run_pages({"pages/p/p": "Page({ onLoad() { for (;;) {} } })"}, engine=engine_name, limits=limits)
    assert budgets(trace) == ["cpu"]


def test_each_module_compiles_under_a_budget_of_its_own(engine_name):
    # a big app's modules together cost more to compile than one turn's budget: each file gets its own
    body = "module.exports = {" + ",".join(f"k{i}: ['v{i}', function () {{ return {i} }}]" for i in range(4000)) + "};"
    extra = {f"lib/m{i}.js": body for i in range(16)}
    page = "const n = [%s].length; Page({ onLoad() { console.log('loaded', n) } })" % ", ".join(
        f"require('../../lib/m{i}.js')" for i in range(16))
    limits = FAST.model_copy(update={"cpu_ms_per_turn": 150, "memory_bytes": 256 * 1024 * 1024})
    trace = run_pages({"pages/p/p": page}, engine=engine_name, limits=limits, extra=extra)
    assert budgets(trace) == []
    assert console_lines(trace) == ["loaded 16"]
