"""The experience score: measured and audit checks, weights, the --min-score gate in every output."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mpsandbox.report.render import render
from mpsandbox.review import ReviewOptions, review
from mpsandbox.review.score import CHECKS, GROUPS, Check, apply_score_gate

BUNDLES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


def _review(name: str, **kw):
    return review(BUNDLES / name, ReviewOptions(engine="native", **kw))


def _check(report, cid):
    return next(c for c in report.score.checks if c.id == cid)


def test_grade_is_linear_between_good_and_poor():
    c = Check("x", "performance", "x", 1, (), lambda art: None, good=100, poor=300)
    assert (c.grade(50), c.grade(100), c.grade(200), c.grade(300), c.grade(900)) == (1.0, 1.0, 0.5, 0.0, 0.0)


def test_every_check_belongs_to_a_group_and_has_a_weight():
    assert {c.group for c in CHECKS} == set(GROUPS)
    assert all(c.weight > 0 for c in CHECKS)
    assert abs(sum(w for _, w in GROUPS.values()) - 1.0) < 1e-9
    assert all(c.poor > c.good for c in CHECKS if c.measure is not None)


def test_a_clean_bundle_scores_full_marks_with_its_figures():
    r = _review("douyin-store", allow_domains=["api.example-store.com"])
    assert r.score is not None and r.score.score == 100
    assert all(g.score == 100 for g in r.score.groups)
    assert "request(s) failed" in _check(r, "no-failed-requests").value
    assert _check(r, "lazy-code-loading").score is None  # a WeChat check on a Douyin bundle


@pytest.mark.parametrize("bundle, check", [
    ("performance-slow-launch", "launch-time"),
    ("performance-long-turn", "script-run"),
    ("performance-setdata-size", "setdata-size"),
    ("stability-uncaught-error", "no-js-errors"),
    ("package-missing-page", "pages-load"),
])
def test_a_problem_lowers_its_check_and_the_total(bundle, check):
    bad = _review(bundle)
    ok = _review(bundle + "-ok" if (BUNDLES / (bundle + "-ok")).is_dir() else "douyin-store")
    assert _check(bad, check).score < 1
    assert bad.score.score < ok.score.score


def test_audit_failures_name_the_audits_that_fed_the_check():
    r = _review("performance-setdata-frequency")
    c = _check(r, "setdata-rate")
    assert c.score == 0 and c.failed_audits == ["setdata-frequency"]


def test_an_unloadable_bundle_has_no_score(tmp_path):
    assert review(tmp_path / "missing", ReviewOptions(engine="native")).score is None


def test_the_gate_raises_the_exit_code_only_below_the_minimum():
    r = _review("performance-setdata-size-ok")
    assert r.verdict.value == "approve" and 0 < r.score.score < 100
    assert apply_score_gate(r.score, r.score.score, 0) == 0 and r.score.passed
    assert apply_score_gate(r.score, r.score.score + 1, 0) == 1 and r.score.passed is False
    assert apply_score_gate(r.score, 100, 2) == 2  # a reject stays a reject
    assert apply_score_gate(None, 100, 0) == 0


def test_the_gate_shows_in_json_junit_sarif_text_and_html():
    r = _review("performance-setdata-size-ok", min_score=100)
    assert r.exit_code == 1 and r.score.minimum == 100 and r.score.passed is False
    assert json.loads(render(r, "json"))["score"]["minimum"] == 100
    suite = ET.fromstring(render(r, "junit")).find("testsuite")
    case = next(c for c in suite.iter("testcase") if c.get("name") == "experience-score")
    assert case.find("failure") is not None and "below the minimum 100" in case.find("failure").get("message")
    assert json.loads(render(r, "sarif"))["runs"][0]["properties"]["experienceScore"]["score"] == r.score.score
    assert f"experience score {r.score.score}/100" in render(r, "text") and "BELOW the minimum 100" in render(r, "text")
    html = render(r, "html")
    assert 'id="score"' in html and "Small setData payloads" in html


def test_cli_min_score_gates_an_approved_bundle():
    def run(*extra):
        return subprocess.run([sys.executable, "-m", "mpsandbox", "review", str(BUNDLES / "performance-setdata-size-ok"),
                               "--engine", "native", "--format", "json", *extra], capture_output=True, text=True)
    below, met = run("--min-score", "100"), run("--min-score", "50")
    assert (below.returncode, met.returncode) == (1, 0), below.stderr
    assert json.loads(below.stdout)["verdict"] == "approve"
    bad = run("--min-score", "101")
    assert bad.returncode != 0 and "101 is not in the range" in bad.stderr
