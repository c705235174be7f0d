"""The review's walk: drive a bundle through every page and handler without help, as a curious user would.

Launch, then for every page of the main package and the subpackages: open it (its lifecycle runs), act on every
element of its rendered view (or, where there is none, fire every handler bound in its template by name) once as a
user event with a detail typed as its component gives it (handlers bound only where the rendered view never
showed them are out of a user's reach: counted, not fired), tap what was tapped a second time, pull down, reach
the bottom, scroll, share, hide and show the app, stay on the page while its timers come due (virtual time jumps
to each pending timeout within the dwell budget), then move on (which unloads it). After the last page everything
is unloaded and virtual time runs on, so timers and listeners that outlive their page show up in the trace. Last,
the app is quit and launched a second time on the same device, with the storage of the first launch (behaviour
behind a flag the first launch stored).

Budgets are per step (opening a page, one handler, one page hook) and per page, not for the whole walk, so a large
app is walked to the end. A step that spends its budget with no user input is the bundle running away (a budget
event, which the review flags); a page that spends its budget over many steps is the walk running out (a coverage
note, never a finding): the rest of that page is skipped and the walk moves on.
"""

from __future__ import annotations

import copy
import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ..apis.host import ApiHost
from ..apis.mocks import MockConfig, UserMock
from .environment import Environment, bundle_digest
from .sandbox import RunLimits, Sandbox
from ..trace import BudgetEvent, NoteEvent, RunStats, Trace
from .view.events import form_type, form_values, interactive, open_type_events
from .view.expr import ExprError, NotConstant, constant_value, split_mustache
from .view.tree import Element

if TYPE_CHECKING:
    from ..bundle import Bundle

WalkMode = Literal["allow", "deny"]
SETTLE_MS = 3_000  # virtual time a step may take to settle before the walk moves on
LEAVING_OPS = ("redirectTo", "reLaunch", "switchTab", "navigateTo", "navigateBack")
CONSOLE_LINES_PER_PAGE = 40  # the record keeps this many console lines per page (beyond the run's own cap)
EVENTS_PER_PAGE = 300  # and this many events (the WeChat demo's walk: 54,641 events over 353 steps)
TAPS = ("tap", "longpress", "longtap")  # the actions the walk repeats (behaviour behind the second tap)


class WalkBudgets(BaseModel):
    """The walk's own budgets (see the module's docstring)."""

    step_turns: int = Field(2_000, gt=0)
    step_cpu_ms: float = Field(3_000.0, gt=0)
    page_turns: int = Field(8_000, gt=0)
    page_cpu_ms: float = Field(6_000.0, gt=0)
    # turns nobody is charged with (timers and calls of unloaded pages, animation frames) that a page lets run before
    # the walk stops the unloaded pages' work and holds the frames
    orphan_turns: int = Field(500, gt=0)
    handlers_per_page: int = Field(120, gt=0)
    elements_per_page: int = Field(80, gt=0)  # distinct interactive element shapes acted on per page
    runaway_pages: int = Field(3, gt=0)  # pages whose steps ran away before the walk stops (at least 1 in 20)
    dwell_ms: int = Field(10 * 60_000, ge=0)  # virtual time a page stays open for its pending timers to come due
    second_taps: bool = True  # tap every tapped element (and handler fired by name) a second time
    relaunch: bool = True  # launch the app a second time, with the first launch's storage


class WalkLog(BaseModel):
    mode: WalkMode
    pages_visited: list[str] = Field(default_factory=list)
    pages_failed: list[str] = Field(default_factory=list)
    pages_skipped: list[str] = Field(default_factory=list)  # never tried: the walk stopped first
    pages_redirected: dict[str, str] = Field(default_factory=dict)  # route -> where the app sent the user instead
    handlers_fired: int = 0
    elements_acted: int = 0  # user actions on rendered elements (taps, inputs, choices)
    handlers_bound: int = 0  # distinct handlers bound in the templates of the bundle's pages
    handlers_skipped: list[str] = Field(default_factory=list)  # dynamic handler names the walk cannot resolve
    # handlers bound only where the rendered page never showed them (a false wx:if, an empty list): bound, out of
    # a user's reach, not fired
    handlers_unrendered: list[str] = Field(default_factory=list)
    budget_notes: list[str] = Field(default_factory=list)  # where the walk's own budget cut it short
    runaway_steps: int = 0  # steps that spent their budget without user input
    second_taps: int = 0  # taps repeated on elements and handlers already tapped once
    timers_awaited: int = 0  # pending timers the walk stayed on a page for (virtual time jumped to them)
    relaunched: bool = False  # the app was launched a second time
    orphans_stopped: int = 0  # timers of unloaded pages the walk stopped after they kept a step busy
    relaunch_acted: int = 0  # elements of the entry page acted on after the second launch
    stopped_early: str | None = None  # why the walk stopped before the end


class PageView(BaseModel):
    """A page as the walk first saw it rendered: element metrics, and the HTML for a screenshot."""

    route: str
    nodes: int = 0
    depth: int = 0
    max_children: int = 0
    html: str = ""


MAX_PAGE_VIEWS = 40  # pages whose HTML a walk keeps (metrics are kept for every page)
MAX_VIEW_HTML = 2 * 1024 * 1024


@dataclass
class WalkResult:
    trace: Trace
    log: WalkLog
    stats: RunStats
    views: dict[str, PageView] = field(default_factory=dict)
    launch_to_ready_ms: int | None = None
    units_per_ms: float = 1.0  # the engine's CPU units per nominal millisecond
    environment: Environment | None = None  # what the walk showed the bundle: pass it on to repeat the walk
    sources_read: list[str] = field(default_factory=list)  # sensitive sources handed out: "latitude@getLocation"


@dataclass
class Binding:
    handler: str
    event: str = "tap"
    open_type: str | None = None
    dataset: dict[str, Any] = field(default_factory=dict)
    component: str | None = None  # the component whose method handles it; None: the page
    target_id: str = ""
    dynamic: bool = False
    tag: str = ""  # the element the event comes from (picker, switch, input...)
    attrs: dict[str, str] = field(default_factory=dict)  # its static attributes (mode, type, min...)


