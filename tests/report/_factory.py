"""Hand-built reports for the renderer tests."""

from __future__ import annotations

import json
from pathlib import Path

from mpsandbox.review.model import (
    BundleSummary,
    DomainContact,
    PermissionUse,
    Screen,
    Snippet,
    Timeline,
    TimelineItem,
    Coverage,
    ErrorCause,
    PackageCoverage,
    Evidence,
    Finding,
    Location,
    Report,
    RuleInfo,
    RunFigures,
    Severity,
    exit_code_for,
    verdict_for,
)

ROOT = Path(__file__).resolve().parents[2]
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SARIF_SCHEMA = json.loads((ROOT / "fixtures/schemas/sarif-schema-2.1.0.json").read_text())
HOSTILE = ("<script>alert(1)</script> \x1b[31mRED\x1b[0m \x1b]0;title\x07 ]]> \x00 \u202eevil\u202c "
           "\r\nforged: approve\u2028forged: too \ufeff\u200b")


def rule(rid: str, category: str, severity: Severity = Severity.ERROR, enabled: bool = True,
         example: str = "") -> RuleInfo:
    return RuleInfo(id=rid, title=f"Title of {rid}", category=category, severity=severity,
                    description=f"What {rid} detects and why it matters.", fix=f"How to fix {rid}.",
                    example=example, enabled=enabled)


RULES = [
    rule("scope-undeclared", "permission"),
    rule("data-to-network", "privacy", example="wx.request({url: 'https://t.example', data: loc})"),
    rule("plain-http", "network", Severity.WARNING),
    rule("eval-call", "dynamic-code"),
    rule("orphan-timer", "lifecycle", Severity.WARNING),
    rule("setdata-rate", "performance", Severity.WARNING, enabled=False),
    rule("deprecated-api", "api", Severity.INFO),
]


def default_findings() -> list[Finding]:
    return [
        Finding(rule="data-to-network", category="privacy", severity=Severity.ERROR,
                message="location from getLocation reaches request → tracker.example",
                location=Location(file="pages/a/a.js", line=12, column=5, function="go"),
                fingerprint="data-to-network:pages/a/a.js:12:tracker.example",
                evidence=[Evidence(description="flow", run="allow", t=3000, page="pages/a/a", event_seq=7,
                                   event_kind="flow", location=Location(file="pages/a/a.js", line=12, column=5),
                                   stack=[Location(file="pages/a/a.js", line=12, column=5),
                                          Location(file="utils/api.js", line=3, function="post")],
                                   value={"destination": "tracker.example"},
                                   snippet=Snippet(file="pages/a/a.js", start_line=10, line=12,
                                                   lines=["go() {", "  const loc = this.loc;",
                                                          "  wx.request({url: 'https://tracker.example', data: loc})",
                                                          "}"])),
                          Evidence(description="source: wx.getLocation returned the location", run="allow", t=2900,
                                   event_kind="api", location=Location(file="pages/a/a.js", line=4, column=3)),
                          Evidence(description="flow in the deny walk too", run="deny", t=3100)]),
        Finding(rule="orphan-timer", category="lifecycle", severity=Severity.WARNING, message="interval after unload",
                evidence=[Evidence(description="timer fired", run="deny", t=9000, page="pages/b/b")]),
        Finding(rule="plain-http", category="network", severity=Severity.WARNING, message="http://x.example used",
                location=Location(file="utils/api.js"),  # file known, line not
                evidence=[Evidence(description="request", value="http://x.example/a")]),
        Finding(rule="deprecated-api", category="api", severity=Severity.INFO, message="my.httpRequest is deprecated"),
    ]


def make_report(findings: list[Finding] | None = None, *, name: str = "shop", rules: list[RuleInfo] | None = None,
                error: str | None = None, problems: list[str] | None = None) -> Report:
    findings = default_findings() if findings is None else findings
    verdict = verdict_for(findings)
    return Report(
        tool_version="0.1.0",
        bundle=BundleSummary(name=name, platform="tt", files=3, total_bytes=1000, main_bytes=800, pages=2,
                             subpackage_bytes={"sub": 200}, sha256="ab" * 32),
        policy="douyin",
        verdict=verdict,
        exit_code=exit_code_for(verdict),
        findings=findings,
        counts={s.value: sum(1 for f in findings if f.severity is s) for s in Severity},
        runs=[RunFigures(mode="allow", engine="native", cpu_unit="poll", pages_visited=["pages/a/a", "pages/b/b"],
                         pages_failed=["pages/c/c"], handlers_fired=7, handlers_missing=1, api_calls=4,
                         api_calls_by_group={"framework": 3, "conversion": 1}, turns=40, virtual_ms=12_500,
                         cpu_units=123_456, cpu_ms=4.25, peak_memory_bytes=3 * 1024 * 1024, setdata_calls=9,
                         setdata_bytes=2048, launch_to_ready_ms=120, wall_ms=85.5,
                         coverage=Coverage(
                             pages_declared=3, pages_visited=2, handlers_bound=9, handlers_fired=7,
                             packages=[PackageCoverage(package="main", pages_declared=2, pages_visited=2),
                                       PackageCoverage(package="sub", pages_declared=1, pages_visited=0)],
                             pages_redirected={"pages/b/b": "pages/login/login"}, unknown_apis=["tt.getFoo"],
                             budget_notes=["pages/a/a: the walk's page budget ran out"], errors_app=2,
                             errors_sandbox=1,
                             error_causes=[ErrorCause(cause="app", origin="app", count=2, description="the app"),
                                           ErrorCause(cause="unknown-api", origin="sandbox", count=1,
                                                      description="an API the sandbox does not know")]),
                         domains=[DomainContact(domain="api.example.com", calls=3, apis={"wx.request": 3},
                                                allowed=True, example_url="https://api.example.com/menu"),
                                  DomainContact(domain="tracker.example", calls=1, apis={"wx.request": 1},
                                                allowed=False, first_location=Location(file="pages/a/a.js", line=12))],
                         permissions=[PermissionUse(scope="scope.userLocation", apis=["getLocation"], prompts=1,
                                                    granted=1, declared=False)],
                         timeline=Timeline(turns=40, virtual_ms=12_500, items=[
                             TimelineItem(lane="page", turn=0, t=0, label="launch pages/a/a"),
                             TimelineItem(lane="api", turn=3, t=0, label="wx.getLocation"),
                             TimelineItem(lane="user", turn=10, t=3000, label="tap go"),
                             TimelineItem(lane="api", turn=10, t=3000, label="wx.request", detail="tracker.example"),
                             TimelineItem(lane="setData", turn=11, t=3000, label="setData 120 B"),
                             TimelineItem(lane="timer", turn=20, t=9000, label="fire #1", status="warn"),
                             TimelineItem(lane="error", turn=39, t=12_500, label="uncaught TypeError",
                                          status="fail")]),
                         screens=[Screen(route="pages/a/a", png_base64=PNG_1PX)]),
              RunFigures(mode="deny", engine="native", cpu_unit="poll", end_reason="cpu-budget",
                         end_detail="the CPU budget ran out", wall_ms=40.0)],
        rules=RULES if rules is None else rules,
        allow_domains=["api.example.com"],
        problems=problems or [],
        error=error,
    )
