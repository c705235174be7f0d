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
from typing import Any, Iterator

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
    path = [target, *(a for a in target.composed_ancestors() if a.tag != "#root")]  # target first, root last
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
    """Elements a user can act on: any element with a handler of its own, form fields, open-type buttons and a
    form's submit/reset buttons, minus those hidden (``hidden`` on it or an ancestor)."""
    out = []
    for el in _shown(tree):
        if el.bindings or el.tag in ("input", "textarea", "picker", "switch", "slider", "checkbox", "radio",
                                     "form") or (el.tag == "button" and (el.attrs.get("openType") or _form_button(el))):
            out.append(el)
    return out


def _shown(tree: Element) -> Iterator[Element]:
    """The elements of the composed tree (document order) with no ``hidden`` on them or a composed ancestor (a
    slot included), in one pass: asking each element's ancestors cost a 3,000-node Taro page seconds a look."""
    stack: list[tuple[Element | str, bool]] = []

    def push(node: Element, hidden: bool) -> None:
        for child, slot in reversed(node.composed_slots()):
            stack.append((child, hidden or (slot is not None and slot.hidden)))

    push(tree, False)
    count = 0
    while stack and count < 500_000:  # a slot assigned into itself cannot loop forever
        node, hidden = stack.pop()
        count += 1
        if not isinstance(node, Element):
            continue
        hidden = hidden or node.hidden
        if not hidden:
            yield node
        push(node, hidden)


def form_type(el: Element) -> str:
    """A button's form-type ("submit", "reset" or "")."""
    return str(el.attrs.get("formType") or el.attrs.get("form-type") or "")


def _form_button(el: Element) -> bool:
    return form_type(el) in ("submit", "reset") and any(a.tag == "form" for a in el.ancestors())


# ---- the events a user action on an element produces ---------------------------------------------------------------
OPEN_TYPE_EVENTS = {  # open-type -> the event the button fires after the user's choice
    "getPhoneNumber": "getphonenumber", "getRealtimePhoneNumber": "getrealtimephonenumber",
    "getUserInfo": "getuserinfo", "chooseAvatar": "chooseavatar", "openSetting": "opensetting",
    "contact": "contact", "launchApp": "launchapp", "agreePrivacyAuthorization": "agreeprivacyauthorization",
    "getAuthorize": "getauthorize", "lifestyle": "followlifestyle",
}
# Douyin's own open-types (its button and open-capacity docs) and the event each fires on success
DOUYIN_OPEN_TYPE_EVENTS = {
    "addCalendarEvent": "addcalendarevent", "openAwemeUserProfile": "openawemeuserprofile",
    "openWebcastRoom": "openwebcastroom", "authorizePrivateMessage": "authorizeprivatemessage",
    "navigateToVideoView": "navigatetovideoview", "addShortcut": "addshortcut", "privateMessage": "pm",
    "platformIm": "platformim", "joinGroup": "joingroup",
}


def open_type_events(platform: str) -> dict[str, str]:
    """open-type -> the event its button fires, on ``platform``."""
    return {**OPEN_TYPE_EVENTS, **DOUYIN_OPEN_TYPE_EVENTS} if platform == "tt" else OPEN_TYPE_EVENTS


def element_events(host: Any, el: Element, event: str, detail: dict[str, Any] | None,
                   chain: int) -> list[tuple[str, Element, dict[str, Any]]]:
    """(event type, target, detail) for a user action: the action itself, then what the platform fires because
    of it (an open-type button's event with the host's answer; a submit button's form submit)."""
    out = [(event, el, detail if detail is not None else {"x": 100, "y": 200})]
    if event != "tap" or el.tag != "button":
        return out
    open_type = str(el.attrs.get("openType") or el.attrs.get("open-type") or "")
    events = open_type_events(host.platform)
    if open_type in events:
        answer = host.api_host.button_event(open_type, host, chain=chain)
        out.append((events[open_type], el, answer if answer is not None else {}))
    kind = form_type(el)
    if kind in ("submit", "reset"):
        form = next((a for a in el.ancestors() if a.tag == "form"), None)
        if form is not None:
            value = form_values(form) if kind == "submit" else {}
            out.append((kind, form, {"value": value, "formId": ""} if kind == "submit" else {}))
    return out


def share_options(platform: str, button: Element) -> dict[str, Any]:
    """onShareAppMessage's argument when an open-type="share" button is tapped: from "button", the button as
    target; on Douyin the button's data-channel as channel."""
    options: dict[str, Any] = {"from": "button", "target": _target_info(button)}
    channel = button.dataset.get("channel")
    if platform == "tt" and isinstance(channel, str) and channel:
        options["channel"] = channel
    return options


def form_values(form: Element) -> dict[str, Any]:
    """What a form submits: each named field's current value, as the components give them."""
    values: dict[str, Any] = {}
    for el in form.iter():
        name = el.attrs.get("name")
        if not isinstance(name, str) or not name:
            continue
        if el.tag in ("input", "textarea"):
            values[name] = "" if el.attrs.get("value") is None else str(el.attrs.get("value"))
        elif el.tag in ("switch", "checkbox"):
            values[name] = el.attrs.get("checked") in (True, "true")
        elif el.tag == "slider":
            values[name] = el.attrs.get("value", 0)
        elif el.tag == "picker":
            values[name] = el.attrs.get("value", 0)
        elif el.tag == "radio-group":
            checked = [r for r in el.iter() if r.tag == "radio" and r.attrs.get("checked") in (True, "true")]
            values[name] = str(checked[0].attrs.get("value", "")) if checked else ""
        elif el.tag == "checkbox-group":
            values[name] = [str(c.attrs.get("value", "")) for c in el.iter()
                            if c.tag == "checkbox" and c.attrs.get("checked") in (True, "true")]
    return values


def _target_info(el: Element) -> dict[str, Any]:
    return {"id": el.id, "dataset": el.dataset, "offsetLeft": 0, "offsetTop": 0}


def dom_event(event: str, now: int, plan: EventPlan, d: Dispatch, detail: dict[str, Any]) -> dict[str, Any]:
    """The event object a handler receives."""
    touch = {"identifier": 0, "pageX": 100, "pageY": 200, "clientX": 100, "clientY": 200}
    return {
        "type": event,
        "timeStamp": now,
        "target": _target_info(plan.target),
        "currentTarget": _target_info(d.element),
        "detail": detail,
        "touches": [touch] if event in BUBBLING else [],
        "changedTouches": [touch] if event in BUBBLING else [],
        "mark": dict(plan.mark),
    }
