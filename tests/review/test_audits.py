"""Each audit on a bundle that triggers it and on a near-miss that must not."""

from __future__ import annotations

import re

import pytest

from mpsandbox.review.model import Severity, Verdict
from mpsandbox.review.policy import Budgets, builtin_policy

from .helpers import fake, review_fake, rules_of, tap

SMALL = builtin_policy("douyin").model_copy(
    update={"budgets": Budgets(cpu_ms_per_turn=50, cpu_ms_total=2_000, memory_bytes=16 * 1024 * 1024,
                               idle_after_unload_ms=2_000)}
)


def finding(report, rule):
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"{rule} not in {sorted(f.rule for f in report.findings)}"
    return found[0]


# ---- dynamic code ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [
    "eval('1 + 1')",
    "(0, eval)('1')",
    "new Function('return 1')()",
    "[].constructor.constructor('return 1')()",
    "setTimeout('console.log(1)', 10)",
    "const F = Object.getPrototypeOf(async function () {}).constructor; F('return 1')",
])
def test_dynamic_code_however_reached(code):
    report = review_fake(fake({"pages/a/a": f"Page({{ go() {{ try {{ {code} }} catch (e) {{}} }} }})"},
                              templates={"pages/a/a": tap("go")}))
    f = finding(report, "dynamic-code")
    assert f.severity is Severity.ERROR and report.verdict is Verdict.REJECT
    assert f.location is not None and f.location.file == "pages/a/a.js"


def test_no_dynamic_code_for_json_parse():
    report = review_fake(fake({"pages/a/a": "Page({ onLoad() { JSON.parse('{\"a\":1}'); setTimeout(() => 1, 5) } })"}))
    assert "dynamic-code" not in rules_of(report)
    assert report.verdict is Verdict.APPROVE


# ---- secrets --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "const APP_SECRET = '9f8e7d6c5b4a39281706f5e4d3c2b1a0'",
    "module.exports = { appSecret: 'Zx8Qp2Lm9Rt4Vb7Nc1Kd' }",
    "const key = `-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----`",
    "const password = 'S3cr3t!pw'",
    "const t = 'AKIAIOSFODNN7EXAMPLE'",
])
def test_hardcoded_secret(text):
    report = review_fake(fake({"pages/a/a": "Page({})"}, extra={"utils/config.js": text}))
    f = finding(report, "hardcoded-secret")
    assert f.location.file == "utils/config.js" and f.location.line >= 1
    assert "9f8e7d6c5b4a39281706f5e4d3c2b1a0" not in f.model_dump_json()  # evidence masks the value


@pytest.mark.parametrize("text", [
    "const APP_ID = 'tt07e3715e98c9aac0'",
    "const img = '/images/banner.3f2a9c1d7e5b4a60.png'",
    "const url = 'https://cdn.example.com/a/550e8400-e29b-41d4-a716-446655440000.jpg'",
    "const token = ''; const password = 'your_password'",
    "const secretHint = 'see the server'",
])
def test_no_secret_near_misses(text):
    report = review_fake(fake({"pages/a/a": "Page({})"}, extra={"utils/config.js": text}))
    assert "hardcoded-secret" not in rules_of(report)


# ---- network --------------------------------------------------------------------------------------------------------
def _req(url):
    return fake({"pages/a/a": f"Page({{ onLoad() {{ tt.request({{url: {url!r}}}) }} }})"})


def test_network_rules():
    assert "insecure-transport" in rules_of(review_fake(_req("http://api.example.com/x")))
    assert "ip-or-localhost" in rules_of(review_fake(_req("https://127.0.0.1:8080/x")))
    assert "ip-or-localhost" in rules_of(review_fake(_req("https://localhost/x")))
    report = review_fake(_req("https://evil.example.net/x"), allow_domains=["api.example.com"])
    assert finding(report, "domain-not-allowed").evidence[0].value == "https://evil.example.net/x"
    ok = review_fake(_req("https://api.example.com/x"), allow_domains=["api.example.com"])
    assert rules_of(ok).isdisjoint({"domain-not-allowed", "insecure-transport", "ip-or-localhost"})
    wildcard = review_fake(_req("https://img.example.com/x"), allow_domains=["*.example.com"])
    assert "domain-not-allowed" not in rules_of(wildcard)


def test_server_only_endpoint_at_run_time_and_in_source():
    report = review_fake(_req("https://developer.toutiao.com/api/apps/v2/jscode2session"))
    assert finding(report, "server-only-endpoint").severity is Severity.ERROR
    unreached = fake({"pages/a/a": "Page({ never() { tt.request({url: "
                                    "'https://api.weixin.qq.com/sns/jscode2session?appid=a'}) } })"})
    assert "server-only-endpoint" in rules_of(review_fake(unreached))


