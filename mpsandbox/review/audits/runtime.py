"""resource, performance, stability and lifecycle audits: what the walks cost and how they went wrong."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any, Iterable

from ..artifacts import Artifacts
from ..coverage import sandbox_error_seqs
from ..model import Evidence, Location, Severity
from .base import Hit, audit, event_evidence, template_of

if TYPE_CHECKING:
    from ..policy import Policy

KB = 1024


def _budget_hits(art: Artifacts, budgets: tuple[str, ...], message: str) -> Iterable[Hit]:
    for run in art.runs:
        events = [e for e in run.trace.of_kind("budget") if e.budget in budgets]
        if events:
            yield Hit(message=message.format(n=len(events)), key="budget",
                      evidence=[event_evidence(run, e, f"{e.budget}: {e.detail}") for e in events])


@audit(
    "cpu-budget",
    title="CPU budget exhausted",
    category="resource",
    severity=Severity.ERROR,
    description="""A turn (a lifecycle hook, handler, timer or callback) ran longer than the per-turn CPU budget,
    or the walk spent its total CPU budget: an infinite loop or a computation that freezes the app on a phone.
    CPU is counted in deterministic engine units, so the same bundle always costs the same; behind them, the CPU
    time the engine's thread spent (a builtin working long between two counts). A turn that only took long on the
    wall clock (a loaded machine, a stall) is not CPU spent, and not this finding.""",
    fix="Find the loop in the evidence's page and hook; move heavy work to the server or split it across turns.",
    example="onLoad() { while (true) {} }",
)
def cpu_budget(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    yield from _budget_hits(art, ("cpu",), "{n} turn(s) ran out of CPU budget")


@audit(
    "memory-limit",
    title="Memory limit reached",
    category="resource",
    severity=Severity.ERROR,
    description="""The bundle allocated up to the sandbox's memory limit: unbounded growth that would get the
    mini-program killed on a device.""",
    fix="Bound caches and lists; release what pages no longer show in onUnload.",
    example="const leak = []; setInterval(() => leak.push(new Array(1e6).fill(0)), 10)",
)
def memory_limit(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    yield from _budget_hits(art, ("memory",), "the memory limit was reached {n} time(s)")


@audit(
    "stack-overflow",
    title="Stack overflow",
    category="resource",
    severity=Severity.ERROR,
    description="""Recursion went deeper than the stack allows and nothing caught the RangeError: the turn
    ended.""",
    fix="Make the recursion bounded or iterative.",
    example="function f(n) { return f(n + 1) } f(0)",
)
def stack_overflow(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    yield from _budget_hits(art, ("stack",), "the stack overflowed {n} time(s)")


@audit(
    "microtask-flood",
    title="Endless microtasks",
    category="resource",
    severity=Severity.ERROR,
    description="""A turn queued more promise jobs than the budget allows: a promise chain that never settles
    keeps the JS thread busy forever, so the app stops responding.""",
    fix="Break the chain with a condition; use a timer for polling.",
    example="function spin() { Promise.resolve().then(spin) } spin()",
)
def microtask_flood(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    yield from _budget_hits(art, ("jobs",), "{n} turn(s) ran out of microtask budget")


@audit(
    "runaway-timers",
    title="Runaway timers",
    category="resource",
    severity=Severity.WARNING,
    description="""A fast interval keeps firing for the whole walk, or the bundle keeps hundreds of timers alive
    at once, or timers kept the app busy so that one step of the walk (opening a page, one handler) never settled
    within its budget of turns. It drains battery and starves the UI thread. The walk's own budgets running out on
    a large app are coverage notes in the report, not this finding.""",
    fix="Clear intervals when they are no longer needed (at the latest in onHide/onUnload); avoid sub-100 ms polling.",
    example="setInterval(() => this.setData({t: Date.now()}), 10)",
)
def runaway_timers(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    th = policy.thresholds
    for run in art.runs:
        fires: dict[int, list] = defaultdict(list)
        live: set[int] = set()
        peak = 0
        peak_event = None
        for e in run.trace.of_kind("timer"):
            if e.op == "set":
                live.add(e.timer_id)
                if len(live) > peak:
                    peak, peak_event = len(live), e
            elif e.op == "clear":
                live.discard(e.timer_id)
            elif e.op == "fire":
                if e.repeat:
                    fires[e.timer_id].append(e)
                else:
                    live.discard(e.timer_id)
        for tid, evs in fires.items():
            n = sum(e.times for e in evs)  # the record folds an interval's later fires into one event
            if n > th.runaway_timer_fires and evs[0].delay < 100:
                yield Hit(message=f"timer #{tid} (every {evs[0].delay} ms) fired {n} times",
                          key=f"fires|{evs[0].owner}|{evs[0].delay}",
                          evidence=[event_evidence(run, evs[0], f"first fire of timer #{tid} owned by "
                                                                f"{evs[0].owner or 'the app'}", n)])
        if peak > th.max_live_timers and peak_event is not None:
            yield Hit(message=f"{peak} timers were pending at once", key="live",
                      evidence=[event_evidence(run, peak_event, "timer count peaked here", peak)])
        # a step of the walk (no user input) that would not settle: an endless timer chain. The walk's own
        # budgets running out (a page, the whole walk) are coverage notes, not findings.
        runaway = [e for e in run.trace.of_kind("budget") if e.budget == "turns" and e.detail.startswith("runaway:")]
        if runaway:
            yield Hit(message=f"{len(runaway)} step(s) of the walk never settled: timers kept the app busy "
                              f"({runaway[0].detail[len('runaway: '):]})", key="runaway",
                      evidence=[event_evidence(run, e, e.detail) for e in runaway[:5]])


@audit(
    "setdata-size",
    title="Large setData payload",
    category="performance",
    severity=Severity.WARNING,
    description="""setData serializes its payload and sends it from the logic thread to the view thread. Payloads
    over 256 KB make rendering janky; over 1 MB the platform refuses them.""",
    fix="Send only the keys that changed, with path keys ('list[3].done'); paginate long lists.",
    example="this.setData({list: hugeArray})",
)
def setdata_size(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    th = policy.thresholds
    for run in art.runs:
        for e in run.trace.of_kind("setData"):
            if e.bytes <= th.setdata_warn_bytes:
                continue
            error = e.bytes > th.setdata_error_bytes
            where = e.component or e.route or "page"
            yield Hit(
                message=f"setData of {e.bytes // KB} KB on {where} "
                f"(over {(th.setdata_error_bytes if error else th.setdata_warn_bytes) // KB} KB)",
                key=f"{where}|{','.join(e.keys[:3])}",
                severity=Severity.ERROR if error else Severity.WARNING,
                evidence=[event_evidence(run, e, f"setData {', '.join(e.keys[:5])}: {e.bytes} bytes", e.bytes)],
            )


@audit(
    "setdata-frequency",
    title="setData called too often",
    category="performance",
    severity=Severity.WARNING,
    description="""More setData calls within one second of virtual time than the threshold (20 by default) on
    one page or component: each call is a round trip to the view thread, and bursts make scrolling stutter.""",
    fix="Batch updates into one setData per frame; throttle scroll and timer driven updates.",
    example="setInterval(() => this.setData({tick: this.data.tick + 1}), 10)",
)
def setdata_frequency(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    limit = policy.thresholds.setdata_per_second
    for run in art.runs:
        windows: dict[str, deque] = defaultdict(deque)
        seconds: dict[tuple[str, int], list] = defaultdict(list)  # folded calls (times > 1), by second
        flagged: set[str] = set()
        for e in run.trace.of_kind("setData"):
            where = e.component or e.route or "page"
            if e.span_ms:  # a timer's calls past its first fires, folded per span of virtual time
                if e.span_ms > 1000:
                    continue  # a timer that fires at most once a second
                second = seconds[(where, e.t // 1000)]
                second.append(e)
                n = sum(x.times for x in second)
                if n > limit and where not in flagged:
                    flagged.add(where)
                    yield Hit(message=f"{n} setData calls within one second on {where}", key=where,
                              evidence=[event_evidence(run, second[0], f"{n} setData calls in 1 s", n)])
                continue
            w = windows[where]
            w.append(e)
            while w and w[0].t <= e.t - 1000:
                w.popleft()
            if len(w) > limit and where not in flagged:
                flagged.add(where)
                yield Hit(message=f"{len(w)} setData calls within one second on {where}", key=where,
                          evidence=[event_evidence(run, w[0], f"first of {len(w)} setData calls in 1 s", len(w))])


@audit(
    "long-turn",
    title="Long task on the logic thread",
    category="performance",
    severity=Severity.WARNING,
    description="""One turn (a hook, handler, timer or callback) used more CPU than the threshold (100 ms
    nominal by default) without hitting the budget: the app does not respond to the user meanwhile.""",
    fix="Split the work, cache results, or move it to the server.",
    example="onLoad() { for (let i = 0; i < 5e7; i++) sum += i }",
)
def long_turn(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    limit = policy.thresholds.long_turn_ms
    for run in art.runs:
        for turn in run.trace.turns:
            ms = run.cpu_ms(turn.cpu_units)
            if ms > limit and turn.outcome == "ok":
                label = turn.detail or turn.task
                yield Hit(message=f"{label} took {ms:.0f} ms of CPU (threshold {limit:.0f} ms)", key=label,
                          evidence=[Evidence(description=f"turn {turn.index}: {label}", run=run.mode, t=turn.t,
                                             value=round(ms, 1))])


@audit(
    "slow-launch",
    title="Slow launch to the first page",
    category="performance",
    severity=Severity.WARNING,
    description="""The CPU spent from launch until the first page's onReady exceeds the threshold: users wait on a
    blank screen. Measured in deterministic CPU units, not wall time.""",
    fix="Defer non-essential work in App.onLaunch and the first page's onLoad until after onReady.",
    example="App({ onLaunch() { buildHugeIndex() } })",
)
def slow_launch(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    limit = policy.thresholds.slow_launch_ms
    for run in art.runs:
        ms, ready = run.launch_cpu_ms()
        if ms > limit:
            state = "" if ready else " (the first page never became ready)"
            yield Hit(message=f"launch to first onReady took {ms:.0f} ms of CPU (threshold {limit:.0f} ms){state}",
                      key="launch", evidence=[Evidence(description="CPU from launch to the first onReady",
                                                       run=run.mode, value=round(ms, 1))])


# ---- stability -------------------------------------------------------------------------------------------------------
def _error_key(e) -> str:
    top = e.stack[0] if e.stack else None
    return f"{e.name}|{e.message[:120]}|{top.file if top else ''}:{top.line if top else ''}"


def queryless_load_seqs(run: Any) -> set[int]:
    """onLoad errors of a page the walk then opened again with the query the app's own links give it (a
    ``walk-query`` note): the first, query-less load is not how users reach the page; later loads count."""
    requeried = {n.data.get("route"): n.seq for n in run.trace.of_kind("note")
                 if n.code == "walk-query" and isinstance(n.data, dict)}
    return {e.seq for e in run.trace.of_kind("error")
            if e.source == "Page.onLoad" and e.seq < requeried.get(e.page, -1)}


@audit(
    "uncaught-error",
    title="Uncaught exception",
    category="stability",
    severity=Severity.ERROR,
    description="""An exception escaped a lifecycle hook, handler, timer or callback. On the platform the action
    the user took silently does nothing (or the page stays blank). Errors caused by the sandbox's own limits (an
    API it does not know, ES module syntax it does not compile, a platform global it lacks) are not findings: the
    report's coverage counts them as the sandbox's.""",
    fix="Fix the error at the reported file and line; guard data that can be missing.",
    example="onLoad(q) { this.setData({name: q.user.name}) }  // q.user is undefined",
)
def uncaught_error(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        # the sandbox's limits (counted in the coverage instead), and pages the walk first opened without a query
        skipped = sandbox_error_seqs(art, run) | queryless_load_seqs(run)
        for e in run.trace.of_kind("error"):
            if e.error in ("uncaught", "module") and e.seq not in skipped:
                yield Hit(message=f"{e.name or 'Error'}: {e.message[:200]} (in {e.source or 'unknown'})",
                          key=_error_key(e), evidence=[event_evidence(run, e, f"thrown in {e.source}", e.message[:300])])


@audit(
    "unhandled-rejection",
    title="Unhandled promise rejection",
    category="stability",
    severity=Severity.WARNING,
    description="""A promise was rejected and nothing handled it, typically a failed API call in Promise style
    with no catch: the failure goes unnoticed.""",
    fix="Add .catch() (or try/await) and show the user what failed.",
    example="tt.getLocation().then(r => ...)  // no catch when the user refuses",
)
def unhandled_rejection(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        sandbox_errors = sandbox_error_seqs(art, run)
        for e in run.trace.of_kind("error"):
            if e.error == "unhandled-rejection" and e.seq not in sandbox_errors:
                yield Hit(message=f"unhandled rejection: {e.message[:200]}", key=_error_key(e),
                          evidence=[event_evidence(run, e, "rejected promise not handled", e.message[:300])])


@audit(
    "page-load-failure",
    title="Page fails to load",
    category="stability",
    severity=Severity.ERROR,
    description="""A page could not be opened, its module threw while loading, it never registered with Page(),
    or its onLoad threw: users who reach it see a blank or broken screen.""",
    fix="Open the page in the developer tool, fix the error at the reported line, check app.json paths.",
    example="Page({ onLoad() { JSON.parse('') } })",
)
def page_load_failure(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    page_files = {f"{p}.js" for r in art.runs for p in r.pages_visited + r.pages_failed}
    for run in art.runs:
        for route in run.pages_failed:
            yield Hit(message=f"page {route} could not be opened", key=route,
                      evidence=[Evidence(description=f"the walk could not open {route}", run=run.mode, page=route)])
        skipped = sandbox_error_seqs(art, run) | queryless_load_seqs(run)
        for e in run.trace.of_kind("error"):
            route = None
            if e.seq in skipped:
                continue
            if e.source in ("Page.onLoad", "page-register"):
                route = e.page
            elif e.error == "module" and e.source in page_files:
                route = e.source[:-3]
            elif e.error == "page-not-found":
                route = e.page
            if route:
                yield Hit(message=f"page {route} fails to load: {e.message[:160]}", key=route,
                          evidence=[event_evidence(run, e, f"{e.source or e.error}: {e.message[:200]}")])


# ---- lifecycle -------------------------------------------------------------------------------------------------------
@audit(
    "orphan-timer",
    title="Timer still firing after its page unloaded",
    category="lifecycle",
    severity=Severity.WARNING,
    description="""A timer or interval set by a page keeps firing after the page was unloaded: it leaks the page,
    runs code against stale data and wastes battery.""",
    fix="Keep the timer id and clear it in onUnload (and onHide for intervals).",
    example="onLoad() { setInterval(this.poll, 1000) }  // never cleared",
)
def orphan_timer(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    # one hit per place that sets the timers (a loop that sets a timeout of a random delay each time is one
    # problem, not one per delay); a timer set where no stack was recorded is told apart by its delay
    for run in art.runs:
        set_at: dict[int, Any] = {}
        set_like: dict[tuple, Any] = {}  # a chain's later links fold into one event: found by owner and delay
        fired: dict[str, list] = defaultdict(list)
        for e in run.trace.of_kind("timer"):
            if e.op == "set":
                set_at.setdefault(e.timer_id, e)
                if e.stack:
                    set_like.setdefault((e.owner, e.delay, e.repeat), e)
            elif e.op == "fire" and not e.owner_alive and e.owner:
                where = set_at.get(e.timer_id)
                if where is None or not where.stack:
                    where = set_like.get((e.owner, e.delay, e.repeat), where)
                    if where is not None:
                        set_at[e.timer_id] = where
                top = where.stack[0] if where is not None and where.stack else None
                site = f"{top.file}:{top.line}:{top.column}" if top is not None else str(e.delay)
                fired[f"{e.owner}|{site}|{e.repeat}"].append(e)
        for key, evs in fired.items():
            e, n = evs[0], sum(x.times for x in evs)
            delays = sorted({x.delay for x in evs})
            delay = f"{delays[0]}" if len(delays) == 1 else f"{delays[0]}-{delays[-1]}"
            if e.repeat:  # an interval fires many times; a timeout fires once, so each fire is a timeout
                count = len({x.timer_id for x in evs})
                what = f"an interval of {delay} ms" if count == 1 else f"{count} intervals of {delay} ms"
                fires = f" {n} time(s)"
            else:
                what, fires = (f"a timeout of {delay} ms" if n == 1 else f"{n} timeouts of {delay} ms"), ""
            where = set_at.get(e.timer_id)
            evidence = [event_evidence(run, where, f"timer #{where.timer_id} set here")] if where and where.stack \
                else []
            evidence.append(event_evidence(run, e, f"timer #{e.timer_id} fired after {e.owner} unloaded", n))
            yield Hit(message=f"{what} set by {e.owner} fired{fires} after the page unloaded", key=key,
                      evidence=evidence)


@audit(
    "orphan-listener",
    title="Listener still called after its page unloaded",
    category="lifecycle",
    severity=Severity.WARNING,
    description="""A page registered a listener (onLocationChange, onNetworkStatusChange, onAccelerometerChange,
    a socket's onMessage...) and never removed it: after the page unloaded, the callback still runs.""",
    fix="Call the matching off* function (or close the task) in onUnload.",
    example="onLoad() { tt.onLocationChange(this.update) }  // no tt.offLocationChange",
)
def orphan_listener(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.of_kind("note"):
            if e.code != "orphan-listener":
                continue
            data = e.data if isinstance(e.data, dict) else {}
            api = str(data.get("api") or "listener")
            owner = str(data.get("owner") or "")
            yield Hit(message=f"{api} registered by {owner or 'a page'} is still called after it unloaded",
                      key=f"{api}|{owner}", evidence=[event_evidence(run, e, e.message)])



@audit(
    "view-too-large",
    title="Rendered page too large or too deep",
    category="performance",
    severity=Severity.WARNING,
    description="""A page, as rendered from its template and data, has more element nodes, more nesting or more
    children under one node than the platforms' experience score accepts (WeChat: fewer than 1,000 nodes, depth
    under 30, at most 60 children). Big trees render slowly and make every setData costlier on a phone.""",
    fix="Render long lists in pages (load more on reach-bottom) or with a virtual list; flatten wrappers; hide "
        "off-screen parts with wx:if rather than hidden.",
    example='<view wx:for="{{all5000Items}}">...</view>',
)
def view_too_large(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    t = policy.thresholds
    seen: set[str] = set()
    for run in art.runs:
        for route, view in sorted((run.views or {}).items()):
            if route in seen:
                continue
            over = []
            nodes, depth, children = (getattr(view, k, 0) for k in ("nodes", "depth", "max_children"))
            if nodes >= t.view_max_nodes:
                over.append(f"{nodes} nodes (limit {t.view_max_nodes})")
            if depth >= t.view_max_depth:
                over.append(f"depth {depth} (limit {t.view_max_depth})")
            if children > t.view_max_children:
                over.append(f"{children} children under one node (limit {t.view_max_children})")
            if over:
                seen.add(route)
                yield Hit(message=f"{route} renders {', '.join(over)}", key=route,
                          evidence=[Evidence(description=f"{route} as first rendered: {', '.join(over)}",
                                             location=Location(file=template_of(art, route)))])

