"""A walk as Chrome Trace Event JSON (the format Perfetto and chrome://tracing open).

One process per walk (allow, deny), one thread per track: turns, pages (the page on top), user actions, API calls,
setData, timers, errors. Turns are laid out one after another on the virtual clock: a turn starts at its virtual
time or when the previous one ended, and lasts its CPU cost (engine units converted to nominal ms, at least 10 µs).
What happens inside a turn is spread over it in trace order; an asynchronous API call is an async slice from the
call to its completion. Timestamps are microseconds. Bounded: at most :data:`MAX_EVENTS` events per walk.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..trace import Trace

MAX_EVENTS = 200_000
MIN_TURN_US = 10.0
TRACKS = {"turns": 1, "pages": 2, "user": 3, "api": 4, "setData": 5, "timers": 6, "errors": 7}
LABEL_LIMIT = 200


def _cut(text: Any) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= LABEL_LIMIT else s[:LABEL_LIMIT] + "…"


def _turn_spans(trace: Trace, units_per_ms: float | None) -> dict[int, tuple[float, float]]:
    spans: dict[int, tuple[float, float]] = {}
    clock = 0.0
    for turn in trace.turns:
        start = max(float(turn.t) * 1000.0, clock)
        dur = (turn.cpu_units / units_per_ms * 1000.0) if units_per_ms else 0.0
        dur = max(MIN_TURN_US, dur)
        spans[turn.index] = (start, dur)
        clock = start + dur
    return spans


def walk_events(trace: Trace, pid: int, name: str, units_per_ms: float | None = None) -> list[dict[str, Any]]:
    """The trace events of one walk (process ``pid``)."""
    out: list[dict[str, Any]] = [
        {"ph": "M", "pid": pid, "tid": 0, "name": "process_name", "args": {"name": f"{name} walk: {_cut(trace.bundle)}"}},
        {"ph": "M", "pid": pid, "tid": 0, "name": "process_sort_index", "args": {"sort_index": pid}},
    ]
    for track, tid in TRACKS.items():
        out.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": track}})
        out.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})
    spans = _turn_spans(trace, units_per_ms)
    end_us = max((s + d for s, d in spans.values()), default=0.0)
    if trace.end is not None:
        end_us = max(end_us, float(trace.end.t) * 1000.0)
    for turn in trace.turns:
        start, dur = spans[turn.index]
        out.append({"ph": "X", "pid": pid, "tid": TRACKS["turns"], "ts": start, "dur": dur,
                    "name": _cut(f"{turn.task} {turn.detail or ''}".strip()), "cat": "turn",
                    "args": {"turn": turn.index, "virtual_ms": turn.t, "cpu_units": turn.cpu_units,
                             "outcome": turn.outcome, "gesture": turn.gesture, "jobs": turn.jobs}})

    if not any(e.kind == "user" for e in trace.events):  # a scripted run (`mpsandbox run --tap`): gesture turns
        for turn in trace.turns:
            if turn.gesture and turn.task == "event":
                start, dur = spans[turn.index]
                out.append({"ph": "X", "pid": pid, "tid": TRACKS["user"], "ts": start, "dur": dur, "cat": "user",
                            "name": _cut((turn.detail or "tap").strip())})
    by_turn: dict[int, list[Any]] = {}
    for e in trace.events:
        by_turn.setdefault(e.turn, []).append(e)
    placed: dict[int, float] = {}  # event seq -> ts
    for turn_index, events in by_turn.items():
        start, dur = spans.get(turn_index, (float(events[0].t) * 1000.0, MIN_TURN_US))
        step = dur / (len(events) + 1)
        for k, e in enumerate(events, 1):
            placed[e.seq] = start + k * step

    def instant_dur(e: Any) -> float:
        _, dur = spans.get(e.turn, (0.0, MIN_TURN_US))
        return max(0.1, dur / (len(by_turn.get(e.turn, ())) + 2))

    completes = {e.call_id: e for e in trace.of_kind("api-complete")}
    page_top: tuple[str, float] | None = None
    for e in trace.events:
        if len(out) >= MAX_EVENTS:
            out.append({"ph": "i", "pid": pid, "tid": TRACKS["errors"], "ts": end_us, "s": "p",
                        "name": "trace cut: too many events"})
            break
        ts = placed.get(e.seq, float(e.t) * 1000.0)
        kind = e.kind
        base = {"pid": pid, "ts": ts}
        if kind == "navigation" and e.outcome == "ok" and e.to_route:
            if page_top is not None:
                out.append({**base, "ph": "X", "tid": TRACKS["pages"], "ts": page_top[1],
                            "dur": max(0.1, ts - page_top[1]), "name": _cut(page_top[0]), "cat": "page"})
            page_top = (e.to_route, ts)
            out.append({**base, "ph": "i", "s": "t", "tid": TRACKS["pages"], "name": _cut(f"{e.op} {e.to_route}"),
                        "cat": "navigation", "args": {"from": e.from_route, "query": e.query, "depth": e.depth}})
        elif kind == "navigation":
            out.append({**base, "ph": "i", "s": "t", "tid": TRACKS["errors"], "name": _cut(f"{e.op} failed"),
                        "cat": "navigation", "args": {"to": e.to_route, "error": e.err_msg}})
        elif kind == "user":
            out.append({**base, "ph": "X", "dur": instant_dur(e), "tid": TRACKS["user"],
                        "name": _cut(f"{e.action} {e.handler or ''}".strip()), "cat": "user",
                        "args": {"found": e.found, "target": e.target}})
        elif kind == "api":
            where = e.stack[0] if e.stack else None
            args = {"outcome": e.outcome, "sync": e.sync, "gesture": e.gesture, "domain": e.domain,
                    "at": f"{where.file}:{where.line}" if where else None, "call_id": e.call_id}
            out.append({**base, "ph": "X", "dur": instant_dur(e), "tid": TRACKS["api"], "name": _cut(e.called_as),
                        "cat": "api", "args": args})
            done = completes.get(e.call_id) if e.outcome == "pending" else None
            if done is not None:
                end = placed.get(done.seq, float(done.t) * 1000.0)
                aid = f"{pid}-{e.call_id}"
                out.append({"ph": "b", "pid": pid, "tid": TRACKS["api"], "ts": ts, "id": aid, "cat": "api-async",
                            "name": _cut(e.called_as)})
                out.append({"ph": "e", "pid": pid, "tid": TRACKS["api"], "ts": max(ts, end), "id": aid,
                            "cat": "api-async", "name": _cut(e.called_as), "args": {"outcome": done.outcome}})
        elif kind == "setData":
            out.append({**base, "ph": "X", "dur": instant_dur(e), "tid": TRACKS["setData"],
                        "name": f"setData {e.bytes} B", "cat": "setData",
                        "args": {"keys": [_cut(k) for k in e.keys[:20]], "route": e.route, "component": e.component}})
        elif kind == "timer":
            out.append({**base, "ph": "X" if e.op == "fire" else "i", "tid": TRACKS["timers"],
                        **({"dur": instant_dur(e)} if e.op == "fire" else {"s": "t"}),
                        "name": f"timer {e.op} #{e.timer_id}" + (f" (and {e.times - 1} like it)" if e.times > 1 else ""),
                        "cat": "timer", "args": {"delay": e.delay, "repeat": e.repeat, "owner": e.owner,
                                                 "owner_alive": e.owner_alive, "times": e.times}})
        elif kind in ("error", "budget"):
            name = f"budget:{e.budget}" if kind == "budget" else f"{e.error}: {e.name or ''} {e.message}"
            out.append({**base, "ph": "i", "s": "t", "tid": TRACKS["errors"], "name": _cut(name), "cat": kind})
    if page_top is not None:
        out.append({"ph": "X", "pid": pid, "tid": TRACKS["pages"], "ts": page_top[1],
                    "dur": max(0.1, end_us - page_top[1]), "name": _cut(page_top[0]), "cat": "page"})
    return out


def to_chrome_trace(walks: Iterable[tuple[str, Trace]], units_per_ms: dict[str, float] | None = None) -> dict[str, Any]:
    """``walks`` as one Trace Event document (JSON object format)."""
    events: list[dict[str, Any]] = []
    for pid, (name, trace) in enumerate(walks, 1):
        events.extend(walk_events(trace, pid, name, (units_per_ms or {}).get(name)))
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"generator": "mpsandbox", "clock": "virtual (turns laid end to end, CPU cost as duration)"}}


def to_chrome_trace_json(walks: Iterable[tuple[str, Trace]], units_per_ms: dict[str, float] | None = None) -> str:
    return json.dumps(to_chrome_trace(walks, units_per_ms), ensure_ascii=False, default=str) + "\n"
