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


def cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "mpsandbox", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


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


@pytest.mark.parametrize("command", ["review", "run"])
def test_a_missing_bundle_is_a_usage_error_not_a_verdict(command):
    r = cli(command, str(B / "douyin-stor"), "--engine", "native")
    assert r.returncode == 3 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    assert "reject" not in r.stdout.lower()


def test_policy_typos_are_errors_with_did_you_mean(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[rules.orphan-timr]\nenabled = false\n[budgets]\ncpu_ms_totl = 5\n')
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--policy", str(p))
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert "did you mean 'cpu_ms_total'" in r.stderr and "Extra inputs" not in r.stderr
    p.write_text('[rules.orphan-timr]\nenabled = false\n')
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--policy", str(p))
    assert r.returncode == 3 and "rules.orphan-timr: no such rule (did you mean 'orphan-timer'" in r.stderr
    r = cli("review", str(B / "lifecycle-orphan-timer"), "--engine", "native", "--policy", "douyn")
    assert r.returncode == 3 and "did you mean 'douyin'" in r.stderr
    r = cli("rules", "orphan-timr")
    assert r.returncode == 3 and "did you mean 'orphan-timer'" in r.stderr


def test_allow_domain_takes_urls_and_refuses_nonsense_clearly():
    r = cli("review", str(B / "douyin-store"), "--engine", "native", "--format", "json",
            "--allow-domain", "https://API.example-store.com/v1/items")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["allow_domains"] == ["api.example-store.com"]
    assert report["runs"][0]["domains"][0]["domain"] == "api.example-store.com"
    assert report["runs"][0]["domains"][0]["allowed"] is True
    r = cli("review", str(B / "douyin-store"), "--engine", "native", "--allow-domain", "not a host!")
    assert r.returncode == 3 and "not a domain" in r.stderr and "internal error" not in r.stderr


def test_domains_and_the_missing_allow_list_are_always_reported():
    r = cli("review", str(B / "douyin-store"), "--engine", "native", "--format", "json")
    report = json.loads(r.stdout)
    assert report["allow_domains"] == [] and report["runs"][0]["domains"][0]["allowed"] is None
    assert report["runs"][0]["domains"][0]["calls"] >= 1 and report["runs"][0]["timeline"]["items"]
    text = cli("review", str(B / "douyin-store"), "--engine", "native").stdout
    assert "no allow-list was given" in text and "Domains contacted" in text and "api.example-store.com" in text


def test_run_of_a_page_that_does_not_exist_lists_the_pages():
    r = cli("run", str(B / "douyin-store"), "--page", "pages/menuu/menu")
    assert r.returncode == 3 and "did you mean 'pages/menu/menu'" in r.stderr and "pages/home/home" in r.stderr


def test_run_shows_page_data_and_bound_handlers_after_a_tap():
    r = cli("run", str(B / "douyin-store"), "--page", "pages/menu/menu", "--tap", "onCategoryTapp")
    assert r.returncode == 0, r.stderr
    assert "after tap onCategoryTapp on pages/menu/menu" in r.stdout and "onCategoryTap" in r.stdout
    assert "page data: {" in r.stdout


def test_color_flag_and_no_color():
    from mpsandbox.cli import _use_color

    class Tty:
        def isatty(self):
            return True

    assert "\x1b[" in cli("review", str(B / "douyin-store"), "--engine", "native", "--color", "always").stdout
    assert "\x1b[" not in cli("review", str(B / "douyin-store"), "--engine", "native").stdout
    assert _use_color(None, Tty()) is True and _use_color("never", Tty()) is False
    import os

    os.environ["NO_COLOR"] = "1"
    try:
        assert _use_color(None, Tty()) is False and _use_color("always", Tty()) is True
    finally:
        del os.environ["NO_COLOR"]


def test_mock_file_errors_speak_mpsandbox(tmp_path):
    m = tmp_path / "m.toml"
    m.write_text('[user]\npermision = "deny"\n')
    r = cli("review", str(B / "douyin-store"), "--engine", "native", "--mock", str(m))
    assert r.returncode == 3 and "user.permision: unknown key (did you mean 'permissions'?)" in r.stderr
    assert "Extra inputs" not in r.stderr


def test_many_formats_in_one_run_then_rendered_again_and_against_a_baseline(tmp_path):
    out = tmp_path / "out"
    bundle = str(B / "network-insecure-transport")
    r = cli("review", bundle, "--engine", "native", "--format", "json,sarif,junit,html",
            "--out-dir", str(out), "--trace-out", str(tmp_path / "walk.json"))
    assert r.returncode == 2, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["review.html", "review.json", "review.junit.xml", "review.sarif"]
    jsonschema.Draft7Validator(SARIF).validate(json.loads((out / "review.sarif").read_text()))
    ET.fromstring((out / "review.junit.xml").read_bytes())
    assert any(e.get("cat") == "api" for e in json.loads((tmp_path / "walk.json").read_text())["traceEvents"])
    r = cli("review", bundle, "--engine", "native", "--out", str(tmp_path / "a.sarif"),
            "--out", f"html={tmp_path / 'a.page'}")
    assert r.returncode == 2 and (tmp_path / "a.page").read_text().startswith("<!doctype html>")
    r = cli("report", str(out / "review.json"), "--format", "html", "--out", str(tmp_path / "again.html"))
    assert r.returncode == 2 and "insecure-transport" in (tmp_path / "again.html").read_text()
    r = cli("report", str(out / "review.json"), "--format", "sarif")
    assert r.returncode == 2 and json.loads(r.stdout)["version"] == "2.1.0"
    r = cli("review", bundle, "--engine", "native", "--baseline",
            str(out / "review.json"), "--format", "json")
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert again["verdict"] == "approve" and again["baseline"]["new"] == 0 and again["baseline"]["unchanged"] >= 1
    assert all(f["baseline"] == "unchanged" for f in again["findings"])
    r = cli("report", str(B / "douyin-store" / "app.json"))
    assert r.returncode == 3 and "not an mpsandbox JSON report" in r.stderr
    r = cli("review", str(B / "douyin-store"), "--format", "json,sarif")
    assert r.returncode == 3 and "--out-dir" in r.stderr
