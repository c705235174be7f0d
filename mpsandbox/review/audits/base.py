"""The audit catalogue: each audit is a pure function over :class:`Artifacts`, registered with its documentation.

Like ruff's rules, every audit carries an id, a title, a category, a default severity, what it detects and why it
matters, how to fix it and an example. The runner applies the policy (disabled rules, severity overrides), merges
the same finding seen in several walks, and gives every finding a stable fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...trace import Frame
from ..artifacts import Artifacts, RunArtifacts
from ..model import Category, Evidence, Finding, Location, RuleInfo, Severity

if TYPE_CHECKING:
    from ..policy import Policy

MAX_EVIDENCE = 12


@dataclass
class Hit:
    """One thing an audit found; the runner turns hits into findings."""

    message: str
    key: str = ""  # identity within the rule: two hits with the same key are one finding
    evidence: list[Evidence] = field(default_factory=list)
    location: Location | None = None
    severity: Severity | None = None  # overrides the audit's default (e.g. setData over 1 MB is an error)


AuditFn = Callable[[Artifacts, "Policy"], Iterable[Hit]]


@dataclass(frozen=True)
class Audit:
    id: str
    title: str
    category: Category
    severity: Severity
    description: str
    fix: str
    example: str
    fn: AuditFn
    # what it reads, as Lighthouse audits name their artifacts: "bundle" (files and static facts), "runs" (the
    # walks' traces), "exploration"; a reader of runs can judge any run, e.g. each of an exploration's
    reads: frozenset[str] = frozenset({"bundle", "runs"})

    def info(self, policy: Policy | None = None) -> RuleInfo:
        sev = policy.severity_of(self.id, self.severity) if policy else self.severity
        return RuleInfo(id=self.id, title=self.title, category=self.category, severity=sev,
                        description=self.description, fix=self.fix, example=self.example,
                        enabled=policy.enabled(self.id) if policy else True)


REGISTRY: dict[str, Audit] = {}


def audit(
    id: str, *, title: str, category: Category, severity: Severity, description: str, fix: str, example: str = "",
    reads: Iterable[str] = ("bundle", "runs"),
) -> Callable[[AuditFn], AuditFn]:
    def register(fn: AuditFn) -> AuditFn:
        if id in REGISTRY:
            raise ValueError(f"duplicate audit id {id}")
        REGISTRY[id] = Audit(id, title, category, severity, " ".join(description.split()), " ".join(fix.split()),
                             example.strip("\n"), fn, frozenset(reads))
        return fn

    return register


# ---- evidence helpers ------------------------------------------------------------------------------------------------
def frame_location(frame: Frame) -> Location:
    return Location(file=frame.file, line=frame.line or None, column=frame.column or None, function=frame.function)


def event_evidence(run: RunArtifacts, event: Any, description: str, value: Any = None) -> Evidence:
    stack = [frame_location(f) for f in (getattr(event, "stack", None) or [])[:5]]
    return Evidence(
        description=description,
        run=run.mode,
        event_seq=event.seq,
        event_kind=event.kind,
        t=event.t,
        page=event.page,
        location=stack[0] if stack else None,
        stack=stack,
        value=value,
    )


def first_location(evidence: list[Evidence]) -> Location | None:
    for e in evidence:
        if e.location is not None:
            return e.location
    return None


def _fingerprint(rule: str, key: str, location: Location | None) -> str:
    """Stable across edits that only move code: the rule, the hit's key and the file (not the line)."""
    where = location.file if location else ""
    return hashlib.sha256(f"{rule}\x00{key}\x00{where}".encode()).hexdigest()[:16]


def run_audits(art: Artifacts, policy: Policy, only: Iterable[str] | None = None) -> tuple[list[Finding], list[str]]:
    """Every enabled audit over the artifacts; returns the findings and the ids of audits that crashed."""
    wanted = set(only) if only is not None else None
    findings: list[Finding] = []
    broken: list[str] = []
    for audit_ in REGISTRY.values():
        if wanted is not None and audit_.id not in wanted:
            continue
        if not policy.enabled(audit_.id):
            continue
        try:
            hits = list(audit_.fn(art, policy))
        except Exception as exc:  # an audit bug must not lose the report; it is reported instead
            broken.append(f"{audit_.id}: {type(exc).__name__}: {exc}")
            continue
        merged: dict[str, Hit] = {}
        for hit in hits:
            prev = merged.get(hit.key)
            if prev is None:
                merged[hit.key] = hit
                continue
            prev.evidence.extend(hit.evidence)
            if hit.severity is not None and (prev.severity is None or hit.severity.rank > prev.severity.rank):
                prev.severity = hit.severity
                prev.message = hit.message
        for key, hit in merged.items():
            override = policy.rules.get(audit_.id)
            if override is not None and override.severity is not None:
                severity = override.severity
            else:
                severity = hit.severity or audit_.severity
            location = hit.location or first_location(hit.evidence)
            evidence = hit.evidence[:MAX_EVIDENCE]
            if len(hit.evidence) > MAX_EVIDENCE:
                evidence.append(Evidence(description=f"… and {len(hit.evidence) - MAX_EVIDENCE} more"))
            findings.append(
                Finding(
                    rule=audit_.id,
                    category=audit_.category,
                    severity=severity,
                    message=hit.message,
                    evidence=evidence,
                    location=location,
                    fingerprint=_fingerprint(audit_.id, key, location),
                )
            )
    findings.sort(key=lambda f: (-f.severity.rank, f.category, f.rule, f.fingerprint))
    return findings, broken


def template_of(art: Artifacts, route: str) -> str:
    """The bundle file of a page's template (route + .wxml/.ttml/.axml), or the route when there is none. A
    compiled package's templates are $gwx code: the template's own path (the loader found it), as the developer
    wrote it, so that both forms of an app point at the same file."""
    page = next((p for p in art.facts.pages if p.route == route), None) if art.facts is not None else None
    for ext in (".wxml", ".ttml", ".axml"):
        if route + ext in art.texts or route + ext in art.sizes or (page is not None and page.files_present.get(ext)):
            return route + ext
    return route
