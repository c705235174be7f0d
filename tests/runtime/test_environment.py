"""The environment a run shows the bundle: a device's clock, system info and built-ins, chosen by the seed; and the
walk's time-delayed steps (pending timers, second taps, a second launch)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from mpsandbox.apis.devices import PROFILES
from mpsandbox.bundle import load_bundle
from mpsandbox.runtime.environment import Environment, bundle_digest, walk_seed
from mpsandbox.runtime.sandbox import Sandbox
from mpsandbox.trace import VIEW_LOAD_API
from mpsandbox.runtime.walker import WalkBudgets, Walker

from .bundles import make_bundle
from .helpers import console_lines, run_pages

CHINA = timezone(timedelta(hours=8))


def test_environment_is_plausible_and_chosen_by_seed_and_bundle():
    envs = [Environment.for_seed(seed, "wx") for seed in range(40)]
    assert Environment.for_seed(7, "wx") == envs[7]
    assert len({e.epoch_ms for e in envs}) == 40 and len({e.device for e in envs}) > 3
    for e in envs:
        start = datetime.fromtimestamp(e.epoch_ms / 1000, CHINA)
        assert start.year == 2026 and 8 <= start.hour <= 23 and e.epoch_ms % 1000 not in (0, 500)
        assert e.device in {p.key for p in PROFILES} and 300 < e.perf_origin_ms < 2500
        assert 4 * 60_000 <= e.relaunch_gap_ms <= 40 * 3_600_000
    # the bundle's content is mixed in: two bundles at the default seed see different values
    one, two = make_bundle({"pages/p/p": "Page({})"}), make_bundle({"pages/p/p": "Page({ x: 1 })"})
    assert bundle_digest(one) != bundle_digest(two)
    assert Environment.for_seed(0, "tt", bundle_digest(one)) != Environment.for_seed(0, "tt", bundle_digest(two))


def test_walk_seeds_of_a_review():
    assert walk_seed(5, "allow") == 5
    assert walk_seed(5, "deny") == walk_seed(5, "deny") != walk_seed(6, "deny")
    assert walk_seed(5, "deny") not in (5, walk_seed(5, "allow"))


PROBE = """Page({ onLoad() {
    const s = tt.getSystemInfoSync();
    console.log(Date.now(), performance.now(), Math.random(), s.brand, s.model, s.screenWidth, s.SDKVersion);
    setTimeout(() => console.log(Date.now(), performance.now()), 60000);
} })"""


def test_same_seed_same_trace_other_seed_other_device_and_clock(engine_name):
    def walk(seed: int) -> str:
        bundle = make_bundle({"pages/p/p": PROBE})
        return Walker(bundle, engine=engine_name, seed=seed).run().trace.model_dump_json()

    first, again, other = walk(11), walk(11), walk(12)
    assert first == again
    lines = [json.loads(t)["events"] for t in (first, other)]
    logs = [[e["text"] for e in events if e["kind"] == "console"][0].split(" ") for events in lines]
    assert logs[0][0] != logs[1][0] and logs[0][2] != logs[1][2]  # clock and Math.random
    assert json.loads(first)["environment"] != json.loads(other)["environment"]


def test_the_clock_is_the_same_on_both_engines():
    traces = [run_pages({"pages/p/p": PROBE}, engine=engine, seed=4) for engine in ("native", "wasm")]
    assert console_lines(traces[0]) == console_lines(traces[1])


def test_the_clock_moves_like_a_devices(engine_name):
    page = """Page({ onLoad() {
        const d0 = Date.now(), p0 = performance.now();
        let spins = 0; while (Date.now() - d0 < 20) spins++;  // a busy wait ends: time passes while code runs
        console.log('waited', spins > 0, performance.now() > p0);
        console.log('fraction', String(performance.now()).includes('.'), d0 % 1000 !== 0);
        setTimeout(() => console.log('later', Date.now() - d0 >= 1000, performance.now() - p0 >= 1000), 1000);
    } })"""
    trace = run_pages({"pages/p/p": page}, engine=engine_name)
    assert console_lines(trace) == ["waited true true", "fraction true true", "later true true"]
    assert not trace.of_kind("budget")


SANDBOX_WORDS = re.compile(r"mpsandbox|sandbox|mpsb|framework\.js|Sandbox Phone", re.I)


def test_nothing_the_bundle_reads_names_the_sandbox(engine_name):
    page = r"""Page({ onLoad() {
        const out = [];
        const fns = [tt.request, tt.getSystemInfoSync, setTimeout, setInterval, clearTimeout, App, Page, Component,
                     Behavior, getApp, getCurrentPages, require, requirePlugin, console.log, Date, Date.now,
                     Date.prototype.getHours, Math.random, performance.now, Function, eval, this.setData,
                     Function.prototype.toString];
        for (const f of fns) out.push(String(f), Function.prototype.toString.call(f), f.name);
        out.push(fns.every(f => String(f) === 'function ' + f.name + '() {\n    [native code]\n}') ? 'native' : 'source');
        out.push(['fileName', 'lineNumber', 'columnNumber'].some(k => k in tt.request) ? 'engine getters' : 'none');
        out.push(Object.getPrototypeOf(Date) === Function.prototype && new Date().constructor === Date
                 && Date.prototype.constructor === Date ? 'one Date' : 'engine Date');
        out.push(new Error('x').stack);
        try { require('nowhere') } catch (e) { out.push(e.message, e.stack) }
        try { tt.request() } catch (e) { out.push(String(e), e.stack) }
        for (const api of ['getSystemInfoSync', 'getWindowInfo', 'getDeviceInfo'])
            out.push(JSON.stringify(tt[api]()));
        out.push(Object.getOwnPropertyNames(globalThis).join(','), Object.getOwnPropertyNames(tt).join(','));
        tt.login({ success: (r) => console.log('code', r.code) });
        tt.getClipboardData({ success: (r) => console.log('clip', r.data) });
        for (const x of out) console.log(String(x));
    } })"""
    lines = console_lines(run_pages({"pages/p/p": page}, engine=engine_name))
    text = "\n".join(lines)
    assert "\nnative\nnone\none Date\n" in text
    assert "at onLoad (pages/p/p.js:" in text  # the stack is there, with the bundle's frame
    assert not SANDBOX_WORDS.search(text), SANDBOX_WORDS.search(text)


def test_atomics_is_there_as_on_devices(engine_name):
    page = """Page({ onLoad() {
      const a = new Int32Array(4); Atomics.add(a, 1, 5); Atomics.sub(a, 1, 2); Atomics.compareExchange(a, 1, 3, 9);
      Atomics.or(a, 2, 6); Atomics.and(a, 2, 3); Atomics.xor(a, 2, 1);
      const out = [typeof Atomics, Object.prototype.toString.call(Atomics), a[1], Atomics.load(a, 2),
                   Atomics.exchange(a, 3, 7), Atomics.store(a, 3, 8), a[3], Atomics.notify(a, 0), Atomics.isLockFree(4),
                   String(Atomics.add).includes('[native code]')];
      for (const bad of [() => Atomics.wait(a, 0, 0), () => Atomics.add(new Float64Array(1), 0, 1),
                         () => Atomics.load(a, 9)]) {
        try { bad(); out.push('no error') } catch (e) { out.push(e.name) }
      }
      console.log(out.join(' '));
    } })"""
    (line,) = console_lines(run_pages({"pages/p/p": page}, engine=engine_name))
    assert line == "object [object Atomics] 9 3 0 8 8 0 true true TypeError TypeError RangeError"


def test_system_info_is_a_real_devices_on_each_platform():
    for platform, name in (("tt", "getSystemInfoSync"), ("wx", "getSystemInfoSync"), ("my", "getSystemInfoSync")):
        page = f"Page({{ onLoad() {{ console.log(JSON.stringify({platform}.{name}())) }} }})"
        for seed in (1, 2, 3):
            bundle = make_bundle({"pages/p/p": page}, platform=platform)
            with Sandbox(bundle, engine="native", seed=seed) as sb:
                sb.launch()
                info = json.loads(console_lines(sb.finish())[0])
                device = next(p for p in PROFILES if p.key == sb.environment.device)
            assert info["brand"] == device.brand and info["screenWidth"] == device.screen[0]
            assert info["SDKVersion"] == sb.environment.sdk_version and info["version"] == sb.environment.host_version
            assert info["windowHeight"] < info["screenHeight"] and info["safeArea"]["top"] == info["statusBarHeight"]


def test_pending_timers_come_due_within_the_dwell_budget(engine_name):
    page = """Page({ onLoad() {
        this.a = setTimeout(() => console.log('a minute'), 60000);
        this.b = setTimeout(() => console.log('an hour'), 3600000);
        this.i = setInterval(() => { this.n = (this.n || 0) + 1 }, 5000);
    }, onUnload() { clearTimeout(this.a); clearTimeout(this.b); clearInterval(this.i); console.log('fired', this.n) } })"""
    bundle = make_bundle({"pages/p/p": page})
    result = Walker(bundle, engine=engine_name, budgets=WalkBudgets(relaunch=False)).run()
    lines = console_lines(result.trace)
    assert lines[0] == "a minute" and "an hour" not in lines  # the hour is past the 10-minute dwell
    # an interval of a second or more is followed tick by tick, up to its 60th (5 minutes here)
    assert result.log.timers_awaited > 50 and int(lines[1].split()[1]) == 60
    short = Walker(bundle, engine=engine_name, budgets=WalkBudgets(relaunch=False, dwell_ms=30_000)).run()
    (fired,) = console_lines(short.trace)  # no minute; the interval ticked through the 30 s dwell, not to 60
    assert 6 <= int(fired.split()[1]) < 12


def test_taps_are_repeated_and_the_app_launched_again_with_its_storage(engine_name):
    app = """App({ onLaunch() {
        const n = (tt.getStorageSync('launches') || 0) + 1; tt.setStorageSync('launches', n);
        console.log('launch', n, Math.random() < 1, Math.round(performance.now()) < 5000);
    } })"""
    page = "Page({ go() { this.taps = (this.taps || 0) + 1; console.log('tap', this.taps) } })"
    bundle = make_bundle({"pages/p/p": page}, app_js=app, extra={"pages/p/p.ttml": '<view bindtap="go">go</view>'})
    result = Walker(bundle, engine=engine_name).run()
    lines = console_lines(result.trace)
    # the element is tapped twice on the first launch, and once more on the entry page after the second
    assert lines == ["launch 1 true true", "tap 1", "tap 2", "launch 2 true true", "tap 1"]
    assert result.log.second_taps == 1 and result.log.relaunched and result.log.relaunch_acted == 1
    (note,) = [e for e in result.trace.of_kind("note") if e.code == "relaunch"]
    assert note.data["gap_ms"] == result.environment.relaunch_gap_ms
    launches = [e for e in result.trace.of_kind("lifecycle") if e.hook == "onLaunch"]
    assert len(launches) == 2 and launches[1].t - launches[0].t >= result.environment.relaunch_gap_ms
    off = Walker(bundle, engine=engine_name, budgets=WalkBudgets(second_taps=False, relaunch=False)).run()
    assert console_lines(off.trace) == ["launch 1 true true", "tap 1"]


def test_script_modules_read_the_apps_clock(tmp_path, engine_name):
    files = {"app.json": json.dumps({"pages": ["pages/p/p"]}), "app.js": "App({})", "pages/p/p.js": "Page({})",
             "pages/p/p.wxml": '<wxs module="w">module.exports = { y: function () { return getDate().getFullYear() } };'
                               '</wxs><image src="https://img.example.com/{{w.y()}}.png"/>'}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    with Sandbox(load_bundle(tmp_path), engine=engine_name) as sb:
        sb.launch()
        trace = sb.finish()
    year = datetime.fromtimestamp(sb.environment.epoch_ms / 1000, CHINA).year
    assert [e.args[0]["url"] for e in trace.api_calls(VIEW_LOAD_API)] == [f"https://img.example.com/{year}.png"]
