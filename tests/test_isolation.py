"""Nothing a bundle does stops the review: walks run in child processes, faults become findings, memory is bounded.

Hostile bundles are written here, in temporary folders. Engine faults that no JavaScript reproduces reliably (an
abort, a segfault inside the engine) are simulated by the walk process's test hook (``TEST_FAULT_ENV``), which
kills the process at a chosen turn exactly as such a fault would; a runaway native builtin, deep payloads and long
function names are real JavaScript.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpsandbox.batch.worker import review_bundle
from mpsandbox.boundedjson import MAX_DEPTH, loads
from mpsandbox.bundle import load_bundle
from mpsandbox.review import ReviewOptions, review
from mpsandbox.review.gather import run_limits, walk_budgets
from mpsandbox.review.policy import resolve_policy
from mpsandbox.runtime.isolation import TEST_FAULT_ENV, ProcessLimits, log_delta, merge_log, run_walk
from mpsandbox.runtime.sandbox import RunLimits, Sandbox, summarize
from mpsandbox.runtime.walker import WalkLog
from mpsandbox.trace import Frame, clip

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "fixtures" / "bundles" / "douyin-store"
GiB = 1024 ** 3


def write_bundle(root: Path, page_js: str, *, app: dict | None = None, template: str = "<view>hi</view>") -> Path:
    files = {
        "app.json": json.dumps({"pages": ["pages/a/a"], **(app or {})}),
        "app.js": "App({})",
        "pages/a/a.js": page_js,
        "pages/a/a.ttml": template,
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


# Runs the CLI and prints the peak RSS of it and its walk processes. The CLI is started from this small process, not
# from the test's: a process's peak RSS counts the process it was forked from until its exec (Linux keeps the
# high-water mark across exec), so a CLI forked from a big pytest worker would show the worker's size.
_PEAK_OF = ("import resource, subprocess, sys\n"
            "code = subprocess.call(sys.argv[1:])\n"
            "print(f'\\npeak-rss {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
            "sys.exit(code)")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> tuple[int, str, int]:
    """Exit code, stderr and the peak RSS (bytes) of the CLI and the walk processes it waited for."""
    proc = subprocess.run([sys.executable, "-c", _PEAK_OF, sys.executable, "-m", "mpsandbox", *args], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, start_new_session=True)
    text, _, peak = proc.stderr.rpartition("\npeak-rss ")
    return proc.returncode, text, int(peak) * 1024


def crashed_finding(report: dict | object) -> dict:
    data = report if isinstance(report, dict) else report.model_dump(mode="json")  # type: ignore[union-attr]
    found = [f for f in data["findings"] if f["rule"] == "walk-crashed"]
    assert found, [f["rule"] for f in data["findings"]]
    assert found[0]["category"] == "stability" and found[0]["severity"] == "error"
    return found[0]


# ---- engine faults: the reviewer lives on, the bundle is rejected ----------------------------------------------
def test_an_engine_abort_is_a_rejected_walk_with_the_record_up_to_it(tmp_path, engine_name):
    path = write_bundle(tmp_path / "b", "Page({ onLoad() { tt.setStorageSync('seen', 1) }, go() {} })",
                        template='<button bindtap="go">go</button>')
    out = tmp_path / "review.json"
    code, err, _ = run_cli("review", str(path), "--engine", engine_name, "--out", str(out),
                           env={TEST_FAULT_ENV: json.dumps({"label": "tap go", "do": "abort"})})
    assert code == 2, err
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["verdict"] == "reject"
    finding = crashed_finding(report)
    assert "SIGABRT" in finding["message"] and "tap go" in finding["message"] and "pages/a/a" in finding["message"]
    run = report["runs"][0]
    assert run["end_reason"] == "crashed"
    # what the walk did before the abort was kept: the page opened, its onLoad's call recorded
    assert "setStorageSync" in {a["api"] for a in run["api_calls_by_api"]}
    assert run["coverage"]["pages_visited"] == 1


@pytest.mark.parametrize("fault,expect", [("segv", "SIGSEGV"), ("kill", "SIGKILL"),
                                          ("memory", "MemoryError"), ("recursion", "RecursionError")])
def test_every_way_a_walk_process_dies_is_reported(monkeypatch, fault, expect):
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"turn": 5, "do": fault}))
    report = review(STORE, ReviewOptions(engine="native"))
    assert report.verdict.value == "reject" and report.exit_code == 2
    finding = crashed_finding(report)
    assert expect in finding["message"]
    assert report.runs[0].turns == 5 and report.runs[0].end_reason == "crashed"  # turns 0-4 kept


def test_a_walk_that_stops_making_progress_is_killed_at_its_wall_budget(monkeypatch):
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"label": "tap", "do": "hang"}))
    bundle = load_bundle(STORE)
    policy = resolve_policy(None, bundle.platform)
    t0 = time.monotonic()
    result = run_walk(bundle, mode="allow", engine="native", limits=run_limits(policy), budgets=walk_budgets(policy),
                      limits_of_process=ProcessLimits(stall_s=0.5, walk_s=60, data_bytes=GiB, cpu_s=60))
    assert time.monotonic() - t0 < 30
    assert result.trace.end.reason == "crashed" and "wall budget" in result.trace.end.detail
    note = [e for e in result.trace.events if e.kind == "note" and e.code == "walk-crashed"][-1]
    assert note.data["kind"] == "timeout" and note.data["step"].startswith("event tap")
    assert result.log.pages_visited  # the walk's log up to the hang came back too


def test_a_walk_waiting_for_a_core_is_not_killed(monkeypatch):
    # on a loaded machine the walk's process waits for a core: seconds pass without progress but without CPU spent;
    # that is not the bundle's, and the walk goes on (a real corpus walk was killed this way at 2 x 10 s)
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"label": "tap", "do": "pause", "seconds": 2.0}))
    bundle = load_bundle(STORE)
    policy = resolve_policy(None, bundle.platform)
    result = run_walk(bundle, mode="allow", engine="native", limits=run_limits(policy), budgets=walk_budgets(policy),
                      limits_of_process=ProcessLimits(stall_s=0.5, walk_s=120, data_bytes=GiB, cpu_s=120))
    assert result.trace.end.reason != "crashed", result.trace.end.detail


def test_a_walk_spinning_inside_one_turn_is_killed_and_rejected(tmp_path, monkeypatch):
    # busy inside one turn without coming back, as a builtin that never polls the interrupt would be: the engine
    # cannot stop it, the walk's process is killed at the turn's wall budget
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"turn": 3, "do": "spin"}))
    path = write_bundle(tmp_path / "b", "Page({ onLoad() {} })")
    policy = tmp_path / "fast.toml"
    policy.write_text('extends = "douyin"\n[budgets]\nwall_ms_per_turn = 100\n', encoding="utf-8")
    out = tmp_path / "review.json"
    code, err, _ = run_cli("review", str(path), "--engine", "native", "--policy", str(policy), "--out", str(out))
    assert code == 2, err
    finding = crashed_finding(json.loads(out.read_text(encoding="utf-8")))
    assert "ran past its wall budget" in finding["message"]


def test_a_huge_native_builtin_is_stopped_by_the_cpu_budget(tmp_path):
    # a typed array's sort is charged up front (n log n comparisons): the engine stops it before it runs
    path = write_bundle(tmp_path / "b", "Page({ onLoad() { const a = new Uint8Array(4e7); a.sort(); } })")
    out = tmp_path / "review.json"
    t0 = time.monotonic()
    run_cli("review", str(path), "--engine", "native", "--out", str(out))
    assert time.monotonic() - t0 < 60
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "cpu-budget" in {f["rule"] for f in report["findings"]}
    assert report["runs"][0]["end_reason"] != "crashed"


# ---- host bounds: deep payloads, long names ------------------------------------------------------------------------
DEEP_LEAK = """Page({
  onLoad() { tt.getLocation({ success: (r) => { this.loc = r;
    let o = { lat: r.latitude }; for (let i = 0; i < DEPTH; i++) o = { a: o };
    tt.request({ url: 'https://api.example.com/x', method: 'POST', data: o }); } }) },
  onShareAppMessage() { let o = { lat: this.loc.latitude }; for (let i = 0; i < DEPTH; i++) o = { a: o };
    return { title: 'x', path: '/pages/a/a', extra: o } }
})"""


@pytest.mark.parametrize("depth", [1_500, 5_000])
def test_deep_payloads_get_a_verdict_and_their_canaries_are_found(tmp_path, engine_name, depth):
    path = write_bundle(tmp_path / "b", DEEP_LEAK.replace("DEPTH", str(depth)),
                        app={"permission": {"scope.userLocation": {"desc": "show shops nearby"}}})
    out = tmp_path / "review.json"
    code, err, _ = run_cli("review", str(path), "--engine", engine_name, "--allow-domain", "api.example.com",
                           "--out", str(out))
    assert code in (0, 1, 2), err
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["runs"][0]["end_reason"] != "crashed"
    if depth == 1_500:  # deeper values are the framework's to serialize (see the record's own caps)
        runs: list = []
        review(path, ReviewOptions(engine=engine_name, allow_domains=["api.example.com"]), on_runs=runs.extend)
        sinks = {(f.source_kind, f.sink) for f in runs[0].trace.of_kind("flow")}
        assert {("latitude", "network"), ("latitude", "share")} <= sinks


LONG_NAMES = """Page({ onLoad() {
  const self = this; const name = 'f'.repeat(100000); let i = 0;
  setInterval(() => { for (let k = 0; k < 100; k++, i++) {
    const o = { [name + i]: function () { self.setData({ ['k' + 'x'.repeat(1000) + i]: i }) } };
    o[name + i]();
  } }, 10);
} })"""


def test_long_function_names_keep_the_host_small(tmp_path, engine_name):
    bundle = load_bundle(write_bundle(tmp_path / "b", LONG_NAMES))
    policy = resolve_policy(None, bundle.platform)
    limits = run_limits(policy).model_copy(update={"cpu_ms_total": 4_000})
    budgets = walk_budgets(policy).model_copy(update={"page_cpu_ms": 1_000, "step_cpu_ms": 1_000})
    result = run_walk(bundle, mode="allow", engine=engine_name, limits=limits, budgets=budgets)
    setdata = result.trace.of_kind("setData")
    assert len(setdata) >= 50  # each call carried a 100 KB name in its stack and a 1 KB key
    frames = [f for e in setdata for f in e.stack]
    assert frames and max(len(f.function or "") for f in frames) <= 200
    assert max(len(k) for e in setdata for k in e.keys) <= 200
    assert any((f.function or "").startswith("ffff") and f.function.endswith("…") for f in frames)  # cut, says so
    assert 0 < result.stats.peak_rss_bytes <= GiB


def test_the_reviewers_peak_memory_stays_under_a_gibibyte(tmp_path):
    path = write_bundle(tmp_path / "b", LONG_NAMES)
    code, err, peak = run_cli("review", str(path), "--engine", "native", "--format", "json")
    assert code in (1, 2), err
    # ~2,400 calls before the CPU budget ends the walk: 535 MB before names were cut, about 60 MB since
    assert peak <= 256 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB"


def test_the_record_has_a_byte_budget():
    bundle = load_bundle(STORE)
    with Sandbox(bundle, limits=RunLimits(max_record_bytes=20_000)) as sb:
        sb.launch()
        trace = sb.finish()
    assert 0 < len(trace.events) < 15 and trace.end.dropped_events > 0


# ---- the pieces ------------------------------------------------------------------------------------------------------
def test_deep_json_is_parsed_with_its_deep_part_kept_as_text():
    text = '{"a":' * 3_000 + '"mpsb-canary"' + "}" * 3_000
    value = loads(text)
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    assert depth == MAX_DEPTH and isinstance(value, str) and "mpsb-canary" in value
    assert loads('{"s": "[[[{", "n": [1, 2]}') == {"s": "[[[{", "n": [1, 2]}
    with pytest.raises(ValueError):
        loads("[" * 5_000)


def test_clipping_is_bounded_idempotent_and_says_what_was_cut():
    frame = Frame(file="a.js", line=1, function="g" * 100_000)
    assert len(frame.function) <= 200 and frame.function.endswith("chars)")
    assert Frame.model_validate(frame.model_dump()).function == frame.function
    assert clip(frame.function, 200) == frame.function
    assert len(summarize({str(i): {str(j): "x" * 1000 for j in range(30)} for i in range(30)}).__repr__()) < 200_000


def test_isolated_and_in_process_walks_record_the_same(engine_name):
    bundle = load_bundle(STORE)
    policy = resolve_policy(None, bundle.platform)
    args = dict(mode="allow", engine=engine_name, limits=run_limits(policy), budgets=walk_budgets(policy))
    isolated, local = run_walk(bundle, isolated=True, **args), run_walk(bundle, isolated=False, **args)
    assert isolated.trace.behaviour() == local.trace.behaviour()
    assert isolated.log == local.log and isolated.views == local.views
    assert isolated.stats.peak_rss_bytes > 0


def test_counts_that_grow_after_an_event_was_streamed_reach_the_reviewer(tmp_path, engine_name):
    """Folded repeats and caps count on after their event went to the reviewer: the walk's end sends them again."""
    page = ("Page({ onLoad() { setInterval(() => {}, 10); const poll = () => setTimeout(poll, 50); poll();"
            " for (let i = 0; i < 300; i++) console.log('line', i) } })")
    bundle = load_bundle(write_bundle(tmp_path, page))
    args = dict(mode="allow", engine=engine_name, limits=RunLimits(max_console=50, max_turns=3_000),
                budgets=walk_budgets(resolve_policy(None, bundle.platform)))
    isolated, local = run_walk(bundle, isolated=True, **args), run_walk(bundle, isolated=False, **args)
    folded = [e for e in local.trace.of_kind("timer") if e.times > 1]
    caps = local.trace.of_kind("cap")
    assert folded and caps and max(c.dropped for c in caps) > 1
    assert any(t.times > 1 for t in local.trace.turns)  # the polling chain's later turns, folded
    assert isolated.trace.behaviour() == local.trace.behaviour()


