"""Several formats per run, baselines, and the Chrome trace export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.report.baseline import BaselineError, apply_baseline, load_report
from mpsandbox.report.chrome_trace import to_chrome_trace
from mpsandbox.report.json_report import to_json
from mpsandbox.report.outputs import Output, OutputError, plan_outputs
from mpsandbox.report.render import render
from mpsandbox.review.model import Finding, Severity, Verdict

from ._factory import make_report


def test_output_plans():
    assert plan_outputs(None, (), None) == [Output("text", None)]
    assert plan_outputs("sarif", ("r.txt",), None) == [Output("sarif", Path("r.txt"))]  # one of each: as before
    assert plan_outputs(None, ("a.sarif", "b.html", "junit=c.out", "d.junit.xml"), None) == [
        Output("sarif", Path("a.sarif")), Output("html", Path("b.html")), Output("junit", Path("c.out")),
        Output("junit", Path("d.junit.xml"))]
    assert plan_outputs("json, sarif,html", (), Path("o")) == [
        Output("json", Path("o/review.json")), Output("sarif", Path("o/review.sarif")),
        Output("html", Path("o/review.html"))]
    assert plan_outputs("json,sarif", ("x.json",), Path("o")) == [Output("json", Path("x.json")),
                                                                  Output("sarif", Path("o/review.sarif"))]
    for fmts, outs, message in [("sarf", (), "did you mean 'sarif'"), ("json,sarif", (), "--out-dir"),
                                (None, ("report.pdf",), "FMT=FILE"), ("json,html", ("a.json",), "html")]:
        with pytest.raises(OutputError, match=message):
            plan_outputs(fmts, outs, None)


def _finding(rule: str, fp: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule=rule, category="network", severity=severity, message=rule, fingerprint=fp)


def test_baseline_marks_new_unchanged_and_fixed_and_gates_on_new_only():
    old = make_report([_finding("plain-http", "a"), _finding("eval-call", "gone", Severity.ERROR)])
    now = make_report([_finding("plain-http", "a"), _finding("orphan-timer", "b", Severity.WARNING)])
    assert now.verdict is Verdict.REJECT
    out = apply_baseline(now, old, "old.json")
    assert [(f.rule, f.baseline) for f in out.findings] == [("plain-http", "unchanged"), ("orphan-timer", "new")]
    assert out.verdict is Verdict.FLAG and out.exit_code == 1 and out.counts["error"] == 0
    assert [f.rule for f in out.baseline.fixed] == ["eval-call"]
    assert out.baseline.verdict_without_baseline is Verdict.REJECT
    assert apply_baseline(now, old, "old.json", "reject").exit_code == 0
    text = render(out, "text")
    assert "1 new, 1 unchanged" in text and "orphan-timer" in text and "plain-http" not in text.split("Fixed")[0]
    sarif = json.loads(render(out, "sarif"))
    assert {r["ruleId"]: r["baselineState"] for r in sarif["runs"][0]["results"]} == {
        "plain-http": "unchanged", "orphan-timer": "new"}
    assert "1 new finding(s) shown" in render(out, "html")
    same = apply_baseline(old, old, "old.json")
    assert same.verdict is Verdict.APPROVE and same.exit_code == 0


def test_saved_reports_load_back_and_bad_ones_are_clear(tmp_path):
    saved = tmp_path / "r.json"
    saved.write_text(to_json(make_report()))
    assert load_report(saved) == make_report()
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    for name, message in [("bad.json", "not JSON"), ("other.json", "not an mpsandbox JSON report"),
                          ("missing.json", "no such file")]:
        with pytest.raises(BaselineError, match=message):
            load_report(tmp_path / name)


def test_chrome_trace_of_a_real_walk():
    from mpsandbox.bundle import load_bundle
    from mpsandbox.runtime.sandbox import Sandbox

    root = Path(__file__).resolve().parents[2]
    with Sandbox(load_bundle(root / "fixtures/bundles/douyin-store"), engine="native") as sb:
        sb.launch()
        sb.run(until=2_000)  # the home page polls on an interval: stop the clock before the tap
        sb.tap("onSearch")
        sb.run(until=4_000)
        trace = sb.finish()
    doc = json.loads(json.dumps(to_chrome_trace([("allow", trace)], {"allow": 30.0})))
    events = doc["traceEvents"]
    threads = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert threads == {"turns", "pages", "user", "api", "setData", "timers", "errors"}
    for e in events:  # every event is well formed for the Trace Event format
        assert e["ph"] in "MXibe" and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        if e["ph"] != "M":
            assert e["ts"] >= 0 and (e["ph"] != "X" or e["dur"] > 0)
    turns = [e for e in events if e["ph"] == "X" and e["cat"] == "turn"]
    assert len(turns) == len(trace.turns)
    assert all(a["ts"] + a["dur"] <= b["ts"] + 1e-6 for a, b in zip(turns, turns[1:]))  # end to end, no overlap
    names = {(e["cat"], e["name"]) for e in events if e["ph"] == "X"}
    assert ("user", "tap onSearch") in names and ("page", "pages/home/home") in names
    assert any(c == "api" for c, _ in names) and any(c == "setData" for c, _ in names)
    begins = {e["id"] for e in events if e["ph"] == "b"}
    assert begins and begins == {e["id"] for e in events if e["ph"] == "e"}
