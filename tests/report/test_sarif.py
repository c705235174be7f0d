"""SARIF 2.1.0, validated against the official schema (fixtures/schemas/sarif-schema-2.1.0.json)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mpsandbox.report.render import render
from mpsandbox.report.sarif import bundle_uri, camel, to_sarif
from mpsandbox.review.audits import REGISTRY
from mpsandbox.review.model import Evidence, Finding, Location, Severity

from ._factory import HOSTILE, ROOT, SARIF_SCHEMA, make_report

VALIDATOR = jsonschema.Draft7Validator(SARIF_SCHEMA)


def _hostile():
    return [Finding(rule="hardcoded-secret", category="secret", severity=Severity.ERROR, message=HOSTILE,
                    location=Location(file="weird dir/#x?.js", line=1, column=0, function=HOSTILE),
                    fingerprint=HOSTILE,
                    evidence=[Evidence(description=HOSTILE, value=HOSTILE, page=HOSTILE,
                                       location=Location(file=HOSTILE, line=None),
                                       stack=[Location(file="../../etc/passwd", line=-3),
                                              Location(file="C:\\x\\y.js", line=2)])])]


def _many():
    return [Finding(rule=a.id, category=a.category, severity=a.severity, message=f"m{i}" * (i % 50),
                    location=Location(file=f"f{i}.js", line=i + 1) if i % 2 else None)
            for i, a in enumerate(list(REGISTRY.values()) * 5)]


@pytest.mark.parametrize("kind", ["default", "empty", "hostile", "many", "error", "registry-rules"])
def test_valid_against_the_official_schema(kind):
    report = {
        "default": lambda: make_report(),
        "empty": lambda: make_report([], rules=[]),
        "hostile": lambda: make_report(_hostile(), name=HOSTILE, problems=[HOSTILE]),
        "many": lambda: make_report(_many(), rules=[a.info() for a in REGISTRY.values()]),
        "error": lambda: make_report([], error=HOSTILE),
        "registry-rules": lambda: make_report(rules=[a.info() for a in REGISTRY.values()]),
    }[kind]()
    doc = json.loads(render(report, "sarif"))
    VALIDATOR.validate(doc)
    assert doc["version"] == "2.1.0" and doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"], "GitHub code scanning needs a location"
        region = result["locations"][0]["physicalLocation"].get("region")
        assert region is None or region["startLine"] >= 1
        assert result["partialFingerprints"]
    assert run["properties"]["verdict"] == report.verdict.value
    assert run["invocations"][0]["executionSuccessful"] is (report.error is None)
    assert "BUNDLEROOT" in run["originalUriBaseIds"]


def test_rule_descriptors():
    doc = to_sarif(make_report())
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    d = rules["data-to-network"]
    assert d["name"] == "DataToNetwork" and d["shortDescription"]["text"] == "Title of data-to-network"
    assert d["fullDescription"]["text"].startswith("What data-to-network")
    assert "How to fix" in d["help"]["text"] and "**Fix:**" in d["help"]["markdown"]
    assert "```js" in d["help"]["markdown"] and "wx.request" in d["help"]["markdown"]
    assert d["defaultConfiguration"]["level"] == "error" and d["properties"]["category"] == "privacy"
    assert "security" in d["properties"]["tags"]
    assert rules["deprecated-api"]["defaultConfiguration"]["level"] == "note"
    assert rules["setdata-rate"]["defaultConfiguration"]["enabled"] is False


def test_regions_only_when_the_line_is_known():
    doc = to_sarif(make_report())
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    located = results["data-to-network"]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"] == {"uri": "pages/a/a.js", "uriBaseId": "BUNDLEROOT"}
    assert located["region"] == {"startLine": 12, "startColumn": 5}
    file_only = results["plain-http"]["locations"][0]["physicalLocation"]
    assert file_only["artifactLocation"]["uri"] == "utils/api.js" and "region" not in file_only
    unlocated = results["orphan-timer"]["locations"][0]["physicalLocation"]
    assert unlocated["artifactLocation"]["uri"] == "app.json" and unlocated["region"] == {"startLine": 1}
    assert results["data-to-network"]["level"] == "error" and results["deprecated-api"]["level"] == "note"
    assert results["data-to-network"]["partialFingerprints"]["mpsandbox/v1"].startswith("data-to-network:")


def test_related_locations_from_evidence_stacks():
    result = next(r for r in to_sarif(make_report())["runs"][0]["results"] if r["ruleId"] == "data-to-network")
    related = result["relatedLocations"]
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in related] == ["utils/api.js", "pages/a/a.js"]
    assert related[0]["physicalLocation"]["region"] == {"startLine": 3}
    assert len({r["id"] for r in related}) == len(related)
    assert any("tracker.example" in e for e in result["properties"]["evidence"])


def test_a_finding_from_an_unlisted_rule_gets_a_descriptor():
    f = Finding(rule="not-listed", category="api", severity=Severity.WARNING, message="m")
    doc = to_sarif(make_report([f]))
    VALIDATOR.validate(doc)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "not-listed"


def test_uris_and_names():
    assert bundle_uri("pages/a b/#x?.js") == "pages/a%20b/%23x%3F.js"
    assert bundle_uri("../../etc/passwd") == "etc/passwd"
    assert bundle_uri("C:\\x\\y.js") == "C%3A/x/y.js"
    assert bundle_uri("页面/首页.js") == "%E9%A1%B5%E9%9D%A2/%E9%A6%96%E9%A1%B5.js"
    assert camel("data-to-network") == "DataToNetwork" and camel("a_b.c") == "ABC"


def test_hostile_text_is_neutralised():
    doc = to_sarif(make_report(_hostile(), name=HOSTILE))
    text = json.dumps(doc, ensure_ascii=False)
    for bad in ("\x1b", "\x00", "\u202e", "\u2028", "\r"):
        assert bad not in text
    result = doc["runs"][0]["results"][0]
    assert "\\x1b[31m" in result["message"]["text"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "weird%20dir/%23x%3F.js"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}  # column 0 is not a column


def test_coverage_in_the_run_properties():
    cov = to_sarif(make_report())["runs"][0]["properties"]["coverage"]
    allow = cov["allow"]
    assert (allow["pagesVisited"], allow["pagesDeclared"], allow["handlersFired"], allow["handlersBound"]) == (2, 3, 7, 9)
    assert allow["packages"]["sub"] == {"pagesVisited": 0, "pagesDeclared": 1}
    assert allow["errorsSandbox"] == 1 and allow["errorCauses"] == {"app": 2, "unknown-api": 1}
    assert allow["unknownApis"] == ["tt.getFoo"] and len(allow["budgetNotes"]) == 1
    assert cov["deny"]["pagesDeclared"] == 0


def test_data_flows_are_code_flows_from_source_to_sink():
    log = to_sarif(make_report())
    VALIDATOR.validate(log)
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "data-to-network")
    (flow,) = result["codeFlows"]
    steps = flow["threadFlows"][0]["locations"]
    assert [s["kinds"] for s in steps] == [["source"], ["sink"]]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [4, 12]
    assert "wx.getLocation" in steps[0]["location"]["message"]["text"]
    assert all("codeFlows" not in r for r in log["runs"][0]["results"] if r["ruleId"] != "data-to-network")


def test_every_rule_has_a_help_uri_at_its_anchor_in_the_rules_doc():
    rules = to_sarif(make_report())["runs"][0]["tool"]["driver"]["rules"]
    doc = (ROOT / "docs" / "rules.md").read_text()
    for r in rules:
        assert r["helpUri"].endswith("docs/rules.md#" + r["id"])
    from mpsandbox.review.audits import REGISTRY

    for rid in REGISTRY:  # the doc has a section for every real rule (regenerate: mpsandbox rules --markdown)
        assert f"\n### {rid}\n" in doc, rid


@pytest.mark.parametrize("root, prefix", [("miniprogram", "miniprogram/"), ("dist/build/mp-weixin/", "dist/build/mp-weixin/"),
                                          ("../x/./src", "x/src/"), ("", "")])
def test_source_root_maps_every_location_onto_the_repository(root, prefix):
    report = make_report()
    plain = json.loads(render(report, "sarif"))
    doc = json.loads(render(report, "sarif", source_root=root))
    VALIDATOR.validate(doc)
    run = doc["runs"][0]
    assert set(run["originalUriBaseIds"]) == {"SRCROOT"}
    text = json.dumps(run)
    assert '"BUNDLEROOT"' not in text
    before = [loc["artifactLocation"]["uri"] for loc in _artifact_locations(plain)]
    after = [loc["artifactLocation"]["uri"] for loc in _artifact_locations(doc)]
    assert len(before) == len(after) > 2  # results, related locations and code flow steps
    assert after == [prefix + uri for uri in before]


def _artifact_locations(doc):
    out, stack = [], [doc["runs"][0]["results"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if "artifactLocation" in node:
                out.append(node)
            stack.extend(reversed([v for k, v in node.items() if k != "artifactLocation"]))
    return out


def test_cli_source_root_for_review_and_saved_reports(tmp_path):
    import subprocess
    import sys

    bundle = ROOT / "fixtures" / "bundles" / "privacy-data-to-storage"
    saved = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "mpsandbox", "review", str(bundle), "--engine", "native",
                          "--out", str(saved), "--out", str(tmp_path / "r.sarif"), "--source-root", "app/src"],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"]]
    assert uris and all(u.startswith("app/src/") for u in uris)
    again = subprocess.run([sys.executable, "-m", "mpsandbox", "report", str(saved), "--format", "sarif",
                            "--source-root", "mp"], capture_output=True, text=True)
    assert again.returncode == 1
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("mp/")
               for r in json.loads(again.stdout)["runs"][0]["results"])
