"""Render a review report in any of the supported formats (each format's module is imported when it is used)."""

from __future__ import annotations

from ..review.model import Report

FORMATS = ("text", "json", "sarif", "junit", "html")


def render(report: Report, fmt: str, *, color: bool = False, fail_on: str = "reject",
           source_root: str | None = None) -> str:
    """The report as ``fmt`` (one of :data:`FORMATS`). ``color`` is for the text format only; ``fail_on`` for JUnit
    (``"reject"``: only error findings fail a test case; ``"flag"``: warnings fail too); ``source_root`` for SARIF
    (where the bundle's files live in the repository)."""
    if fmt == "text":
        from .text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from .json_report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif_json

        return to_sarif_json(report, source_root)
    if fmt == "junit":
        from .junit import to_junit

        return to_junit(report, fail_on=fail_on)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
