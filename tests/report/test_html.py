"""HTML report: self-contained, escaped, complete."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mpsandbox.report.render import render
from mpsandbox.review.model import Evidence, Finding, Location, Severity

from ._factory import HOSTILE, make_report


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(html)
    return p.tags


def test_self_contained_with_verdict_findings_and_figures():
    html = render(make_report(), "html")
    tags = _tags(html)
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object")]
    assert not re.search(r"(src|href)=\"?https?:", html)
    assert 'class="banner reject"' in html and "REJECT" in html
    assert html.index('id="cat-privacy"') < html.index('id="cat-network"') < html.index('id="cat-lifecycle"')
    assert "data-to-network" in html and "pages/a/a.js:12:5 (go)" in html and "utils/api.js:3" in html
    assert "How to fix data-to-network." in html and "123456 poll" in html and "3.0 MB" in html


def test_empty_report():
    html = render(make_report([], rules=[]), "html")
    assert "APPROVE" in html and "No findings." in html


def test_hostile_text_is_escaped():
    f = Finding(rule="uncaught-error", category="stability", severity=Severity.ERROR, message=HOSTILE,
                location=Location(file=HOSTILE, line=2),
                evidence=[Evidence(description=HOSTILE, value={"x": HOSTILE}, page=HOSTILE,
                                   stack=[Location(file=HOSTILE)])])
    html = render(make_report([f], name=HOSTILE, problems=[HOSTILE], error=HOSTILE), "html")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not [t for t, _ in _tags(html) if t == "script"]
    for bad in ("\x1b", "\x00", "\u202e", "\u2028"):
        assert bad not in html


def test_coverage_shown():
    page = render(make_report(), "html")
    for needle in ("2/3", "7/9", "errors: app / sandbox", "2 / 1", "tt.getFoo", "Coverage notes (allow)",
                   "Errors caused by the sandbox (allow, not findings)", "pages/login/login"):
        assert needle in page, needle
