"""JSON report: round trip, determinism, schema."""

from __future__ import annotations

import json

import jsonschema

from mpsandbox.report.json_report import report_json_schema, to_json
from mpsandbox.review.model import REPORT_SCHEMA_VERSION, Evidence, Finding, Report, Severity

from ._factory import HOSTILE, make_report


def test_round_trips_through_the_model():
    report = make_report()
    assert Report.model_validate_json(to_json(report)) == report


def test_schema_is_valid_and_the_report_validates_against_it():
    schema = report_json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    assert schema["$schema"].startswith("https://json-schema.org/") and str(REPORT_SCHEMA_VERSION) in schema["$id"]
    assert f"schema version {REPORT_SCHEMA_VERSION}" in schema["title"]
    for report in (make_report(), make_report([]), make_report(error="boom")):
        cls(schema).validate(json.loads(to_json(report)))
    bad = json.loads(to_json(make_report()))
    bad["verdict"] = "maybe"
    assert not cls(schema).is_valid(bad)


def test_keys_sorted_and_deterministic():
    a, b = to_json(make_report()), to_json(make_report())
    assert a == b
    data = json.loads(a)

    def check(node):
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for v in node.values():
                check(v)
        elif isinstance(node, list):
            for v in node:
                check(v)

    check(data)
    # the only measured figure is wall_ms
    c = make_report()
    c.runs[0].wall_ms = 999.0
    diff = [(x, y) for x, y in zip(a.splitlines(), to_json(c).splitlines()) if x != y]
    assert len(diff) == 1 and "wall_ms" in diff[0][0]


def test_hostile_text_survives_exactly():
    report = make_report([Finding(rule="r", category="api", severity=Severity.INFO, message=HOSTILE,
                                  evidence=[Evidence(description=HOSTILE, value={"k": HOSTILE})])], name=HOSTILE)
    back = Report.model_validate_json(to_json(report))
    assert back.findings[0].message == HOSTILE and back.bundle.name == HOSTILE


def test_unencodable_values_still_give_json():
    report = make_report([Finding(rule="r", category="api", severity=Severity.INFO, message="lone \ud800 surrogate",
                                  evidence=[Evidence(description="d", value={"nan": float("nan"), "b": b"\xff"})])])
    text = to_json(report)
    text.encode("utf-8")  # always writable
    data = json.loads(text)
    assert data["findings"][0]["message"] == "lone \ud800 surrogate"


def test_coverage_is_in_the_schema_and_the_report():
    schema = report_json_schema()
    cov = schema["$defs"]["Coverage"]["properties"]
    for key in ("pages_declared", "pages_visited", "packages", "handlers_bound", "handlers_fired", "unknown_apis",
                "budget_notes", "errors_app", "errors_sandbox", "error_causes", "pages_redirected"):
        assert key in cov, key
    data = json.loads(to_json(make_report()))
    c = data["runs"][0]["coverage"]
    assert (c["pages_visited"], c["pages_declared"], c["handlers_fired"], c["handlers_bound"]) == (2, 3, 7, 9)
    assert c["errors_app"] == 2 and c["errors_sandbox"] == 1 and c["unknown_apis"] == ["tt.getFoo"]
    bad = json.loads(to_json(make_report()))
    bad["runs"][0]["coverage"]["errors_sandbox"] = "many"
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(bad)
