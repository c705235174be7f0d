"""A self-contained HTML page of the report (no external resources; every bundle-controlled string escaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from ..review.model import CATEGORIES, Report
from .safe_text import clean


def _env() -> Environment:
    env = Environment(loader=PackageLoader("mpsandbox.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["clean"] = lambda v, limit=500: clean(v, limit=limit)
    return env


def to_html(report: Report) -> str:
    template = _env().get_template("report.html.j2")
    return template.render(report=report, grouped=report.findings_by_category(), categories=CATEGORIES)
