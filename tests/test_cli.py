"""The command line: run, review (formats, exit codes, --fail-on, --deny, policies, mocks), rules, schema."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
B = ROOT / "fixtures" / "bundles"
SARIF = json.loads((ROOT / "fixtures" / "schemas" / "sarif-schema-2.1.0.json").read_text())


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mpsandbox", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_run_prints_a_summary_and_writes_the_trace(tmp_path):
    out = tmp_path / "trace.json"
    r = cli("run", str(B / "douyin-store"), "--page", "pages/menu/menu", "--tap", "onCategoryTap?id=2",
            "--trace-out", str(out))
    assert r.returncode == 0, r.stderr
    assert "douyin-store" in r.stdout and "onCategoryTap" in r.stdout
    trace = json.loads(out.read_text())
    assert trace["platform"] == "tt" and any(e["kind"] == "user" and e["handler"] == "onCategoryTap"
                                             for e in trace["events"])


def test_run_bundle_error_exit_code():
    r = cli("run", str(B / "broken-json"))
    assert r.returncode == 2 and "invalid-json" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("bundle, code, verdict", [
    ("douyin-store", 0, "approve"),
    ("lifecycle-orphan-timer", 1, "flag"),
    ("network-insecure-transport", 2, "reject"),
])
def test_review_exit_codes(bundle, code, verdict):
    r = cli("review", str(B / bundle), "--allow-domain", "api.example-store.com", "--engine", "native",
            "--format", "json")
    assert r.returncode == code, r.stderr
    assert json.loads(r.stdout)["verdict"] == verdict


def test_fail_on_reject_lets_a_flag_pass():
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--fail-on", "reject")
    assert r.returncode == 0 and "FLAG" in r.stdout


def test_unloadable_bundle_still_gets_a_report(tmp_path):
    r = cli("review", str(ROOT / "fixtures" / "archives" / "zip-slip.zip"), "--engine", "native", "--format", "json")
    assert r.returncode == 2
    report = json.loads(r.stdout)
    assert report["verdict"] == "reject" and report["findings"][0]["rule"] == "bundle-unloadable"
    assert report["findings"][0]["category"] == "bundle"


def test_formats_written_to_files(tmp_path):
    for fmt in ("sarif", "junit", "html", "text"):
        out = tmp_path / f"r.{fmt}"
        r = cli("review", str(B / "privacy-location-to-network"), "--allow-domain", "api.example.com",
                "--engine", "native", "--format", fmt, "--out", str(out))
        assert r.returncode == 2 and "reject" in r.stderr
    jsonschema.Draft7Validator(SARIF).validate(json.loads((tmp_path / "r.sarif").read_text()))
    ET.fromstring((tmp_path / "r.junit").read_bytes())
    assert "data-to-network" in (tmp_path / "r.html").read_text()
    assert "privacy" in (tmp_path / "r.text").read_text()


def test_deny_walk_is_reported_next_to_the_allow_walk():
    r = cli("review", str(B / "permission-reprompt-after-denial"), "--engine", "native", "--deny", "--format", "json")
    report = json.loads(r.stdout)
    assert [run["mode"] for run in report["runs"]] == ["allow", "deny"]
    assert any(f["rule"] == "reprompt-after-denial" and f["evidence"][0]["run"] == "deny" for f in report["findings"])


def test_policy_file_and_bad_policy(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[rules.orphan-timer]\nenabled = false\n')
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--policy", str(p))
    assert r.returncode == 0, r.stdout
    p.write_text("[budgets]\ncpu_ms_total = 'lots'\n")
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--policy", str(p))
    assert r.returncode == 3 and "budgets.cpu_ms_total" in r.stderr and "Traceback" not in r.stderr


def test_mock_file_and_bad_mock(tmp_path):
    m = tmp_path / "m.toml"
    m.write_text('[user]\npermissions = "deny"\n')
    r = cli("run", str(B / "permission-undeclared-scope-ok"), "--tap", "go", "--mock", str(m), "--json")
    assert r.returncode == 0
    trace = json.loads(r.stdout)
    assert any(e["kind"] == "permission" and e["decision"] == "denied" for e in trace["events"])
    m.write_text('[user]\npermissions = "sometimes"\n')
    r = cli("review", str(B / "douyin-store"), "--engine", "native", "--mock", str(m))
    assert r.returncode == 3 and "user.permissions" in (r.stderr + r.stdout)


def test_rules_and_schema():
    r = cli("rules", "--json")
    rules = json.loads(r.stdout)
    assert len(rules) >= 40 and {"id", "category", "severity", "description", "fix"} <= set(rules[0])
    r = cli("rules", "hardcoded-secret")
    assert "Fix" in r.stdout and "APP_SECRET" in r.stdout
    assert cli("rules", "no-such-rule").returncode == 3
    schema = json.loads(cli("schema").stdout)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert "findings" in schema["properties"] and "verdict" in schema["properties"]


def test_usage_errors_exit_3():
    r = cli("review")
    assert r.returncode == 3 and "Missing argument" in r.stderr
