"""A self-contained HTML page of the report: verdict banner, findings by category with evidence, the walks' figures.

No external resources (a Content-Security-Policy forbids them outright); jinja2 autoescape is on and every
bundle-controlled string also goes through :func:`neutralise`, so neither markup nor bidi tricks survive.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from ..review.model import CATEGORIES, Report, Severity
from .render import neutralise, value_text
from .text import VERDICT_MEANING

MAX_EVIDENCE = 10


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


def to_html(report: Report) -> str:
    """The report as one HTML page (UTF-8, no scripts, no external resources)."""
    grouped = report.findings_by_category()
    order = [c for c in CATEGORIES if c in grouped] + sorted(c for c in grouped if c not in CATEGORIES)
    counts = {s.value: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    counts.update({k: v for k, v in report.counts.items() if k in counts})
    groups = sorted({g for r in report.runs for g in r.api_calls_by_group})
    template = _env().get_template("report.html.j2")
    return template.render(report=report, grouped=grouped, order=order, counts=counts, groups=groups,
                           rules={r.id: r for r in report.rules}, meaning=VERDICT_MEANING[report.verdict],
                           max_evidence=MAX_EVIDENCE)
