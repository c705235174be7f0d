"""The dispatcher."""

from __future__ import annotations

import pytest

from mpsandbox.report.render import FORMATS, render

from ._factory import make_report


def test_every_format_renders_and_unknown_ones_are_refused():
    assert FORMATS == ("text", "json", "sarif", "junit", "html")
    report = make_report()
    outputs = {fmt: render(report, fmt) for fmt in FORMATS}
    assert outputs["json"].lstrip().startswith("{") and outputs["sarif"].lstrip().startswith("{")
    assert outputs["junit"].startswith("<?xml") and outputs["html"].startswith("<!doctype html>")
    assert render(report, "text", color=True) != outputs["text"]
    with pytest.raises(ValueError, match="unknown format"):
        render(report, "pdf")