# ---- gesture ----------------------------------------------------------------------------------------------------------
def test_payment_without_gesture_and_in_a_tap():
    bad = review_fake(fake({"pages/a/a": "Page({ onLoad() { setTimeout(() => tt.pay({orderInfo: {}, service: 5}), 100) } })"}))
    assert "payment-without-gesture" in rules_of(bad)
    good = review_fake(fake({"pages/a/a": "Page({ buy() { tt.request({url: 'https://a.example.com/o', "
                                          "success: () => tt.pay({orderInfo: {}, service: 5})}) } })"},
                            templates={"pages/a/a": tap("buy")}))
    assert "payment-without-gesture" not in rules_of(good)


# ---- resource -------------------------------------------------------------------------------------------------------
def test_gesture_required_follows_the_hosts_refusals():
    """openSetting in a dialog's confirm works on the platforms (the confirm is a tap); straight from onLoad it is
    refused, and only that is the finding."""
    direct = fake({"pages/a/a": "Page({ onLoad() { tt.openSetting({ fail: () => {} }) } })"})
    dialog = fake({"pages/a/a": "Page({ onLoad() { tt.showModal({ title: 't', success: () => "
                                "tt.openSetting({ fail: () => {} }) }) } })"})
    refused = [f for f in review_fake(direct).findings if f.rule == "gesture-required"]
    assert refused and "tt.openSetting" in refused[0].message
    assert "gesture-required" not in rules_of(review_fake(dialog))


def test_cpu_budget_on_infinite_loop():
    report = review_fake(fake({"pages/a/a": "Page({ onLoad() { while (true) {} } })"}), policy=SMALL)
    assert finding(report, "cpu-budget").severity is Severity.ERROR


def test_a_stalled_turn_is_no_cpu_finding_but_a_coverage_note(engine_name, monkeypatch):
    """A turn that took the wall limit without spending its CPU time (here: blocked in host code, as on a machine
    too loaded to schedule it) is not the bundle's CPU: no cpu-budget, and the coverage says where the walk stalled."""
    import time

    from mpsandbox.runtime.sandbox import Sandbox

    original = Sandbox._op_console
    monkeypatch.setattr(Sandbox, "_op_console", lambda self, p: time.sleep(0.4) or original(self, p))
    policy = SMALL.model_copy(update={"budgets": SMALL.budgets.model_copy(update={"wall_ms_per_turn": 250})})
    report = review_fake(fake({"pages/a/a": "Page({ onLoad() { console.log('x'); for (let i = 0; i < 1e5; i++) {} } })"}),
                         policy=policy, engine=engine_name)
    assert "cpu-budget" not in rules_of(report)
    assert any("stalled" in note for run in report.runs for note in run.coverage.budget_notes)


def test_memory_limit():
    report = review_fake(fake({"pages/a/a": "Page({ onLoad() { const a = []; while (true) a.push(new Array(1e5).fill(1)) } })"}),
                         policy=SMALL)
    assert "memory-limit" in rules_of(report)


def test_stack_overflow_uncaught_vs_caught():
    bad = review_fake(fake({"pages/a/a": "function f(n) { return f(n + 1) + 1 } Page({ onLoad() { f(0) } })"}))
    assert "stack-overflow" in rules_of(bad)
    ok = review_fake(fake({"pages/a/a": "function f(n) { return f(n + 1) + 1 } "
                                        "Page({ onLoad() { try { f(0) } catch (e) { console.log('deep') } } })"}))
    assert "stack-overflow" not in rules_of(ok)


def test_microtask_flood():
    report = review_fake(fake({"pages/a/a": "function spin() { Promise.resolve().then(spin) } "
                                            "Page({ onLoad() { spin() } })"}), policy=SMALL)
    assert "microtask-flood" in rules_of(report)


# ---- performance ----------------------------------------------------------------------------------------------------
def test_setdata_size_thresholds():
    warn = review_fake(fake({"pages/a/a": "Page({ onLoad() { this.setData({s: 'x'.repeat(300 * 1024)}) } })"}))
    assert finding(warn, "setdata-size").severity is Severity.WARNING
    err = review_fake(fake({"pages/a/a": "Page({ onLoad() { this.setData({s: 'x'.repeat(1100 * 1024)}) } })"}))
    assert finding(err, "setdata-size").severity is Severity.ERROR
    ok = review_fake(fake({"pages/a/a": "Page({ onLoad() { this.setData({s: 'x'.repeat(200 * 1024)}) } })"}))
    assert "setdata-size" not in rules_of(ok)


