"""A readable summary of a run's trace, for `mpsandbox run`."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from typing import Iterable

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..trace import RunStats, Trace

MAX_LINES = 12


def _where(stack: Iterable) -> str:
    for frame in stack:
        return f"{frame.file}:{frame.line}"
    return ""


def render_summary(trace: Trace, stats: RunStats | None = None) -> Group:
    parts: list = []
    end = trace.end
    head = Text()
    head.append(f"{trace.bundle}", style="bold")
    head.append(f"  platform {trace.platform}  engine {trace.engine}  seed {trace.seed}\n")
    if end is not None:
        style = "green" if end.reason == "idle" else "yellow"
        head.append("run ended: ", style="bold")
        head.append(end.reason, style=style)
        if end.detail:
            head.append(f" ({end.detail})")
        head.append(
            f"\n{end.turns} turns, {end.t} ms virtual time, {end.cpu_units} {trace.cpu_unit}s of CPU, "
            f"heap estimate {end.peak_memory_bytes / 1024:.0f} KiB"
        )
        if end.dropped_events:
            head.append(f", {end.dropped_events} events dropped (cap)", style="yellow")
    if stats is not None:
        head.append(f"\nwall {stats.wall_ms:.1f} ms, peak heap {stats.peak_heap_bytes / 1024:.0f} KiB (measured)")
        if stats.launch_wall_ms is not None:
            head.append(f", launch to first onReady {stats.launch_wall_ms:.1f} ms")
    parts.append(head)

    nav = trace.of_kind("navigation")
    if nav:
        t = Table(title="Navigation", title_justify="left", show_edge=False)
        for col in ("t ms", "op", "from", "to", "result"):
            t.add_column(col)
        for e in nav[:MAX_LINES]:
            result = "ok" if e.outcome == "ok" else f"fail: {e.err_msg}"
            t.add_row(str(e.t), e.op, e.from_route or "", e.to_route or "", result)
        if len(nav) > MAX_LINES:
            t.add_row("…", f"+{len(nav) - MAX_LINES} more", "", "", "")
        parts.append(t)

    actions = [e for e in trace.of_kind("user")]
    if actions:
        t = Table(title="User actions", title_justify="left", show_edge=False)
        for col in ("t ms", "action", "handler", "result"):
            t.add_column(col)
        for e in actions[:40]:
            t.add_row(str(e.t), e.action, escape(e.handler or ""), "ran" if e.found else "no such handler")
        parts.append(t)
    calls = [e for e in trace.events if e.kind == "api"]
    if calls:
        by_api: dict[str, Counter] = defaultdict(Counter)
        where: dict[str, str] = {}
        for e in calls:
            by_api[e.called_as][e.outcome] += 1
            where.setdefault(e.called_as, _where(e.stack))
        completes: dict[int, str] = {e.call_id: e.outcome for e in trace.of_kind("api-complete")}
        for e in calls:
            if e.outcome == "pending" and e.call_id in completes:
                by_api[e.called_as]["pending"] -= 1
                by_api[e.called_as][completes[e.call_id]] += 1
        t = Table(title="API calls", title_justify="left", show_edge=False)
        for col in ("api", "calls", "ok", "fail", "other", "first call at"):
            t.add_column(col)
        for name in sorted(by_api):
            c = by_api[name]
            other = sum(v for k, v in c.items() if k not in ("ok", "fail") and v > 0)
            style = "red" if c["unknown"] else None
            t.add_row(name, str(sum(v for v in c.values() if v > 0)), str(c["ok"]), str(c["fail"]), str(other),
                      where[name], style=style)
        parts.append(t)

    setdata = trace.of_kind("setData")
    if setdata:
        total = sum(e.bytes * e.times for e in setdata)
        biggest = max(setdata, key=lambda e: e.bytes)
        parts.append(Text(f"setData: {sum(e.times for e in setdata)} calls, {total} bytes in total, largest {biggest.bytes} bytes "
                          f"({', '.join(biggest.keys[:5])}) on {biggest.route or biggest.component}"))

    timers = trace.of_kind("timer")
    if timers:
        fired = sum(e.times for e in timers if e.op == "fire")
        orphaned = sum(e.times for e in timers if e.op == "fire" and not e.owner_alive)
        line = f"timers: {sum(e.times for e in timers if e.op == 'set')} set, {fired} fired"
        if orphaned:
            line += f", {orphaned} fired after their page unloaded"
        parts.append(Text(line, style="yellow" if orphaned else None))

    problems = [e for e in trace.events if e.kind in ("error", "budget", "cap")]
    notes = [e for e in trace.events if e.kind == "note" and e.code in ("dynamic-code", "module-not-found", "host-error")]
    if problems or notes:
        t = Table(title="Errors and limits", title_justify="left", show_edge=False)
        for col in ("t ms", "kind", "what", "where"):
            t.add_column(col)
        for e in (problems + notes)[:MAX_LINES * 2]:
            if e.kind == "error":
                what = f"{e.name + ': ' if e.name else ''}{e.message}"
                if e.handled_by:
                    what += f"  → {e.handled_by}"
                t.add_row(str(e.t), e.error, what, _where(e.stack) or (e.source or ""), style="red")
            elif e.kind == "budget":
                t.add_row(str(e.t), f"budget:{e.budget}", e.detail, "", style="red")
            elif e.kind == "cap":
                t.add_row(str(e.t), f"cap:{e.cap}", f"{e.dropped:,} {e.unit} left out past {e.limit:,}"
                          + (f" ({e.times} times)" if e.times > 1 else ""), e.where or "", style="red")
            else:
                t.add_row(str(e.t), e.code, e.message, ", ".join((e.data or {}).get("stack", [])[:1]) if isinstance(e.data, dict) else "",
                          style="yellow")
        parts.append(t)

    console = trace.of_kind("console")
    if console:
        t = Table(title=f"Console ({len(console)} lines)", title_justify="left", show_edge=False)
        t.add_column("t ms")
        t.add_column("level")
        t.add_column("text", overflow="fold")
        for e in console[:MAX_LINES]:
            t.add_row(str(e.t), e.level, e.text[:200])
        if len(console) > MAX_LINES:
            t.add_row("…", "", f"+{len(console) - MAX_LINES} more lines (see --trace-out)")
        parts.append(t)
    return Group(*parts)


def summary_text(trace: Trace, stats: RunStats | None = None, width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(render_summary(trace, stats))
    return console.export_text()
