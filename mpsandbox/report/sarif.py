"""SARIF 2.1.0: findings at file and line for code-scanning UIs (GitHub, GitLab, Azure DevOps).

One run; ``tool.driver.rules`` are the rules that ran (plus a plain descriptor for any finding whose rule the report
does not list, so every ``ruleIndex`` points at its rule). Paths are bundle-relative URIs under the ``BUNDLEROOT``
base. A finding without a place is shown at ``app.json`` line 1 (GitHub code scanning needs a location); for a known
file, a region is given only when the line is known (SARIF lines and columns are 1-based).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from ..review.model import Evidence, Finding, Location, Report, RuleInfo, Severity
from .hygiene import neutralise, value_text

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/mpsandbox/mpsandbox"
RULES_DOC_URI = INFORMATION_URI + "/blob/main/docs/rules.md"  # one anchor per rule id (`mpsandbox rules ID`)
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}
SECURITY_CATEGORIES = {"permission", "privacy", "network", "gesture", "dynamic-code", "secret"}
BASE = "BUNDLEROOT"
FALLBACK_FILE = "app.json"
FINGERPRINT_KEY = "mpsandbox/v1"
MAX_RELATED = 20
MAX_EVIDENCE = 10


def camel(rule_id: str) -> str:
    """``data-to-network`` → ``DataToNetwork`` (SARIF's reportingDescriptor.name)."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", rule_id) if p) or "Rule"


def bundle_uri(path: str) -> str:
    """A bundle-relative path as a relative URI reference: separators normalised, ``.``/``..``/empty segments
    dropped, everything outside the unreserved set percent-encoded (so a path can never become an absolute URI)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(quote(p, safe="", errors="replace") for p in parts)


def _physical(loc: Location | None) -> dict[str, Any]:
    uri = bundle_uri(loc.file) if loc is not None and loc.file else ""
    if not uri:  # no place at all: the bundle's app.json, line 1 (GitHub shows results only at a line)
        return {"artifactLocation": {"uri": FALLBACK_FILE, "uriBaseId": BASE}, "region": {"startLine": 1}}
    out: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": BASE}}
    if loc is not None and loc.line is not None and loc.line >= 1:
        region: dict[str, Any] = {"startLine": int(loc.line)}
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = int(loc.column)
        out["region"] = region
    return out


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}js\n{code}\n{fence}"


def _rule(info: RuleInfo) -> dict[str, Any]:
    text = f"{info.description}\n\nFix: {info.fix}" if info.fix else info.description
    markdown = f"{info.description}\n\n**Fix:** {info.fix}" if info.fix else info.description
    if info.example:
        text += f"\n\nExample:\n{info.example}"
        markdown += f"\n\n**Example:**\n\n{_fence(info.example)}"
    tags = ["mini-program", info.category]
    properties: dict[str, Any] = {"category": info.category}
    if info.category in SECURITY_CATEGORIES:
        tags.append("security")
        properties["security-severity"] = SECURITY_SEVERITY[info.severity]
    properties["tags"] = tags
    return {
        "id": info.id,
        "name": camel(info.id),
        "helpUri": f"{RULES_DOC_URI}#{quote(info.id, safe='-_')}",
        "shortDescription": {"text": info.title or info.id},
        "fullDescription": {"text": info.description or info.title or info.id},
        "help": {"text": text or info.id, "markdown": markdown or info.id},
        "defaultConfiguration": {"level": LEVEL[info.severity], "enabled": info.enabled},
        "properties": properties,
    }


def _evidence_text(e: Evidence) -> str:
    bits = [f"[{e.run}]" if e.run else "", f"t={e.t}ms" if e.t is not None else "",
            neutralise(e.page, 80) if e.page else "", neutralise(e.description, 300)]
    if e.location is not None:
        bits.append("at " + neutralise(str(e.location), 160))
    if e.value is not None and e.value != "":
        bits.append("value: " + value_text(e.value, 200))
    return " ".join(b for b in bits if b)


def _fingerprint(f: Finding) -> str:
    if f.fingerprint:
        return neutralise(f.fingerprint, 200)
    loc = f.location
    key = "\x1f".join([f.rule, loc.file if loc else "", str(loc.line) if loc else "", f.message])
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    related: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None, int | None]] = set()
    if f.location is not None:
        seen.add((f.location.file, f.location.line, f.location.column))
    for e in f.evidence:
        text = _evidence_text(e)
        for loc in ([e.location] if e.location else []) + e.stack[:3]:
            key = (loc.file, loc.line, loc.column)
            if key in seen or not bundle_uri(loc.file) or len(related) >= MAX_RELATED:
                continue
            seen.add(key)
            related.append({"id": len(related) + 1, "physicalLocation": _physical(loc),
                            "message": {"text": text or "evidence"}})
    result: dict[str, Any] = {
        "ruleId": neutralise(f.rule, 200),
        "ruleIndex": index[f.rule],
        "level": LEVEL[f.severity],
        "message": {"text": neutralise(f.message, 2000) or neutralise(f.rule, 200)},
        "locations": [{"physicalLocation": _physical(f.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": {
            "category": f.category,
            "severity": f.severity.value,
            "evidence": [_evidence_text(e) for e in f.evidence[:MAX_EVIDENCE]],
            "evidenceCount": len(f.evidence),
        },
    }
    if f.location is not None and f.location.function:
        result["locations"][0]["logicalLocations"] = [{"name": neutralise(f.location.function, 200),
                                                       "kind": "function"}]
    if related:
        result["relatedLocations"] = related
    flows = _code_flows(f)
    if flows:
        result["codeFlows"] = flows
    if f.baseline is not None:
        result["baselineState"] = f.baseline
    return result


def _flow_step(e: Evidence, loc: Location, role: str) -> dict[str, Any]:
    text = neutralise(e.description, 300)
    return {"location": {"physicalLocation": _physical(loc),
                         "message": {"text": text if text.startswith(role + ":") else f"{role}: {text}"}},
            "kinds": ["source" if role == "source" else "sink"]}


def _code_flows(f: Finding) -> list[dict[str, Any]]:
    """A data flow (a sensitive value from a source API call reaching a sink call) as SARIF codeFlows: source call
    site, then the sink call site. The evidence of a flow is the sink event, followed by its source call."""
    flows = []
    for i, e in enumerate(f.evidence):
        if e.event_kind != "flow" or e.location is None:
            continue
        nxt = f.evidence[i + 1] if i + 1 < len(f.evidence) else None
        steps = []
        if nxt is not None and nxt.event_kind == "api" and nxt.location is not None:
            steps.append(_flow_step(nxt, nxt.location, "source"))
        steps.append(_flow_step(e, e.location, "sink"))
        flows.append({"message": {"text": neutralise(e.description, 300)},
                      "threadFlows": [{"locations": steps}]})
        if len(flows) >= MAX_EVIDENCE:
            break
    return flows


def _coverage(c: Any) -> dict[str, Any]:
    return {
        "pagesVisited": c.pages_visited,
        "pagesDeclared": c.pages_declared,
        "packages": {neutralise(p.package, 100): {"pagesVisited": p.pages_visited, "pagesDeclared": p.pages_declared}
                     for p in c.packages},
        "handlersFired": c.handlers_fired,
        "handlersBound": c.handlers_bound,
        "unknownApis": [neutralise(a, 100) for a in c.unknown_apis[:100]],
        "budgetNotes": [neutralise(n, 300) for n in c.budget_notes[:50]],
        "errorsApp": c.errors_app,
        "errorsSandbox": c.errors_sandbox,
        "errorCauses": {e.cause: e.count for e in c.error_causes},
    }


def to_sarif(report: Report) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for ``json.dumps``)."""
    rules = list(report.rules)
    known = {r.id for r in rules}
    for f in report.findings:  # a finding from a rule the report does not list still needs a descriptor
        if f.rule not in known:
            shown = neutralise(f.rule, 200)
            rules.append(RuleInfo(id=f.rule, title=shown, category=f.category, severity=f.severity,
                                  description=f"Findings of rule {shown} (not in the report's rule list).", fix=""))
            known.add(f.rule)
    index = {}
    for i, r in enumerate(rules):
        index.setdefault(r.id, i)
    descriptors = [_rule(r) for r in rules]
    for d in descriptors:  # rule ids are ours, but neutralise anyway: they are shown as is by the UIs
        d["id"] = neutralise(d["id"], 200)
    invocation: dict[str, Any] = {"executionSuccessful": report.error is None}
    if report.error:
        invocation["toolExecutionNotifications"] = [{"level": "error",
                                                     "message": {"text": neutralise(report.error, 2000)}}]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "mpsandbox",
            "version": neutralise(report.tool_version or "0", 40),
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
        "originalUriBaseIds": {BASE: {"description": {
            "text": f"The root of the mini-program bundle {neutralise(report.bundle.name, 200)}"}}},
        "invocations": [invocation],
        "results": [_result(f, index) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "verdict": report.verdict.value,
            "exitCode": report.exit_code,
            "policy": neutralise(report.policy, 200),
            "bundle": neutralise(report.bundle.name, 200),
            "platform": neutralise(report.bundle.platform or "", 20),
            "counts": {k: int(v) for k, v in report.counts.items()},
            "reportSchemaVersion": report.schema_version,
            "coverage": {r.mode: _coverage(r.coverage) for r in report.runs},
            "domainsContacted": [{"domain": neutralise(d.domain, 200), "calls": d.calls, "allowed": d.allowed}
                                 for d in report.domains()[:200]],
        },
    }
    if report.score is not None:
        run["properties"]["experienceScore"] = {"score": report.score.score, "minimum": report.score.minimum,
                                                "groups": {g.id: g.score for g in report.score.groups}}
    if report.bundle.sha256:
        run["properties"]["bundleSha256"] = neutralise(report.bundle.sha256, 80)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def to_sarif_json(report: Report, source_root: str | None = None) -> str:
    sarif = to_sarif(report)
    if source_root is not None:
        map_source_root(sarif, source_root)
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


REPO_BASE = "SRCROOT"


def map_source_root(sarif: dict[str, Any], source_root: str) -> None:
    """Point every bundle path at the repository: ``source_root`` is where the bundle's files live in it (e.g.
    ``miniprogram`` or ``dist/build/mp-weixin``), so ``pages/a.js`` becomes ``miniprogram/pages/a.js`` relative to
    the repository root, which code-scanning UIs resolve against the checkout."""
    prefix = bundle_uri(source_root)
    for run in sarif.get("runs", []):
        stack: list[Any] = [run.get("results", [])]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                loc = node.get("artifactLocation")
                if isinstance(loc, dict) and loc.get("uriBaseId") == BASE:
                    loc["uri"] = f"{prefix}/{loc['uri']}" if prefix else loc["uri"]
                    loc["uriBaseId"] = REPO_BASE
                stack.extend(v for k, v in node.items() if k != "artifactLocation")
        run["originalUriBaseIds"] = {REPO_BASE: {"description": {
            "text": f"The repository root; the bundle's files are under {prefix or 'it'}"}}}
