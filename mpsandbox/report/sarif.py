"""SARIF 2.1.0: findings at file and line for code-scanning UIs (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

import json
import re
from typing import Any

from ..review.model import Evidence, Finding, Location, Report, RuleInfo, Severity
from .safe_text import clean

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
BASE = "BUNDLEROOT"
FALLBACK_FILE = "app.json"


def _camel(rule_id: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_.]", rule_id) if p)


def _uri(path: str) -> str:
    return "/".join(part.replace("%", "%25").replace(" ", "%20").replace("#", "%23").replace("?", "%3F")
                    for part in path.replace("\\", "/").lstrip("/").split("/"))


def _physical(loc: Location | None) -> dict[str, Any]:
    file = loc.file if loc is not None and loc.file else FALLBACK_FILE
    out: dict[str, Any] = {"artifactLocation": {"uri": _uri(file), "uriBaseId": BASE}}
    if loc is not None and loc.line is not None and loc.line >= 1:
        region: dict[str, Any] = {"startLine": int(loc.line)}
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = int(loc.column)
        out["region"] = region
    return out


def _rule(info: RuleInfo) -> dict[str, Any]:
    markdown = f"{info.description}\n\n**Fix:** {info.fix}"
    if info.example:
        markdown += f"\n\n**Example:**\n\n```js\n{info.example}\n```"
    return {
        "id": info.id,
        "name": _camel(info.id),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description},
        "help": {"text": f"{info.description} Fix: {info.fix}", "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[info.severity], "enabled": info.enabled},
        "properties": {"category": info.category, "tags": ["mini-program", info.category]},
    }


def _evidence_text(e: Evidence) -> str:
    bits = [f"[{e.run}]" if e.run else "", f"t={e.t}ms" if e.t is not None else "", e.page or "", e.description]
    return clean(" ".join(b for b in bits if b), limit=500)


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    related = []
    rid = 1
    for e in f.evidence:
        for loc in ([e.location] if e.location else []) + e.stack[1:3]:
            related.append({"id": rid, "physicalLocation": _physical(loc),
                            "message": {"text": _evidence_text(e)}})
            rid += 1
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": LEVEL[f.severity],
        "message": {"text": clean(f.message, limit=1000) or f.rule},
        "locations": [{"physicalLocation": _physical(f.location)}],
        "partialFingerprints": {"mpsandbox/v1": f.fingerprint or f.rule},
        "properties": {"category": f.category, "evidence": [_evidence_text(e) for e in f.evidence[:10]]},
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    if related:
        result["relatedLocations"] = related[:20]
    return result


def to_sarif(report: Report) -> dict[str, Any]:
    rules = list(report.rules)
    known = {r.id for r in rules}
    for f in report.findings:  # a finding from a rule the report does not list still needs a descriptor
        if f.rule not in known:
            rules.append(RuleInfo(id=f.rule, title=f.rule, category=f.category, severity=f.severity,
                                  description=f.rule, fix=""))
            known.add(f.rule)
    index = {r.id: i for i, r in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mpsandbox",
                "version": report.tool_version or "0",
                "informationUri": "https://github.com/mpsandbox/mpsandbox",
                "rules": [_rule(r) for r in rules],
            }},
            "originalUriBaseIds": {BASE: {"description": {"text": f"the root of bundle {clean(report.bundle.name)}"}}},
            "invocations": [{"executionSuccessful": report.error is None}],
            "results": [_result(f, index) for f in report.findings],
            "properties": {"verdict": report.verdict.value, "policy": report.policy,
                           "bundle": clean(report.bundle.name), "counts": report.counts},
        }],
    }


def to_sarif_json(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False)
