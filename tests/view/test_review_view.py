"""The review's use of the view: element metrics as an audit, screenshots in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.review import ReviewOptions, review


def make(tmp: Path, template: str, js: str = "Page({ data: { n: 1200 } })") -> Path:
    files = {"app.json": json.dumps({"pages": ["pages/p/p"]}), "app.js": "App({})",
             "pages/p/p.wxml": template, "pages/p/p.js": js, "pages/p/p.wxss": ".row { height: 40rpx; }"}
    for path, text in files.items():
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).write_text(text, encoding="utf-8")
    return tmp


def test_a_page_rendering_too_many_nodes_is_flagged(tmp_path: Path) -> None:
    report = review(make(tmp_path / "big", '<view class="list"><view class="row" wx:for="{{n}}">{{item}}</view></view>'),
                    ReviewOptions(engine="native"))
    hits = [f for f in report.findings if f.rule == "view-too-large"]
    assert len(hits) == 1 and "1201 nodes" in hits[0].message and "1200 children" in hits[0].message
    assert hits[0].evidence[0].location.file == "pages/p/p.wxml"
    small = review(make(tmp_path / "small", '<view class="row" wx:for="{{n}}">{{item}}</view>',
                        "Page({ data: { n: 20 } })"), ReviewOptions(engine="native"))
    assert not [f for f in small.findings if f.rule == "view-too-large"]


def test_screenshots_of_visited_pages_reach_the_report(tmp_path: Path) -> None:
    from mpsandbox.runtime.view.screenshot import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here")
    pytest.importorskip("playwright")
    report = review(make(tmp_path, '<view class="row">hello</view>'), ReviewOptions(engine="native", screenshots=True))
    shots = report.runs[0].screens
    assert [s.route for s in shots] == ["pages/p/p"]
    import base64

    assert base64.b64decode(shots[0].png_base64)[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_chromium_the_review_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSANDBOX_CHROMIUM", str(tmp_path / "no-such-browser"))
    report = review(make(tmp_path, '<view class="row">hello</view>'), ReviewOptions(engine="native", screenshots=True))
    assert report.runs[0].screens == []
    assert any(p.startswith("screenshots:") and "Chromium" in p for p in report.problems)
