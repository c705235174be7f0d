"""JUnit XML for CI systems: one test case per audit; error findings fail it (warnings too with fail_on=flag)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..review.model import Finding, Report, Severity
from .safe_text import xml_safe


def _describe(f: Finding) -> str:
    lines = [f"{f.severity.value}: {f.message}" + (f" at {f.location}" if f.location else "")]
    for e in f.evidence[:10]:
        where = f" at {e.location}" if e.location else ""
        lines.append(f"  - {'[' + e.run + '] ' if e.run else ''}{e.description}{where}")
    return "\n".join(lines)


def to_junit(report: Report, *, fail_on: str = "flag") -> str:
    failing = {Severity.ERROR} | ({Severity.WARNING} if fail_on == "flag" else set())
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f)
    rules = list(report.rules) or []
    listed = {r.id for r in rules}
    wall = sum(r.wall_ms for r in report.runs) / 1000.0
    suite = ET.Element("testsuite", name=xml_safe(f"mpsandbox review: {report.bundle.name}"))
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", report.verdict.value), ("policy", report.policy),
                        ("platform", report.bundle.platform or "")):
        ET.SubElement(props, "property", name=name, value=xml_safe(value))
    tests = failures = skipped = 0
    cases = [(r.id, r.category, r.enabled) for r in rules] + [
        (rid, fs[0].category, True) for rid, fs in by_rule.items() if rid not in listed]
    for rid, category, enabled in cases:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=f"mpsandbox.{category}", name=rid, time="0")
        findings = by_rule.get(rid, [])
        if not enabled:
            ET.SubElement(case, "skipped", message="disabled by the policy")
            skipped += 1
            continue
        bad = [f for f in findings if f.severity in failing]
        if bad:
            failures += 1
            worst = max(bad, key=lambda f: f.severity.rank)
            fail = ET.SubElement(case, "failure", message=xml_safe(worst.message[:500]), type=worst.severity.value)
            fail.text = xml_safe("\n\n".join(_describe(f) for f in bad))
        other = [f for f in findings if f not in bad]
        if other:
            out = ET.SubElement(case, "system-out")
            out.text = xml_safe("\n\n".join(_describe(f) for f in other))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "1" if report.error else "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{wall:.3f}")
    if report.error:
        err = ET.SubElement(suite, "system-err")
        err.text = xml_safe(report.error)
    root = ET.Element("testsuites", name="mpsandbox", tests=str(tests), failures=str(failures),
                      errors=suite.get("errors", "0"), time=f"{wall:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
