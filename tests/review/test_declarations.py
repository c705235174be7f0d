"""Declarations against behaviour: scopes and requiredPrivateInfos declared but never used."""

from __future__ import annotations

import json
from pathlib import Path

from mpsandbox.review import ReviewOptions, review


def _bundle(root: Path, app: dict, page_js: str, template: str = '<button bindtap="go">go</button>',
            ext: str = ".ttml") -> Path:
    files = {"app.json": json.dumps({"pages": ["pages/a/a"], **app}, indent=2), "app.js": "App({})",
             "pages/a/a.js": page_js, "pages/a/a" + ext: template}
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


LOCATION = {"permission": {"scope.userLocation": {"desc": "nearby shops"}}}


def _finding(report, rule):
    return next((f for f in report.findings if f.rule == rule), None)


def test_an_unused_scope_points_at_its_declaration(tmp_path):
    path = _bundle(tmp_path / "b", LOCATION, "Page({ go() { tt.showToast({ title: 'x' }) } })")
    f = _finding(review(path, ReviewOptions(engine="native")), "unused-scope-declaration")
    assert f is not None and f.severity.value == "warning"
    lines = (path / "app.json").read_text().splitlines()
    assert f.location.file == "app.json" and '"scope.userLocation"' in lines[f.location.line - 1]
    assert "scope.userLocation" in f.message and "every page and handler" in f.message


def test_a_use_the_walk_did_not_reach_makes_it_informational(tmp_path):
    js = "Page({ go() {}, hidden() { tt.getLocation({ success() {} }) } })"  # hidden() is bound nowhere
    path = _bundle(tmp_path / "b", LOCATION, js)
    f = _finding(review(path, ReviewOptions(engine="native")), "unused-scope-declaration")
    assert f is not None and f.severity.value == "info" and "getLocation" in f.message


def test_a_used_scope_is_not_flagged(tmp_path):
    path = _bundle(tmp_path / "b", LOCATION, "Page({ go() { tt.getLocation({ success() {}, fail() {} }) } })")
    assert _finding(review(path, ReviewOptions(engine="native")), "unused-scope-declaration") is None


def test_unused_required_private_infos_on_wechat(tmp_path):
    app = {**LOCATION, "requiredPrivateInfos": ["getLocation", "chooseAddress"]}
    path = _bundle(tmp_path / "b", app, "Page({ go() { wx.getLocation({ success() {}, fail() {} }) } })",
                   ext=".wxml")
    report = review(path, ReviewOptions(engine="native", platform="wx"))
    hits = [f for f in report.findings if f.rule == "unused-private-info"]
    assert [h.evidence[0].value for h in hits] == ["chooseAddress"]
    assert hits[0].location.file == "app.json" and hits[0].location.line is not None
