"""Render a review report in any of the supported formats."""

from __future__ import annotations

from ..review.model import Report

FORMATS = ("text", "json", "sarif", "junit", "html")


def render(report: Report, fmt: str, *, color: bool = False, fail_on: str = "flag") -> str:
    if fmt == "text":
        from .text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from .json_report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif_json

        return to_sarif_json(report)
    if fmt == "junit":
        from .junit import to_junit

        return to_junit(report, fail_on=fail_on)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
