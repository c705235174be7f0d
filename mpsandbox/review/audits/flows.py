"""Flows the encoding cannot hide: the first walk compared with its differential walk (non-interference).

The runs are deterministic (same seed, virtual clock, random sequence), so when a walk read a sensitive source the
review walks again with only the sources' values changed (canary variant 1: the same shapes, every random digit
and character different; see apis/canary.py). Once a source is read, every sink records a digest of its payload
with every form of a canary the scan knows taken out (apis/sink_digest.py). Here the sinks of the two walks are
aligned (by sink, API and page, in order) and a sink whose digest differs, or that only one walk used, depends on a
source whatever the transform: split, reversed, offset, scaled, char codes, XOR, base 36, a branch on the value.

The canary pass stays the first pass and the explanation: a sink where it found a canary in a form whose removal
does not cover the whole dependence (base64 cores, rounding, decoded tokens) is its flow, reported with its
encoding by the privacy audits; everything else found here is a hidden flow, attributed to the sources read
before the sink (those read in the sink's own user action first), and reported by the same privacy audits with
both walks' payloads as evidence. This module only reads the two traces.

The canary pass learns no new decoders for scaled or offset numbers, XOR or base 36: each has too many keys to
guess without false matches, and this comparison finds them all.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from ...trace import ApiCallEvent, SinkEvent, SourceRead, Trace
from ..artifacts import Artifacts, RunArtifacts
from ..model import Evidence
from .base import event_evidence

# Encodings whose canary forms the digest removes exactly: a flow in these forms alone leaves equal digests.
EXACT_ENCODINGS = ("plain", "json", "hex", "reversed", "base36")
MAX_HIDDEN = 200  # hidden flows kept per walk
ALIGN_LIMIT = 400  # sinks of one kind per page aligned by edit distance; longer runs are paired in order
CONTEXT = 60


@dataclass
class HiddenFlow:
    """A sink that depends on a source in a way the canary pass does not explain."""

    run: RunArtifacts  # the first walk (its twin is run.twin)
    first: SinkEvent | None  # the sink in the first walk (None: only the second walk used it)
    second: SinkEvent | None
    candidates: list[SourceRead]  # the sources that may have reached it
    same_action: bool  # the candidates were read in the sink's own user action

    @property
    def event(self) -> SinkEvent:
        return self.first or self.second  # type: ignore[return-value]

    @property
    def change(self) -> str:
        if self.first is not None and self.second is not None:
            return "its payload changes with the source's value"
        return "it is made only with some values of the source"


def hidden_flows(art: Artifacts, sinks: tuple[str, ...]) -> Iterable[HiddenFlow]:
    for run in art.runs:
        for flow in _compare(run):
            if flow.event.sink in sinks:
                yield flow


_CACHE: dict[int, tuple[RunArtifacts, list[HiddenFlow]]] = {}


def _compare(run: RunArtifacts) -> list[HiddenFlow]:
    cached = _CACHE.get(id(run))
    if cached is not None and cached[0] is run:
        return cached[1]
    flows = compare_walks(run) if run.twin is not None else []
    if len(_CACHE) >= 4:  # the walks of one review at a time: no growth across reviews
        _CACHE.clear()
    _CACHE[id(run)] = (run, flows)
    return flows


def compare_walks(run: RunArtifacts) -> list[HiddenFlow]:
    """The hidden flows between ``run`` and its differential walk ``run.twin``."""
    assert run.twin is not None
    first, second = _grouped(run.trace.events), _grouped(run.twin.trace.events)
    out: list[HiddenFlow] = []
    for key in list(first) + [k for k in second if k not in first]:
        for a, b in _align(first.get(key, []), second.get(key, [])):
            if a is not None and b is not None and a.digest == b.digest:
                continue
            if a is not None and _explained(a):
                continue
            out.append(_attribute(run, a, b))
            if len(out) >= MAX_HIDDEN:
                return sorted(out, key=lambda f: f.event.seq)
    return sorted(out, key=lambda f: f.event.seq)


def _grouped(events: list) -> dict[tuple, list[SinkEvent]]:
    groups: dict[tuple, list[SinkEvent]] = {}
    for e in events:
        if e.kind == "sink":
            groups.setdefault((e.sink, e.sink_api, e.page), []).append(e)
    return groups


def _align(a: list[SinkEvent], b: list[SinkEvent]) -> Iterable[tuple[SinkEvent | None, SinkEvent | None]]:
    """The two walks' sinks of one kind, paired: equal digests where the order allows, else in order."""
    lo = 0
    while lo < len(a) and lo < len(b) and a[lo].digest == b[lo].digest:
        lo += 1
    hi_a, hi_b = len(a), len(b)
    while hi_a > lo and hi_b > lo and a[hi_a - 1].digest == b[hi_b - 1].digest:
        hi_a, hi_b = hi_a - 1, hi_b - 1
    mid_a, mid_b = a[lo:hi_a], b[lo:hi_b]
    if len(mid_a) > ALIGN_LIMIT or len(mid_b) > ALIGN_LIMIT:
        opcodes = [("replace", 0, len(mid_a), 0, len(mid_b))]
    else:
        matcher = difflib.SequenceMatcher(None, [e.digest for e in mid_a], [e.digest for e in mid_b], autojunk=False)
        opcodes = matcher.get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        xs, ys = mid_a[i1:i2], mid_b[j1:j2]
        for i in range(max(len(xs), len(ys))):
            yield (xs[i] if i < len(xs) else None), (ys[i] if i < len(ys) else None)