def deny_all(base: MockConfig | None = None) -> MockConfig:
    """The same mocks, with a user who refuses every permission, profile and phone number request."""
    base = base or MockConfig()
    user = base.user.model_copy(update={"permissions": "deny", "scopes": {}, "script": [], "profile": "deny",
                                        "phone_number": "deny"})
    return base.model_copy(update={"user": UserMock.model_validate(user.model_dump())})


def page_bindings(bundle: Bundle, route: str) -> list[Binding]:
    """Handlers bound in a page's template and in the templates of the components it uses."""
    out: list[Binding] = []
    seen: set[tuple] = set()
    for b in bundle.bindings(route):
        if not b.handler:
            continue
        binding = Binding(
            handler=b.handler,
            event=b.event or "tap",
            open_type=b.open_type,
            dataset={k: static_value(v) for k, v in b.dataset.items()},
            component=b.owner,
            target_id=b.id,
            dynamic=b.dynamic,
            tag=b.tag.lower(),
            attrs={k: v for k, v in b.attrs.items() if "{{" not in v},
        )
        key = (binding.handler, binding.event, binding.component, binding.open_type)
        if key in seen:
            continue
        seen.add(key)
        out.append(binding)
    return out


_ONLOAD_PARAM = re.compile(r"\bonLoad\s*(?::\s*(?:async\s+)?(?:function\s*[\w$]*\s*)?)?\(\s*([A-Za-z_$][\w$]*)")
_KEY = re.compile(r"[A-Za-z_$][\w$]*")
QUERY_KEYS = 12  # keys of a page's query the walk fills in at most
# members read on the options object that are methods, not query keys
_NOT_QUERY_KEYS = frozenset({"hasOwnProperty", "toString", "valueOf", "constructor", "length", "map", "forEach",
                             "filter", "keys", "split", "replace", "indexOf", "includes", "slice", "trim", "then"})


def page_query_keys(bundle: Bundle, route: str) -> list[str]:
    """The keys of its query a page's onLoad reads (``options.id``, ``options?.id``, ``options['id']``,
    ``const { id, step } = options``), from the page's own script: what the app's navigations to it carry."""
    path = route + ".js"
    if path not in bundle.files:
        return []
    try:
        text = bundle.read_text(path)
    except (OSError, UnicodeError, ValueError):
        return []
    keys: list[str] = []
    for name in dict.fromkeys(_ONLOAD_PARAM.findall(text)):
        n = re.escape(name)
        for m in re.finditer(rf"(?<![\w$.]){n}\s*(?:\?\.|\.)\s*([A-Za-z_$][\w$]*)|(?<![\w$.]){n}\[['\"]([^'\"]+)['\"]\]",
                             text):
            keys.append(m.group(1) or m.group(2))
        for m in re.finditer(rf"\{{([^{{}}]*)\}}\s*=\s*(?:\(\s*)?{n}(?![\w$])", text):
            for part in m.group(1).split(","):
                key = _KEY.match(part.strip())
                if key:
                    keys.append(key.group(0))
    return [k for k in dict.fromkeys(keys) if k not in _NOT_QUERY_KEYS][:QUERY_KEYS]


_LINK = re.compile(r"""['"`]/?([\w\-./]{1,200})\?([^'"`\s<>]{1,400})""")


def link_queries(bundle: Bundle) -> dict[str, str]:
    """The query each page is linked with in the bundle's own code and templates (``navigateTo({ url:
    '/pages/order/confirm?type=cart' })``, ``<navigator url="/pages/x?id={{id}}">``): the first link's literal
    values, a key whose value is computed (``?id=${id}``, ``{{id}}``) set to "1"."""
    routes = {p.route for p in bundle.pages}
    out: dict[str, str] = {}
    for path in bundle.files:
        if not path.endswith((".js", ".wxml", ".ttml", ".axml", ".swan", ".qml")) or path.startswith(
                ("miniprogram_npm/", "node_modules/")):
            continue
        try:
            text = bundle.read_text(path)
        except (OSError, UnicodeError, ValueError):
            continue
        for m in _LINK.finditer(text):
            route = posixpath.normpath(posixpath.join(posixpath.dirname(path), m.group(1))) \
                if m.group(1).startswith(".") else m.group(1).lstrip("/")
            if route not in routes or route in out:
                continue
            pairs = []
            for part in m.group(2).split("&")[:QUERY_KEYS]:
                key, _, value = part.partition("=")
                if not _KEY.fullmatch(key):
                    break
                pairs.append(f"{key}={value if value and not any(c in value for c in '${}+') else '1'}")
            if pairs:
                out[route] = "&".join(pairs)
    return out


def static_value(raw: Any) -> Any:
    """A dataset value as far as the template alone tells it: text, a constant ``{{ }}`` expression evaluated
    (uni-app's ``data-event-opts`` arrays), or "1" for one that reads data the walk does not know."""
    text = str(raw)
    if "{{" not in text:
        return raw
    parts = split_mustache(text)
    if len(parts) == 1 and isinstance(parts[0], tuple):
        try:
            return constant_value(parts[0][1])
        except (ExprError, NotConstant, RecursionError):
            return "1"
    return "1"


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text is not None else default
    except ValueError:
        return default


# xr-frame's events give platform objects: the scene (catalogue object XrScene, built in the logic realm from the
# {"$object": type} marker) when <xr-scene> is ready, the AR system when its AR is; <xr-assets> reports progress
XR_DETAILS: dict[tuple[str, str], dict[str, Any]] = {
    ("xr-scene", "ready"): {"value": {"$object": "XrScene"}},
    ("xr-scene", "ar-ready"): {"value": {"$object": "XrARSystem"}},
    ("xr-assets", "progress"): {"value": {"progress": 1, "loaded": 1, "total": 1}},
    ("xr-assets", "loaded"): {"value": {}},
}


