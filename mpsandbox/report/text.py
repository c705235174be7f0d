"""The text report: what a reviewer reads first.

A header (bundle, platform, policy, engine), the verdict in big letters with the counts by severity, the findings
grouped by category (in :data:`CATEGORIES` order) with their evidence, the numbers of each walk, the bundle problems.
Readable at 100 columns; with ``color=False`` there is not a single ANSI escape in it.

Every bundle-controlled string goes through :func:`neutralise` and reaches rich as a :class:`Text` (never as
markup), so a bundle can neither style the report nor start a line of its own in the reviewer's terminal.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..review.model import CATEGORIES, Evidence, Finding, Location, Report, RunFigures, Severity, Verdict
from .hygiene import neutralise, value_text

WIDTH = 100
MAX_EVIDENCE = 5
MAX_FRAMES = 3
MAX_PROBLEMS = 20
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}
VERDICT_STYLE = {Verdict.APPROVE: "bold white on green", Verdict.FLAG: "bold black on yellow",
                 Verdict.REJECT: "bold white on red"}
VERDICT_MEANING = {
    Verdict.APPROVE: "no error or warning findings",
    Verdict.FLAG: "warnings only: a person should look before it goes live",
    Verdict.REJECT: "at least one error finding: the bundle may not go live as it is",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _counts(report: Report) -> str:
    c = {s.value: 0 for s in Severity}
    if report.counts:
        c.update({k: int(v) for k, v in report.counts.items() if k in c})
    else:
        for f in report.findings:
            c[f.severity.value] += 1
    return f"{_plural(c['error'], 'error')} · {_plural(c['warning'], 'warning')} · {c['info']} info"


def _size(n: int | float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} B"


def _labelled(label: Text | str, value: Text) -> Table:
    """A label and a value that wraps under itself: bundle text never starts a line of the report."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(label if isinstance(label, Text) else Text(label), value)
    return grid


def _loc(loc: Location, limit: int = 160) -> str:
    return neutralise(str(loc), limit)


def _evidence(e: Evidence, primary: Location | None = None) -> Text:
    line = Text("• ", style="dim")
    if e.run:
        line.append(f"[{e.run}] ", style="magenta")
    if e.t is not None:
        line.append(f"t={e.t}ms ", style="dim")
    if e.page:
        line.append(neutralise(e.page, 80) + " ", style="blue")
    line.append(neutralise(e.description, 240))
    if e.location is not None and e.location != primary:  # the finding's own place is shown once, above
        line.append(" at " + _loc(e.location), style="dim")
    if e.value is not None and e.value != "":
        value = value_text(e.value, 160)
        if value not in line.plain:
            line.append("  value: ", style="dim")
            line.append(value)
    frames = [f for f in e.stack if f != e.location][:MAX_FRAMES]
    for frame in frames:
        line.append("\n    ↳ at " + _loc(frame), style="dim")
    if len(e.stack) > len(frames) + (1 if e.location in e.stack else 0):
        hidden = len(e.stack) - len(frames) - (1 if e.location in e.stack else 0)
        line.append(f"\n    ↳ … {_plural(hidden, 'more frame')}", style="dim")
    return line


def _finding_body(f: Finding) -> Text:
    body = Text()
    body.append(neutralise(f.rule, 60), style="bold")
    body.append("  ")
    body.append(neutralise(f.message, 500))
    if f.location is not None:
        body.append("\nat " + _loc(f.location, 200), style="dim")
    for e in f.evidence[:MAX_EVIDENCE]:
        body.append("\n")
        body.append_text(_evidence(e, f.location))
    if len(f.evidence) > MAX_EVIDENCE:
        body.append(f"\n… and {len(f.evidence) - MAX_EVIDENCE} more evidence", style="dim")
    return body