def test_setdata_frequency_and_orphan_timer():
    src = "Page({ onLoad() { this.t = setInterval(() => this.setData({n: Date.now()}), 10) } })"
    report = review_fake(fake({"pages/a/a": src}), policy=SMALL)
    assert {"setdata-frequency", "orphan-timer"} <= rules_of(report)
    orphan = finding(report, "orphan-timer")  # it points at where the timer was set
    assert orphan.location.file == "pages/a/a.js" and orphan.location.function == "onLoad"
    assert orphan.evidence[0].description == "timer #1 set here"
    cleared = ("Page({ onLoad() { this.t = setInterval(() => this.setData({n: Date.now()}), 500) },"
               " onUnload() { clearInterval(this.t) } })")
    ok = review_fake(fake({"pages/a/a": cleared}), policy=SMALL)
    assert rules_of(ok).isdisjoint({"setdata-frequency", "orphan-timer", "runaway-timers"})


def test_a_polling_pages_setdata_is_folded_but_counted():
    # a page that polls setData every 100 ms for the whole walk: past the timer's first fires its calls fold into
    # one event a second, so a long walk of a big app stays under the record's cap; the figures still count each
    from mpsandbox.review.gather import gather

    src = ("let calls = 0\nPage({ onLoad() { this.t = setInterval(() => { calls++; this.setData({ n: calls }) }, 100) },"
           " onUnload() { clearInterval(this.t); console.log('calls ' + calls) } })")
    bundle = fake({"pages/a/a": src})
    art = gather(bundle, SMALL, engine="native")
    trace = art.runs[0].trace
    calls = sum(int(e.text.split()[1]) for e in trace.of_kind("console") if e.text.startswith("calls"))  # each load
    events = [e for e in trace.of_kind("setData") if e.route == "pages/a/a"]
    assert calls > 100 and sum(e.times for e in events) == calls
    assert len(events) < calls / 3 and max(e.times for e in events) <= 10
    report = review_fake(bundle, policy=SMALL)
    assert report.runs[0].setdata_calls >= calls and "setdata-frequency" not in rules_of(report)


def test_setdata_frequency_counts_folded_calls():
    # 25 calls a second: the first 20 fires are recorded one by one (fewer than 21 in any second), the rest folded
    src = "Page({ onLoad() { this.t = setInterval(() => this.setData({n: 1}), 40) } })"
    report = review_fake(fake({"pages/a/a": src}), policy=SMALL)
    hit = finding(report, "setdata-frequency")
    assert hit.message.endswith("setData calls within one second on pages/a/a")
    assert 21 <= int(hit.message.split()[0]) <= 26


def test_orphan_timers_set_in_one_place_are_one_finding():
    # a page that keeps setting a timeout of a varying delay in one place (a real raffle page set 104): one finding
    # with the count, and another place is another finding
    src = ("function tick(i) { setTimeout(() => tick(i + 1), 100 + (i % 5) * 7) }\n"
           "function beat() { setTimeout(beat, 150) }\n"
           "Page({ onLoad() { tick(0); beat() } })")
    report = review_fake(fake({"pages/a/a": src}), policy=SMALL)
    orphans = sorted((f for f in report.findings if f.rule == "orphan-timer"), key=lambda f: f.location.line)
    assert [f.location.line for f in orphans] == [1, 2]
    assert re.fullmatch(r"\d+ timeouts of 100-128 ms set by pages/a/a fired after the page unloaded",
                        orphans[0].message)
    assert re.fullmatch(r"\d+ timeouts of 150 ms set by pages/a/a fired after the page unloaded", orphans[1].message)
    assert all(f.evidence[0].description.endswith("set here") for f in orphans)


def test_long_turn_and_slow_launch():
    busy = "function burn(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s }"
    pol = builtin_policy("douyin").model_copy(update={"thresholds": builtin_policy("douyin").thresholds.model_copy(
        update={"long_turn_ms": 5, "slow_launch_ms": 5})})
    report = review_fake(fake({"pages/a/a": busy + " Page({ onLoad() { burn(3e6) } })"}), policy=pol)
    assert {"long-turn", "slow-launch"} <= rules_of(report)
    quick = review_fake(fake({"pages/a/a": busy + " Page({ onLoad() { burn(10) } })"}), policy=pol)
    assert rules_of(quick).isdisjoint({"long-turn", "slow-launch"})


