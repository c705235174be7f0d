"""permission: scopes used without declaration, privacy APIs without requiredPrivateInfos, early and repeated prompts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ..policy import Policy

ASKING = ("prompt", "authorize")


@audit(
    "undeclared-scope",
    title="Permission scope used but not declared",
    category="permission",
    severity=Severity.ERROR,
    description="""The bundle uses an API that needs a permission scope (location, camera, album, microphone...)
    that app.json does not declare under `permission` with a `desc`. The platform shows users why a scope is needed
    from that text; review rejects undeclared uses, and the call fails on the platform. WeChat's `permission` takes
    only its location scopes (userLocation, userFuzzyLocation, userLocationBackground): there, other scopes are
    asked for at their first use and never count as undeclared.""",
    fix="""Declare the scope in app.json, e.g. `"permission": {"scope.userLocation": {"desc": "to find the nearest
    shop"}}`, or stop using the API.""",
    example='tt.getLocation({success: r => ...}) // without "permission": {"scope.userLocation": {...}}',
)
def undeclared_scope(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.of_kind("permission"):
            if e.declared:
                continue
            yield Hit(
                message=f"scope {e.scope} is used by {e.api or 'the bundle'} but not declared in app.json `permission`",
                key=e.scope,
                evidence=[event_evidence(run, e, f"{e.action} of {e.scope} by {e.api}: {e.decision}", e.scope)]
                + _call_stack(run, e),
            )


def _call_stack(run, perm_event) -> list[Evidence]:
    """The API call that caused a permission event (the latest call of that API before it)."""
    for e in reversed(run.trace.events[: perm_event.seq]):
        if e.kind == "api" and e.api == perm_event.api:
            return [event_evidence(run, e, f"{e.called_as} called here")]
    return []


@audit(
    "missing-private-info",
    title="Privacy API not listed in requiredPrivateInfos",
    category="permission",
    severity=Severity.ERROR,
    description="""WeChat requires every location API a mini-program uses (getLocation, getFuzzyLocation,
    chooseLocation, chooseAddress, onLocationChange, startLocationUpdate...) to be listed in app.json
    `requiredPrivateInfos`; without it the call fails and the submission is refused.""",
    fix='Add the API name to app.json: `"requiredPrivateInfos": ["getLocation"]`.',
    example="wx.getLocation({...}) // with no requiredPrivateInfos in app.json",
)
def missing_private_info(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    if art.platform != "wx":
        return
    declared = set(art.app.required_private_infos if art.app is not None else [])
    for run in art.runs:
        for e in run.trace.api_calls():
            spec = art.catalogue.by_name.get(e.api)
            needed = spec.required_private_info if spec else None
            if needed and needed not in declared:
                yield Hit(
                    message=f"{e.called_as} needs `{needed}` in app.json requiredPrivateInfos",
                    key=needed,
                    evidence=[event_evidence(run, e, f"{e.called_as} called", needed)],
                )


@audit(
    "prompt-on-launch",
    title="Permission prompt before any user action",
    category="permission",
    severity=Severity.WARNING,
    description="""A permission dialog appears while the app launches, before the user has done anything. The
    platforms' review guidelines ask for permissions to be requested in context, when the user reaches the feature
    that needs them; a prompt on launch is a common rejection reason and users tend to refuse it.""",
    fix="Ask for the scope when the user taps the feature that needs it (e.g. a 'use my location' button).",
    example="App({ onLaunch() { tt.getLocation({...}) } })",
)
def prompt_on_launch(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.events:
            if e.kind == "user" and e.action == "tap":
                break
            if e.kind == "permission" and e.action in ASKING and e.decision != "not-asked":
                if e.reason and "already" in e.reason:
                    continue
                yield Hit(
                    message=f"{e.api or 'the bundle'} asks for {e.scope} before any user action",
                    key=e.scope,
                    evidence=[event_evidence(run, e, f"{e.action} of {e.scope} at launch", e.scope)]
                    + _call_stack(run, e),
                )


@audit(
    "reprompt-after-denial",
    title="Permission asked again after a denial",
    category="permission",
    severity=Severity.WARNING,
    description="""After the user refused a scope, the bundle keeps asking for it: in a loop, from a fail
    callback, or again on the same screen. Users read it as nagging, and the platforms forbid forcing consent.
    Counted per page visit, so a page that asks once each time it opens is not flagged.""",
    fix="""When a scope is denied, degrade gracefully; offer a button that calls openSetting if the user wants to
    change their mind.""",
    example="fail() { tt.getLocation({ fail: this.fail }) }  // asks again every time it is refused",
)
def reprompt_after_denial(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    limit = policy.thresholds.reprompt_limit
    for run in art.runs:
        denied: set[str] = set()
        asks: dict[str, list] = {}
        for e in run.trace.events:
            if e.kind == "navigation":
                asks = {}
                continue
            if e.kind != "permission":
                continue
            if e.action == "open-setting":
                denied.discard(e.scope)
                asks.pop(e.scope, None)
                continue
            asking = e.action in ASKING or e.reason == "denied-before"  # a use after a refusal asks again
            if not asking:
                continue
            if e.scope in denied:
                asks.setdefault(e.scope, []).append(e)
                if len(asks[e.scope]) == limit + 1:
                    yield Hit(
                        message=f"{e.scope} is asked for again after the user denied it "
                        f"({len(asks[e.scope])} times on one screen)",
                        key=e.scope,
                        evidence=[event_evidence(run, x, f"{x.action} of {x.scope} by {x.api} after a denial")
                                  for x in asks[e.scope]],
                    )
            if e.decision == "denied":
                denied.add(e.scope)


def app_json_location() -> Location:
    return Location(file="app.json", line=1)