def _explained(event: SinkEvent) -> bool:
    """The canary pass found a source here in a form the digest cannot remove: its flow, already reported."""
    return any(hit.split(":", 1)[-1] not in EXACT_ENCODINGS for hit in event.found)


def _attribute(run: RunArtifacts, a: SinkEvent | None, b: SinkEvent | None) -> HiddenFlow:
    event = a or b
    assert event is not None
    trace = run.trace if a is not None else run.twin.trace  # type: ignore[union-attr]
    sources = list(event.sources)
    if event.chain is not None:
        by_api = calls_by_api(trace)
        in_action = [s for s in sources
                     if any(c.chain == event.chain and c.seq < event.seq for c in by_api.get(s.api, []))]
        if in_action:
            return HiddenFlow(run, a, b, in_action, True)
    return HiddenFlow(run, a, b, sources, False)


_CALLS: dict[int, tuple[Trace, dict[str, list[ApiCallEvent]]]] = {}


def calls_by_api(trace: Trace) -> dict[str, list[ApiCallEvent]]:
    """The trace's API calls by API, in order (kept for the last few traces)."""
    cached = _CALLS.get(id(trace))
    if cached is None or cached[0] is not trace:
        by_api: dict[str, list[ApiCallEvent]] = {}
        for c in trace.api_calls():
            by_api.setdefault(c.api, []).append(c)
        if len(_CALLS) >= 4:  # a walk and its twin at a time: no growth across reviews
            _CALLS.clear()
        cached = _CALLS[id(trace)] = (trace, by_api)
    return cached[1]


def last_call_before(trace: Trace, api: str, seq: int) -> ApiCallEvent | None:
    """The last call of ``api`` before event ``seq``."""
    earlier = [c for c in calls_by_api(trace).get(api, []) if c.seq < seq]
    return earlier[-1] if earlier else None


# ---- evidence -------------------------------------------------------------------------------------------------------
def flow_evidence(flow: HiddenFlow, description: str) -> list[Evidence]:
    """Both walks' payloads at the sink (the first differing part), and where the candidate sources were read."""
    a, b = flow.first, flow.second
    twin = flow.run.twin
    ea, eb = _excerpts(a.excerpt if a else "", b.excerpt if b else "")
    sources = {"change": flow.change, "candidates": [f"{c.category}@{c.api}" for c in flow.candidates],
               "read_in_the_same_action": flow.same_action}
    evidence = []
    if a is not None:
        evidence.append(event_evidence(flow.run, a, f"{description}; first walk: {ea or '(empty)'}",
                                       {"destination": a.destination, "payload": ea, **sources}))
    if b is not None and twin is not None:
        what = "second walk, only the sources' values changed" if a is not None else f"{description}; only the " \
            "second walk (only the sources' values changed) made it"
        evidence.append(event_evidence(twin, b, f"{what}: {eb or '(empty)'}",
                                       {"destination": b.destination, "payload": eb, **sources}))
    trace = flow.run.trace if a is not None else (twin.trace if twin else flow.run.trace)
    run = flow.run if a is not None else (twin or flow.run)
    for source in flow.candidates[:3]:
        call = last_call_before(trace, source.api, flow.event.seq)
        if call is not None and call.stack:
            evidence.append(event_evidence(run, call, f"candidate source: {call.called_as} returned the "
                                                      f"{source.category}"))
    return evidence


def _excerpts(a: str, b: str) -> tuple[str, str]:
    """The two excerpts around their first difference."""
    if a == b:
        return (a[:CONTEXT * 2] + " (the payloads differ further on)", b[:CONTEXT * 2] + " (…)") if a else (a, b)
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start, end = max(0, i - CONTEXT), i + 2 * CONTEXT

    def cut(text: str) -> str:
        return ("…" if start else "") + text[start:end] + ("…" if len(text) > end else "")

    return cut(a), cut(b)