# ---- stability ------------------------------------------------------------------------------------------------------
def test_uncaught_error_rejection_and_page_failure():
    report = review_fake(fake({
        "pages/a/a": "Page({ go() { null.x } })",
        "pages/b/b": "Page({ onLoad() { Promise.reject(new Error('nope')) } })",
        "pages/c/c": "Page({ onLoad(q) { q.user.name } })",
    }, templates={"pages/a/a": tap("go")}))
    rules = rules_of(report)
    assert {"uncaught-error", "unhandled-rejection", "page-load-failure"} <= rules
    failure = finding(report, "page-load-failure")
    assert failure.location.file == "pages/c/c.js"
    assert report.verdict is Verdict.REJECT


def test_clean_bundle_is_approved_with_figures():
    report = review_fake(fake({"pages/a/a": "Page({ data: {n: 0}, add() { this.setData({n: this.data.n + 1}) } })",
                               "pages/b/b": "Page({})"},
                              templates={"pages/a/a": tap("add") + tap("add", dataset={"id": "2"})}))
    assert report.verdict is Verdict.APPROVE and report.exit_code == 0
    run = report.runs[0]
    assert run.pages_visited == ["pages/a/a", "pages/b/b"]
    assert run.handlers_fired == 1  # the same handler bound twice is fired once
    # both rendered elements are tapped, each a second time, and once more on the entry page after the relaunch
    assert run.setdata_calls == 6 and run.end_reason == "stopped"


# ---- api ------------------------------------------------------------------------------------------------------------
def test_unknown_api_including_obfuscated_access():
    report = review_fake(fake({"pages/a/a": "Page({ onLoad() { const n = 'request' + 'Payment'; "
                                            "if (tt[n]) tt[n]({}); tt['get' + 'HostSecret'] } })"}))
    f = finding(report, "unknown-api")
    assert f.severity is Severity.WARNING
    names = {e.description for f in report.findings if f.rule == "unknown-api" for e in f.evidence}
    assert any("requestPayment" in n for n in names) and any("getHostSecret" in n for n in names)


# ---- determinism ----------------------------------------------------------------------------------------------------
def test_review_is_deterministic():
    b = lambda: fake({"pages/a/a": "Page({ onLoad() { this.setData({r: Math.random()}); "  # noqa: E731
                                   "tt.request({url: 'http://x.example.com/' + Date.now()}) } })"})
    one = review_fake(b(), deny=True).model_dump(mode="json")
    two = review_fake(b(), deny=True).model_dump(mode="json")
    for r in one["runs"] + two["runs"]:
        r.pop("wall_ms")
    assert one == two


def test_clipboard_uploaded_even_to_an_allowed_domain_is_a_warning():
    src = ("Page({ onShow() { wx.getClipboardData({ success: (c) => wx.request({ url: 'https://api.example.com/c', "
           "method: 'POST', data: { text: c.data } }) }) } })")
    report = review_fake(fake({"pages/a/a": src}, platform="wx"), allow_domains=["api.example.com"])
    f = finding(report, "data-to-network")
    assert f.severity is Severity.WARNING and "clipboard" in f.message


def test_personal_data_in_analytics_events():
    src = ("Page({ go() { tt.getLocation({ success: (r) => tt.reportAnalytics('visit', { lat: r.latitude }) }) } })")
    report = review_fake(fake({"pages/a/a": src}, app_json={"permission": {"scope.userLocation": {"desc": "x"}}},
                              templates={"pages/a/a": tap("go")}))
    f = finding(report, "data-to-network")
    assert f.severity is Severity.WARNING and "analytics" in f.message


def test_audits_that_read_only_the_bundle_never_touch_the_runs():
    """An audit declares what it reads (as Lighthouse audits name their artifacts); exploration re-runs only the
    readers of runs after each run, so a reader of runs marked bundle-only would be skipped there."""
    from mpsandbox.review.audits import REGISTRY
    from mpsandbox.review.gather import gather

    class Untouchable(list):
        def _touched(self, *a, **k):
            raise AssertionError("read the runs")

        __iter__ = __len__ = __getitem__ = __bool__ = __contains__ = _touched

    bundle = fake({"pages/a/a": "Page({ onLoad() { tt.request({ url: 'http://127.0.0.1/x' }) } })"},
                  extra={"utils/k.js": "module.exports = { appSecret: '9f8e7d6c5b4a39281706f5e4d3c2b1a0' }"})
    policy = builtin_policy("douyin")
    art = gather(bundle, policy, engine="native")
    bundle_only = [a for a in REGISTRY.values() if "runs" not in a.reads]
    assert {"hardcoded-secret", "package-size", "bundle-problem"} <= {a.id for a in bundle_only}
    art.runs = Untouchable(art.runs)
    for a in bundle_only:
        list(a.fn(art, policy))  # raises if it reads the runs
