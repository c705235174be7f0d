"""Every report format over hand-built reports: schemas, SARIF validity, JUnit well-formedness, hostile text."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.report.json_report import report_json_schema, to_json
from mpsandbox.report.render import FORMATS, render
from mpsandbox.report.sarif import to_sarif
from mpsandbox.review.audits import REGISTRY
from mpsandbox.review.model import (
    CATEGORIES,
    BundleSummary,
    Evidence,
    Finding,
    Location,
    Report,
    RunFigures,
    Severity,
    verdict_for,
)

SARIF_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures/schemas/sarif-schema-2.1.0.json").read_text())
HOSTILE = "<script>alert(1)</script> \x1b[31mRED\x1b[0m ]]> \x00 \u202eevil\u202c \r\nforged: approve"


def make_report(findings: list[Finding] | None = None, name: str = "shop") -> Report:
    findings = findings if findings is not None else [
        Finding(rule="data-to-network", category="privacy", severity=Severity.ERROR,
                message="location from getLocation reaches request → tracker.example",
                location=Location(file="pages/a/a.js", line=12, column=5, function="go"),
                evidence=[Evidence(description="flow", run="allow", t=3000, page="pages/a/a",
                                   location=Location(file="pages/a/a.js", line=12, column=5),
                                   stack=[Location(file="pages/a/a.js", line=12), Location(file="utils/api.js", line=3)],
                                   value={"destination": "tracker.example"})]),
        Finding(rule="orphan-timer", category="lifecycle", severity=Severity.WARNING, message="interval after unload",
                evidence=[Evidence(description="timer fired", run="deny", t=9000)]),
        Finding(rule="deprecated-api", category="api", severity=Severity.INFO, message="my.httpRequest is deprecated"),
    ]
    verdict = verdict_for(findings)
    return Report(
        tool_version="0.1.0",
        bundle=BundleSummary(name=name, platform="tt", files=3, total_bytes=1000, main_bytes=1000, pages=1),
        policy="douyin",
        verdict=verdict,
        findings=findings,
        counts={s.value: sum(1 for f in findings if f.severity is s) for s in Severity},
        runs=[RunFigures(mode="allow", engine="native", cpu_unit="poll", pages_visited=["pages/a/a"], api_calls=4,
                         api_calls_by_group={"framework": 3, "conversion": 1}),
              RunFigures(mode="deny", engine="native", cpu_unit="poll")],
        rules=[a.info() for a in REGISTRY.values()],
    )


def test_json_round_trips_and_validates_against_its_schema():
    report = make_report()
    text = to_json(report)
    assert Report.model_validate_json(text) == report
    schema = report_json_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    jsonschema.validate(json.loads(text), schema)
    assert "version" in schema["title"] or "schema version" in schema["title"]


@pytest.mark.parametrize("findings", [None, [], "hostile", "many"])
def test_sarif_is_valid_2_1_0(findings):
    if findings == "hostile":
        findings = [Finding(rule="hardcoded-secret", category="secret", severity=Severity.ERROR, message=HOSTILE,
                            location=Location(file="weird dir/#x?.js", line=1),
                            evidence=[Evidence(description=HOSTILE, location=Location(file=HOSTILE, line=None))])]
    elif findings == "many":
        findings = [Finding(rule=a.id, category=a.category, severity=a.severity, message=f"m{i}",
                            location=Location(file=f"f{i}.js", line=i + 1) if i % 2 else None)
                    for i, a in enumerate(REGISTRY.values())]
    report = make_report(findings)
    doc = to_sarif(report)
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"].get("region")
        assert region is None or region["startLine"] >= 1
    assert run["properties"]["verdict"] == report.verdict.value


def test_sarif_regions_only_when_the_line_is_known():
    doc = to_sarif(make_report())
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    located = results["data-to-network"]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"] == "pages/a/a.js" and located["region"] == {"startLine": 12, "startColumn": 5}
    unlocated = results["orphan-timer"]["locations"][0]["physicalLocation"]
    assert unlocated["artifactLocation"]["uri"] == "app.json" and "region" not in unlocated


@pytest.mark.parametrize("fail_on, failures", [("reject", 1), ("flag", 2)])
def test_junit_counts_and_failures(fail_on, failures):
    xml = render(make_report(), "junit", fail_on=fail_on)
    root = ET.fromstring(xml.encode())
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == len(REGISTRY)
    assert int(suite.get("failures")) == failures == len(suite.findall(".//failure"))
    failed = {c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert "data-to-network" in failed and (("orphan-timer" in failed) == (fail_on == "flag"))


def test_text_groups_by_category_and_shows_the_verdict():
    text = render(make_report(), "text")
    assert "REJECT" in text and "1 error(s), 1 warning(s), 1 info" in text
    order = [text.index(f"\n{c}\n") for c in ("privacy", "lifecycle", "api") if f"\n{c}\n" in text]
    assert order == sorted(order) and len(order) == 3
    assert "pages/a/a.js:12:5" in text and "\x1b" not in text
    assert "The walks" in text and "conversion" in text


def test_hostile_text_is_neutralised_everywhere():
    finding = Finding(rule="uncaught-error", category="stability", severity=Severity.ERROR, message=HOSTILE,
                      evidence=[Evidence(description=HOSTILE, value=HOSTILE)])
    report = make_report([finding], name=HOSTILE)
    text = render(report, "text")
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "\nforged: approve" not in text  # a bundle cannot start a line of its own
    html = render(report, "html")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    ET.fromstring(render(report, "junit").encode())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(json.loads(render(report, "sarif")))
    assert Report.model_validate_json(render(report, "json")).findings[0].message == HOSTILE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.text(max_size=200), description=st.text(max_size=100), file=st.text(min_size=1, max_size=40),
       line=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
       category=st.sampled_from(CATEGORIES), severity=st.sampled_from(list(Severity)))
def test_any_text_renders_in_every_format(message, description, file, line, category, severity):
    f = Finding(rule="r-" + category, category=category, severity=severity, message=message,
                location=Location(file=file, line=line), evidence=[Evidence(description=description)])
    report = make_report([f])
    for fmt in FORMATS:
        out = render(report, fmt)
        assert isinstance(out, str) and out
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(to_sarif(report))
    ET.fromstring(render(report, "junit").encode())
    assert not re.search(r"<script", render(report, "html").replace("&lt;script", ""), re.I) or "<script" not in message