# video / live-player / camera events' details, typed as the components give them (WeChat's component docs;
# Douyin's video adds playbackratechange and mutechange)
MEDIA_DETAILS: dict[tuple[str, str], dict[str, Any]] = {
    ("video", "timeupdate"): {"currentTime": 1.5, "duration": 10.0},
    ("video", "progress"): {"buffered": 35},
    ("video", "fullscreenchange"): {"fullScreen": True, "direction": "horizontal"},
    ("video", "loadedmetadata"): {"width": 1280, "height": 720, "duration": 10.0},
    ("video", "seekcomplete"): {"position": 3.0},
    ("video", "playbackratechange"): {"playbackRate": 1.5},
    ("video", "mutechange"): {"isMuted": True},
    ("video", "controlstoggle"): {"show": True},
    ("video", "play"): {}, ("video", "pause"): {}, ("video", "ended"): {}, ("video", "waiting"): {},
    ("video", "error"): {"errMsg": "MEDIA_ERR_NETWORK"},
    ("live-player", "statechange"): {"code": 2004},
    ("live-player", "fullscreenchange"): {"fullScreen": True, "direction": "horizontal"},
    ("live-player", "netstatus"): {"info": {"videoBitrate": 1200, "audioBitrate": 64, "videoFPS": 25, "netSpeed": 1300,
                                            "videoWidth": 1280, "videoHeight": 720}},
    ("live-player", "error"): {"errMsg": "live-player:fail", "errCode": 10001},
    ("live-pusher", "statechange"): {"code": 1002},
    ("camera", "initdone"): {"maxZoom": 10},
    ("camera", "stop"): {},
    ("camera", "error"): {"errMsg": "camera:fail auth deny"},
}


def plausible_detail(b: Binding) -> dict[str, Any]:
    """``event.detail`` as the element the event comes from gives it (WeChat's component docs; Douyin and Alipay
    follow them)."""
    ev = b.event.lower()
    tag = b.tag
    mode = (b.attrs.get("mode") or "").lower()
    xr = XR_DETAILS.get((tag, ev))
    if xr is not None:
        return copy.deepcopy(xr)
    media = MEDIA_DETAILS.get((tag, ev))
    if media is not None:
        return copy.deepcopy(media)
    if tag == "picker":
        if ev == "columnchange":
            return {"column": 0, "value": 0}
        if ev == "cancel":
            return {}
        if mode == "multiselector":
            return {"value": [0, 0]}
        if mode == "date":
            return {"value": b.attrs.get("start") or "2025-01-01"}
        if mode == "time":
            return {"value": b.attrs.get("start") or "12:00"}
        if mode == "region":
            return {"value": ["广东省", "广州市", "海珠区"], "code": ["440000", "440100", "440105"],
                    "postcode": "510000"}
        return {"value": 0}
    if tag == "picker-view":
        return {"value": [0, 0, 0]}
    if tag in ("switch", "checkbox") and ev == "change":
        return {"value": True}
    if tag == "checkbox-group":
        return {"value": ["1"]}
    if tag == "radio-group":
        return {"value": "1"}
    if tag == "slider":
        return {"value": int(_number(b.attrs.get("min"), 0)) + int(_number(b.attrs.get("step"), 1))}
    if tag in ("input", "textarea") or (not tag and ev in ("input", "confirm", "blur", "focus")):
        if ev == "linechange":
            return {"height": 40, "heightRpx": 80, "lineCount": 2}
        if ev == "focus":
            return {"value": "1", "height": 0}
        if ev == "keyboardheightchange":
            return {"height": 0, "duration": 0}
        value = "1" if b.attrs.get("type") in ("number", "digit", "idcard") else "1"
        return {"value": value, "cursor": len(value), "keyCode": 49}
    if tag == "scroll-view" or ev in ("scroll", "scrolltolower", "scrolltoupper"):
        if ev == "scrolltolower":
            return {"direction": "bottom"}
        if ev == "scrolltoupper":
            return {"direction": "top"}
        return {"scrollLeft": 0, "scrollTop": 400, "scrollHeight": 2000, "scrollWidth": 375, "deltaX": 0,
                "deltaY": 100}
    if tag == "swiper":
        if ev == "transition":
            return {"dx": 100, "dy": 0}
        return {"current": 1, "currentItemId": "", "source": "touch"}
    if tag == "form" and ev == "submit":
        return {"value": {}, "formId": ""}
    if tag == "form" and ev == "reset":
        return {}
    if tag in ("image", "cover-image") and ev == "load":
        return {"width": 375, "height": 375}
    if ev == "error":
        return {"errMsg": f"{tag or 'component'}:fail"}
    if tag == "map":
        if ev in ("markertap", "callouttap", "labeltap"):
            return {"markerId": 0}
        if ev == "regionchange":  # the end of a drag: where the map now is
            return {"type": "end", "causedBy": "drag", "rotate": 0, "skew": 0, "scale": 16,
                    "centerLocation": {"latitude": 30.28, "longitude": 120.15},
                    "region": {"southwest": {"latitude": 30.2, "longitude": 120.1},
                               "northeast": {"latitude": 30.3, "longitude": 120.2}}}
    if ev == "change" and not b.component:
        return {"value": "1"}
    return {"x": 100, "y": 200}


NATIVE_TAGS = frozenset({
    "view", "text", "button", "image", "input", "textarea", "scroll-view", "swiper", "swiper-item", "navigator",
    "icon", "form", "picker", "picker-view", "switch", "slider", "radio", "radio-group", "checkbox",
    "checkbox-group", "label", "video", "camera", "map", "canvas", "web-view", "rich-text", "progress",
    "movable-area", "movable-view", "cover-view", "cover-image", "audio", "live-player", "live-pusher", "ad",
    "editor", "page-container", "share-element",
})


def _native_tag(tag: str) -> bool:
    return tag in NATIVE_TAGS


def element_shape(el: Element) -> tuple:
    """What makes two elements the same to a user: where they come from (the component), the tag, what they are
    bound to. The items of a list share a shape, so the walk acts on one of them."""
    owner = el.owner.rsplit(":", 1)[-1] if isinstance(el.owner, str) else ""
    binds = tuple(sorted((b.event, str(b.handler)) for b in el.bindings))
    # the template node it came from tells elements apart that bind the same handler name (uni-app binds every
    # event to one dispatcher, `__e`); compiled templates do not say, so the dispatcher's options stand in
    where = el.source or str(el.attrs.get("data-event-opts") or "")[:200]
    return (owner, el.tag, binds, str(el.attrs.get("openType") or ""), str(el.attrs.get("formType") or ""),
            str(el.attrs.get("name") or "") if not binds else "", where)


