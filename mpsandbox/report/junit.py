"""JUnit XML for CI systems: one test case per rule that ran.

* a rule with error findings fails (``<failure type="error">``, every finding with its place and evidence);
* warnings are reported in ``<system-out>`` with a ``warnings`` property on the test case, and fail it too when
  ``fail_on="flag"`` (``<failure type="warning">``);
* info findings only go to ``<system-out>``; a rule the policy disabled is ``<skipped/>``;
* a review that could not run to the end adds a ``review`` test case with an ``<error>``.

Bundle text is neutralised (no control characters, so nothing XML 1.0 forbids and no ANSI for CI log viewers that
render it); ElementTree escapes the rest (``]]>`` included, since it never writes CDATA).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Literal

from ..review.model import Finding, Report, Severity
from .hygiene import neutralise, value_text, xml_safe

MAX_EVIDENCE = 10


def _s(text: object, limit: int | None = None) -> str:
    return xml_safe(neutralise(text, limit))


def _describe(f: Finding) -> str:
    where = f" at {_s(f.location, 200)}" if f.location else ""
    lines = [f"{f.severity.value}: {_s(f.message, 2000)}{where}"]
    for e in f.evidence[:MAX_EVIDENCE]:
        bits = [f"[{e.run}]" if e.run else "", f"t={e.t}ms" if e.t is not None else "",
                _s(e.page, 80) if e.page else "", _s(e.description, 500)]
        line = "  - " + " ".join(b for b in bits if b)
        if e.location is not None:
            line += f" at {_s(e.location, 200)}"
        if e.value is not None and e.value != "":
            value = xml_safe(value_text(e.value, 200))
            if value not in line:
                line += f" (value: {value})"
        lines.append(line)
        for frame in [s for s in e.stack if s != e.location][:3]:
            lines.append(f"      at {_s(frame, 200)}")
    if len(f.evidence) > MAX_EVIDENCE:
        lines.append(f"  - … and {len(f.evidence) - MAX_EVIDENCE} more")
    return "\n".join(lines)


def _coverage_properties(report: Report) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for r in report.runs:
        c, p = r.coverage, f"coverage.{r.mode}"
        out += [(f"{p}.pages", f"{c.pages_visited}/{c.pages_declared}"),
                (f"{p}.handlers", f"{c.handlers_fired}/{c.handlers_bound}"),
                (f"{p}.errors_app", str(c.errors_app)), (f"{p}.errors_sandbox", str(c.errors_sandbox)),
                (f"{p}.unknown_apis", ", ".join(c.unknown_apis[:50])),
                (f"{p}.budget_notes", str(len(c.budget_notes)))]
        out += [(f"{p}.package.{pc.package}", f"{pc.pages_visited}/{pc.pages_declared}") for pc in c.packages]
    return out


def to_junit(report: Report, *, fail_on: Literal["flag", "reject"] | str = "reject") -> str:
    """The report as a JUnit XML document (``<testsuites>`` holding one ``<testsuite>``)."""
    if fail_on not in ("flag", "reject"):
        raise ValueError(f"fail_on must be 'flag' or 'reject', not {fail_on!r}")
    failing = {Severity.ERROR} | ({Severity.WARNING} if fail_on == "flag" else set())
    by_rule: dict[str, list[Finding]] = {}
    for f in report.shown_findings:  # with a baseline, the new ones
        by_rule.setdefault(f.rule, []).append(f)
    cases: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for r in report.rules:
        if r.id not in seen:
            seen.add(r.id)
            cases.append((r.id, r.category, r.enabled))
    cases += [(rid, fs[0].category, True) for rid, fs in by_rule.items() if rid not in seen]

    wall = sum(r.wall_ms for r in report.runs) / 1000.0
    suite = ET.Element("testsuite", name=_s(f"mpsandbox review: {report.bundle.name}", 300))
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", report.verdict.value), ("exit_code", str(report.exit_code)),
                        ("policy", report.policy), ("platform", report.bundle.platform or ""),
                        ("fail_on", fail_on), ("tool_version", report.tool_version),
                        *((("experience_score", str(report.score.score)),) if report.score else ()),
                        *((f"count.{k}", str(v)) for k, v in sorted(report.counts.items())),
                        *_coverage_properties(report)):
        ET.SubElement(props, "property", name=_s(name, 100), value=_s(value, 300))

    tests = failures = skipped = errors = 0
    for rid, category, enabled in cases:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=f"mpsandbox.{_s(category, 40)}", name=_s(rid, 200),
                             time="0")
        findings = by_rule.get(rid, [])
        if not enabled and not findings:
            ET.SubElement(case, "skipped", message="disabled by the policy")
            skipped += 1
            continue
        warnings = [f for f in findings if f.severity is Severity.WARNING]
        if warnings:
            case_props = ET.SubElement(case, "properties")
            ET.SubElement(case_props, "property", name="warnings", value=str(len(warnings)))
        bad = [f for f in findings if f.severity in failing]
        if bad:
            failures += 1
            worst = max(bad, key=lambda f: f.severity.rank)
            message = worst.message if len(bad) == 1 else f"{len(bad)} findings; first: {worst.message}"
            fail = ET.SubElement(case, "failure", message=_s(message, 500), type=worst.severity.value)
            fail.text = "\n\n".join(_describe(f) for f in bad)
        other = [f for f in findings if f.severity not in failing]
        if other:
            out = ET.SubElement(case, "system-out")
            out.text = "\n\n".join(_describe(f) for f in other)
    if report.score is not None and report.score.minimum is not None:
        tests += 1
        sc = report.score
        case = ET.SubElement(suite, "testcase", classname="mpsandbox.score", name="experience-score", time="0")
        if not sc.passed:
            failures += 1
            low = sorted((c for c in sc.checks if c.score is not None and c.score < 1), key=lambda c: c.score or 0)
            fail = ET.SubElement(case, "failure", type="score",
                                 message=f"experience score {sc.score} is below the minimum {sc.minimum}")
            fail.text = "\n".join(f"{c.title}: {round((c.score or 0) * 100)} ({c.value})" for c in low)
    if report.error:
        tests += 1
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="mpsandbox", name="review", time=f"{wall:.3f}")
        err = ET.SubElement(case, "error", message=_s(report.error, 500), type="review-error")
        err.text = _s(report.error, 5000)
    if report.problems:
        out = ET.SubElement(suite, "system-out")
        out.text = "\n".join("bundle problem: " + _s(p, 500) for p in report.problems)

    for el in (suite,):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
        el.set("skipped", str(skipped))
        el.set("time", f"{wall:.3f}")
    root = ET.Element("testsuites", name="mpsandbox", tests=str(tests), failures=str(failures), errors=str(errors),
                      skipped=str(skipped), time=f"{wall:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
