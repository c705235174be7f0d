"""Arbitrary text anywhere a bundle can put it never breaks a renderer."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.report.render import FORMATS, render
from mpsandbox.review.model import CATEGORIES, Evidence, Finding, Location, Report, Severity

from ._factory import SARIF_SCHEMA, make_report

VALIDATOR = jsonschema.Draft7Validator(SARIF_SCHEMA)
# all of Unicode, surrogates excepted (a bundle's strings reach Python as UTF-8), plus the nasty bits explicitly
TEXT = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
                          st.sampled_from(["\x1b[31m", "\x00", "]]>", "<script>", "\u202e", "\r\n", "&#0;", "\n"])),
                max_size=8).map("".join)
VALUES = st.one_of(st.none(), TEXT, st.integers(), st.dictionaries(TEXT, TEXT, max_size=3), st.lists(TEXT, max_size=3))
LOCATIONS = st.builds(Location, file=TEXT, line=st.one_of(st.none(), st.integers(-5, 10**7)),
                      column=st.one_of(st.none(), st.integers(-5, 500)), function=st.one_of(st.none(), TEXT))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=TEXT, description=TEXT, page=st.one_of(st.none(), TEXT), value=VALUES, name=TEXT,
       location=st.one_of(st.none(), LOCATIONS), stack=st.lists(LOCATIONS, max_size=3), rule=TEXT,
       category=st.sampled_from(CATEGORIES), severity=st.sampled_from(list(Severity)), problem=TEXT)
def test_any_text_renders_in_every_format(message, description, page, value, name, location, stack, rule, category,
                                          severity, problem):
    f = Finding(rule=rule or "r", category=category, severity=severity, message=message, location=location,
                fingerprint=message[:10],
                evidence=[Evidence(description=description, page=page, value=value, location=location, stack=stack)])
    report = make_report([f], name=name, problems=[problem])
    out = {fmt: render(report, fmt) for fmt in FORMATS}
    for text in out.values():
        assert isinstance(text, str) and text
        text.encode("utf-8")
    for fmt in ("text", "html", "junit", "sarif"):
        for bad in ("\x1b", "\x00", "\u202e"):
            assert bad not in out[fmt], (fmt, bad)
    assert all(not line.startswith(("forged", "<script")) for line in out["text"].splitlines())
    assert "<script>" not in out["html"]
    VALIDATOR.validate(json.loads(out["sarif"]))
    root = ET.fromstring(out["junit"].encode("utf-8"))
    assert root.find("testsuite") is not None
    back = Report.model_validate_json(out["json"])
    assert back.findings[0].message == message and back.bundle.name == name


def test_lone_surrogates_are_writable_in_every_format():
    f = Finding(rule="r", category="api", severity=Severity.WARNING, message="bad \ud800 text",
                location=Location(file="a\udfff.js", line=1),
                evidence=[Evidence(description="d \ud800", value={"k\ud800": "v\udfff"}, page="p\ud800")])
    report = make_report([f], name="n\ud800", problems=["p\ud800"])
    for fmt in FORMATS:
        render(report, fmt).encode("utf-8")
    VALIDATOR.validate(json.loads(render(report, "sarif")))
    ET.fromstring(render(report, "junit").encode("utf-8"))
