"""The sandbox: one bundle in one engine, driven turn by turn on a virtual clock owned by the host.

A turn delivers one task (lifecycle, page operation, user event, timer, API completion, event emission), drains
the microtasks, and ends. Virtual time only moves when the next task is due later; nothing waits on the wall clock.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import re
import time
from dataclasses import dataclass, field, replace
from itertools import islice
from importlib import resources
from os import PathLike
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from ..apis.catalogue import Platform
from ..apis.calls import ApiCall, Reply
from ..apis.host import ApiHost, host_of
from ..apis.mocks import MockConfig, load_mock_file
from ..apis.urls import MAX_URL
from ..boundedjson import loads as bounded_loads
from ..bundle.compiled import DOUYIN_MODULE_PARAMS
from ..bundle.compiled import MODULE_PARAMS as WECHAT_MODULE_PARAMS
from .engine import CallResult, Engine, EngineLimits, JobsResult, JSError, Outcome, create_engine
from .modules import to_commonjs
from .record import Recorder
from .router import Router, RouteResult
from .view.events import dom_event, element_events, is_activation, plan_event, share_options
from .view.session import ViewSession
from .view.sinks import ViewSink
from .view.tree import Element
from .environment import Environment, TurnClock, bundle_digest
from .stacks import FRAMEWORK_FILE_OF, FRAMEWORK_FILES, bundle_frames
from ..trace import (
    VIEW_LOAD_API,
    ApiCallEvent,
    ApiCompleteEvent,
    BudgetEvent,
    ConsoleEvent,
    ErrorEvent,
    Frame,
    LifecycleEvent,
    NavigationEvent,
    NoteEvent,
    RunEnd,
    RunStats,
    SetDataEvent,
    TimerEvent,
    Trace,
    Turn,
    UserEvent,
    clip,
)

if TYPE_CHECKING:
    from ..bundle import Bundle

FRAMEWORK_FILE = FRAMEWORK_FILE_OF["wx"]
TIMER_LINKS_KEPT = 20  # a timeout chain's first links (an interval's first fires) are recorded one by one
SETDATA_FOLD_MAX_BYTES = 16 * 1024  # a timer's setData over this is always recorded on its own (size audits)
FOLDED_TURN_CPU_MS = 1.0  # a folded timer's turn under this CPU (and without a limit) folds into one turn record
COMPONENT_HOOKS_KEPT = 50  # a page's first instances of a component have their lifecycle hooks recorded one by one
READY_DELAY_MS = 0
RENDER_DELAY_MS = 0
MIN_INTERVAL_MS = 1
BACKGROUND_TICK_MS = 1_000  # periodic timers at least this slow are background ticks once they have ticked
HEAP_FULL = 0.95  # a turn that leaves the heap this close to the memory limit met the limit


class RunLimits(BaseModel):
    """Budgets of one run. CPU figures are deterministic engine units converted from milliseconds."""

    model_config = ConfigDict(frozen=True)
    memory_bytes: int = 512 * 1024 * 1024  # a phone gives the logic layer hundreds of MB; a 312-page Taro app needs ~400 MB
    stack_bytes: int = 4 * 1024 * 1024  # see engine.base.js_stack_bytes
    cpu_ms_per_turn: float = 2_000.0
    cpu_ms_total: float = 30_000.0
    thread_cpu_ms_per_turn: float = 30_000.0  # backstop: the engine thread's measured CPU time in one turn
    wall_ms_per_turn: float = 120_000.0  # stalls only (a turn that took this long without spending its CPU time)
    max_turns: int = 20_000
    virtual_ms: int = 5 * 60 * 1000
    max_jobs_per_turn: int = 200_000
    max_events: int = 100_000
    max_kept_events: int = 20_000  # past max_events, events findings are made of are kept up to this many more
    max_record_bytes: int = 256 * 1024 * 1024  # the trace's events and turns, as record_size counts them
    record_turns: bool = True  # a differential walk keeps none: only its events are compared
    max_console: int = 2_000
    max_cpu_breaches: int = 3

    def engine_limits(self) -> EngineLimits:
        return EngineLimits(
            memory_bytes=self.memory_bytes,
            stack_bytes=self.stack_bytes,
            cpu_ms_per_turn=self.cpu_ms_per_turn,
            thread_cpu_ms_per_turn=self.thread_cpu_ms_per_turn,
            wall_ms_per_turn=self.wall_ms_per_turn,
        )


@dataclass(order=True)
class Task:
    t: int
    seq: int
    op: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False, default_factory=dict)
    gesture: bool = field(compare=False, default=False)
    chain: int | None = field(compare=False, default=None)
    label: str | None = field(compare=False, default=None)
    cause: str | None = field(compare=False, default=None)  # e.g. "complete:pay"
    owner: int | None = field(compare=False, default=None)  # an API completion's: the page whose code made the call


@dataclass
class _TimerState:
    delay: int
    repeat: bool
    owner_page: int | None
    owner_route: str | None
    cancelled: bool = False
    frame: bool = False  # an animation frame (requestAnimationFrame, animate callbacks)
    held: bool = False  # a frame waiting for its page to show again
    fires: int = 0
    link: int = 0  # the timers before it in its chain (each set by the previous one's callback)
    continued: bool = False  # its callback set the chain's next timer
    stack: list[Frame] = field(default_factory=list)  # where it was set


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    """Replace lone surrogates with U+FFFD everywhere in a JSON-like value (in place; iterative, as every walk
    over bundle data)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    node[i] = _SURROGATE.sub("\ufffd", v)
                elif isinstance(v, (list, dict)):
                    stack.append(v)
        elif isinstance(node, dict):
            for k in [k for k in node if _SURROGATE.search(k)]:
                node[_SURROGATE.sub("\ufffd", k)] = node.pop(k)
            for k, v in node.items():
                if isinstance(v, str):
                    node[k] = _SURROGATE.sub("\ufffd", v)
                elif isinstance(v, (list, dict)):
                    stack.append(v)
    return value


@functools.lru_cache(maxsize=None)
def _framework_source() -> str:
    return (resources.files("mpsandbox.runtime") / "js" / "framework.js").read_text(encoding="utf-8")


SUMMARY_VALUES = 400  # values one summary keeps at most, whatever the payload