PERSONAL_HINTS = (  # what a field asks for, from its name/placeholder/type, and the canary kind typed into it
    (("phone", "mobile", "tel", "手机", "电话", "联系方式"), "phoneNumber"),
    (("idcard", "id_card", "idno", "身份证", "证件"), "idNumber"),
    (("address", "addr", "地址", "住址"), "detailInfo"),
    (("name", "姓名", "联系人", "收件人", "真实"), "userName"),
)


def typed_value(el: Element, sb: Sandbox) -> str:
    """What the walk types into a field: a personal-data canary when the field asks for one (so typed personal
    data reaching a sink is a flow like an API's), else a short neutral text."""
    hint = " ".join(str(el.attrs.get(k) or "") for k in ("name", "placeholder", "type", "id", "class")).lower()
    for words, kind in PERSONAL_HINTS:
        if any(w in hint for w in words):
            value = sb.api_host.canaries.issue(kind, "user-input")
            return str(value)
    if str(el.attrs.get("type") or "") in ("number", "digit"):
        return "12"
    return "hello"


def rendered_detail(el: Element, ev: str) -> dict[str, Any] | None:
    """A change's detail as the rendered element gives it: the value of the group's first radio or checkbox, one
    index per column of a multi-column picker."""
    if ev != "change":
        return None
    if el.tag in ("radio-group", "checkbox-group"):
        item = "radio" if el.tag == "radio-group" else "checkbox"
        value = next((c.attrs.get("value") for c in el.iter() if c.tag == item and c.attrs.get("value") is not None),
                     None)
        if value is None:
            return None
        return {"value": str(value)} if item == "radio" else {"value": [str(value)]}
    if el.tag == "picker" and str(el.attrs.get("mode") or "").lower() == "multiselector":
        columns = el.attrs.get("range")
        if isinstance(columns, list) and columns:
            return {"value": [0] * len(columns)}
    return None


# the order a user acts on one element in, whatever order its template wrote the bindings in (wcc writes a compiled
# element's attributes sorted, so the source and compiled forms of an app would otherwise be walked differently)
_USER_ORDER = {ev: i for i, ev in enumerate((
    "touchstart", "touchmove", "touchend", "touchcancel", "tap", "longpress", "longtap", "focus", "input",
    "keyboardheightchange", "change", "confirm", "blur"))}


def _user_order(event: str) -> tuple[int, str]:
    return _USER_ORDER.get(event, len(_USER_ORDER)), event


def user_events(el: Element, sb: Sandbox) -> list[tuple[str, dict[str, Any] | None]]:
    """The user actions the walk performs on an element, with their details."""
    events = []
    bound = []
    for b in el.bindings:
        if b.event.lower() not in bound:
            bound.append(b.event.lower())
    bound.sort(key=_user_order)
    tag = el.tag
    fired_by_buttons = set(open_type_events(sb.platform).values())  # only an open-type button's tap fires them
    # a component the sandbox renders sends its own events (triggerEvent) when the user acts inside it, with the
    # detail it chooses: only touches reach its host from the user
    runs_inside = el.shadow is not None
    for ev in bound:
        if ev in fired_by_buttons:
            continue
        if ev in ("tap", "longpress", "longtap", "touchstart", "touchend"):
            events.append((ev, None))
        elif runs_inside and ev not in ("touchmove", "touchcancel"):
            continue
        elif ev in ("submit", "reset") and tag == "form":
            # the form's own button submits or resets it when the walk taps that button
            if not any(c.tag == "button" and form_type(c) == ev for c in el.iter()):
                events.append((ev, {"value": form_values(el), "formId": ""} if ev == "submit" else {}))
        elif tag in ("input", "textarea") and ev in ("input", "confirm", "blur", "change"):
            value = typed_value(el, sb)
            el.attrs["value"] = value  # what the field now holds (a form submits it)
            detail = {"value": value, "cursor": len(value), "keyCode": 49} if ev == "input" else {"value": value}
            events.append((ev, detail))
        else:
            attrs = {k: str(v) for k, v in el.attrs.items() if isinstance(v, (str, int, float))}
            events.append((ev, rendered_detail(el, ev) or plausible_detail(Binding(handler="", event=ev, tag=tag,
                                                                                   attrs=attrs))))
    if tag == "button" and (el.attrs.get("openType") or el.attrs.get("formType")) and "tap" not in bound:
        events.insert(0, ("tap", None))
    return events


class _Stop(Exception):
    """The walk cannot go on (the run ended, or the bundle kept running away)."""


