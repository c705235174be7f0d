"""The text report: what a reviewer reads first. Verdict, findings by category with evidence, then the numbers."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..review.model import CATEGORIES, Evidence, Finding, Report, RunFigures, Severity, Verdict
from .safe_text import clean

MAX_EVIDENCE = 5
STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
VERDICT_STYLE = {Verdict.APPROVE: "bold white on green", Verdict.FLAG: "bold black on yellow",
                 Verdict.REJECT: "bold white on red"}


def _s(text: object, limit: int = 300) -> str:
    """Bundle-controlled text, neutralised and escaped for rich markup."""
    return escape(clean(text, limit=limit))


def _evidence_line(e: Evidence) -> str:
    parts = []
    if e.run:
        parts.append(escape(f"[{e.run}]"))
    if e.t is not None:
        parts.append(f"t={e.t}ms")
    if e.page:
        parts.append(_s(e.page, 80))
    parts.append(_s(e.description, 200))
    if e.location is not None:
        parts.append(f"at {_s(e.location, 120)}")
    if e.value is not None and not isinstance(e.value, (dict, list)):
        value = _s(e.value, 120)
        if value and value not in " ".join(parts):
            parts.append(f"({value})")
    return " ".join(parts)


def _finding(console: Console, f: Finding) -> None:
    where = f"  [dim]{_s(f.location, 120)}[/dim]" if f.location else ""
    console.print(f"  [{STYLE[f.severity]}]{f.severity.value:7}[/] [bold]{f.rule}[/bold]  {_s(f.message, 400)}{where}")
    shown = f.evidence[:MAX_EVIDENCE]
    for e in shown:
        console.print(f"           · {_evidence_line(e)}")
        for frame in e.stack[1:3]:
            console.print(f"               [dim]at {_s(frame, 120)}[/dim]")
    if len(f.evidence) > MAX_EVIDENCE:
        console.print(f"           · … and {len(f.evidence) - MAX_EVIDENCE} more")


def _runs_table(runs: list[RunFigures]) -> Table:
    table = Table(title="The walks", title_justify="left", show_edge=False)
    table.add_column("")
    for r in runs:
        table.add_column(f"{r.mode} ({r.engine})", justify="right")

    def row(label: str, fn) -> None:
        table.add_row(label, *[fn(r) for r in runs])

    row("pages visited", lambda r: f"{len(r.pages_visited)}" + (f" ({len(r.pages_failed)} failed)" if r.pages_failed else ""))
    row("handlers fired", lambda r: str(r.handlers_fired))
    row("API calls", lambda r: str(r.api_calls))
    groups = sorted({g for r in runs for g in r.api_calls_by_group})
    for g in groups:
        row(f"  {g}", lambda r, g=g: str(r.api_calls_by_group.get(g, 0)))
    row("turns", lambda r: str(r.turns))
    row("virtual time", lambda r: f"{r.virtual_ms / 1000:.1f} s")
    row("CPU", lambda r: f"{r.cpu_ms:.1f} ms ({r.cpu_units} {r.cpu_unit})")
    row("peak memory", lambda r: f"{r.peak_memory_bytes / 1024 / 1024:.1f} MB")
    row("setData", lambda r: f"{r.setdata_calls} calls, {r.setdata_bytes / 1024:.1f} KB")
    row("launch → first onReady", lambda r: "—" if r.launch_to_ready_ms is None else f"{r.launch_to_ready_ms} ms (virtual)")
    row("ended", lambda r: _s(r.end_reason + (f": {r.end_detail}" if r.end_detail else ""), 60))
    row("wall time", lambda r: f"{r.wall_ms:.0f} ms")
    return table


def render_text(report: Report, *, color: bool = False, width: int = 120) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, highlight=False, emoji=False, soft_wrap=False)
    b = report.bundle
    engines = ", ".join(sorted({r.engine for r in report.runs})) or "—"
    console.print(f"[bold]mpsandbox review[/bold] {_s(b.name, 80)}  platform {b.platform or '?'}  "
                  f"policy {_s(report.policy, 60)}  engine {engines}")
    c = report.counts
    console.print(f"[{VERDICT_STYLE[report.verdict]}] {report.verdict.value.upper()} [/]  "
                  f"{c.get('error', 0)} error(s), {c.get('warning', 0)} warning(s), {c.get('info', 0)} info  "
                  f"(exit code {report.exit_code})")
    if report.error:
        console.print(f"[red]note[/red] {_s(report.error, 500)}")
    grouped = report.findings_by_category()
    for category in CATEGORIES:
        findings = grouped.get(category)
        if not findings:
            continue
        console.print(f"\n[bold underline]{category}[/bold underline]")
        for f in findings:
            _finding(console, f)
    if not report.findings:
        console.print("\nNo findings.")
    if report.runs:
        console.print()
        console.print(_runs_table(report.runs))
    if b.files:
        subs = ", ".join(f"{_s(k, 40)} {v / 1024:.0f} KB" for k, v in b.subpackage_bytes.items())
        console.print(f"\nbundle: {b.files} files, {b.total_bytes / 1024:.0f} KB (main {b.main_bytes / 1024:.0f} KB"
                      + (f"; {subs}" if subs else "") + f"), {b.pages} pages")
    for p in report.problems[:20]:
        console.print(f"[yellow]problem[/yellow] {_s(p, 300)}")
    return buf.getvalue()
