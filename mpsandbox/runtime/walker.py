"""The review's walk: drive a bundle through every page and handler without help, as a curious user would.

Launch, then for every page of the main package and the subpackages: open it (its lifecycle runs), fire every
handler bound in its template once as a user tap with a plausible event, pull down, reach the bottom, scroll,
share, hide and show the app, then move on (which unloads it). After the last page everything is unloaded and
virtual time runs on, so timers and listeners that outlive their page show up in the trace.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

from pydantic import BaseModel, Field

from ..apis.host import ApiHost
from ..apis.mocks import MockConfig, UserMock
from .sandbox import RunLimits, Sandbox
from .trace import RunStats, Trace

WalkMode = Literal["allow", "deny"]
SETTLE_MS = 3_000  # virtual time a step may take to settle before the walk moves on


class WalkLog(BaseModel):
    mode: WalkMode
    pages_visited: list[str] = Field(default_factory=list)
    pages_failed: list[str] = Field(default_factory=list)
    handlers_fired: int = 0
    handlers_skipped: list[str] = Field(default_factory=list)  # dynamic handler names the walk cannot resolve
    stopped_early: str | None = None  # why the walk stopped before the end (a blown budget)


@dataclass
class WalkResult:
    trace: Trace
    log: WalkLog
    stats: RunStats
    launch_to_ready_ms: int | None = None
    units_per_ms: float = 1.0  # the engine's CPU units per nominal millisecond


@dataclass
class Binding:
    handler: str
    event: str = "tap"
    open_type: str | None = None
    dataset: dict[str, Any] = field(default_factory=dict)
    component: str | None = None  # the component whose method handles it; None: the page
    target_id: str = ""
    dynamic: bool = False


def deny_all(base: MockConfig | None = None) -> MockConfig:
    """The same mocks, with a user who refuses every permission, profile and phone number request."""
    base = base or MockConfig()
    user = base.user.model_copy(update={"permissions": "deny", "scopes": {}, "script": [], "profile": "deny",
                                        "phone_number": "deny"})
    return base.model_copy(update={"user": UserMock.model_validate(user.model_dump())})


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def page_bindings(bundle: Any, route: str) -> list[Binding]:
    """Handlers bound in a page's template and in the templates of the components it uses."""
    raw: Iterable[Any] = []
    getter = getattr(bundle, "bindings", None)
    if callable(getter):
        raw = getter(route)
    else:
        facts = getattr(bundle, "facts", None)
        for page in _get(facts, "pages", []) or []:
            if _get(page, "route") == route:
                raw = _get(page, "bindings", []) or []
                break
    out: list[Binding] = []
    seen: set[tuple] = set()
    for b in raw:
        handler = _get(b, "handler")
        if not isinstance(handler, str) or not handler:
            continue
        binding = Binding(
            handler=handler,
            event=_get(b, "event") or "tap",
            open_type=_get(b, "open_type"),
            dataset={k: ("1" if "{{" in str(v) else v) for k, v in (_get(b, "dataset") or {}).items()},
            component=_get(b, "owner") or _get(b, "handler_component"),
            target_id=_get(b, "id") or "",
            dynamic=bool(_get(b, "dynamic", False)),
        )
        key = (binding.handler, binding.event, binding.component, binding.open_type)
        if key in seen:
            continue
        seen.add(key)
        out.append(binding)
    return out


def plausible_detail(b: Binding) -> dict[str, Any]:
    ev = b.event.lower()
    if ev in ("input", "change", "confirm", "blur", "focus"):
        return {"value": "1" if ev != "change" else "1", "cursor": 1}
    if ev in ("scroll", "scrolltolower", "scrolltoupper"):
        return {"scrollTop": 400, "scrollHeight": 2000, "deltaY": 100}
    return {"x": 100, "y": 200}


