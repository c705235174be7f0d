"""Policies: built-in profiles, TOML overrides with clear errors, and their effect on findings and verdicts."""

from __future__ import annotations

import pytest

from mpsandbox.review.audits import REGISTRY
from mpsandbox.review.model import CATEGORIES, Severity, Verdict, exit_code_for
from mpsandbox.review.policy import Policy, PolicyError, builtin_policy, load_policy, resolve_policy

from .helpers import fake, review_fake, rules_of


def test_builtin_profiles_follow_the_platform():
    assert resolve_policy(None, "tt").name == "douyin"
    assert resolve_policy(None, "wx").platform == "wx"
    alipay = resolve_policy(None, "my")
    assert alipay.thresholds.total_package_bytes < builtin_policy("douyin").thresholds.total_package_bytes
    with pytest.raises(PolicyError, match="unknown policy"):
        builtin_policy("nope")


def test_toml_overrides_thresholds_budgets_rules_and_allow_list(tmp_path):
    p = tmp_path / "ci.toml"
    p.write_text(
        'extends = "wechat"\nallow_domains = ["API.Example.com", "*.cdn.example.com"]\n'
        "[budgets]\ncpu_ms_total = 1000\n[thresholds]\nsetdata_warn_bytes = 1024\n"
        '[rules.unknown-api]\nseverity = "error"\n[rules.deprecated-api]\nenabled = false\n'
    )
    pol = load_policy(p)
    assert pol.platform == "wx" and pol.budgets.cpu_ms_total == 1000
    assert pol.budgets.memory_bytes == builtin_policy("wechat").budgets.memory_bytes  # untouched values kept
    assert pol.thresholds.setdata_warn_bytes == 1024
    assert pol.severity_of("unknown-api", Severity.WARNING) is Severity.ERROR
    assert not pol.enabled("deprecated-api")
    assert pol.domain_allowed("api.example.com") and pol.domain_allowed("a.cdn.example.com")
    assert not pol.domain_allowed("example.com.evil.net")


@pytest.mark.parametrize("text, message", [
    ("budgets = [", "invalid TOML"),
    ("[budgets]\ncpu_ms_total = -5", "budgets.cpu_ms_total"),
    ("[thresholds]\nsetdata_warn_bytes = 'big'", "thresholds.setdata_warn_bytes"),
    ("unknown_key = 1", "unknown_key"),
    ('allow_domains = ["ftp://x.com/path"]', "not a domain"),
    ('allow_domains = ["api example.com"]', "not a domain"),
    ("[budgets]\ncpu_ms_totl = 5", "budgets.cpu_ms_totl: unknown key (did you mean 'cpu_ms_total'"),
    ('[rules.unknown-apii]\nseverity = "error"', "rules.unknown-apii: no such rule (did you mean 'unknown-api'?)"),
    ('[rules.unknown-api]\nseverty = "error"', "rules.unknown-api.severty: unknown key (did you mean 'severity'?)"),
    ('[rules.unknown-api]\nseverity = "fatal"', "rules.unknown-api.severity"),
    ('extends = "nope"', "unknown policy"),
])
def test_bad_policy_files_say_where(tmp_path, text, message):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(p)
    assert message in str(info.value) and str(p) in str(info.value)
    assert "Extra inputs" not in str(info.value) and "Value error" not in str(info.value)


@pytest.mark.parametrize("given, host", [
    ("https://api.example.com/v1/x?y=1", "api.example.com"),
    ("API.Example.com.", "api.example.com"),
    ("api.example.com:8443", "api.example.com"),
    ("wss://ws.example.com", "ws.example.com"),
    ("*.cdn.example.com", "*.cdn.example.com"),
])
def test_allow_list_entries_are_normalised_to_hosts(given, host):
    from mpsandbox.review.policy import normalise_domain

    assert normalise_domain(given) == host
    assert Policy(name="p", platform="tt", allow_domains=[given]).allow_domains == [host]


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "none.toml")


def test_severity_override_changes_the_verdict(tmp_path):
    bundle = fake({"pages/a/a": "Page({ onLoad() { tt.getHostSecret && 1 } })"})
    assert review_fake(bundle).verdict is Verdict.FLAG
    p = tmp_path / "strict.toml"
    p.write_text('[rules.unknown-api]\nseverity = "error"\n')
    assert review_fake(bundle, policy=load_policy(p)).verdict is Verdict.REJECT
    p.write_text("[rules.unknown-api]\nenabled = false\n")
    report = review_fake(bundle, policy=load_policy(p))
    assert report.verdict is Verdict.APPROVE and "unknown-api" not in rules_of(report)
    assert next(r for r in report.rules if r.id == "unknown-api").enabled is False


def test_exit_codes_and_fail_on():
    assert [exit_code_for(v) for v in Verdict] == [0, 1, 2]
    assert exit_code_for(Verdict.FLAG, "reject") == 0
    assert exit_code_for(Verdict.REJECT, "reject") == 2


def test_every_audit_is_documented_in_a_known_category():
    assert {a.category for a in REGISTRY.values()} == set(CATEGORIES)
    for a in REGISTRY.values():
        assert a.id == a.id.lower() and " " not in a.id
        assert len(a.title) > 5 and len(a.description) > 40 and len(a.fix) > 10, a.id
