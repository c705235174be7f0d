"""The trace: everything a run did, as a pydantic model — the shared record on the ground floor: runtime writes
it, apis records into it, review and report read it (none of them import each other for it).

A trace holds only deterministic facts: the same bundle, seed, options and engine give the same trace byte for
byte. Wall-clock figures live in :class:`RunStats`, outside the trace. Cost figures (``cpu_units``, memory) are
deterministic per engine but differ between engines; :meth:`Trace.behaviour` drops them for comparisons.
"""

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TRACE_SCHEMA_VERSION = 1


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was cut (so clipping twice changes nothing)."""
    if len(text) <= limit:
        return text
    for reserve in (16, 24):
        kept = max(0, limit - reserve)
        suffix = f"…(+{len(text) - kept} chars)"
        if len(suffix) <= reserve:
            break
    return text[:kept] + suffix


def _clipped(limit: int) -> AfterValidator:
    return AfterValidator(lambda v: v if v is None or len(v) <= limit else clip(v, limit))


# Strings the bundle can shape are cut where the trace is built, so the host's memory stays bounded whatever a
# bundle names its functions or writes in its errors (the canary search sees the whole values before that).
Name = Annotated[str, _clipped(200)]  # function, API, hook, handler and key names
PathText = Annotated[str, _clipped(300)]  # files, routes, components, domains
Text = Annotated[str, _clipped(4000)]  # messages and details
MAX_QUERY_ITEMS = 50


def _small_query(query: dict[str, str]) -> dict[str, str]:
    if len(query) <= MAX_QUERY_ITEMS and all(len(k) <= 200 and len(v) <= 300 for k, v in query.items()):
        return query
    return {clip(k, 200): clip(v, 300) for k, v in list(query.items())[:MAX_QUERY_ITEMS]}


class Frame(BaseModel):
    model_config = ConfigDict(frozen=True)
    file: PathText
    line: int
    column: int = 0
    function: Name | None = None

    def __str__(self) -> str:
        fn = f"{self.function} " if self.function else ""
        return f"{fn}{self.file}:{self.line}:{self.column}"


class _Event(BaseModel):
    seq: int
    turn: int
    t: int  # virtual milliseconds since launch
    page: PathText | None = None  # route of the page on top of the stack


VIEW_LOAD_API = "viewLoad"  # api of the call events recording what the rendered view loads (called_as "<image src>")


class ApiCallEvent(_Event):
    kind: Literal["api"] = "api"
    call_id: int
    api: Name  # canonical (Douyin) name; for an unknown API, the name as called
    called_as: Name  # e.g. "wx.requestPayment", "RequestTask.abort"
    args: Any = None  # summary: JSON-able, long strings and big containers truncated
    sync: bool = False
    gesture: bool = False  # the turn is a user gesture (tap)
    chain: int | None = None  # the user gesture this call descends from
    outcome: Literal["ok", "fail", "pending", "unknown", "throw"] = "ok"
    err_msg: Text | None = None
    refused: Name | None = None  # why the host refused the call before its handler ran: gesture, auth deny...
    stack: list[Frame] = Field(default_factory=list)
    domain: PathText | None = None  # host name a network call (request/upload/download/socket) goes to


class ApiCompleteEvent(_Event):
    kind: Literal["api-complete"] = "api-complete"
    call_id: int
    api: Name
    outcome: Literal["ok", "fail"]
    err_msg: Text | None = None


class SetDataEvent(_Event):
    kind: Literal["setData"] = "setData"
    target: Literal["page", "component"]
    route: PathText | None = None
    component: PathText | None = None
    keys: list[Name]
    bytes: int
    applied: bool = True
    stack: list[Frame] = Field(default_factory=list)
    # like calls this one stands for: a timer's setData past its first fires is folded, the calls of span_ms of
    # virtual time from t in one event (a second for a timer faster than one a second, else a minute)
    times: int = 1
    span_ms: int = 0


class LifecycleEvent(_Event):
    kind: Literal["lifecycle"] = "lifecycle"
    target: Literal["app", "page", "component"]
    hook: Name
    route: PathText | None = None
    component: PathText | None = None
    times: int = 1  # how many like hooks this one stands for (a page's many instances of a component: folded)


class NavigationEvent(_Event):
    kind: Literal["navigation"] = "navigation"
    op: Name  # navigateTo, redirectTo, switchTab, navigateBack, reLaunch, launch
    from_route: PathText | None = None
    to_route: PathText | None = None
    query: Annotated[dict[str, str], AfterValidator(_small_query)] = Field(default_factory=dict)
    outcome: Literal["ok", "fail"] = "ok"
    err_msg: Text | None = None
    depth: int = 0  # page stack depth after the navigation


class TimerEvent(_Event):
    kind: Literal["timer"] = "timer"
    op: Literal["set", "clear", "fire"]
    timer_id: int
    delay: int = 0
    repeat: bool = False
    owner: PathText | None = None  # route of the page that was on top when the timer was set
    owner_alive: bool = True  # on fire: the owner page is still loaded
    stack: list[Frame] = Field(default_factory=list)  # on set: where the bundle set it
    # how many like events this one stands for: past its first links the record folds a timeout chain's sets and
    # fires (and an interval's fires) into one event per op and owner state, counted here
    times: int = 1


class ConsoleEvent(_Event):
    kind: Literal["console"] = "console"
    level: Name
    text: Text


class ErrorEvent(_Event):
    kind: Literal["error"] = "error"
    error: Literal["uncaught", "unhandled-rejection", "module", "page-not-found", "framework", "limit"]
    name: Name = ""
    message: Text
    stack: list[Frame] = Field(default_factory=list)
    source: PathText | None = None  # where it was thrown from: "Page.onLoad", "timer", "api-callback", ...
    handled_by: Name | None = None  # App.onError / App.onUnhandledRejection / App.onPageNotFound


class UserEvent(_Event):
    kind: Literal["user"] = "user"
    action: Name  # tap, pullDownRefresh, reachBottom, share, hide, show, ...
    handler: Name | None = None
    target: PathText | None = None  # component path when the handler lives on a component
    found: bool = True
    gesture_id: int | None = None


class PermissionEvent(_Event):
    kind: Literal["permission"] = "permission"
    scope: Name
    api: Name | None = None
    action: Literal["prompt", "authorize", "check", "open-setting", "revoke"]
    decision: Literal["granted", "denied", "not-asked"]
    declared: bool = True
    reason: Text | None = None


class FlowEvent(_Event):
    kind: Literal["flow"] = "flow"
    source_api: Name
    source_kind: Name  # canary kind: latitude, phone, nickname...
    sink_api: Name
    sink: Name  # network, storage, clipboard, share, miniprogram, console...
    destination: PathText | None = None  # domain or storage key or app id
    encoding: Name = "plain"  # plain, json, url, base64, hex, rounded
    call_id: int | None = None
    consent: bool = False
    declared: bool = False
    stack: list[Frame] = Field(default_factory=list)


class SourceRead(BaseModel):
    """A sensitive source the bundle had read when a sink was used (latitude and longitude are one location)."""

    model_config = ConfigDict(frozen=True)
    category: str  # location, phone-number, identity...
    api: str  # the source API, "user-input" for what the walk typed
    kinds: list[str]  # its canary kinds
    consent: bool = False  # the user granted the source's scope (or it has none)
    declared: bool = False  # the scope / private info is declared where the platform requires it


class SinkEvent(_Event):
    """A data sink used after a sensitive source was read: what the differential walk compares (recorded only
    once a source was read, so runs that read none have none)."""

    kind: Literal["sink"] = "sink"
    sink: str  # network, storage, clipboard, share, miniprogram, console...
    sink_api: str
    destination: str | None = None
    call_id: int | None = None
    chain: int | None = None  # the user gesture the sink's turn descends from
    digest: str  # of the whole payload, every known form of a canary replaced by its kind
    excerpt: str = ""  # the payload's start, as compact JSON
    found: list[str] = Field(default_factory=list)  # the canary pass's hits here: "latitude:base64"
    sources: list[SourceRead] = Field(default_factory=list)  # the sources read before it
    stack: list[Frame] = Field(default_factory=list)


class BudgetEvent(_Event):
    kind: Literal["budget"] = "budget"
    budget: Literal["cpu", "wall", "memory", "stack", "turns", "virtual-time", "jobs", "timers", "events", "trap"]
    detail: Text = ""


class CapEvent(_Event):
    """A cap the host applied: past it the record is incomplete (one event per cap and place, counted)."""

    kind: Literal["cap"] = "cap"
    cap: Literal["events", "turns", "console", "payload", "scan"]
    where: str | None = None  # what was capped: an API as called (tt.request), "console", a framework op
    limit: int = 0
    unit: str = ""  # of limit and dropped: events, lines, values, chars
    times: int = 1  # how often the cap was reached at this place
    dropped: int = 0  # how much did not make it into the record (or the canary search)
    judged: bool = False  # what was cut is what the review judges: a data sink's payload, events findings use
    detail: str = ""


class NoteEvent(_Event):
    kind: Literal["note"] = "note"
    code: Name
    message: Text
    data: Any = None


Event = Annotated[
    Union[
        ApiCallEvent,
        ApiCompleteEvent,
        SetDataEvent,
        LifecycleEvent,
        NavigationEvent,
        TimerEvent,
        ConsoleEvent,
        ErrorEvent,
        UserEvent,
        PermissionEvent,
        FlowEvent,
        SinkEvent,
        BudgetEvent,
        CapEvent,
        NoteEvent,
    ],
    Field(discriminator="kind"),
]


class Turn(BaseModel):
    index: int
    t: int
    task: Name  # launch, page, timer, complete, emit, tap, lifecycle, render, ...
    detail: Text | None = None
    gesture: bool = False
    outcome: str = "ok"  # an engine Outcome value
    jobs: int = 0
    cpu_units: int = 0
    memory_bytes: int = 0
    times: int = 1  # how many like turns this one stands for (a polling chain's later fires: CPU and jobs summed)


class RunEnd(BaseModel):
    # crashed: the walk's process died or was killed (an engine fault); the trace holds what was recorded before
    reason: Literal["idle", "turns", "virtual-time", "cpu", "memory", "aborted", "trap", "stopped", "crashed"]
    detail: Text = ""
    turns: int
    t: int
    cpu_units: int
    peak_memory_bytes: int
    dropped_events: int = 0


class Trace(BaseModel):
    schema_version: int = TRACE_SCHEMA_VERSION
    bundle: str
    platform: Literal["tt", "wx", "my"]
    engine: str
    cpu_unit: str
    seed: int
    environment: dict[str, Any] | None = None  # the device, clock and host the run showed (runtime/environment.py)
    events: list[Event] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    end: RunEnd | None = None

    def of_kind(self, kind: str) -> list[Any]:
        return [e for e in self.events if e.kind == kind]

    def api_calls(self, api: str | None = None) -> list[ApiCallEvent]:
        return [e for e in self.events if e.kind == "api" and (api is None or e.api == api)]

    def behaviour(self) -> dict[str, Any]:
        """The trace without cost figures, for comparing runs across engines."""
        data = self.model_dump(mode="json", exclude={"engine": True, "cpu_unit": True})
        for turn in data["turns"]:
            turn.pop("cpu_units", None)
            turn.pop("memory_bytes", None)
        if data.get("end"):
            data["end"].pop("cpu_units", None)
            data["end"].pop("peak_memory_bytes", None)
        return data


class RunStats(BaseModel):
    """Measured, non-deterministic figures of a run."""

    wall_ms: float = 0.0
    peak_heap_bytes: int = 0  # as measured by the allocator
    engine_wall_ms: float = 0.0
    turns: int = 0
    launch_wall_ms: float | None = None  # launch to the first page's onReady
    peak_rss_bytes: int = 0  # of the walk's own process (isolated walks)