def _category_block(category: str, findings: list[Finding]) -> Group:
    by_sev = [_plural(sum(1 for f in findings if f.severity is s), s.value) for s in Severity
              if any(f.severity is s for f in findings)]
    heading = Text.assemble((category, "bold underline"), ("  " + ", ".join(by_sev), "dim"))
    grid = Table.grid(padding=(0, 1, 1, 0))
    grid.add_column(width=8, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for f in findings:
        grid.add_row(Text(f.severity.value, style=SEVERITY_STYLE[f.severity]), _finding_body(f))
    return Group(heading, grid)


def _runs_table(runs: list[RunFigures]) -> Table:
    table = Table(title="The walks", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    for r in runs:
        table.add_column(f"{r.mode} ({neutralise(r.engine, 20)})", justify="right", overflow="fold")

    def row(label: str, fn: Callable[[RunFigures], str]) -> None:
        table.add_row(label, *[fn(r) for r in runs])

    row("pages visited", lambda r: f"{len(r.pages_visited)}/{r.coverage.pages_declared}")
    if any(len(r.coverage.packages) > 1 for r in runs):
        for pkg in sorted({p.package for r in runs for p in r.coverage.packages}):
            row(f"  {neutralise(pkg, 30)}", lambda r, pkg=pkg: next(
                (f"{p.pages_visited}/{p.pages_declared}" for p in r.coverage.packages if p.package == pkg), "—"))
    row("pages failed", lambda r: str(len(r.pages_failed)))
    row("handlers fired", lambda r: f"{r.handlers_fired}/{r.coverage.handlers_bound}"
        + (f" ({r.handlers_missing} missing)" if r.handlers_missing else ""))
    row("errors: app / sandbox", lambda r: f"{r.coverage.errors_app} / {r.coverage.errors_sandbox}")
    row("unknown APIs", lambda r: str(len(r.coverage.unknown_apis)))
    row("API calls", lambda r: str(r.api_calls))
    for g in sorted({g for r in runs for g in r.api_calls_by_group}):
        row(f"  {neutralise(g, 30)}", lambda r, g=g: str(r.api_calls_by_group.get(g, 0)))
    row("turns", lambda r: str(r.turns))
    row("virtual time", lambda r: f"{r.virtual_ms / 1000:.1f} s")
    row("CPU", lambda r: f"{r.cpu_ms:.1f} ms ({r.cpu_units} {neutralise(r.cpu_unit, 20)})")
    row("peak memory", lambda r: _size(r.peak_memory_bytes))
    row("setData", lambda r: f"{r.setdata_calls} calls, {_size(r.setdata_bytes)}")
    row("launch → first onReady", lambda r: "—" if r.launch_to_ready_ms is None
        else f"{r.launch_to_ready_ms} ms (virtual)")
    row("ended", lambda r: neutralise(r.end_reason, 40))
    row("wall time", lambda r: f"{r.wall_ms:.0f} ms")
    return table


MAX_DOMAINS = 30


def _domains_table(domains: list) -> Table:
    table = Table(title="Domains contacted", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col, kw in (("domain", {"overflow": "fold"}), ("calls", {"justify": "right"}), ("allowed", {}),
                    ("APIs", {"overflow": "fold"}), ("first call at", {"overflow": "fold"})):
        table.add_column(col, **kw)
    for d in domains[:MAX_DOMAINS]:
        allowed = "—" if d.allowed is None else ("yes" if d.allowed else "NO")
        table.add_row(Text(neutralise(d.domain, 100)), str(d.calls), Text(allowed, style="red" if d.allowed is False
                                                                          else ""),
                      Text(", ".join(f"{neutralise(k, 40)}×{v}" for k, v in sorted(d.apis.items())[:5])),
                      Text(neutralise(str(d.first_location), 80) if d.first_location else ""))
    if len(domains) > MAX_DOMAINS:
        table.add_row(f"… and {len(domains) - MAX_DOMAINS} more", "", "", "", "")
    return table


def _permissions(report: Report) -> Table | None:
    rows = [(r.mode, p) for r in report.runs for p in r.permissions]
    if not rows:
        return None
    table = Table(title="Permissions used", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("walk", "scope", "APIs", "prompts", "granted", "denied", "declared"):
        table.add_column(col, overflow="fold")
    for mode, p in rows[:40]:
        table.add_row(mode, Text(neutralise(p.scope, 60)), Text(", ".join(neutralise(a, 40) for a in p.apis[:5])),
                      str(p.prompts), str(p.granted), str(p.denied), "yes" if p.declared else Text("NO", style="red"))
    return table


def render_text(report: Report, *, color: bool = False, width: int = WIDTH) -> str:
    """The report as text for a terminal (``color=True``: ANSI styles) or a file (``color=False``: plain)."""
    console = Console(record=True, file=io.StringIO(), width=width, force_terminal=color,
                      color_system="standard" if color else None, no_color=not color, highlight=False,
                      emoji=False, markup=False, soft_wrap=False, legacy_windows=False)
    b = report.bundle
    engines = ", ".join(sorted({neutralise(r.engine, 20) for r in report.runs})) or "—"
    console.print(_labelled(Text("mpsandbox review ·", style="bold"), Text(neutralise(b.name, 120), style="bold")))
    console.print(Text(f"platform {neutralise(b.platform or '?', 10)} · policy {neutralise(report.policy, 60)} · "
                       f"engine {engines} · mpsandbox {neutralise(report.tool_version or '?', 20)} · "
                       f"report schema v{report.schema_version}", style="dim"))
    verdict = report.verdict
    banner = Text.assemble((f"  {verdict.value.upper()}  ", VERDICT_STYLE[verdict]),
                           "   ", (_counts(report), "bold"), f" · exit code {report.exit_code}",
                           ("\n" + VERDICT_MEANING[verdict], "dim"))
    console.print(Panel(banner, box=box.HEAVY, expand=False, title="verdict", title_align="left"))
    if report.score is not None:
        sc = report.score
        groups = " · ".join(f"{g.title.lower()} {'—' if g.score is None else g.score}" for g in sc.groups)
        console.print(Text.assemble(("experience score ", "bold"), (f"{sc.score}/100", "bold"), f" ({groups})"))
        if sc.minimum is not None:
            console.print(Text(f"the score is {'at or above' if sc.passed else 'BELOW'} the minimum {sc.minimum} "
                               f"(--min-score){'' if sc.passed else ': the exit code is at least 1'}",
                               style="green" if sc.passed else "bold red"))
    if report.error:
        console.print(Text.assemble(("the review did not run to the end: ", "bold red"),
                                    neutralise(report.error, 1000)))

    if report.baseline is not None:
        bl = report.baseline
        console.print(Text(f"against the baseline {neutralise(bl.source, 200)}: {bl.new} new, {bl.unchanged} unchanged "
                           f"(not shown), {len(bl.fixed)} fixed; without the baseline the verdict would be "
                           f"{bl.verdict_without_baseline.value}", style="bold"))
    domains = report.domains()
    if report.allow_domains == [] and domains:
        console.print(Text("note: no allow-list was given (--allow-domain or allow_domains in a policy); the network "
                           "audits could not tell the bundle's own hosts from others", style="yellow"))

    grouped = report.findings_by_category()
    for category in [c for c in CATEGORIES if c in grouped] + sorted(c for c in grouped if c not in CATEGORIES):
        console.print()
        console.print(_category_block(category, grouped[category]))
    if not report.shown_findings:
        console.print()
        console.print("No new findings." if report.baseline is not None else "No findings.")
    if report.baseline is not None and report.baseline.fixed:
        console.print()
        console.print(Text("Fixed since the baseline", style="bold green"))
        for f in report.baseline.fixed[:20]:
            console.print(Text(f"  ✓ {neutralise(f.rule, 60)}: {neutralise(f.message, 200)}"))

    if domains:
        console.print()
        console.print(_domains_table(domains))
    perms = _permissions(report)
    if perms is not None:
        console.print()
        console.print(perms)

    if report.runs:
        console.print()
        console.print(_runs_table(report.runs))
        for r in report.runs:
            if r.pages_failed:
                console.print(_labelled(f"pages that failed to load ({r.mode}):", Text(
                    ", ".join(neutralise(p, 80) for p in r.pages_failed[:20])
                    + (f" … and {len(r.pages_failed) - 20} more" if len(r.pages_failed) > 20 else ""))))
            cov = r.coverage
            if cov.pages_redirected:
                console.print(_labelled(f"pages that sent the user elsewhere ({r.mode}):", Text(", ".join(
                    f"{neutralise(k, 80)} → {neutralise(v, 80)}" for k, v in list(cov.pages_redirected.items())[:10])
                    + (f" … and {len(cov.pages_redirected) - 10} more" if len(cov.pages_redirected) > 10 else ""))))
            if cov.unknown_apis:
                console.print(_labelled(f"unknown APIs called ({r.mode}):", Text(
                    ", ".join(neutralise(a, 60) for a in cov.unknown_apis[:20])
                    + (f" … and {len(cov.unknown_apis) - 20} more" if len(cov.unknown_apis) > 20 else ""))))
            sandbox = [c for c in cov.error_causes if c.origin == "sandbox"]
            if sandbox:
                console.print(_labelled(f"errors caused by the sandbox ({r.mode}, not findings):", Text("; ".join(
                    f"{c.count} × {neutralise(c.description, 100)}" for c in sandbox))))
            for note in cov.budget_notes[:10]:
                console.print(_labelled(f"coverage note ({r.mode}):", Text(neutralise(note, 300))))
            if len(cov.budget_notes) > 10:
                console.print(Text(f"… and {len(cov.budget_notes) - 10} more coverage notes"))
            if r.end_detail:
                console.print(Text(f"end of the {r.mode} walk: {neutralise(r.end_reason, 40)}: "
                                   f"{neutralise(r.end_detail, 300)}"))

    if b.files or b.total_bytes:
        subs = ", ".join(f"{neutralise(k, 40)} {_size(v)}" for k, v in sorted(b.subpackage_bytes.items()))
        console.print()
        console.print(_labelled("bundle:", Text(
            f"{_plural(b.files, 'file')}, {_size(b.total_bytes)} (main {_size(b.main_bytes)}"
            + (f"; {subs}" if subs else "") + f"), {_plural(b.pages, 'page')}"
            + (f", sha256 {neutralise(b.sha256, 64)[:16]}…" if b.sha256 else ""))))
    if report.problems:
        console.print()
        console.print(Text("Bundle problems", style="bold"))
        problems = Table.grid(padding=(0, 1, 0, 0))  # bullet column: wrapped text stays indented
        problems.add_column(width=1, no_wrap=True)
        problems.add_column(overflow="fold")
        for p in report.problems[:MAX_PROBLEMS]:
            problems.add_row(Text("•", style="yellow"), Text(neutralise(p, 300)))
        console.print(problems)
        if len(report.problems) > MAX_PROBLEMS:
            console.print(Text(f"… and {len(report.problems) - MAX_PROBLEMS} more"))
    out = console.export_text(styles=color)
    return "\n".join(line.rstrip() for line in out.rstrip().split("\n")) + "\n"
