"""A self-contained HTML page of the report, readable on a phone.

Verdict banner; findings filterable by severity and category (checkboxes and CSS only: no script), each with the
source around its evidence; what was checked (every rule that ran and its result); the walk on a timeline (pages,
taps, API calls, setData, timers, errors on the axis of its turns); the domains contacted; the APIs and permissions
used; coverage; page screenshots when the view layer supplied them.

No external resources (a Content-Security-Policy forbids them outright; images are data: URIs); jinja2 autoescape
is on and every bundle-controlled string also goes through :func:`neutralise`, so neither markup nor bidi tricks
survive.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..review.model import CATEGORIES, Report, RunFigures, Screen, Severity
from .hygiene import neutralise, value_text
from .text import VERDICT_MEANING

MAX_EVIDENCE = 10
MAX_SCREENS = 24
MAX_SCREEN_BASE64 = 4 * 1024 * 1024
LANES = (("page", "pages"), ("user", "taps"), ("api", "API calls"), ("setData", "setData"), ("timer", "timers"),
         ("error", "errors"))
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PNG_MAGIC = "iVBORw0KGgo"  # base64 of the PNG signature


def _size(n: int | float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} B"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("mpsandbox.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["clean"] = lambda v, limit=500: neutralise("" if v is None else v, limit)
    env.filters["value"] = lambda v, limit=300: value_text(v, limit)
    env.filters["size"] = _size
    return env


def _screens(screens: list[Screen]) -> list[Screen]:
    """PNG screenshots that are plain base64 within bounds (anything else is left out)."""
    out = []
    for s in screens[:MAX_SCREENS]:
        data = "".join(s.png_base64.split())
        if len(data) <= MAX_SCREEN_BASE64 and data.startswith(_PNG_MAGIC) and _BASE64.fullmatch(data):
            out.append(s.model_copy(update={"png_base64": data}))
    return out


def _timeline(run: RunFigures) -> dict[str, Any]:
    """The run's timeline as lanes of marks at a percentage of the axis, and ticks with turn and virtual time."""
    tl = run.timeline
    turns = max(1, tl.turns)
    lanes = []
    for lane, title in LANES:
        marks = [{"left": round(min(99.6, (i.turn + 0.5) / turns * 100), 2), "item": i}
                 for i in tl.items if i.lane == lane]
        lanes.append({"lane": lane, "title": title, "marks": marks})
    by_turn = sorted((i.turn, i.t) for i in tl.items)
    ticks = []
    for frac in (0, 0.25, 0.5, 0.75, 1):
        turn = min(turns - 1, int(frac * turns))
        t = max((tt for k, tt in by_turn if k <= turn), default=0)
        ticks.append({"left": frac * 100, "turn": turn, "t": t})
    return {"run": run, "lanes": lanes, "ticks": ticks, "events": tl.items, "dropped": tl.dropped}


def _checks(report: Report) -> list[dict[str, Any]]:
    found: dict[str, int] = {}
    for f in report.findings:
        found[f.rule] = found.get(f.rule, 0) + 1
    rows = []
    for r in sorted(report.rules, key=lambda r: (CATEGORIES.index(r.category) if r.category in CATEGORIES else 99,
                                                 r.id)):
        n = found.get(r.id, 0)
        rows.append({"rule": r, "count": n, "status": "off" if not r.enabled else ("found" if n else "passed")})
    return rows


def to_html(report: Report) -> str:
    """The report as one HTML page (UTF-8, no scripts, no external resources)."""
    grouped = report.findings_by_category()
    order = [c for c in CATEGORIES if c in grouped] + sorted(c for c in grouped if c not in CATEGORIES)
    shown = [f for c in order for f in grouped[c]]
    shown.sort(key=lambda f: -f.severity.rank)
    counts = {s.value: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    counts.update({k: v for k, v in report.counts.items() if k in counts})
    shown_counts = {s.value: sum(1 for f in shown if f.severity is s) for s in Severity}
    cat_counts = {c: len(grouped[c]) for c in order}
    groups = sorted({g for r in report.runs for g in r.api_calls_by_group})
    apis: dict[str, dict[str, Any]] = {}
    for r in report.runs:
        for a in r.api_calls_by_api:
            row = apis.setdefault(a.api, {"api": a.api, "group": a.group, "counts": {}})
            row["counts"][r.mode] = a.count
    checks = _checks(report)
    template = _env().get_template("report.html.j2")
    return template.render(
        report=report, shown=shown, order=order, counts=counts, shown_counts=shown_counts, cat_counts=cat_counts,
        groups=groups, rules={r.id: r for r in report.rules}, meaning=VERDICT_MEANING[report.verdict],
        max_evidence=MAX_EVIDENCE, domains=report.domains(), apis=sorted(apis.values(), key=lambda a: a["api"]),
        checks=checks, checks_passed=sum(1 for c in checks if c["status"] == "passed"),
        checks_off=sum(1 for c in checks if c["status"] == "off"),
        timelines=[_timeline(r) for r in report.runs if r.timeline.items],
        screens=[(r.mode, _screens(r.screens)) for r in report.runs if r.screens],
        severities=[s.value for s in Severity], no_allow_list=report.allow_domains == [],
        lanes=LANES)
