"""A walk that did not end: the engine's process crashed, hung in a builtin, or ran the host out of memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..model import Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ..policy import Policy


@audit(
    "walk-crashed",
    title="The bundle crashed or hung the sandbox",
    category="stability",
    severity=Severity.ERROR,
    description="""A walk of the bundle did not end: the process running it was killed by a signal (an abort or a
    crash inside the JavaScript engine), a single builtin ran past the turn's wall budget without ever yielding, or
    the host ran out of memory or recursion depth recording what the bundle did. Each walk runs in a process of
    its own, so the review goes on, but a bundle that can stop the reviewer can hide what it does after that point
    (and would freeze or crash the app on a device): it is rejected. The evidence is what the walk recorded until
    then, the step it was in and how it ended.""",
    fix="""Look at the reported page and step: a builtin over a huge input (sorting or searching hundreds of MB in
    one call), enormous or deeply nested values handed to the platform, an error whose toString calls the API
    while the stack overflows.""",
    example="onLoad() { new Uint8Array(4e8).sort() }  // one call that never yields",
)
def walk_crashed(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        end = run.trace.end
        if end is None or end.reason != "crashed":
            continue
        notes = [e for e in run.trace.of_kind("note") if e.code == "walk-crashed"]
        evidence = [event_evidence(run, e, e.message, e.data) for e in notes[-1:]]
        before = next((e for e in reversed(run.trace.events) if getattr(e, "stack", None)), None)
        if before is not None:
            evidence.append(event_evidence(run, before, "the bundle's last recorded call before the walk ended"))
        yield Hit(message=f"the {run.mode} walk did not end: {end.detail}", key=run.mode, evidence=evidence)
