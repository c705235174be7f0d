"""Events through the element tree, as the platforms dispatch them.

WeChat and Douyin: a capture phase from the root down to the target (``capture-bind``, ``capture-catch``), then
a bubble phase from the target up (``bind``, ``catch``, ``mut-bind``) for the events that bubble; ``catch`` stops
the event, ``capture-catch`` stops it before the bubble phase, and only the first ``mut-bind`` on the way up runs.
Alipay: ``onTap`` bubbles and ``catchTap`` stops. ``event.mark`` merges the ``mark:`` attributes from the target up;
``target`` is where the event started, ``currentTarget`` the element whose handler runs, each with its dataset.
Sources: developers.weixin.qq.com "WXML events" (bubbling list, capture, mut-bind, mark); Alipay "event system".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .tree import Element

# events that bubble (WeChat's list; Douyin and Alipay follow it for touch and tap)
BUBBLING = {"touchstart", "touchmove", "touchcancel", "touchend", "tap", "longpress", "longtap", "transitionend",
            "animationstart", "animationiteration", "animationend", "touchforcechange"}

# what the platforms count as user activation: these open a gesture window for APIs that need one (payment,
# subscription messages, clipboard writes, opening settings). Scroll, touchmove, input, change from typing,
# pull-down, reach-bottom, share hooks and timers are not activation. Source: platform-facts "User activation".
ACTIVATION = {
    "wx": {"tap", "longpress", "longtap", "submit", "getphonenumber", "getuserinfo", "getrealtimephonenumber",
           "chooseavatar", "opensetting", "contact", "launchapp", "agreeprivacyauthorization"},
    "tt": {"tap", "longpress", "longtap", "submit", "getphonenumber", "getuserinfo", "opensetting", "contact",
           "chooseavatar"},
    "my": {"tap", "longtap", "longpress", "submit", "getauthorize", "getphonenumber", "getuserinfo",
           "chooseavatar"},
}


def is_activation(platform: str, event: str) -> bool:
    return event.lower() in ACTIVATION.get(platform, ACTIVATION["wx"])


@dataclass
class Dispatch:
    element: Element
    handler: str
    kind: str  # bind, catch, capture-bind, capture-catch, mut-bind
    phase: str  # capture | target | bubble
    owner: Any = None  # the component instance the element belongs to (None: the page)


@dataclass
class EventPlan:
    event: str
    target: Element
    dispatches: list[Dispatch] = field(default_factory=list)
    mark: dict[str, Any] = field(default_factory=dict)


def _handlers(el: Element, event: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for b in el.bindings:
        if b.event.lower() != event.lower() or b.kind not in kinds:
            continue
        if isinstance(b.handler, str) and b.handler.strip():
            out.append((b.kind, b.handler.strip()))
    return out


def marks(target: Element) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for el in [target, *target.ancestors()]:
        for name, value in el.attrs.items():
            if name.startswith("mark:") and name[5:] not in merged:
                merged[name[5:]] = value
    return merged


def plan_event(target: Element, event: str) -> EventPlan:
    """Which handlers run, in order, when ``event`` starts at ``target``."""
    path = [target, *(a for a in target.ancestors() if a.tag != "#root")]  # target first, root last
    plan = EventPlan(event=event, target=target, mark=marks(target))
    bubbles = event.lower() in BUBBLING
    stopped = False
    for el in reversed(path if bubbles else [target]):
        for kind, handler in _handlers(el, event, ("capture-bind", "capture-catch")):
            plan.dispatches.append(Dispatch(el, handler, kind, "capture", getattr(el, "owner", None)))
            if kind == "capture-catch":
                stopped = True
                break
        if stopped:
            return plan
    mut_done = False
    for el in path if bubbles else [target]:
        for kind, handler in _handlers(el, event, ("bind", "catch", "mut-bind")):
            if kind == "mut-bind":
                if mut_done:
                    continue
                mut_done = True
            phase = "target" if el is target else "bubble"
            plan.dispatches.append(Dispatch(el, handler, kind, phase, getattr(el, "owner", None)))
            if kind == "catch":
                stopped = True
        if stopped:
            break
    return plan


def interactive(tree: Element) -> list[Element]:
    """Elements a user can act on: any element with a handler of its own, form fields, and open-type buttons,
    minus those hidden (``hidden`` on it or an ancestor)."""
    out = []
    for el in tree.iter():
        if el.hidden or any(a.hidden for a in el.ancestors()):
            continue
        if el.bindings or el.tag in ("input", "textarea", "picker", "switch", "slider", "checkbox", "radio",
                                     "form") or (el.tag == "button" and el.attrs.get("openType")):
            out.append(el)
    return out