def summarize(value: Any, depth: int = 0, budget: list[int] | None = None, keep: int = 300) -> Any:
    """A small, JSON-able summary of API arguments for the trace (cuts are marked in it). A ``url`` is kept
    whole, as long as a request API takes one: the network audits read it."""
    budget = [SUMMARY_VALUES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        return "…"
    if isinstance(value, str):
        return value if len(value) <= keep else value[:keep] + f"…(+{len(value) - keep} chars)"
    if isinstance(value, list):
        if depth >= 4:
            return f"[array of {len(value)}]"
        out = [summarize(v, depth + 1, budget) for v in value[:20]]
        if len(value) > 20:
            out.append(f"…(+{len(value) - 20} items)")
        return out
    if isinstance(value, dict):
        if depth >= 4:
            return f"{{object of {len(value)} keys}}"
        out_d = {clip(str(k), 100): summarize(v, depth + 1, budget, MAX_URL if k == "url" else 300)
                 for k, v in islice(value.items(), 30)}
        if len(value) > 30:
            out_d["…"] = f"+{len(value) - 30} keys"
        return out_d
    return value


class Sandbox:
    """Run one mini-program bundle. Not thread-safe; use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        bundle: Bundle,
        *,
        engine: str = "native",
        seed: int = 0,
        limits: RunLimits | None = None,
        platform: Platform | None = None,
        api_host: ApiHost | None = None,
        mocks: MockConfig | str | PathLike[str] | None = None,
        allowed_domains: list[str] | None = None,
        view: bool = True,
        environment: Environment | None = None,
    ):
        self.bundle = bundle
        self.platform: Platform = platform or bundle.platform
        self.seed = int(seed)
        self.environment = environment or Environment.for_seed(self.seed, self.platform, bundle_digest(bundle))
        self.limits = limits or RunLimits()
        if isinstance(mocks, (str, PathLike)):
            mocks = load_mock_file(mocks)
        self.api_host = api_host or ApiHost.for_bundle(bundle, mocks=mocks, seed=self.seed, platform=self.platform,
                                                       allowed_domains=allowed_domains)
        env = self.environment
        self.api_host.use_device(env.device, (env.host_version, env.sdk_version))
        self.stats = RunStats()
        self._wall_start = time.perf_counter()
        self._engine_name, self._with_view = engine, view
        self.view: ViewSession | None = None
        self.engine: Engine = None  # type: ignore[assignment]
        self._start_engines()
        self.trace = Trace(
            bundle=bundle.name,
            platform=self.platform,
            engine=self.engine.info.name,
            cpu_unit=self.engine.info.cpu_unit,
            seed=self.seed,
            environment=self.environment.model_dump(),
        )
        self._recorder = Recorder(self.trace, max_events=self.limits.max_events,
                                  max_kept=self.limits.max_kept_events, judged_api=self.api_host.is_judged,
                                  ev=self._ev, max_bytes=self.limits.max_record_bytes,
                                  record_turns=self.limits.record_turns)
        self.now = 0
        self._seq = 0
        self._turn_index = -1
        self._task: Task | None = None
        self._chains = 0
        self._new_launch_state()
        self._cpu_units_total = 0
        self._clock = TurnClock(self.environment.random_seed)
        self._cpu_breaches = 0
        self._peak_memory = 0
        self.turn_observer: Any = None  # called with each task before its turn and with None after it
        self._console_count = 0
        self._ended: RunEnd | None = None
        self.launches = 0  # launches of the app in this run (see relaunch)
        self._window: tuple[int | None, int | None] | None = None  # budget window: (turn index, cpu units) ends
        self.window_spent: str | None = None  # "turns" or "cpu" once run() stopped on the window
        self._uncharged_turns = 0  # turns no walk step is charged with (see _window_turns)
        self._owner_routes: dict[int, str | None] = {}  # page id -> route, of the pages that own pending calls
        self._first_ready_wall: float | None = None
        self._line1_offsets: dict[str, int] = {}
        self._stack_cache: dict[str, list] = {}
        self._ops = {name[4:]: getattr(self, name) for name in dir(self) if name.startswith("_op_")}
        suffix = hashlib.sha256(f"mpsandbox:{self.seed}".encode()).hexdigest()[:12]
        self._names = {
            "hostName": f"__mpsb_host_{suffix}",
            "defineName": f"__mpsb_define_{suffix}",
            "rejectionName": f"__mpsb_rejection_{suffix}",
        }
        self._boot()

    # ---- setup -----------------------------------------------------------------------------------------------
    def _start_engines(self) -> None:
        if self._with_view:
            self.view = ViewSession(self.bundle, engine=self._engine_name, on_sink=self._on_view_sink)
        self.engine = create_engine(self._engine_name, self.limits.engine_limits())

    def _new_launch_state(self) -> None:
        """What belongs to one launch of the app: its page stack, its tasks and timers, its host objects."""
        self.router = Router(set(self._all_routes()), set(self.bundle.tab_pages))
        self._queue: list[Task] = []
        self._objects: dict[int, str] = {}
        self._destroyed: set[int] = set()  # objects whose destroy() was called: their queued events are dropped
        self._listeners: dict[str, list[tuple[int | None, str | None]]] = {}  # event key -> owners
        self._orphan_notes: dict[str, int] = {}
        self._timers: dict[int, _TimerState] = {}
        self._component_hooks: dict[tuple, int] = {}  # see _op_life
        self._turn_fold: tuple | None = None  # the current turn fires a folded timer (see _record_timer)
        self._paused_frames: dict[int, list[Task]] = {}  # page id (-1: the app) -> its held animation frames
        self.frames_on_hold = False
        self._render_ids: list[int] = []
        self._pending_user: UserEvent | None = None
        self._view_dirty: set[int] = set()
        self._view_clock = 0
        self._launched = False

    def relaunch(self) -> None:
        """Quit the app and start it again on the same device, as a user does the next day: a new JS realm and page
        stack, pending tasks dropped, while storage, permissions and the clock go on (the clock by the environment's
        relaunch gap). The trace goes on too; a ``relaunch`` note marks where. Call :meth:`launch` next."""
        if self._ended is not None:
            return
        queued = len(self._queue)
        self.close()
        self._start_engines()
        self._new_launch_state()
        self.api_host.new_launch()
        self.now += self.environment.relaunch_gap_ms
        self._record(NoteEvent(**self._ev(), code="relaunch", message="the app was quit and launched again",
                               data={"launch": self.launches + 1, "gap_ms": self.environment.relaunch_gap_ms,
                                     "tasks_dropped": queued}))
        self._boot()

    def _all_routes(self) -> list[str]:
        return [p.route for p in self.bundle.pages]

    def _boot(self) -> None:
        eng = self.engine
        loaded = eng.load_trusted(_framework_source(), FRAMEWORK_FILE_OF.get(self.platform, FRAMEWORK_FILE))
        if not loaded.ok:
            raise RuntimeError(f"the mpsandbox framework failed to load: {loaded.error}")
        eng.set_host_function(self._names["hostName"], self._host, frames=True)
        eng.pin("__mpsb_boot")
        eng.pin("__mpsb_entry")
        json_modules = {
            path: self.bundle.read_text(path) for path in sorted(self.bundle.files) if path.endswith(".json")
        }
        config = {
            **self._names,
            "platform": self.platform,
            "seed": (self.environment.random_seed + self.launches) & 0x7FFF_FFFF,
            "epochMs": self.environment.epoch_ms,
            # performance.now() counts from the start of this launch's JS context
            "perfOriginMs": self.environment.perf_origin_ms - self.now - self._clock.drift_ms,
        }
        rest = {"jsonModules": json_modules, "view": self.view is not None}
        # the API surface (~80 KB of JSON, the same in every sandbox) is serialized once per process; the text is
        # the one json.dumps([{**config, "surface": ..., **rest}]) gives (the same keys in the same order: on wasm
        # the fuel JSON.parse spends depends on it)
        surface = self.api_host.catalogue.js_surface_json(self.platform)
        args = f'[{json.dumps(config)[:-1]}, "surface": {surface}, {json.dumps(rest)[1:]}]'
        eng.begin_turn()
        booted = eng.call_json("__mpsb_boot", args)
        eng.end_turn()
        if not booted.ok:
            raise RuntimeError(f"the mpsandbox framework failed to boot: {booted.error}")
        eng.set_rejection_handler(self._names["rejectionName"])
        eng.pin(self._names["defineName"])  # the module loader: out of every bundle file's reach
        self._define_modules()

    def _define_modules(self) -> None:
        """Compile every JS file on its own as a module function (turn -1: before launch, costs are not a turn).
        None of a file runs here; on Alipay a file that closes its function early is a syntax error of that file."""
        define = self._names["defineName"]
        # WeChat and Douyin wrap every module (source or compiled) in define("x.js", function(require, module,
        # exports, window, document, ...)) and pass only the first three: browser globals are undefined in a
        # module. The module's own code runs in a function of its own inside that wrapper: the build compiles
        # `const self = this` to `var` (es6 to es5), which may redeclare a wrapper parameter; a nested scope may
        # too. An arrow starts it (keeps `this`; a bundle may replace Function.prototype.call). Alipay passes 3.
        params = {"wx": WECHAT_MODULE_PARAMS, "tt": DOUYIN_MODULE_PARAMS}.get(self.platform)
        self._module_params = ", ".join(params or WECHAT_MODULE_PARAMS[:3])
        opening, closing = ("return (() => {", "\n})();") if params else ("", "")
        for path in sorted(self.bundle.files):
            if not path.endswith(".js"):
                continue
            module_source = to_commonjs(self.bundle.read_text(path))  # ES modules, as the platforms' babel
            shift = module_source.line1_shift + len(opening)
            if shift:
                self._line1_offsets[path] = shift
            if path in FRAMEWORK_FILES:  # its frames would pass for the framework's and be dropped from evidence
                res = CallResult(Outcome.ERROR, error=JSError("SyntaxError", "the file name is reserved"))
            else:  # each file's compile has a turn's budget of its own: a big app's 20 MB is not one turn's work
                self.engine.begin_turn()
                res = self.engine.define_module(define, path, self._module_params,
                                                opening + module_source.code + closing)
                self.engine.end_turn()
            if not res.ok:
                if res.outcome.is_limit:
                    self._record(BudgetEvent(**self._ev(), budget=res.outcome.value, detail=f"while defining {path}"))
                    break
                err = res.error
                self._record(
                    ErrorEvent(
                        **self._ev(),
                        error="module",
                        name=err.name if err else "",
                        message=err.message if err else "failed to evaluate",
                        stack=self._frames(err.frames if err else "") or [Frame(file=path, line=1, column=1)],
                        source=path,
                    )
                )

    # ---- recording -----------------------------------------------------------------------------------------------
    def _ev(self) -> dict[str, Any]:
        top = self.router.top
        return {"seq": len(self.trace.events) + self._recorder.dropped, "turn": self._turn_index, "t": self.now,
                "page": top.route if top else None}

    def _record(self, event: Any) -> bool:
        return self._recorder.add(event)

    def recorder_amendable(self) -> list[Any]:
        """Recorded events whose counts may still grow (see Recorder.amendable): a streamed record resends them."""
        return self._recorder.amendable()

    def recorder_amendable_turns(self) -> list[Any]:
        return self._recorder.amendable_turns()

    def record(self, event: Any) -> None:  # HostServices
        self._record(event)

    def ev(self) -> dict[str, Any]:  # HostServices
        return self._ev()

    def _frames(self, records: Any) -> list:
        """Frames in bundle files from the engine's frame records (see engine.base.decode_frames)."""
        if not records or not isinstance(records, str):
            return []
        frames = self._stack_cache.get(records)
        if frames is None:
            frames = bundle_frames(records, first_line_offsets=self._line1_offsets)
            if len(self._stack_cache) < 4096:
                self._stack_cache[records] = frames
        return list(frames)

    # ---- HostServices for API handlers -------------------------------------------------------------------------
    @property
    def page(self) -> str | None:
        return self.router.top.route if self.router.top else None

    @property
    def gesture(self) -> bool:
        return bool(self._task and self._task.gesture)

    @property
    def chain(self) -> int | None:
        return self._task.chain if self._task else None

    @property
    def cause(self) -> str | None:
        return self._task.cause if self._task else None

    def complete(self, call: ApiCall, ok: bool, result: dict[str, Any], delay_ms: int) -> None:
        task = self._schedule(
            max(0, int(delay_ms)),
            "complete",
            {"cid": call.call_id, "ok": bool(ok), "res": result, "api": call.name},
            cause=f"complete:{call.name}",
        )
        # whose code made the call (as a timer's owner): a chain of calls, each made by the previous one's callback,
        # stays its page's after the page unloaded (a login that retries forever through its callbacks)
        task.owner, route = self._timer_owner()
        if task.owner is not None:
            self._owner_routes[task.owner] = route

    def emit_object(self, oid: int, event: str, payload: Any, delay_ms: int) -> None:
        self._schedule(max(0, int(delay_ms)), "emit", {"oid": oid, "event": event, "payload": payload})

    def emit_api(self, api: str, payload: Any, delay_ms: int) -> None:
        self._schedule(max(0, int(delay_ms)), "emit", {"api": api, "payload": payload})

    def new_object(self, type_name: str) -> int:
        oid = len(self._objects) + 1
        self._objects[oid] = type_name
        return oid

    def navigate(self, call: ApiCall) -> tuple[bool, str | None, int]:
        opts = call.options
        op = call.spec.name if call.spec else call.name
        res = self.router.navigate(op, opts.get("url"), opts.get("delta", 1) if op == "navigateBack" else 1)
        self._apply_route(op, res, opener=call.call_id)
        return res.ok, res.detail, 0

    # ---- scheduling ----------------------------------------------------------------------------------------------
    def _schedule(
        self,
        delay: int,
        op: str,
        payload: dict[str, Any] | None = None,
        *,
        gesture: bool = False,
        chain: int | None = None,
        inherit: bool = True,
        label: str | None = None,
        cause: str | None = None,
    ) -> Task:
        self._seq += 1
        if chain is None and inherit and self._task is not None:
            chain = self._task.chain
        task = Task(self.now + delay, self._seq, op, payload or {}, gesture, chain, label, cause)
        heapq.heappush(self._queue, task)
        return task

    def _components_for(self, route: str) -> list[dict[str, Any]]:
        return self.bundle.component_usages(route)

    def _apply_route(self, op: str, res: RouteResult, opener: int | None = None) -> None:
        """Record a routing decision and schedule its page operations; ``opener``: the app's call that opened the
        page (its event channel, e.g. navigateTo's success res.eventChannel, reaches the page)."""
        self._record(
            NavigationEvent(
                **{**self._ev(), "page": res.from_route},
                op=op,
                from_route=res.from_route,
                to_route=res.to_route,
                query=res.query,
                outcome="ok" if res.ok else "fail",
                err_msg=None if res.ok else res.detail,
                depth=len(self.router.stack),
            )
        )
        if not res.ok:
            return
        ops = []
        for page_op in res.ops:
            if page_op["op"] == "unload" and self.view is not None:
                self.view.drop_page(int(page_op["pageId"]))
            if page_op["op"] == "create":
                page_op = {**page_op, "components": self._components_for(page_op["route"]), "opener": opener}
            ops.append(page_op)
        self._schedule(0, "pages", {"ops": ops}, label=f"{op} {res.to_route}")
        if res.created is not None:
            self._schedule(READY_DELAY_MS, "pages", {"ops": [{"op": "ready", "pageId": res.created.page_id}]},
                           label=f"ready {res.created.route}")
        self._resume_frames()

    # ---- public driving API -----------------------------------------------------------------------------------------
    def launch(self, page: str | None = None, query: dict[str, str] | None = None, scene: int | None = None) -> None:
        """Launch the app and open the entry page (or ``page``). Call :meth:`run` to execute.

        Unset arguments come from the mocks' ``launch`` section, so App.onLaunch and getLaunchOptionsSync agree.
        """
        if self._launched:
            raise RuntimeError("the app is already launched")
        self._launched = True
        self.launches += 1
        launch_mock = self.api_host.mocks.launch
        page = page or launch_mock.path
        query = query if query is not None else dict(launch_mock.query)
        scene = scene if scene is not None else launch_mock.scene
        referrer = dict(launch_mock.referrerInfo)
        route = (page or self.bundle.entry_page).strip("/")
        query = dict(query or {})
        main_pages = [p.route for p in self.bundle.pages if p.package == "main"]
        options = {"path": route, "query": query, "scene": scene if scene is not None else 1001,
                   "referrerInfo": referrer}
        self._schedule(0, "launch", {"pages": main_pages, "options": options}, label="launch")
        res = self.router.launch(route, query)
        if not res.ok:
            self._schedule(0, "appHook", {"hook": "onPageNotFound",
                                          "args": [{"path": route, "query": query, "isEntryPage": True}]},
                           label="onPageNotFound")
            self._record(ErrorEvent(**self._ev(), error="page-not-found", message=f'page "{route}" is not found',
                                    handled_by="App.onPageNotFound"))
            res = self.router.launch(self.bundle.entry_page, {})
        self._apply_route("launch", res)

    def _target_page(self, route: str | None) -> Any:
        top = self.router.top
        if top is None:
            raise RuntimeError("no page is open; call launch() and run() first")
        if route is not None and top.route != route.strip("/"):
            raise RuntimeError(f"page {route!r} is not on top of the stack (top is {top.route!r})")
        return top

    def tap(
        self,
        handler: str,
        *,
        page: str | None = None,
        component: str | None = None,
        component_index: int | None = None,
        dataset: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        event_type: str = "tap",
        target_id: str = "",
        open_type: str | None = None,
    ) -> None:
        """Fire ``handler`` as a user gesture on the page on top (or its component).

        ``open_type`` makes it the tap of an open-type button (getPhoneNumber, getUserInfo, chooseAvatar...): the
        host fills ``event.detail`` as the platform would after the user's choice.
        """
        rec = self._target_page(page)
        self._chains += 1
        if open_type:
            button = self.api_host.button_event(open_type, self, chain=self._chains)
            if button is not None:
                detail = {**button, **(detail or {})} if detail and not {"x", "y"} >= set(detail) else button
        ds = dict(dataset or {})
        target = {"id": target_id, "offsetLeft": 0, "offsetTop": 0, "dataset": ds}
        touch = {"identifier": 0, "pageX": 100, "pageY": 200, "clientX": 100, "clientY": 200}
        event = {
            "type": event_type,
            "timeStamp": self.now,
            "target": target,
            "currentTarget": dict(target),
            "detail": detail if detail is not None else {"x": 100, "y": 200},
            "touches": [touch],
            "changedTouches": [touch],
            "mark": {},
        }
        payload = {"pageId": rec.page_id, "handler": handler, "event": event}
        if component:
            payload["componentPath"] = component
            if component_index is not None:
                payload["componentIndex"] = component_index
        # only what the platform counts as user activation opens a gesture window (view/events.py ACTIVATION);
        # the calls of any other event's handler are not user-initiated (no chain)
        gesture = is_activation(self.platform, event_type) or bool(open_type)
        self._schedule(0, "event", payload, gesture=gesture, chain=self._chains if gesture else None, inherit=False,
                       label=f"{event_type} {handler}")

    def tap_element(self, el: Element, event: str = "tap", detail: dict[str, Any] | None = None) -> list[str]:
        """Fire ``event`` on a rendered element as the platform dispatches it (capture, bubble, catch, mut-bind,
        marks; component handlers on their instance). An open-type button's tap also fires its open-type event,
        a submit button's tap its form's submit. Returns the handlers reached, in order."""
        rec = self._target_page(None)
        self._chains += 1
        chain = self._chains
        reached: list[str] = []
        for ev_type, target, ev_detail in element_events(self, el, event, detail, chain):
            plan = plan_event(target, ev_type)
            gesture = is_activation(self.platform, ev_type)
            ev_chain = chain if gesture else None
            for d in plan.dispatches:
                event_obj = dom_event(ev_type, self.now, plan, d, ev_detail)
                payload: dict[str, Any] = {"pageId": rec.page_id, "handler": d.handler, "event": event_obj}
                if d.owner:
                    payload["componentIdentity"] = d.owner
                self._schedule(0, "event", payload, gesture=gesture, chain=ev_chain, inherit=False,
                               label=f"{ev_type} {d.handler}")
                reached.append(d.handler)
        if event == "tap" and el.tag == "button" and str(el.attrs.get("openType") or "") == "share":
            self.trigger("onShareAppMessage", share_options(self.platform, el))
        return reached

    def trigger(self, hook: str, *args: Any, page: str | None = None, gesture: bool = False) -> None:
        """Fire a page event hook: onPullDownRefresh, onReachBottom, onPageScroll, onShareAppMessage, ..."""
        rec = self._target_page(page)
        chain = None
        if gesture:
            self._chains += 1
            chain = self._chains
        self._schedule(0, "pageHook", {"pageId": rec.page_id, "hook": hook, "args": list(args)},
                       gesture=gesture, chain=chain, inherit=False, label=hook)

    def hide_app(self) -> None:
        top = self.router.top
        if top:
            self._schedule(0, "pages", {"ops": [{"op": "hide", "pageId": top.page_id}]}, inherit=False)
        self._schedule(0, "appHook", {"hook": "onHide", "args": []}, inherit=False, label="App.onHide")

    def show_app(self) -> None:
        self._schedule(0, "appHook", {"hook": "onShow", "args": [{"path": self.page or "", "query": {}, "scene": 1001}]},
                       inherit=False, label="App.onShow")
        top = self.router.top
        if top:
            self._schedule(0, "pages", {"ops": [{"op": "show", "pageId": top.page_id}]}, inherit=False)

    def route(self, op: str, url: str | None = None, delta: int = 1) -> bool:
        """Host-initiated navigation (as from the platform UI): returns whether the router accepted it."""
        res = self.router.navigate(op, url, delta)
        self._apply_route(op, res)
        return res.ok

    def unload_all(self) -> None:
        ops = self.router.unload_all()
        if ops:
            self._schedule(0, "pages", {"ops": ops}, inherit=False, label="unload all")

    def next_timer_at(self, until: int, min_delay: int = 0, follow_ms: int = 1_000,
                      max_fires: int = 60, owner_route: str | None = None) -> int | None:
        """When the earliest pending timer is due, if one is due after now and by ``until`` (virtual ms): timeouts of
        at least ``follow_ms``, the first firing of intervals of at least ``min_delay`` ms, and the later firings of
        intervals (and links of timeout chains) of at least ``follow_ms`` up to their ``max_fires``-th; never
        animation frames; with ``owner_route``, only that page's timers and the app's. Faster ticks (a chain of
        short timeouts polling, a fast interval) come on their own while time passes."""
        due = None
        for task in self._queue:
            if task.op != "timer" or not self.now < task.t <= until or (due is not None and task.t >= due):
                continue
            state = self._timers.get(task.payload["id"])
            if state is None or state.cancelled or state.frame:
                continue
            if owner_route is not None and state.owner_route not in (owner_route, None):
                continue  # another page's timer (a page beneath it), or one an unloaded page left
            if not state.repeat:
                # a chain of timeouts (each set by the previous one's callback: polling) is followed like an
                # interval, up to its max_fires-th link
                followed = state.delay >= follow_ms and state.link < max_fires
            else:
                followed = (state.fires == 0 and state.delay >= min_delay) or (
                    state.delay >= follow_ms and state.fires < max_fires)
            if followed:
                due = task.t
        return due

    def _background_tick(self, task: Task) -> bool:
        """A later tick of something periodic: an interval that fired before, or a timeout continuing a chain (each
        set by the previous one's callback: polling), of at least :data:`BACKGROUND_TICK_MS`; a cancelled timer's
        leftover task too. Faster ticks are not background (they may be a page running away), nor animation frames
        (the walk's budget for uncharged turns deals with drawing loops)."""
        if task.op != "timer":
            return False
        state = self._timers.get(task.payload["id"])
        if state is None or state.cancelled:
            return True
        if state.frame or state.delay < BACKGROUND_TICK_MS:
            return False
        return state.fires > 0 if state.repeat else state.link > 0

    def _only_background_due(self, until: int) -> bool:
        return all(task.t > until or self._background_tick(task) for task in self._queue)

    def advance(self, ms: int) -> None:
        """Let ``ms`` of virtual time pass: run every task due until then."""
        self.run(until=self.now + ms)

    def page_data(self, page: str | None = None) -> dict[str, Any] | None:
        rec = self._target_page(page)
        res = self.engine.call("__mpsb_entry", "pageState", {"pageId": rec.page_id, "now": self.now})
        return res.value.get("data") if res.ok and res.value else None

    @property
    def pages(self) -> list[str]:
        return [r.route for r in self.router.stack]

    # ---- the loop --------------------------------------------------------------------------------------------------
    def run(self, until: int | None = None, settle_from: int | None = None) -> RunEnd | None:
        """Run turns until the queue is idle, ``until`` (virtual ms) is reached, or a budget ends the run. With
        ``settle_from`` (virtual ms) the run also stops, after that time, as soon as only background ticks are
        due by ``until`` (see :meth:`_only_background_due`): what was run has settled, and virtual time is not
        spent on ticks of pollers and clocks that would go on whatever the walk waits for."""
        if self._ended is not None:
            return self._ended
        limits = self.limits
        while self._queue:
            task = self._queue[0]
            if until is not None and task.t > until:
                self.now = max(self.now, until)
                return None
            if (settle_from is not None and until is not None and task.t > settle_from
                    and self._background_tick(task) and self._only_background_due(until)):
                self.now = max(self.now, settle_from)
                return None
            if task.t > limits.virtual_ms:
                return self._end("virtual-time", f"next task at {task.t} ms is past the {limits.virtual_ms} ms budget")
            if self._turn_index + 1 >= limits.max_turns:
                return self._end("turns", f"{limits.max_turns} turns")
            if self._window is not None and self._window_full():
                return None
            heapq.heappop(self._queue)
            self._run_turn(task)
            if self._ended is not None:
                return self._ended
        if until is not None:
            self.now = max(self.now, until)
        return None

    # ---- budget windows: the walk's per-page and per-step budgets -------------------------------------------------
    def open_window(self, turns: int | None = None, cpu_ms: float | None = None,
                    uncharged_turns: int | None = None) -> None:
        """Budgets for the following :meth:`run` calls. Spending one stops :meth:`run` early (it returns None
        with tasks still queued) and sets :attr:`window_spent` ("turns", "cpu", or "uncharged": the turns of
        unloaded pages' timers and of animation frames); unlike the run's limits it does not end the run."""
        cpu_end = None
        if cpu_ms is not None:
            cpu_end = self._cpu_units_total + int(cpu_ms * self.engine.info.units_per_ms)
        self._window = (None if turns is None else self._window_turns() + max(0, int(turns)), cpu_end,
                        None if uncharged_turns is None else self._uncharged_turns + max(0, int(uncharged_turns)))
        self.window_spent = None

    def _window_turns(self) -> int:
        # turns of an interval an unloaded page left running (it keeps firing while later pages are walked, as on
        # a device; the orphan-timer audit reports it) and of animation frames (a page that draws every frame never
        # settles) are not charged to the step being walked. Their CPU is.
        return self._turn_index + 1 - self._uncharged_turns

    @property
    def turns_run(self) -> int:
        """Turns the walk's budgets count (see :meth:`_window_turns`)."""
        return self._window_turns()

    @property
    def uncharged_turns(self) -> int:
        """Turns of unloaded pages' timers and of animation frames (see :meth:`_window_turns`)."""
        return self._uncharged_turns

    @property
    def cpu_ms_used(self) -> float:
        return self._cpu_units_total / self.engine.info.units_per_ms

    def close_window(self) -> None:
        self._window = None
        self.window_spent = None

    def _window_full(self) -> bool:
        turns_end, cpu_end, uncharged_end = self._window or (None, None, None)
        if turns_end is not None and self._window_turns() >= turns_end:
            self.window_spent = "turns"
        elif cpu_end is not None and self._cpu_units_total >= cpu_end:
            self.window_spent = "cpu"
        elif uncharged_end is not None and self._uncharged_turns >= uncharged_end:
            self.window_spent = "uncharged"
        return self.window_spent is not None

    def stop_orphan_timers(self, why: str) -> dict[str, int]:
        """Cancel the timers of unloaded pages and drop the pending answers to their API calls (the walk's budget
        measure, recorded as a note); returns how many each owner route had."""
        stopped: dict[str, int] = {}
        for tid, state in self._timers.items():
            if not state.cancelled and state.owner_page is not None and not self._page_alive(state.owner_page):
                state.cancelled = True
                self._record(TimerEvent(**self._ev(), op="clear", timer_id=tid))
                stopped[state.owner_route or "?"] = stopped.get(state.owner_route or "?", 0) + 1
        kept: list[Task] = []
        orphans: list[Task] = []
        for t in self._queue:
            orphan = t.op == "complete" and t.owner is not None and not self._page_alive(t.owner)
            (orphans if orphan else kept).append(t)
        if orphans:  # the pending answers to their calls (a chain of calls goes on through them) never come
            self._queue = kept
            heapq.heapify(self._queue)
            for t in orphans:
                route = self._owner_routes.get(t.owner or 0) or "?"
                stopped[route] = stopped.get(route, 0) + 1
        if stopped:
            self._record(NoteEvent(**self._ev(), code="orphan-timers-stopped", message=why, data=stopped))
        return stopped

    def finish(self) -> Trace:
        """Run to idle (or a budget) and close the trace."""
        end = self.run()
        if end is None:
            end = self._end("idle")
        return self.trace

    def stop(self, detail: str = "") -> Trace:
        """End the run now, with tasks still queued (e.g. intervals that never stop), and close the trace."""
        self._end("stopped", detail or f"{len(self._queue)} tasks still queued")
        return self.trace

    def _end(self, reason: str, detail: str = "", record: bool = True) -> RunEnd:
        if self._ended is None:
            if record and reason not in ("idle", "stopped"):
                budget = {"turns": "turns", "virtual-time": "virtual-time", "cpu": "cpu", "memory": "memory",
                          "trap": "trap"}.get(reason)
                if budget:
                    self._record(BudgetEvent(**self._ev(), budget=budget, detail=detail))
            self._ended = RunEnd(
                reason=reason,  # type: ignore[arg-type]
                detail=detail,
                turns=self._turn_index + 1,
                t=self.now,
                cpu_units=self._cpu_units_total,
                peak_memory_bytes=self._peak_memory,
                dropped_events=self._recorder.dropped,
            )
            self.trace.end = self._ended
            self.stats.wall_ms = (time.perf_counter() - self._wall_start) * 1000.0
            self.stats.turns = self._turn_index + 1
        return self._ended

    def _run_turn(self, task: Task) -> None:
        if self.turn_observer is not None:
            self.turn_observer(task)
        self._turn_index += 1
        self.now = max(self.now, task.t)
        self._task = task
        self._pending_user = None
        events0 = len(self.trace.events)
        self._turn_fold = None
        skip = self._before_turn(task)
        turn = Turn(index=self._turn_index, t=self.now, task=task.op, detail=task.label, gesture=task.gesture)
        outcome = Outcome.OK
        jobs = 0
        error = None
        wall0 = time.perf_counter()
        if not skip:
            self.engine.begin_turn()
            res = self.engine.call("__mpsb_entry", task.op, {**task.payload, "now": self.now,
                                                              "drift": self._clock.drift_ms})
            outcome, error = res.outcome, res.error
            if res.ok:
                self._after_call(task, res.value)
            if not outcome.is_limit and outcome is not Outcome.TRAP:
                jr = self.engine.run_jobs(self.limits.max_jobs_per_turn)
                if jr.outcome is Outcome.OK and self._view_dirty:
                    jr = self._sync_view(jr)
                jobs = jr.jobs
                if jr.outcome is not Outcome.OK:
                    outcome, error = jr.outcome, jr.error
                elif jr.jobs >= self.limits.max_jobs_per_turn:
                    self._record(BudgetEvent(**self._ev(), budget="jobs",
                                             detail=f"more than {self.limits.max_jobs_per_turn} microtasks in one turn"))
                    self._cpu_breaches += 1
                    if self._cpu_breaches >= self.limits.max_cpu_breaches:
                        self._end("cpu", f"{self._cpu_breaches} turns ran out of CPU or microtask budget", record=False)
            usage = self.engine.end_turn()
            turn.cpu_units = usage.cpu_units
            turn.memory_bytes = usage.memory_bytes
            self._cpu_units_total += usage.cpu_units
            self._peak_memory = max(self._peak_memory, usage.memory_bytes)
            if usage.memory_refused:
                # the heap met its limit during the turn, whatever it held at the end (a bundle that caught the
                # out-of-memory error let go of its garbage): the peak is the limit, the same figure on both engines
                self._peak_memory = max(self._peak_memory, self.limits.memory_bytes)
            self.stats.peak_heap_bytes = max(self.stats.peak_heap_bytes, usage.heap_bytes)
            self.stats.engine_wall_ms += usage.wall_ms
            if outcome is Outcome.OK and (usage.memory_refused
                                          or usage.heap_bytes > HEAP_FULL * self.limits.memory_bytes):
                # the bundle caught the out-of-memory error (or the engine could not even build one and threw
                # null): the limit was still met
                outcome = Outcome.MEMORY
            elif outcome is Outcome.CPU and usage.memory_refused:
                outcome = Outcome.MEMORY  # the heap was full first; the CPU ran out while the engine collected
            if usage.rejections_lost:
                self._record(BudgetEvent(**self._ev(), budget="memory", detail=f"{usage.rejections_lost} unhandled "
                                         "rejections could not be kept for reporting: the heap was full"))
        turn.outcome = outcome.value
        turn.jobs = jobs
        self._clock.after_turn(len(self.trace.events) - events0, jobs)
        if (self._turn_fold is not None and outcome is Outcome.OK
                and turn.cpu_units < FOLDED_TURN_CPU_MS * self.engine.info.units_per_ms):
            self._recorder.fold_turn(self._turn_fold, turn)  # a polling chain's ordinary later turns: counted
        else:
            self._recorder.add_turn(turn)
        if self._render_ids:
            self._schedule(RENDER_DELAY_MS, "render", {"ids": self._render_ids}, label="setData callbacks")
            self._render_ids = []
        self._after_turn(task)
        if outcome is not Outcome.OK:
            self._on_limit(outcome, error, task)
        if self._first_ready_wall is None and task.label and task.label.startswith("ready "):
            self._first_ready_wall = time.perf_counter()
            self.stats.launch_wall_ms = (self._first_ready_wall - self._wall_start) * 1000.0
        total_ms = self._cpu_units_total / self.engine.info.units_per_ms
        if self._ended is None and total_ms > self.limits.cpu_ms_total:
            self._end("cpu", f"{total_ms:.0f} ms of CPU in total (budget {self.limits.cpu_ms_total:.0f} ms)")
        self._task = None
        del wall0
        if self.turn_observer is not None:
            self.turn_observer(None)

    def _before_turn(self, task: Task) -> bool:
        """Host-side bookkeeping before a task reaches JS; returns True to skip the engine call."""
        if task.op == "timer":
            state = self._timers.get(task.payload["id"])
            if state is None or state.cancelled or self._hold_frame(task, state):
                return True
            alive = self._page_alive(state.owner_page)
            if (not alive and state.owner_page is not None) or state.frame:
                self._uncharged_turns += 1  # see _window_turns
            state.fires += 1
            self._turn_fold = self._record_timer("fire", task.payload["id"], state, alive)
        elif task.op == "event":
            self._pending_user = UserEvent(**self._ev(), action=task.payload["event"]["type"],
                                           handler=task.payload["handler"],
                                           target=task.payload.get("componentPath"), gesture_id=task.chain)
            self._record(self._pending_user)
        elif task.op == "pageHook":
            self._pending_user = UserEvent(**self._ev(), action=task.payload["hook"], handler=task.payload["hook"],
                                           gesture_id=task.chain if task.gesture else None)
            self._record(self._pending_user)
        elif task.op == "emit":
            p = task.payload
            if not self.api_host.should_emit(p):
                return True
            if p.get("oid"):
                if int(p["oid"]) in self._destroyed:
                    return True
                type_name = self._objects.get(int(p["oid"]), "Object")
                self._check_orphan_listeners(f"{p['oid']}.{p.get('event')}", f"{type_name}.{p.get('event')}")
            else:
                self._check_orphan_listeners(str(p.get("api")), str(p.get("api")))
        elif task.op == "complete":
            p = task.payload
            if task.owner is not None and not self._page_alive(task.owner):
                self._uncharged_turns += 1  # an unloaded page's call: see _window_turns
            res = p.get("res") or {}
            self._record(ApiCompleteEvent(**self._ev(), call_id=p["cid"], api=p.get("api", ""),
                                          outcome="ok" if p["ok"] else "fail",
                                          err_msg=res.get("errMsg") if isinstance(res, dict) else None))
        return False

    def _sync_view(self, jr: Any) -> Any:
        """Re-render the pages whose data changed this turn (their component instances follow), as the platform
        renders after setData; lifetimes and observers this runs may change data again, a few rounds at most."""
        for _ in range(3):
            if not self._view_dirty:
                break
            ids = sorted(self._view_dirty)
            self._view_dirty.clear()
            res = self.engine.call("__mpsb_entry", "viewSync", {"pageIds": ids, "now": self.now})
            if not res.ok:
                return JobsResult(res.outcome, jr.jobs, res.error)
            more = self.engine.run_jobs(self.limits.max_jobs_per_turn)
            if more.outcome is not Outcome.OK:
                return more
        self._view_dirty.clear()
        return jr

    def _on_view_sink(self, sink: ViewSink, route: str, component: str | None) -> None:
        """Something the rendered view loads from the network: recorded and searched for canaries."""
        where = f"<{sink.tag} {sink.attr}>"
        domain = host_of(sink.url)
        self._record(ApiCallEvent(**self._ev(), call_id=0, api=VIEW_LOAD_API, called_as=where,
                                  args=[{"url": sink.url[:2000], "tag": sink.tag, "attr": sink.attr,
                                         "component": component, "line": sink.line}],
                                  sync=True, domain=domain))
        self.api_host.scan_sink(None, self, sink.url, "network", domain, sink_api=where)

    def view_tree(self, page: str | None = None) -> Element | None:
        """The composed element tree of the page on top (None without a view)."""
        if self.view is None:
            return None
        rec = self._target_page(page)
        return self.view.tree(rec.page_id)

    def _after_call(self, task: Task, value: Any) -> None:
        if self._pending_user is not None:
            self._pending_user.found = bool(value and value.get("found"))
        if task.op == "pageHook":
            if task.payload["hook"] == "onShareAppMessage" and value and value.get("value") is not None:
                self.on_share(value["value"])

    def on_share(self, payload: Any) -> None:
        """The share payload a page returned (a data sink); recorded as a note, scanned by the API layer."""
        self._record(NoteEvent(**self._ev(), code="share-payload", message="onShareAppMessage returned a payload",
                               data=summarize(payload)))
        self.api_host.scan_share(payload, self)

    def _after_turn(self, task: Task) -> None:
        if task.op == "timer":
            state = self._timers.get(task.payload["id"])
            if state is not None and state.held:
                return
            if state is not None and state.repeat and not state.cancelled:
                self._schedule(max(state.delay, MIN_INTERVAL_MS), "timer", {"id": task.payload["id"]},
                               chain=task.chain, inherit=False, label=task.label)
            elif state is not None and not state.repeat:
                self._timers.pop(task.payload["id"], None)

    def _on_limit(self, outcome: Outcome, error: Any, task: Task) -> None:
        detail = f"{task.op} {task.label or ''}".strip()
        if outcome is Outcome.CPU:
            self._cpu_breaches += 1
            self._record(BudgetEvent(**self._ev(), budget="cpu", detail=f"turn ended: {detail}"))
            if self._cpu_breaches >= self.limits.max_cpu_breaches:
                self._end("cpu", f"{self._cpu_breaches} turns ran out of CPU", record=False)
        elif outcome is Outcome.WALL:
            # the turn stalled: it took the wall limit without spending its CPU time (the thread blocked or was
            # never scheduled). Not CPU the bundle spent: recorded apart, and no CPU breach.
            self._record(BudgetEvent(**self._ev(), budget="wall", detail=f"turn stalled: {detail}"))
        elif outcome is Outcome.MEMORY:
            self._record(BudgetEvent(**self._ev(), budget="memory", detail=f"turn ended: {detail}"))
            self.engine.gc()
            if self.engine.memory_used() > 0.8 * self.limits.memory_bytes:
                self._end("memory", "the heap is still full after garbage collection", record=False)
        elif outcome is Outcome.STACK:
            self._record(BudgetEvent(**self._ev(), budget="stack", detail=f"turn ended: {detail}"))
        elif outcome is Outcome.TRAP:
            self._record(BudgetEvent(**self._ev(), budget="trap", detail=str(error.text if error else "")))
            self._end("trap", "the engine failed and was discarded", record=False)
        elif outcome is Outcome.ERROR and error is not None:
            self._record(ErrorEvent(**self._ev(), error="framework", name=error.name, message=error.message,
                                    stack=self._frames(error.frames), source=detail))

    # ---- the bridge -------------------------------------------------------------------------------------------------
    def _host(self, op: str, payload: str, frames: str) -> str:
        try:
            data = bounded_loads(payload)
            if "\\ud" in payload or "\\uD" in payload:
                # lone UTF-16 surrogates from JS strings: not text, and no JSON or file can hold them
                data = _scrub(data)
        except ValueError:
            self._record(NoteEvent(**self._ev(), code="host-error", message=f"malformed bridge message for {op!r}",
                                   data={"message": payload[:300]}))
            return json.dumps({"hostError": "internal error"})
        fn = self._ops.get(op)
        if fn is None:
            return json.dumps({"hostError": "internal error"})
        if isinstance(data, dict):
            data["stack"] = frames  # the engine's records: whatever "stack" the payload held is not evidence
        result = fn(data)
        return "null" if result is None else json.dumps(result)

    def _track_listener(self, key: str, kind: str, with_fn: bool) -> None:
        """Remember which page registered a listener, so emissions after it unloaded can be reported.

        off*(fn) removes one registration (the host cannot compare functions; the latest is the usual one),
        off*() removes them all.
        """
        top = self.router.top
        if self._task is not None and self._task.op in ("launch", "appHook"):
            top = None
        owner = (top.page_id, top.route) if top else (None, None)
        if kind == "listener" and with_fn:
            self._listeners.setdefault(key, []).append(owner)
        elif kind == "unlisten":
            owners = self._listeners.get(key, [])
            self._listeners[key] = owners[:-1] if with_fn else []

    def _page_alive(self, page_id: int | None) -> bool:
        return page_id is None or any(r.page_id == page_id for r in self.router.stack) or any(
            r.page_id == page_id for r in self.router.tab_pages.values())

    def _check_orphan_listeners(self, key: str, api: str) -> None:
        for page_id, route in self._listeners.get(key, []):
            if self._page_alive(page_id):
                continue
            note_key = f"{key}|{page_id}"
            seen = self._orphan_notes.get(note_key, 0)
            self._orphan_notes[note_key] = seen + 1
            if seen < 3:
                self._record(NoteEvent(**self._ev(), code="orphan-listener",
                                       message=f"{api} listener of {route} called after the page unloaded",
                                       data={"api": api, "owner": route}))

    def _op_call(self, p: dict[str, Any]) -> dict[str, Any]:
        via = str(p.get("via", ""))
        spec = self.api_host.resolve(via.split(".", 1)[-1])
        if p.get("kind") in ("listener", "unlisten") and spec is not None:
            event = spec.name if p.get("kind") == "listener" else "on" + spec.name[3:]
            self._track_listener(event, str(p.get("kind")), bool(p.get("fn", True)))
        call = ApiCall(
            call_id=int(p["cid"]),
            name=spec.name if spec else via.split(".", 1)[-1],
            via=via,
            args=p.get("args") or [],
            callbacks=p.get("cbs") or [],
            kind=str(p.get("kind", "")),
            spec=spec,
            stack=self._frames(p.get("stack")),
        )
        return self._dispatch(call)

    def _op_ocall(self, p: dict[str, Any]) -> dict[str, Any]:
        oid = int(p["oid"])
        type_name = self._objects.get(oid, "Object")
        method = str(p.get("method"))
        if p.get("kind") in ("listener", "unlisten"):
            event = method if p.get("kind") == "listener" else "on" + method[3:]
            self._track_listener(f"{oid}.{event}", str(p.get("kind")), bool(p.get("fn", True)))
        elif method in ("destroy", "close", "disconnect"):  # the object's listeners go with it
            for key in [k for k in self._listeners if k.startswith(f"{oid}.")]:
                del self._listeners[key]
            if method == "destroy":
                self._destroyed.add(oid)
        call = ApiCall(
            call_id=int(p.get("cid") or 0),
            name=f"{type_name}.{method}",
            via=f"{type_name}.{method}",
            args=p.get("args") or [],
            callbacks=p.get("cbs") or [],
            kind=str(p.get("kind", "")),
            object_id=oid,
            object_type=type_name,
            method=method,
            stack=self._frames(p.get("stack")),
        )
        return self._dispatch(call)

    def _dispatch(self, call: ApiCall) -> dict[str, Any]:
        event = None
        if self._recorder.drops_call(call.name):
            self._recorder.drop_call()  # past the cap and not judged: counted, never built
        else:
            event = ApiCallEvent(
                **self._ev(),
                call_id=call.call_id,
                api=call.name,
                called_as=call.via,
                args=summarize(call.args),
                sync=call.kind == "sync",
                gesture=self.gesture,
                chain=self.chain,
                outcome="pending",
                stack=call.stack,
            )
            self._record(event)
        try:
            reply = self.api_host.handle(call, self)
        except Exception as exc:  # a handler bug must not crash the run: the call fails and the note says why
            self._record(NoteEvent(**self._ev(), code="host-error", message=f"{call.name}: {type(exc).__name__}: {exc}"))
            reply = Reply("throw", message=f"{call.platform_name}:fail internal error", outcome="throw")
        if event is None:
            return reply.to_js()
        event.outcome = reply.outcome if reply.r != "sync" else ("ok" if reply.outcome == "ok" else reply.outcome)
        event.err_msg = reply.err_msg or (reply.message if reply.r == "throw" else None)
        event.refused = reply.refused
        event.domain = reply.domain
        return reply.to_js()

    def _op_unknown(self, p: dict[str, Any]) -> None:
        name = str(p.get("name", ""))
        if p.get("member"):  # a method a host object lacks: a note for the error classes, not an API the app used
            top = next(iter(self._frames(p.get("stack"))), None)
            self._record(NoteEvent(**self._ev(), code="unknown-member", message=f"{name} is not in the sandbox's model",
                                   data={"name": name, "file": top.file if top else None,
                                         "line": top.line if top else None}))
            return
        self._record(ApiCallEvent(**self._ev(), call_id=0, api=name, called_as=str(p.get("via", name)),
                                  outcome="unknown", gesture=self.gesture, chain=self.chain,
                                  stack=self._frames(p.get("stack"))))

    def _op_timer(self, p: dict[str, Any]) -> None:
        tid = int(p["id"])
        if p.get("op") == "set":
            delay = max(0, int(p.get("delay") or 0))
            repeat = bool(p.get("repeat"))
            owner_page, owner_route = self._timer_owner()
            state = self._timers[tid] = _TimerState(delay, repeat, owner_page, owner_route, frame=bool(p.get("frame")),
                                                    stack=self._frames(p.get("stack")))
            parent = self._firing_timer()
            if (parent is not None and not parent.repeat and not parent.continued and not repeat
                    and (parent.delay, parent.frame, parent.owner_page) == (delay, state.frame, owner_page)):
                parent.continued = True  # the chain's next link (a second timer set by the callback is not)
                state.link = parent.link + 1
            self._record_timer("set", tid, state, True)
            first = max(delay, MIN_INTERVAL_MS) if repeat else delay
            self._schedule(first, "timer", {"id": tid}, label=f"{'interval' if repeat else 'timeout'} #{tid}")
        else:
            state = self._timers.get(tid)
            if state is not None:
                state.cancelled = True
            self._record(TimerEvent(**self._ev(), op="clear", timer_id=tid))

    def _firing_timer(self) -> _TimerState | None:
        task = self._task
        return self._timers.get(task.payload.get("id")) if task is not None and task.op == "timer" else None

    def _record_timer(self, op: Literal["set", "fire"], tid: int, state: _TimerState, alive: bool) -> tuple | None:
        """A timer's set or fire; past :data:`TIMER_LINKS_KEPT` links of a chain (or fires of an interval) they
        fold into one event per op, owner state and interval, which counts them (``times``). Returns the fold's
        key when folded."""
        def make() -> TimerEvent:
            return TimerEvent(**self._ev(), op=op, timer_id=tid, delay=state.delay, repeat=state.repeat,
                              owner=state.owner_route, owner_alive=alive, stack=state.stack if op == "set" else [])
        if state.link >= TIMER_LINKS_KEPT or (op == "fire" and state.repeat and state.fires > TIMER_LINKS_KEPT):
            key = ("timer", op, state.owner_page, state.owner_route, state.delay, state.repeat, state.frame, alive,
                   tid if state.repeat else None)
            self._recorder.fold(key, make)
            return key
        self._record(make())
        return None

    def _timer_owner(self) -> tuple[int | None, str | None]:
        """Who owns a timer being set: the app for App code, the owner of the timer whose callback sets it (a
        timeout chain or a drawing loop stays its page's after the user moved on), else the page on top."""
        task = self._task
        if task is not None and task.op in ("launch", "appHook"):
            return None, None
        if task is not None and task.op == "timer":
            firing = self._timers.get(task.payload.get("id"))
            if firing is not None:
                return firing.owner_page, firing.owner_route
        if task is not None and task.op == "complete" and task.owner is not None:
            return task.owner, self._owner_routes.get(task.owner)
        top = self.router.top
        return (top.page_id, top.route) if top else (None, None)

    def _hold_frame(self, task: Task, state: _TimerState) -> bool:
        """Animation frames run only while their page is shown, as a canvas draws only then: a frame of an unloaded
        page is dropped (its canvas is gone), one of a page beneath another is held until the page shows again;
        while :attr:`frames_on_hold` (the walk waits for timers) every frame is held. True when it does not run now."""
        if not state.frame:
            return False
        if state.owner_page is not None and not self._page_alive(state.owner_page):
            state.cancelled = True
            self._record(TimerEvent(**self._ev(), op="clear", timer_id=task.payload["id"]))
            return True
        top = self.router.top
        shown = state.owner_page is None or (top is not None and top.page_id == state.owner_page)
        if shown and not self.frames_on_hold:
            return False
        state.held = True
        self._paused_frames.setdefault(-1 if state.owner_page is None else state.owner_page, []).append(task)
        return True

    def _resume_frames(self) -> None:
        """The page on top shows (and the app's own frames run): their held animation frames come due one frame
        later."""
        if self.frames_on_hold:
            return
        top = self.router.top
        tasks = self._paused_frames.pop(-1, [])
        tasks += self._paused_frames.pop(top.page_id, []) if top is not None else []
        for task in tasks:
            state = self._timers.get(task.payload["id"])
            if state is not None and not state.cancelled:
                state.held = False
                self._seq += 1
                heapq.heappush(self._queue, replace(task, t=self.now + state.delay, seq=self._seq))

    def hold_frames(self, hold: bool) -> None:
        """Hold every animation frame (True) or let the shown ones run again (False)."""
        self.frames_on_hold = hold
        self._resume_frames()

    def _op_console(self, p: dict[str, Any]) -> None:
        self._console_count += 1
        full = str(p.get("text", ""))
        stack = self._frames(p.get("stack"))
        if self._console_count > self.limits.max_console:  # the line is dropped, its data is still searched
            self._recorder.dropped += 1
            self._recorder.cap("console", "console", limit=self.limits.max_console, unit="lines", dropped=1,
                               again=False, detail="console lines past the cap are searched but not recorded")
        else:
            text = full if len(full) <= 2000 else full[:2000] + f"…(+{len(full) - 2000} chars)"
            self._record(ConsoleEvent(**self._ev(), level=str(p.get("level", "log")), text=text))
        self.api_host.scan_console(full, self, stack)  # the whole text, not the summary

    def _op_cut(self, p: dict[str, Any]) -> None:
        """The framework's serializer cut a payload at its budget (``where``: the API as called,
        "ocall:<oid>.<method>" or the framework op): caps, judged when the payload is a sink's or a hook's answer."""
        where = str(p.get("where") or "")[:200]
        if where.startswith("ocall:"):
            oid, _, method = where[6:].partition(".")
            where = f"{self._objects.get(int(oid) if oid.isdigit() else 0, 'Object')}.{method}"
            judged = self.api_host.is_judged(where)
        elif "." in where:
            spec = self.api_host.resolve(where.split(".", 1)[1])
            judged = spec is None or self.api_host.is_judged(spec.name)
        else:
            judged = where == "reply"  # hook answers carry share payloads
        self._recorder.payload_cut(where, p, judged)

    def _op_view(self, p: dict[str, Any]) -> dict[str, Any] | None:
        if self.view is None:
            return None
        clock = int(self.environment.epoch_ms + self.now + self._clock.drift_ms)
        if clock != self._view_clock:  # script modules' getDate() reads the app's clock
            self._view_clock = clock
            self.view.realm.set_clock(clock)
        return self.view.handle(p)

    def _op_setData(self, p: dict[str, Any]) -> None:
        if self.view is not None and isinstance(p.get("pageId"), int) and p.get("applied", True):
            self._view_dirty.add(p["pageId"])
        keys = [str(k) for k in (p.get("keys") or [])]
        size = int(p.get("bytes") or 0)

        def make(span: int = 0) -> SetDataEvent:
            return SetDataEvent(**self._ev(), target=p.get("target", "page"), route=p.get("route"),
                                component=p.get("component"), keys=keys[:50], bytes=size,
                                applied=bool(p.get("applied", True)), stack=self._frames(p.get("stack")),
                                span_ms=span)
        timer = self._firing_timer()
        if timer is not None and size <= SETDATA_FOLD_MAX_BYTES and (
                timer.link >= TIMER_LINKS_KEPT or (timer.repeat and timer.fires > TIMER_LINKS_KEPT)):
            # a polling page's setData, as many as the walk stays: one event per span and kind (timer fires fold
            # likewise), so a long walk of a big app stays under the record's cap; a second for a fast timer, whose
            # rate the setdata-frequency audit reads, a minute for one that fires at most once a second
            span = 1000 if timer.delay < 1000 else 60_000
            self._recorder.fold(("setData", timer.owner_page, timer.delay, timer.repeat, timer.frame,
                                 p.get("target"), p.get("route"), p.get("component"), tuple(keys[:50]),
                                 bool(p.get("applied", True)), int(self.now // span)), lambda: make(span))
        else:
            self._record(make())
        if p.get("cb"):
            self._render_ids.append(int(p["cb"]))

    def _op_life(self, p: dict[str, Any]) -> None:
        def make() -> LifecycleEvent:
            return LifecycleEvent(**ev, target=target, hook=str(p.get("hook")), route=p.get("route"),
                                  component=p.get("component"))
        ev, target = self._ev(), p.get("target", "page")
        if target != "component":
            self._record(make())
            return
        # a long list's components: past their first ones per page, hook and component, counted in one event
        key = ("life", ev["page"], p.get("hook"), p.get("component"), p.get("route"))
        seen = self._component_hooks[key] = self._component_hooks.get(key, 0) + 1
        if seen > COMPONENT_HOOKS_KEPT and not str(p.get("hook")).startswith("triggerEvent:"):
            self._recorder.fold(key, make)
        else:
            self._record(make())

    def _op_error(self, p: dict[str, Any]) -> None:
        kind = p.get("error", "uncaught")
        if kind not in ("uncaught", "unhandled-rejection", "framework"):
            kind = "uncaught"
        self._record(ErrorEvent(**self._ev(), error=kind, name=str(p.get("name") or ""),
                                message=str(p.get("message") or "")[:2000], stack=self._frames(p.get("stack")),
                                source=p.get("source"), handled_by=p.get("handled_by")))

    def _op_note(self, p: dict[str, Any]) -> None:
        self._record(NoteEvent(**self._ev(), code=str(p.get("code")), message=str(p.get("message", ""))[:2000],
                               data=summarize(p.get("data"))))

    def _op_dynamic(self, p: dict[str, Any]) -> None:
        self._record(NoteEvent(**self._ev(), code="dynamic-code", message=f"{p.get('what')} was called",
                               data={"what": p.get("what"), "code": str(p.get("code", ""))[:500],
                                     "stack": [str(f) for f in self._frames(p.get("stack"))]}))

    # ---- teardown ---------------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view = None
        if self.engine is not None:
            self.engine.close()
            self.engine = None  # type: ignore[assignment]

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