def test_review_isolation_is_an_option(monkeypatch):
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"turn": 5, "do": "memory"}))
    isolated = review(STORE, ReviewOptions(engine="native"))
    local = review(STORE, ReviewOptions(engine="native", isolation="none"))  # the hook lives in the walk process
    assert isolated.verdict.value == "reject" and local.runs[0].end_reason != "crashed"


def test_a_batch_worker_survives_a_crashing_bundle(monkeypatch):
    monkeypatch.setenv(TEST_FAULT_ENV, json.dumps({"turn": 3, "do": "abort"}))
    row, report_json, written = review_bundle(str(STORE), ReviewOptions(engine="native"))
    assert row["verdict"] == "reject" and row["exit_code"] == 2 and report_json is not None and not written
    assert row["worker_peak_rss_bytes"] <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_walks_at_once_follow_the_environment(monkeypatch):
    from mpsandbox.runtime.isolation import WALK_PROCESSES_ENV, WalkPool, _cores

    monkeypatch.setenv(WALK_PROCESSES_ENV, "1")
    assert WalkPool().parallel == 1
    monkeypatch.setenv(WALK_PROCESSES_ENV, "nonsense")
    assert WalkPool().parallel == _cores() >= 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["visit", "note", "fire", "skip-all", "send"]), st.text(max_size=3)),
                max_size=40))
def test_log_frames_carry_only_what_is_new_and_rebuild_the_whole_log(steps):
    # the child sends its log as deltas (a 300-page walk re-sending it whole at every fired handler wrote 512 MB);
    # the reviewer's merge is the child's log at every frame
    log, received, sent = WalkLog(mode="allow"), WalkLog(mode="allow"), {}
    sizes = []
    for op, text in steps + [("send", "")]:
        if op == "visit":
            log.pages_visited.append(text)
        elif op == "note":
            log.budget_notes.append(text)
        elif op == "fire":
            log.handlers_fired += 1
        elif op == "skip-all":
            log.pages_visited = log.pages_visited[:1]  # a list that shrank is sent whole
        else:
            delta, whole = log_delta(log, sent)
            received = delta if whole else merge_log(received, delta)
            assert received == log
            sizes.append(len(delta.pages_visited) + len(delta.budget_notes))
    if all(op != "skip-all" for op, _ in steps):  # each item sent once
        assert sum(sizes) == sum(op in ("visit", "note") for op, _ in steps)
