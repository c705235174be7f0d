"""HTML report: self-contained, escaped, complete, filterable without script."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mpsandbox.report.render import render
from mpsandbox.review.model import Evidence, Finding, Location, Screen, Severity

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
    assert not [t for t, _ in tags if t in ("script", "link", "iframe", "object")]
    assert all(a.get("src", "").startswith("data:image/png;base64,") for t, a in tags if t == "img")
    assert not re.search(r"(src|href)=\"?https?:", html)
    assert 'class="banner reject"' in html and "REJECT" in html
    assert "data-to-network" in html and "pages/a/a.js:12:5 (go)" in html and "utils/api.js:3" in html
    assert "How to fix data-to-network." in html and "123456 poll" in html and "3.0 MB" in html


def test_findings_filter_by_severity_and_category_with_css_only():
    html = render(make_report(), "html")
    boxes = [a["id"] for t, a in _tags(html) if t == "input" and a.get("type") == "checkbox"]
    assert {"fs-error", "fs-warning", "fs-info"} <= set(boxes) and len([b for b in boxes if b.startswith("fc-")]) == 4
    for box in boxes:  # every checkbox has its label and a rule that hides the findings it stands for
        assert f'<label for="{box}">' in html
        assert re.search(rf"#{box}:not\(:checked\) ~ \.flist \.f\.[sc]-[\w-]+ {{ display: none; }}", html)
    cards = [a["class"] for t, a in _tags(html) if t == "article"]
    assert len(cards) == 4 and all(re.fullmatch(r"f s-(error|warning|info) c-\d", c) for c in cards)


def test_snippets_timeline_domains_permissions_checks_and_screens():
    html = render(make_report(), "html")
    assert '<div class="ln hit"><span>12</span><code>  wx.request(' in html
    assert html.count('class="mark ') >= 7 and 'title="turn 10 · t=3000ms · tap go"' in html
    assert "tracker.example" in html and '<span class="bad">no</span>' in html and "wx.request</code> ×3" in html
    assert "scope.userLocation" in html and "getLocation" in html
    assert "What was checked" in html and "✓ passed" in html and "finding(s)</span>" in html
    assert 'alt="screenshot of pages/a/a"' in html
    assert "No network allow-list" not in html  # the factory's review had one


def test_approved_report_shows_what_was_checked_and_the_missing_allow_list():
    report = make_report([]).model_copy(update={"allow_domains": []})
    html = render(report, "html")
    assert "APPROVE" in html and "No findings." in html and "All 6 enabled checks passed" in html
    assert '<details open><summary>every rule that ran' in html
    assert 'id="no-allow-list"' in html and "tracker.example" in html


def test_screens_that_are_not_png_base64_are_left_out():
    report = make_report()
    report.runs[0].screens = [Screen(route="x", png_base64='"><script>alert(1)</script>'),
                              Screen(route="y", png_base64="R0lGODlhAQABAAAAACw=")]
    html = render(report, "html")
    assert "<script" not in html and not [t for t, _ in _tags(html) if t == "img"]


def test_empty_report():
    html = render(make_report([], rules=[]), "html")
    assert "APPROVE" in html and "No findings." in html


def test_hostile_text_is_escaped():
    f = Finding(rule="uncaught-error", category="stability", severity=Severity.ERROR, message=HOSTILE,
                location=Location(file=HOSTILE, line=2),
                evidence=[Evidence(description=HOSTILE, value={"x": HOSTILE}, page=HOSTILE,
                                   stack=[Location(file=HOSTILE)])])
    report = make_report([f], name=HOSTILE, problems=[HOSTILE], error=HOSTILE)
    report.runs[0].timeline.items[0].label = HOSTILE
    report.runs[0].domains[0].domain = HOSTILE
    html = render(report, "html")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not [t for t, _ in _tags(html) if t == "script"]
    for bad in ("\x1b", "\x00", "\u202e", "\u2028"):
        assert bad not in html


def test_coverage_shown():
    page = render(make_report(), "html")
    for needle in ("2/3", "7/9", "errors: app / sandbox", "2 / 1", "tt.getFoo", "Coverage notes (allow)",
                   "Errors caused by the sandbox (allow, not findings)", "pages/login/login"):
        assert needle in page, needle
