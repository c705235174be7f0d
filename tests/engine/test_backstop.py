"""The measured backstops behind the deterministic CPU budget: the CPU time of the engine's thread (a loaded machine
does not inflate it) and, much later, wall time for stalls only, told apart from CPU.

A turn that waits in host code stands in for a turn waiting for a core: either way the thread spends no CPU time.
"""

from __future__ import annotations

import threading
import time

from mpsandbox.runtime.engine import EngineLimits, Outcome, create_engine
from mpsandbox.runtime.engine._watchdog import Backstop

# the deterministic budget out of the way: only the backstops can stop these turns
UNBOUNDED = dict(cpu_ms_per_turn=1e7, host_call_cost_ms=0.0)


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_the_backstop_counts_the_threads_cpu_time_not_the_clock():
    b = Backstop(cpu_s=0.1, wall_s=60.0)
    b.start()
    time.sleep(0.3)  # three times the CPU budget on the clock, and no CPU spent
    assert b.due() is None and b.cpu_spent() < 0.05
    _burn(0.12)
    assert b.due() == "cpu"
    seen = []
    other = threading.Thread(target=lambda: seen.append(b.cpu_spent()))  # the watchdog reads it from its thread
    other.start()
    other.join()
    assert seen[0] >= 0.1


def test_the_wall_limit_is_due_only_after_the_cpu_time():
    b = Backstop(cpu_s=0.05, wall_s=0.2)
    b.start()
    time.sleep(0.25)
    assert b.due() == "wall"
    _burn(0.06)
    assert b.due() == "cpu"  # CPU time spent is CPU, whatever the clock says


def test_a_turn_waiting_in_host_code_is_not_stopped(engine_name):
    eng = create_engine(engine_name, EngineLimits(thread_cpu_ms_per_turn=200, wall_ms_per_turn=60_000, **UNBOUNDED))
    eng.set_host_function("h", lambda op, msg: time.sleep(0.15) or "null")
    eng.begin_turn()
    res = eng.eval("for (let i = 0; i < 4; i++) h('wait', ''); let s = 0; for (let i = 0; i < 1e5; i++) s += i; "
                   "'done'", "a.js")
    usage = eng.end_turn()
    assert res.outcome is Outcome.OK and res.value == "done", res
    assert usage.wall_ms >= 600  # three times the backstop on the clock
    eng.close()


def test_a_busy_loop_meets_the_cpu_time_backstop(engine_name):
    eng = create_engine(engine_name, EngineLimits(thread_cpu_ms_per_turn=200, wall_ms_per_turn=60_000, **UNBOUNDED))
    start = time.thread_time()  # before the turn's own start: what it spent is at least the backstop
    eng.begin_turn()
    res = eng.eval("for (;;) {}", "b.js")
    spent = time.thread_time() - start
    eng.end_turn()
    assert res.outcome is Outcome.CPU, res
    assert 0.2 <= spent < 3
    eng.close()


def test_host_work_done_for_the_turn_is_its_cpu_time(engine_name):
    eng = create_engine(engine_name, EngineLimits(thread_cpu_ms_per_turn=200, wall_ms_per_turn=60_000, **UNBOUNDED))
    eng.set_host_function("h", lambda op, msg: _burn(0.03) or "null")
    eng.begin_turn()
    res = eng.eval("for (;;) h('work', '')", "c.js")
    eng.end_turn()
    assert res.outcome is Outcome.CPU, res
    eng.close()


def test_a_stall_is_a_wall_outcome_not_a_cpu_one(engine_name):
    eng = create_engine(engine_name, EngineLimits(thread_cpu_ms_per_turn=10_000, wall_ms_per_turn=300, **UNBOUNDED))
    eng.set_host_function("h", lambda op, msg: time.sleep(0.5) or "null")
    eng.begin_turn()
    res = eng.eval("h('stall', ''); for (let i = 0; i < 1e6; i++) {} 'done'", "d.js")
    eng.end_turn()
    assert res.outcome is Outcome.WALL, res
    # and the next turn starts afresh
    eng.begin_turn()
    assert eng.eval("6 * 7", "e.js").value == 42
    eng.end_turn()
    eng.close()