class Walker:
    def __init__(
        self,
        bundle: Bundle,
        *,
        mode: WalkMode = "allow",
        engine: str = "native",
        seed: int = 0,
        limits: RunLimits | None = None,
        mocks: MockConfig | None = None,
        allow_domains: list[str] | None = None,
        idle_after_unload_ms: int = 30_000,
        budgets: WalkBudgets | None = None,
        environment: Environment | None = None,
        canary_variant: int = 0,
    ):
        self.bundle = bundle
        self.canary_variant = canary_variant  # 0: the seed's canaries; else the differential walk's (same shapes)
        self.mode = mode
        self.engine = engine
        self.seed = seed
        self.environment = environment or Environment.for_seed(seed, bundle.platform, bundle_digest(bundle))
        self.budgets = budgets or WalkBudgets()
        self.routes = [p.route for p in bundle.pages if p.exists]
        self.routes += [p.route for p in bundle.pages if not p.exists]
        # the whole-walk caps grow with the app: every page (and launch and the end) has its own budget
        steps = len(self.routes) + 2
        base = limits or RunLimits()
        self.limits = base.model_copy(update={
            "max_turns": max(base.max_turns, self.budgets.page_turns * steps),
            "cpu_ms_total": max(base.cpu_ms_total, self.budgets.page_cpu_ms * steps),
            "max_console": max(base.max_console, CONSOLE_LINES_PER_PAGE * steps),
            "max_events": max(base.max_events, EVENTS_PER_PAGE * steps),  # the byte budget still bounds the record
            "virtual_ms": max(base.virtual_ms, 2 ** 50),
            # a differential walk is compared by its events: its turns and views would only double the reviewer's
            # memory (the WeChat demo's two records: 957 MB)
            **({"record_turns": False} if canary_variant else {}),
        })
        mocks = mocks or MockConfig()
        self.mocks = deny_all(mocks) if mode == "deny" else mocks
        self.allow_domains = allow_domains
        self.idle_after_unload_ms = idle_after_unload_ms
        self.log = WalkLog(mode=mode)
        self.views: dict[str, PageView] = {}
        self._route = ""  # the page being walked ("" at launch and at the end)
        self._queries: dict[str, str] = {}  # the query a page is opened with (see _open_with_query)
        self._links: dict[str, str] | None = None  # the queries the app's own links give its pages
        self._page_uncharged0: int | None = None  # the sandbox's uncharged turns when the page's first step ran
        self._page_turns = 0
        self._page_cpu = 0.0
        self._page_ran_away = False
        self._runaway_pages = 0
        self._page_rendered = False  # the view rendered the page being exercised
        self._on_screen: dict[str, tuple[dict[str, Any], str]] = {}  # handler -> (dataset, id) of an element bound

    def _make_sandbox(self) -> Sandbox:
        host = ApiHost.for_bundle(self.bundle, mocks=self.mocks, seed=self.seed, allowed_domains=self.allow_domains,
                                  canary_variant=self.canary_variant)
        return Sandbox(self.bundle, engine=self.engine, seed=self.seed, limits=self.limits, api_host=host,
                       environment=self.environment)

    def run(self) -> WalkResult:
        sb = self._make_sandbox()
        try:
            t0 = time.perf_counter()
            try:
                self._walk(sb)
            except _Stop:
                pass
            trace = sb.stop("the walk is over") if sb.trace.end is None else sb.trace
            sb.stats.wall_ms = (time.perf_counter() - t0) * 1000.0
            return WalkResult(trace=trace, log=self.log, stats=sb.stats, launch_to_ready_ms=_launch_to_ready(trace),
                              units_per_ms=sb.engine.info.units_per_ms, views={} if self.canary_variant else self.views,
                              environment=self.environment,
                              sources_read=[f"{c.kind}@{c.source_api}" for c in sb.api_host.canaries.canaries])
        finally:
            sb.close()

    # ---- budgets -------------------------------------------------------------------------------------------------
    def _begin_page(self, route: str) -> None:
        self._route = route
        self._page_uncharged0 = None
        self._page_turns = 0
        self._page_cpu = 0.0
        self._page_ran_away = False

    def _note(self, sb: Sandbox, text: str) -> None:
        self.log.budget_notes.append(text)
        sb.record(NoteEvent(**sb.ev(), code="walk-budget", message=text))

    def _settle(self, sb: Sandbox, step: str) -> bool:
        """Run the step's consequences within the step's and the page's budgets. False: leave this page (its
        budget is spent or it ran away). Raises _Stop when the walk cannot go on."""
        b = self.budgets
        turns_left = b.page_turns - self._page_turns
        cpu_left = b.page_cpu_ms - self._page_cpu
        turns, cpu = min(b.step_turns, turns_left), min(b.step_cpu_ms, cpu_left)
        turns0, cpu0 = sb.turns_run, sb.cpu_ms_used
        end, spent = self._run_window(sb, sb.now + SETTLE_MS, turns, cpu, settle_from=sb.now)
        self._page_turns += sb.turns_run - turns0
        self._page_cpu += sb.cpu_ms_used - cpu0
        where = self._route or ("launch" if step == "launch" else "the end of the walk")
        if end is not None:
            self.log.stopped_early = f"{end.reason}: {end.detail}".rstrip(": ")
            raise _Stop
        if spent is None:
            return True
        by_step = (b.step_turns <= turns_left) if spent == "turns" else (b.step_cpu_ms <= cpu_left)
        if by_step:
            # no user input in a step, yet it would not settle: an endless timer chain or busy polling
            used = f"{sb.turns_run - turns0} turns" if spent == "turns" else f"{sb.cpu_ms_used - cpu0:.0f} ms of CPU"
            sb.record(BudgetEvent(**sb.ev(), budget="turns" if spent == "turns" else "cpu",
                                  detail=f"runaway: {step} on {where} did not settle within {SETTLE_MS} ms of virtual "
                                         f"time ({used})"))
            self.log.runaway_steps += 1
            if not self._page_ran_away:
                self._page_ran_away = True
                self._runaway_pages += 1
            # a big app may hold a few pages that never settle (AR and WebGL pages draw every frame): the walk
            # stops after the policy's count or one page in twenty, whichever is more
            if self._runaway_pages >= max(b.runaway_pages, len(self.routes) // 20):
                self.log.stopped_early = f"the bundle ran away on {self._runaway_pages} pages"
                self._note(sb, f"walk stopped: the bundle ran away on {self._runaway_pages} pages")
                raise _Stop
        else:
            what = f"{b.page_turns} turns" if spent == "turns" else f"{b.page_cpu_ms:.0f} ms of CPU"
            self._note(sb, f"{where}: the walk's page budget ({what}) ran out at {step}; the rest of the page was "
                           "not exercised")
        return False

    def _run_window(self, sb: Sandbox, until: int, turns: float, cpu_ms: float,
                    settle_from: int | None = None) -> tuple[Any, str | None]:
        """Run until ``until`` (virtual ms) within ``turns`` and ``cpu_ms`` charged to the step; with
        ``settle_from``, only until the step has settled from then on (nothing but background ticks left: the later
        ticks of pollers and clocks of a second or more, which would keep any page busy). Turns nobody is
        charged with (timers and API calls of unloaded pages, animation frames) get ``orphan_turns`` a page: past
        them, the timers that unloaded pages left running are stopped and the answers to their pending calls dropped
        (a note: the walk's measure; the orphan-timer audit has seen them fire) and the step goes on; with none,
        frames alone were drawing and the rest of the step runs with them held. Returns the run's end (if it ended)
        and which window budget ("turns" or "cpu") was spent."""
        b = self.budgets
        turns_end, cpu_end = sb.turns_run + max(int(turns), 0), sb.cpu_ms_used + max(cpu_ms, 0.0)
        if self._page_uncharged0 is None:
            self._page_uncharged0 = sb.uncharged_turns
        cap: int | None = max(0, b.orphan_turns - (sb.uncharged_turns - self._page_uncharged0))
        try:
            while True:
                sb.open_window(turns=max(turns_end - sb.turns_run, 0), cpu_ms=max(cpu_end - sb.cpu_ms_used, 0.0),
                               uncharged_turns=cap)
                end = sb.run(until=until, settle_from=settle_from)
                spent = sb.window_spent
                sb.close_window()
                if end is not None or spent != "uncharged":
                    return end, spent
                stopped = sb.stop_orphan_timers(f"timers of unloaded pages kept {self._route or 'the app'} busy "
                                                f"past the walk's budget for them; the walk stopped them")
                self.log.orphans_stopped += sum(stopped.values())
                if not stopped:
                    sb.hold_frames(True)
                    cap = None  # nothing uncharged can run now
        finally:
            sb.hold_frames(False)

    # ---- steps -----------------------------------------------------------------------------------------------------
    def _left_to(self, sb: Sandbox, route: str, seq0: int) -> str | None:
        """Where the app sent the user after ``route`` loaded (a login redirect, a reLaunch...), if it did."""
        loaded = False
        for e in sb.trace.events[seq0:]:
            if e.kind == "lifecycle" and e.target == "page" and e.hook == "onLoad" and e.route == route:
                loaded = True
            elif (loaded and e.kind == "navigation" and e.outcome == "ok" and e.from_route == route
                  and e.op in LEAVING_OPS and e.to_route):
                return e.to_route
        return None

    def _open(self, sb: Sandbox, route: str) -> str:
        """Bring ``route`` on top the way a user would reach it: a tab by switchTab, another page by navigateTo
        from the entry page (so navigateBack works), falling back to reLaunch. Returns ``ok``, ``redirected`` (it
        loaded and the app moved away), ``failed`` or ``spent`` (the page's budget ran out)."""
        tabs = set(self.bundle.tab_pages)
        if sb.pages and sb.pages[-1] == route:
            return "ok"
        seq0 = len(sb.trace.events)
        entry = self.bundle.entry_page
        query = self._queries.get(route)
        url = "/" + route + (f"?{query}" if query else "")
        if route in tabs:
            ok = sb.route("switchTab", "/" + route)
        elif entry and route != entry:
            if sb.pages != [entry]:
                sb.route("switchTab" if entry in tabs else "reLaunch", "/" + entry)
                if not self._settle(sb, f"return to {entry}"):
                    return "spent"
            ok = sb.route("navigateTo", url)
        else:
            ok = sb.route("reLaunch", url)
        if not ok:
            ok = sb.route("reLaunch", url)
        if not ok:
            return "failed"
        if not self._settle(sb, f"open {route}"):
            return "spent"
        if sb.pages and sb.pages[-1] == route:
            return "ok"
        to = self._left_to(sb, route, seq0)
        if to is not None:
            self.log.pages_redirected.setdefault(route, to)
            return "redirected"
        return "failed"

    def _walk(self, sb: Sandbox) -> None:
        bindings = {r: page_bindings(self.bundle, r) for r in self.routes}
        # a handler is a method of a page or component: one bound to many events (Taro's "eh" on 118) counts once
        self.log.handlers_bound = sum(len({(b.handler, b.component) for b in v}) for v in bindings.values())
        try:
            self._begin_page("")
            sb.launch()
            self._settle(sb, "launch")
            for route in self.routes:
                self._begin_page(route)
                seq0 = len(sb.trace.events)
                state = self._open(sb, route)
                if state == "redirected" or (state == "ok" and _onload_failed(sb, route, seq0)):
                    state = self._open_with_query(sb, route, reopen=state == "ok")
                if state == "failed":
                    self.log.pages_failed.append(route)
                    continue
                self.log.pages_visited.append(route)
                if state == "ok":
                    self._exercise(sb, route, bindings[route])
                    self._dwell(sb, route)
        except _Stop:
            done = set(self.log.pages_visited) | set(self.log.pages_failed)
            self.log.pages_skipped = [r for r in self.routes if r not in done]
            if self.log.pages_skipped and sb.trace.end is None:
                self._note(sb, f"{len(self.log.pages_skipped)} page(s) not walked: {self.log.stopped_early}")
            if sb.trace.end is not None:
                raise
        self._begin_page("")
        self._finish_app(sb)
        if self.budgets.relaunch and sb.trace.end is None:
            self._relaunch(sb)

    def _open_with_query(self, sb: Sandbox, route: str, reopen: bool = False) -> str:
        """A page that sent the user away, or whose onLoad threw, when opened without a query (``if (!options.id)
        navigateBack()``, ``JSON.parse(options.list)``) is opened again with the query the app's own links give it
        (:func:`link_queries`); one that sent the user away and has no link, with each key its onLoad reads set
        to "1" (a note says so). The first open's redirect stays in the log unless this one stays; its onLoad error
        is no finding (a page reached only from outside the app, with no link, keeps its error)."""
        if self._links is None:
            self._links = link_queries(self.bundle)
        query = self._links.get(route)
        if query is None and not reopen:  # a throwing onLoad is retried with the app's own links only
            keys = page_query_keys(self.bundle, route)
            query = "&".join(f"{k}=1" for k in keys) if keys else None
        if query is None or route in self._queries or route in self.bundle.tab_pages:
            return "ok" if reopen else "redirected"
        self._queries[route] = query
        self._note_query(sb, route, "its onLoad threw" if reopen else "sent the user away")
        if reopen:  # the page is on top: a fresh instance of it, with the query
            if not sb.route("redirectTo", f"/{route}?{query}"):
                return "ok"
            if not self._settle(sb, f"reopen {route}"):
                return "spent"
            return "ok" if sb.pages and sb.pages[-1] == route else "failed"
        state = self._open(sb, route)
        if state == "ok":
            self.log.pages_redirected.pop(route, None)
        return state

    def _note_query(self, sb: Sandbox, route: str, why: str = "sent the user away") -> None:
        sb.record(NoteEvent(**sb.ev(), code="walk-query",
                            message=f"{route} {why} when opened without a query: opened again with "
                                    f"?{self._queries[route]} (from the app's links to it, or the keys its onLoad "
                                    "reads)", data={"route": route, "query": self._queries[route]}))

    def _snapshot(self, sb: Sandbox, route: str) -> None:
        if self.canary_variant:  # the differential walk: its first walk keeps the views
            return
        if route in self.views or sb.view is None or not sb.pages or sb.pages[-1] != route:
            return
        tree = sb.view_tree()
        if tree is None:
            return
        stats = tree.stats()
        html = ""
        if len(self.views) < MAX_PAGE_VIEWS:
            rec = sb.router.top
            doc = sb.view.document(rec.page_id) if rec is not None else None
            html = doc if doc and len(doc) <= MAX_VIEW_HTML else ""
        self.views[route] = PageView(route=route, html=html, **stats)

    def _exercise(self, sb: Sandbox, route: str, bindings: list[Binding]) -> None:
        self._snapshot(sb, route)
        seq0 = len(sb.trace.events)
        reached = self._exercise_elements(sb, route)
        if reached is None:
            return
        fired = len(reached)
        # handlers of components nested deeper than the templates' bindings tell (a modal inside a dialog) that the
        # rendered page reached are bound too
        self.log.handlers_bound += len(set(reached) - {(b.handler, b.component) for b in bindings})
        by_name: list[dict[str, Any]] = []  # taps fired by name, for the second round
        # handlers bound in the templates that no action on a rendered element reached: those bound on an element
        # the rendered page showed (a component's event it never sent) are fired by name with that element's
        # dataset; those bound only where the rendered page never showed them (a false wx:if) are out of a user's
        # reach and not fired (a note counts them); where the view did not render the page, or failed to render
        # the template, they are fired by name, as the static walk does. A component's own event it sent while the
        # walk acted inside it already reached its handler, with the component's detail
        reached_names = {name for name, _ in reached}
        counted = set(reached)  # (handler, component) fired on this page: each counts once
        emitted = {e.hook.split(":", 1)[1] for e in sb.trace.events[seq0:]
                   if e.kind == "lifecycle" and e.target == "component" and e.hook.startswith("triggerEvent:")}
        failed = sb.view.failed if sb.view is not None else set()
        unrendered: list[str] = []
        for b in bindings:
            if b.handler in reached_names or (b.event in emitted and b.tag and not _native_tag(b.tag)):
                continue
            if (b.handler, b.component) in counted:
                continue  # fired by name once already, for another of its events (Taro's "eh" has 118)
            if b.dynamic or (b.dataset.get("eventOpts") == "1"):
                # a dynamic name, or uni-app's dispatcher without the options its element would carry: firing it
                # by name would only fail inside the dispatcher
                self.log.handlers_skipped.append(b.handler)
                continue
            seen = self._on_screen.get(b.handler)
            if (seen is None and self._page_rendered and route not in failed
                    and (b.component or route) not in failed):
                if b.handler not in unrendered:
                    unrendered.append(b.handler)
                continue
            if fired >= self.budgets.handlers_per_page:
                left = {(x.handler, x.component) for x in bindings} - counted
                self._note(sb, f"{route}: {len(left)} handler(s) beyond the walk's "
                               f"{self.budgets.handlers_per_page} per page were not fired")
                break
            if self._open(sb, route) != "ok":
                return
            dataset, target_id = seen if seen is not None else (b.dataset, b.target_id)
            kwargs: dict[str, Any] = dict(page=route, component=b.component, dataset=dataset,
                                          detail=plausible_detail(b), event_type=b.event, target_id=target_id)
            if b.open_type:
                kwargs["open_type"] = b.open_type
            sb.tap(b.handler, **kwargs)
            counted.add((b.handler, b.component))
            self.log.handlers_fired += 1
            fired += 1
            if b.event in TAPS:
                by_name.append(kwargs | {"handler": b.handler})
            if not self._settle(sb, f"{b.event} {b.handler}"):
                return
        if unrendered:
            self.log.handlers_unrendered += unrendered
            text = (f"{route}: {len(unrendered)} handler(s) bound only in parts of the page its rendered view never "
                    f"showed (a false wx:if, an empty list...) were not fired: {', '.join(unrendered[:8])}"
                    f"{'...' if len(unrendered) > 8 else ''}")
            self.log.budget_notes.append(text)
            sb.record(NoteEvent(**sb.ev(), code="walk-unrendered", message=text))
        for kwargs in by_name if self.budgets.second_taps else ():
            if not self._budget_for_second_taps():
                break
            if self._open(sb, route) != "ok":
                return
            sb.tap(**kwargs)
            self.log.second_taps += 1
            if not self._settle(sb, f"second {kwargs['event_type']} {kwargs['handler']}"):
                return
        if self._open(sb, route) != "ok":
            return
        for hook, args in (("onPullDownRefresh", ()), ("onReachBottom", ()),
                           ("onPageScroll", ({"scrollTop": 800},)),
                           ("onShareAppMessage", ({"from": "menu", "target": None},))):
            # pull-down, reach-bottom, scroll and share hooks are not user activation (platform facts)
            sb.trigger(hook, *args, page=route, gesture=False)
            if not self._settle(sb, hook):
                return
            if not sb.pages or sb.pages[-1] != route:
                if self._open(sb, route) != "ok":
                    return
        sb.hide_app()
        sb.show_app()
        self._settle(sb, "hide and show the app")

    def _exercise_elements(self, sb: Sandbox, route: str,
                           second_taps: bool = True) -> list[tuple[str, str | None]] | None:
        """Act on every distinct interactive element of the rendered page, as a user would: each shape once (one
        item of a list), including elements that earlier actions revealed. Returns the handlers reached (name,
        component), or None when the page can no longer be walked."""
        reached: list[tuple[str, str | None]] = []
        self._page_rendered = False
        self._on_screen = {}
        if sb.view is None:
            return reached
        done: set[tuple] = set()
        tapped: list[tuple[tuple, str]] = []  # (shape, event) of each tap, for the second round
        acted = 0
        while acted < self.budgets.elements_per_page:
            if self._open(sb, route) != "ok":
                return None
            tree = sb.view_tree()
            if tree is None:
                return reached
            self._look(tree)
            target = next((el for el in interactive(tree) if element_shape(el) not in done), None)
            if target is None:
                break
            shape = element_shape(target)
            done.add(shape)
            acted += 1
            for event, detail in user_events(target, sb):
                el = self._find(sb, route, shape)
                if el is None:
                    break
                names = sb.tap_element(el, event, detail)
                if event in TAPS:
                    tapped.append((shape, event))
                owner = _handler_owner(el, route)
                fresh = [(n, owner) for n in names if (n, owner) not in reached]  # each handler counts once a page
                reached += fresh
                self.log.handlers_fired += len({key for key in fresh})
                self.log.elements_acted += 1
                if not self._settle(sb, f"{event} <{el.tag}>"):
                    return None
        else:
            self._note(sb, f"{route}: more interactive elements than the walk's {self.budgets.elements_per_page} "
                           "per page; the rest were not acted on")
            tree = sb.view_tree() if sb.pages and sb.pages[-1] == route else None
            if tree is not None:
                self._look(tree)
        for shape, event in tapped if self.budgets.second_taps and second_taps else ():
            if not self._budget_for_second_taps():
                break
            el = self._find(sb, route, shape)
            if el is None:
                continue
            sb.tap_element(el, event)
            self.log.second_taps += 1
            if not self._settle(sb, f"second {event} <{el.tag}>"):
                return None
        return reached

    def _look(self, tree: Element) -> None:
        """Note the handlers bound on the elements of the rendered page (with the dataset and id of the first
        element seen bound to each): what a user can reach."""
        self._page_rendered = True
        for el in tree.iter():
            for b in el.bindings:
                if isinstance(b.handler, str) and b.handler not in self._on_screen:
                    self._on_screen[b.handler] = (dict(el.dataset), el.id)

    def _budget_for_second_taps(self) -> bool:
        """Second taps come after every first action of the page, and only while half its budget is left."""
        b = self.budgets
        return self._page_turns * 2 <= b.page_turns and self._page_cpu * 2 <= b.page_cpu_ms

    def _find(self, sb: Sandbox, route: str, shape: tuple) -> Any:
        """The element of ``shape`` on the page now (reopened if an earlier action left it)."""
        if not sb.pages or sb.pages[-1] != route:
            if self._open(sb, route) != "ok":
                return None
        tree = sb.view_tree()
        if tree is None:
            return None
        return next((el for el in interactive(tree) if element_shape(el) == shape), None)

    def _finish_app(self, sb: Sandbox) -> None:
        sb.unload_all()
        if not self._settle(sb, "unload every page"):
            return
        idle = self.idle_after_unload_ms
        while idle > 0:  # the idle time after the last page, in steps with their own budgets
            chunk = min(SETTLE_MS, idle)
            idle -= chunk
            self._begin_page("")
            if not self._settle_for(sb, chunk):
                return
        self._begin_page("")
        self._dwell(sb, "")

    def _dwell(self, sb: Sandbox, route: str) -> None:
        """Stay (on the page) while its pending timers come due, as a user who keeps it open: virtual time jumps to
        each pending timeout of the page (or the app), and each tick of an interval or link of a timeout chain of a
        second or more (up to its 60th), due within the dwell budget, within the page's turn and CPU budgets; the
        timers of the pages beneath it had their own dwell. Spending them is the walk running out (a note), never
        the bundle running away."""
        b = self.budgets
        until = sb.now + b.dwell_ms
        while (due := sb.next_timer_at(until, min_delay=SETTLE_MS, owner_route=route or None)) is not None:
            turns_left, cpu_left = b.page_turns - self._page_turns, b.page_cpu_ms - self._page_cpu
            turns0, cpu0 = sb.turns_run, sb.cpu_ms_used
            end, spent = self._run_window(sb, due + SETTLE_MS, turns_left, cpu_left, settle_from=due)
            self._page_turns += sb.turns_run - turns0
            self._page_cpu += sb.cpu_ms_used - cpu0
            self.log.timers_awaited += 1
            if end is not None:
                self.log.stopped_early = f"{end.reason}: {end.detail}".rstrip(": ")
                raise _Stop
            if spent is not None:
                self._note(sb, f"{route or 'the app'}: the page's budget ran out while waiting for its timers; "
                               f"timers due by {until} ms of virtual time may not have fired")
                return

    def _relaunch(self, sb: Sandbox) -> None:
        """Quit the app and launch it again on the same device, with the storage of the first launch: behaviour
        behind a flag the first launch stored shows. The entry page opens, its elements are acted on (once each,
        within the page's budget), its timers come due, all unloads."""
        sb.relaunch()
        self.log.relaunched = True
        self._begin_page("")
        sb.launch()
        if not self._settle(sb, "relaunch"):
            return
        entry = sb.pages[-1] if sb.pages else ""
        if entry:
            self._begin_page(entry)
            counted = (self.log.handlers_fired, self.log.elements_acted)  # coverage counts the first launch only
            reached = self._exercise_elements(sb, entry, second_taps=False)
            self.log.relaunch_acted = self.log.elements_acted - counted[1]
            self.log.handlers_fired, self.log.elements_acted = counted
            if reached is None:
                return
        self._dwell(sb, sb.pages[-1] if sb.pages else "")
        sb.unload_all()
        self._settle(sb, "unload every page")

    def _settle_for(self, sb: Sandbox, ms: int) -> bool:
        b = self.budgets
        end, spent = self._run_window(sb, sb.now + ms, b.step_turns, b.step_cpu_ms)
        if end is not None:
            self.log.stopped_early = f"{end.reason}: {end.detail}".rstrip(": ")
            return False
        if spent is not None:
            sb.record(BudgetEvent(**sb.ev(), budget="turns" if spent == "turns" else "cpu",
                                  detail=f"runaway: after every page unloaded, the app did not settle within "
                                         f"{ms} ms of virtual time"))
            self.log.runaway_steps += 1
            return False
        return True


def _onload_failed(sb: Sandbox, route: str, seq0: int) -> bool:
    return any(e.kind == "error" and e.source == "Page.onLoad" and e.page == route for e in sb.trace.events[seq0:])


def _handler_owner(el: Element, route: str) -> str | None:
    """Whose handler an element's event reached, as the templates' bindings name it: the component's template file
    (every instance of a component is one), None for the page's own; the instance path when the element does not
    say which template node it came from (compiled templates)."""
    source = (el.source or "").split("#", 1)[0]
    if source:
        owner = source.rsplit(".", 1)[0]
        return None if owner == route else owner
    return el.owner if isinstance(el.owner, str) else None


def _launch_to_ready(trace: Trace) -> int | None:
    for e in trace.events:
        if e.kind == "lifecycle" and e.target == "page" and e.hook == "onReady":
            return e.t
    return None


def walk(bundle: Bundle, **kwargs: Any) -> WalkResult:
    return Walker(bundle, **kwargs).run()
