"""record: the caps the reviewer applies to what it records, reached by a walk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..model import Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ..policy import Policy

WHAT = {
    "events": "the trace's event cap",
    "turns": "the record's byte budget (later turns not kept)",
    "console": "the cap on console lines",
    "payload": "the serializer's budget per message",
    "scan": "the canary search's cap on decoded text",
}


@audit(
    "record-incomplete",
    title="The record of the walk is incomplete",
    category="resource",
    severity=Severity.WARNING,
    description="""A walk reached a cap the reviewer applies to what it records: more events than a trace holds
    (100,000; past it only flows, permissions, budgets and calls of sensitive APIs are kept, up to 20,000 more),
    more console lines than it keeps (2,000; their text is still searched for sensitive data), a message the
    framework's serializer cut at its budget (200,000 values or 8 Mi characters), or a text too long for the
    sensitive-data search to decode. What was not recorded was not judged, so the review cannot vouch for the
    bundle: the finding is at least a warning, so that an incomplete record is never approved and a person looks.
    It is an error when what was cut is what the review judges: the payload of a data sink (request, upload,
    socket, storage, share...) or the events past the second cap, where a hostile bundle that first fills the
    record would hide its leak. A busy honest bundle (a loop that logs or calls a harmless API) is flagged, not
    rejected, and whatever it sends past the first cap is still judged.""",
    fix="""Bound the loops that call APIs, log or set timers; send large data in several calls (or upload a file)
    rather than one payload of hundreds of thousands of values.""",
    example="for (let i = 0; i < 150000; i++) tt.getSystemInfoSync(); tt.request({url, data: {lat}})",
)
def record_incomplete(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.of_kind("cap"):
            what = WHAT.get(e.cap, e.cap)
            at = f" at {e.where}" if e.where and e.cap in ("payload", "scan") else ""
            times = f" {e.times} times" if e.times > 1 else ""
            message = (f"the {run.mode} walk's record is incomplete: {what} ({e.limit:,} {e.unit}) was reached"
                       f"{at}{times}; {e.dropped:,} {e.unit} left out")
            if e.judged:
                message += " of what the review judges"
            yield Hit(message=message, key=f"{e.cap}|{e.where}|{e.unit}",
                      evidence=[event_evidence(run, e, e.detail or message,
                                               {"cap": e.cap, "where": e.where, "limit": e.limit, "unit": e.unit,
                                                "times": e.times, "dropped": e.dropped})],
                      severity=Severity.ERROR if e.judged else None)