class Walker:
    def __init__(
        self,
        bundle: Any,
        *,
        mode: WalkMode = "allow",
        engine: str = "native",
        seed: int = 0,
        limits: RunLimits | None = None,
        mocks: MockConfig | None = None,
        allow_domains: list[str] | None = None,
        idle_after_unload_ms: int = 30_000,
    ):
        self.bundle = bundle
        self.mode = mode
        self.engine = engine
        self.seed = seed
        self.limits = limits or RunLimits()
        mocks = mocks or MockConfig()
        self.mocks = deny_all(mocks) if mode == "deny" else mocks
        self.allow_domains = allow_domains
        self.idle_after_unload_ms = idle_after_unload_ms
        self.log = WalkLog(mode=mode)

    def _make_sandbox(self) -> Sandbox:
        host = ApiHost.for_bundle(self.bundle, mocks=self.mocks, seed=self.seed,
                                  allowed_domains=self.allow_domains) if hasattr(ApiHost, "for_bundle") \
            else ApiHost(self.bundle.platform)
        return Sandbox(self.bundle, engine=self.engine, seed=self.seed, limits=self.limits, api_host=host)

    def run(self) -> WalkResult:
        sb = self._make_sandbox()
        try:
            t0 = time.perf_counter()
            self._walk(sb)
            trace = sb.stop("the walk is over") if sb.trace.end is None else sb.trace
            sb.stats.wall_ms = (time.perf_counter() - t0) * 1000.0
            return WalkResult(trace=trace, log=self.log, stats=sb.stats, launch_to_ready_ms=_launch_to_ready(trace),
                              units_per_ms=sb.engine.info.units_per_ms)
        finally:
            sb.close()

    # ---- steps -----------------------------------------------------------------------------------------------------
    def _settle(self, sb: Sandbox) -> bool:
        """Run the step's consequences; False when a budget ended the run."""
        end = sb.run(until=sb.now + SETTLE_MS)
        if end is not None:
            self.log.stopped_early = f"{end.reason}: {end.detail}".rstrip(": ")
            return False
        return True

    def _open(self, sb: Sandbox, route: str) -> bool:
        """Bring ``route`` on top the way a user would reach it: a tab by switchTab, another page by navigateTo
        from the entry page (so navigateBack works), falling back to reLaunch."""
        tabs = set(getattr(self.bundle, "tab_pages", None) or [])
        if sb.pages and sb.pages[-1] == route:
            return True
        entry = getattr(self.bundle, "entry_page", "") or ""
        if route in tabs:
            ok = sb.route("switchTab", "/" + route)
        elif entry and route != entry:
            if sb.pages != [entry]:
                sb.route("switchTab" if entry in tabs else "reLaunch", "/" + entry)
                if not self._settle(sb):
                    return False
            ok = sb.route("navigateTo", "/" + route)
        else:
            ok = sb.route("reLaunch", "/" + route)
        if not ok:
            ok = sb.route("reLaunch", "/" + route)
        if not ok or not self._settle(sb):
            return False
        return bool(sb.pages) and sb.pages[-1] == route

    def _walk(self, sb: Sandbox) -> None:
        sb.launch()
        if not self._settle(sb):
            return
        routes = [p.route for p in self.bundle.pages if getattr(p, "exists", True)]
        routes += [p.route for p in self.bundle.pages if not getattr(p, "exists", True)]
        for route in routes:
            if self.log.stopped_early:
                return
            if not self._open(sb, route):
                if self.log.stopped_early:
                    return
                self.log.pages_failed.append(route)
                continue
            self.log.pages_visited.append(route)
            if not self._exercise(sb, route):
                return
        if not self._finish_app(sb):
            return

    def _exercise(self, sb: Sandbox, route: str) -> bool:
        for b in page_bindings(self.bundle, route):
            if b.dynamic:
                self.log.handlers_skipped.append(b.handler)
                continue
            if not self._open(sb, route):
                return not self.log.stopped_early
            kwargs: dict[str, Any] = dict(page=route, component=b.component, dataset=b.dataset,
                                          detail=plausible_detail(b), event_type=b.event, target_id=b.target_id)
            if b.open_type:
                kwargs["open_type"] = b.open_type
            try:
                sb.tap(b.handler, **kwargs)
            except TypeError:  # a Sandbox without open-type support
                kwargs.pop("open_type", None)
                sb.tap(b.handler, **kwargs)
            self.log.handlers_fired += 1
            if not self._settle(sb):
                return False
        if not self._open(sb, route):
            return not self.log.stopped_early
        for hook, args in (("onPullDownRefresh", ()), ("onReachBottom", ()),
                           ("onPageScroll", ({"scrollTop": 800},)),
                           ("onShareAppMessage", ({"from": "menu", "target": None},))):
            sb.trigger(hook, *args, page=route, gesture=hook != "onPageScroll")
            if not self._settle(sb):
                return False
            if not sb.pages or sb.pages[-1] != route:
                if not self._open(sb, route):
                    return not self.log.stopped_early
        sb.hide_app()
        sb.show_app()
        return self._settle(sb)

    def _finish_app(self, sb: Sandbox) -> bool:
        sb.unload_all()
        if not self._settle(sb):
            return False
        end = sb.run(until=sb.now + self.idle_after_unload_ms)
        if end is not None:
            self.log.stopped_early = f"{end.reason}: {end.detail}".rstrip(": ")
            return False
        return True


def _launch_to_ready(trace: Trace) -> int | None:
    for e in trace.events:
        if e.kind == "lifecycle" and e.target == "page" and e.hook == "onReady":
            return e.t
    return None


def walk(bundle: Any, **kwargs: Any) -> WalkResult:
    return Walker(bundle, **kwargs).run()
