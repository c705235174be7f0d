"""The review's rules as a property of exploration: at the end of a run, the audits read the run's trace as they
read a walk's, and an error finding the bundle's static facts alone do not give (a leak, a payment without a tap, an
undeclared scope, a forbidden endpoint...) is a failure of the run. Stability and resource findings are left to the
run's own properties (uncaught errors, a run ended on a budget)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..apis.catalogue import load_catalogue
from ..review.artifacts import Artifacts, RunArtifacts
from ..review.audits import REGISTRY, run_audits
from ..review.gather import bundle_texts
from ..review.model import Finding, Severity
from ..review.policy import Policy, resolve_policy
from .model import Failure

if TYPE_CHECKING:
    from ..bundle import Bundle

LEFT_TO_PROPERTIES = frozenset({"stability", "resource"})


class RuleCheck:
    """The audits of one bundle under ``policy`` (the platform's profile with ``allow_domains`` by default), ready
    to read runs."""

    def __init__(self, bundle: Bundle, policy: Policy | None = None, allow_domains: list[str] | None = None):
        self.policy = policy or resolve_policy(None, bundle.platform).with_allow_domains(allow_domains or [])
        texts, sizes = bundle_texts(bundle)
        self.art = Artifacts(name=bundle.name, platform=bundle.platform, catalogue=load_catalogue(),
                             facts=bundle.facts, app=bundle.app, texts=texts, sizes=sizes,
                             problems=list(bundle.problems))
        self.static = {f.fingerprint for f in run_audits(self.art, self.policy)[0]}
        self.readers = [a.id for a in REGISTRY.values() if "runs" in a.reads]  # the audits a run can change

    def findings(self, trace: Any, units_per_ms: float) -> list[Finding]:
        """The error findings of a run that its trace gives (not the static facts), most severe first."""
        self.art.runs = [RunArtifacts(mode="allow", trace=trace, units_per_ms=units_per_ms)]
        try:
            found, _ = run_audits(self.art, self.policy, only=self.readers)
        finally:
            self.art.runs = []
        return [f for f in found if f.severity is Severity.ERROR and f.category not in LEFT_TO_PROPERTIES
                and f.fingerprint not in self.static]

    def check(self, trace: Any, units_per_ms: float, step: int) -> Failure | None:
        found = self.findings(trace, units_per_ms)
        if not found:
            return None
        f = found[0]
        page = next((e.page for e in f.evidence if e.page), None)
        where = f"{f.location.file}:{f.location.line}" if f.location and f.location.line else \
            (f.location.file if f.location else None)
        return Failure(property="review-rule", key=f"review-rule|{f.rule}|{f.fingerprint}", route=page, step=step,
                       message=f"{f.rule}: {f.message}", location=where)
