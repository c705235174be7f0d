"""JUnit XML: parsed back, counts consistent, hostile text survives."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mpsandbox.report.junit import to_junit
from mpsandbox.report.render import render
from mpsandbox.review.model import Evidence, Finding, Location, Severity

from ._factory import HOSTILE, RULES, make_report


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    for attr in ("tests", "failures", "errors", "skipped"):
        assert root.get(attr) == suite.get(attr)
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
    assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
    return suite


@pytest.mark.parametrize("fail_on, failed", [("reject", {"data-to-network"}),
                                             ("flag", {"data-to-network", "orphan-timer", "plain-http"})])
def test_counts_and_failures(fail_on, failed):
    suite = _suite(render(make_report(), "junit", fail_on=fail_on))
    assert suite.get("name") == "mpsandbox review: shop"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [r.id for r in RULES]
    assert {n for n, c in cases.items() if c.find("failure") is not None} == failed
    assert cases["data-to-network"].get("classname") == "mpsandbox.privacy"
    assert cases["data-to-network"].find("failure").get("type") == "error"
    text = cases["data-to-network"].find("failure").text
    assert "pages/a/a.js:12:5" in text and "[allow] t=3000ms" in text and "utils/api.js:3" in text
    assert cases["setdata-rate"].find("skipped") is not None and suite.get("skipped") == "1"
    timer = cases["orphan-timer"]
    if fail_on == "reject":
        assert timer.find("failure") is None and "interval after unload" in timer.find("system-out").text
        assert timer.find("properties/property[@name='warnings']").get("value") == "1"
    else:
        assert timer.find("failure").get("type") == "warning"
    assert cases["deprecated-api"].find("failure") is None and cases["deprecated-api"].find("system-out") is not None
    assert float(suite.get("time")) == pytest.approx(0.1255, abs=1e-3)
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["verdict"] == "reject" and props["fail_on"] == fail_on


def test_default_is_fail_on_reject():
    assert _suite(to_junit(make_report())).get("failures") == "1"
    with pytest.raises(ValueError):
        to_junit(make_report(), fail_on="never")


def test_empty_and_error_reports():
    suite = _suite(to_junit(make_report([], rules=[])))
    assert suite.get("tests") == "0" and suite.get("failures") == "0"
    suite = _suite(to_junit(make_report([], error="engine crashed")))
    assert suite.get("errors") == "1" and "engine crashed" in suite.find("testcase/error").text


def test_hostile_strings_survive():
    f = Finding(rule="data-to-network", category="privacy", severity=Severity.ERROR, message=HOSTILE,
                location=Location(file=HOSTILE, line=3),
                evidence=[Evidence(description=HOSTILE, value=HOSTILE, page=HOSTILE, stack=[Location(file=HOSTILE)])])
    xml = to_junit(make_report([f], name=HOSTILE, problems=[HOSTILE], error=HOSTILE))
    for bad in ("\x1b", "\x00", "\u202e", "\x07"):
        assert bad not in xml
    suite = _suite(xml)
    failure = suite.find("testcase[@name='data-to-network']/failure")
    assert "<script>alert(1)</script>" in failure.text and "]]>" in failure.text  # escaped, parsed back intact
    assert "\\x1b[31m" in failure.get("message")
    assert "\nforged" not in failure.text and "\nforged" not in suite.get("name")


def test_coverage_properties():
    root = ET.fromstring(to_junit(make_report()))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["coverage.allow.pages"] == "2/3" and props["coverage.allow.handlers"] == "7/9"
    assert props["coverage.allow.errors_sandbox"] == "1" and props["coverage.allow.unknown_apis"] == "tt.getFoo"
    assert props["coverage.allow.package.sub"] == "0/1" and props["coverage.allow.budget_notes"] == "1"
