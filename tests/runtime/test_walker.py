"""The review's walk: per-page and per-step budgets, redirects, subpackages, typed event details."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.review import ReviewOptions, review
from mpsandbox.runtime.walker import Binding, WalkBudgets, page_bindings, plausible_detail, walk

ROOT = Path(__file__).resolve().parents[2]


def _bigapp():
    spec = importlib.util.spec_from_file_location("bigapp", ROOT / "bench" / "bigapp.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def _page(js: str, ttml: str = "<view/>") -> dict[str, str]:
    return {"js": js, "ttml": ttml}


def _app(root: Path, pages: dict[str, dict[str, str]], app_json: dict | None = None, app_js: str = "App({})") -> Path:
    files = {"app.json": json.dumps({"pages": [r for r in pages if not r.startswith("pkg")], **(app_json or {})}),
             "app.js": app_js}
    for route, parts in pages.items():
        files[route + ".js"] = parts["js"]
        files[route + ".ttml"] = parts.get("ttml", "<view/>")
    return _write(root, files)


def test_a_large_app_with_a_subpackage_is_walked_completely(tmp_path):
    path = _bigapp().make_big_app(tmp_path / "big", pages=80, subpackage_pages=6)
    result = walk(load_bundle(path))
    log = result.log
    assert len(log.pages_visited) == 86
    assert {r for r in log.pages_visited if r.startswith("pkg/")} == {f"pkg/p{i}/p{i}" for i in range(6)}
    assert log.pages_failed == [] and log.pages_skipped == []
    # the mocked request answers no list items: each page's item handler is bound but on no rendered element, so
    # a user cannot reach it (a note per page says so) and the walk does not fire it blind
    assert log.handlers_bound == 86 * 4 and log.handlers_fired == 86 * 3
    assert log.handlers_unrendered == ["onTapItem"] * 86
    assert len(log.budget_notes) == 86 and all("onTapItem" in n for n in log.budget_notes)
    assert result.trace.end.reason == "stopped" and log.stopped_early is None


def test_independent_subpackage_pages_are_walked(tmp_path):
    page = _page("Page({ onLoad() { this.setData({ a: 1 }) }, go() {} })", '<view bindtap="go"/>')
    path = _app(tmp_path / "app", {"pages/home/home": page, "pkg/a/a": page},
                {"subPackages": [{"root": "pkg", "pages": ["a/a"], "independent": True}]})
    log = walk(load_bundle(path)).log
    assert log.pages_visited == ["pages/home/home", "pkg/a/a"] and log.handlers_fired == 2


def test_an_endless_timer_chain_in_one_page_is_flagged_and_the_walk_goes_on(tmp_path):
    spin = _page("Page({ onLoad() { const tick = () => setTimeout(tick, 0); tick(); } })")
    calm = _page("Page({ onLoad() { this.setData({ ok: true }) } })")
    path = _app(tmp_path / "app", {"pages/calm/calm": calm, "pages/spin/spin": spin, "pages/after/after": calm})
    report = review(path, ReviewOptions(engine="native"))
    run = report.runs[0]
    assert "runaway-timers" in {f.rule for f in report.findings}
    assert "pages/after/after" in run.pages_visited


def test_a_page_budget_running_out_is_a_coverage_note_not_a_finding(tmp_path):
    handlers = "".join(f"h{i}() {{ this.setData({{ v: {i} }}) }}, " for i in range(30))
    ttml = "".join(f'<view bindtap="h{i}"/>' for i in range(30))
    path = _app(tmp_path / "app", {"pages/a/a": _page(f"Page({{ {handlers} }})", ttml),
                                   "pages/b/b": _page("Page({})")})
    result = walk(load_bundle(path), budgets=WalkBudgets(page_turns=20))
    log = result.log
    assert log.pages_visited == ["pages/a/a", "pages/b/b"]
    assert 0 < log.handlers_fired < 30
    assert any("page budget" in n and "pages/a/a" in n for n in log.budget_notes)
    assert not [e for e in result.trace.of_kind("budget")]


def test_a_login_redirect_on_open_is_not_a_page_load_failure(tmp_path):
    guarded = _page("Page({ onLoad() { tt.redirectTo({ url: '/pages/login/login' }) } })")
    path = _app(tmp_path / "app", {"pages/home/home": _page("Page({})"), "pages/orders/orders": guarded,
                                   "pages/login/login": _page("Page({})")})
    report = review(path, ReviewOptions(engine="native"))
    run = report.runs[0]
    assert "pages/orders/orders" in run.pages_visited and run.pages_failed == []
    assert "page-load-failure" not in {f.rule for f in report.findings}
    log = walk(load_bundle(path)).log
    assert log.pages_redirected == {"pages/orders/orders": "pages/login/login"}


@pytest.mark.parametrize("tag,event,attrs,expected", [
    ("picker", "change", {}, {"value": 0}),
    ("picker", "change", {"mode": "multiSelector"}, {"value": [0, 0]}),
    ("picker", "change", {"mode": "date"}, {"value": "2025-01-01"}),
    ("picker", "change", {"mode": "time", "start": "09:00"}, {"value": "09:00"}),
    ("switch", "change", {}, {"value": True}),
    ("checkbox-group", "change", {}, {"value": ["1"]}),
    ("slider", "change", {"min": "10", "step": "5"}, {"value": 15}),
    ("swiper", "change", {}, {"current": 1, "currentItemId": "", "source": "touch"}),
    ("form", "submit", {}, {"value": {}, "formId": ""}),
])
def test_event_details_are_typed_as_the_component_gives_them(tag, event, attrs, expected):
    assert plausible_detail(Binding(handler="h", event=event, tag=tag, attrs=attrs)) == expected


def test_a_map_region_change_says_where_the_map_now_is(tmp_path):
    # the end of a drag carries the map's centre and region (the demo reads e.detail.centerLocation.latitude)
    js = """Page({ moved(e) { const c = e.detail.centerLocation; console.log(e.detail.type, c.latitude.toFixed(1)) } })"""
    path = _app(tmp_path / "app", {"pages/home/home": _page(js, '<map bindregionchange="moved"/>')})
    for engine in ("native", "wasm"):
        result = walk(load_bundle(path), engine=engine, budgets=WalkBudgets(relaunch=False))
        assert [e.message for e in result.trace.of_kind("error")] == []
        assert [e.text for e in result.trace.of_kind("console")] == ["end 30.3"]


def test_input_and_scroll_details():
    d = plausible_detail(Binding(handler="h", event="input", tag="input"))
    assert isinstance(d["value"], str) and d["cursor"] == len(d["value"]) and isinstance(d["keyCode"], int)
    s = plausible_detail(Binding(handler="h", event="scroll", tag="scroll-view"))
    assert s["scrollTop"] > 0 and "scrollHeight" in s
    region = plausible_detail(Binding(handler="h", event="change", tag="picker", attrs={"mode": "region"}))
    assert len(region["value"]) == 3 and all(isinstance(v, str) for v in region["value"])


def test_bindings_carry_the_tag_and_its_static_attributes(tmp_path):
    ttml = ('<picker mode="date" bindchange="onDate"/><picker mode="{{m}}" bindchange="onAny"/>'
            '<switch bindchange="onSwitch"/>')
    path = _app(tmp_path / "app", {"pages/a/a": _page("Page({ onDate() {}, onAny() {}, onSwitch() {} })", ttml)})
    bindings = {b.handler: b for b in page_bindings(load_bundle(path), "pages/a/a")}
    assert bindings["onDate"].tag == "picker" and bindings["onDate"].attrs == {"mode": "date"}
    assert bindings["onAny"].attrs == {}  # a {{ }} value is unknown before the page's data exists
    assert plausible_detail(bindings["onSwitch"]) == {"value": True}


def test_a_picker_handler_gets_a_number_index(tmp_path):
    js = "Page({ data: { list: ['a', 'b'] }, onPick(e) { this.setData({ picked: this.data.list[e.detail.value + 1].toUpperCase() }) } })"
    path = _app(tmp_path / "app", {"pages/a/a": _page(js, '<picker range="{{list}}" bindchange="onPick"/>')})
    result = walk(load_bundle(path))
    assert result.log.handlers_fired == 1
    assert not result.trace.of_kind("error")


def test_an_interval_left_by_an_unloaded_page_is_not_charged_to_later_pages(tmp_path):
    import json as _json

    from mpsandbox.bundle import load_bundle
    from mpsandbox.runtime.walker import walk

    pages = [f"pages/p{i}/p{i}" for i in range(6)]
    files = {"app.json": _json.dumps({"pages": pages}), "app.js": "App({})"}
    for p in pages:
        files[p + ".js"] = "Page({ go() { console.log('went') } })"
        files[p + ".ttml"] = '<view bindtap="go">go</view>'
    # the second page leaves a 1 ms interval behind when it unloads (its own steps run away: that is its finding)
    files["pages/p1/p1.js"] = "Page({ onLoad() { setInterval(() => { this.n = (this.n || 0) + 1 }, 1) } })"
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    from mpsandbox.runtime.walker import WalkBudgets

    # the whole walk's turn cap (pages x page budget) still bounds a leaked interval: raise it for this test
    result = walk(load_bundle(tmp_path), budgets=WalkBudgets(page_turns=40_000))
    assert result.log.pages_visited == pages and result.log.stopped_early is None
    runaway = [e.detail for e in result.trace.events if e.kind == "budget"]
    assert runaway and all("pages/p1/p1" in d for d in runaway)
    orphan_fires = [e for e in result.trace.events if e.kind == "timer" and e.op == "fire" and not e.owner_alive]
    # it kept firing (until the walk's allowance for unloaded pages' work), and the trace says whose it was
    assert sum(e.times for e in orphan_fires) >= WalkBudgets().orphan_turns
    assert len(orphan_fires) <= 2 * 20 + 2  # past its first fires, counted in one event


def test_a_page_that_draws_every_frame_is_not_a_runaway(tmp_path):
    import json as _json

    from mpsandbox.bundle import load_bundle
    from mpsandbox.runtime.walker import walk

    pages = [f"pages/p{i}/p{i}" for i in range(3)]
    files = {"app.json": _json.dumps({"pages": pages}), "app.js": "App({})"}
    for p in pages:
        files[p + ".js"] = "Page({ go() {} })"
        files[p + ".ttml"] = '<view bindtap="go">go</view>'
    # twelve animation loops (12 x 60 frames a second is over the step's 2,000 turns in 3 s)
    files["pages/p1/p1.js"] = ("Page({ onReady() { for (let i = 0; i < 12; i++) { const loop = () => "
                               "this.animate('#x', [], 16, loop); loop(); } } })")
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    result = walk(load_bundle(tmp_path))
    assert result.log.pages_visited == pages and result.log.runaway_steps == 0


def test_an_open_type_event_comes_only_from_the_button_tap_with_the_hosts_answer(tmp_path):
    # the user taps the button; the platform fires getphonenumber with its answer. The walk must not also fire
    # getphonenumber itself with a tap's detail ({x, y}), which no device sends
    js = """Page({ got(e) { console.log('detail:', e.detail.errMsg.slice(-2), typeof e.detail.encryptedData) } })"""
    ttml = '<button open-type="getPhoneNumber" bindgetphonenumber="got">phone</button>'
    path = _app(tmp_path / "app", {"pages/home/home": _page(js, ttml)})
    for engine in ("native", "wasm"):
        result = walk(load_bundle(path), engine=engine, budgets=WalkBudgets(relaunch=False, second_taps=False))
        assert [e.message for e in result.trace.of_kind("error")] == []
        assert [e.text for e in result.trace.of_kind("console")] == ["detail: ok string"]


def test_console_lines_are_kept_per_page_so_a_chatty_app_is_recorded_whole(tmp_path):
    # 59 pages logging 38 lines each: 2,242 lines, past the run's own 2,000, yet within each page's share
    js = "Page({ onLoad() { for (let i = 0; i < 38; i++) console.log('line', i) } })"
    pages = {"pages/home/home": _page("Page({})")} | {f"pages/p{i}/p{i}": _page(js) for i in range(59)}
    result = walk(load_bundle(_app(tmp_path / "app", pages)), budgets=WalkBudgets(relaunch=False))
    assert len(result.trace.of_kind("console")) == 59 * 38 and result.trace.of_kind("cap") == []


def test_a_rendered_components_own_events_come_from_inside_it_with_its_detail(tmp_path):
    counter = {"counter/counter.js": """Component({ data: { n: 0 }, methods: {
                 inc() { this.setData({ n: this.data.n + 1 }); this.triggerEvent('change', { count: this.data.n }) } } })""",
               "counter/counter.json": json.dumps({"component": True}),
               "counter/counter.ttml": '<view class="plus" bindtap="inc">{{n}}</view>'}
    page = _page("Page({ onChange(e) { console.log('got ' + e.detail.count.toFixed(0)) } })",
                 '<counter bind:change="onChange"/>')
    path = _app(tmp_path / "app", {"pages/home/home": page})
    _write(path, {**counter, "pages/home/home.json": json.dumps({"usingComponents": {"counter": "/counter/counter"}})})
    result = walk(load_bundle(path))
    assert not result.trace.of_kind("error"), [e.message for e in result.trace.of_kind("error")]
    got = [e.text for e in result.trace.of_kind("console")]
    assert got and set(got) <= {"got 1", "got 2"}  # from the taps inside, with the component's detail


def test_a_groups_change_carries_one_of_its_items_and_a_multi_column_picker_one_index_per_column(tmp_path):
    page = _page("""Page({ data: { cols: [['a'], ['b'], ['c']], places: { north: 'N', south: 'S' } },
        onRadio(e) { console.log('radio ' + this.data.places[e.detail.value]) },
        onBoxes(e) { console.log('boxes ' + e.detail.value.map(k => this.data.places[k]).join()) },
        onPick(e) { console.log('picked ' + e.detail.value.map((i, c) => this.data.cols[c][i]).join('')) } })""",
                 """<radio-group bindchange="onRadio"><radio value="north"/><radio value="south"/></radio-group>
                    <checkbox-group bindchange="onBoxes"><checkbox value="south"/></checkbox-group>
                    <picker mode="multiSelector" range="{{cols}}" bindchange="onPick"><view>pick</view></picker>""")
    result = walk(load_bundle(_app(tmp_path / "app", {"pages/home/home": page})))
    assert not result.trace.of_kind("error"), [e.message for e in result.trace.of_kind("error")]
    assert {"radio N", "boxes S", "picked abc"} <= {e.text for e in result.trace.of_kind("console")}


def test_the_walks_record_caps_grow_with_the_app_within_its_byte_budget():
    from mpsandbox.runtime.sandbox import RunLimits
    from mpsandbox.runtime.walker import EVENTS_PER_PAGE, Walker

    from .bundles import make_bundle

    small = Walker(make_bundle({"pages/a/a": "Page({})"}))
    big = Walker(make_bundle({f"pages/p{i}/p{i}": "Page({})" for i in range(500)}))
    assert small.limits.max_events == RunLimits().max_events
    assert big.limits.max_events == EVENTS_PER_PAGE * 502 > RunLimits().max_events
    assert big.limits.max_record_bytes == RunLimits().max_record_bytes  # memory stays bounded whatever the size


def test_a_differential_walk_keeps_its_events_only():
    from mpsandbox.runtime.walker import Walker

    from .bundles import make_bundle

    bundle = make_bundle({"pages/a/a": "Page({ onLoad() { setTimeout(() => tt.getLocation({}), 10) } })"},
                         extra={"pages/a/a.ttml": "<view>a</view>"})
    first, twin = Walker(bundle).run(), Walker(bundle, canary_variant=1).run()
    assert first.trace.turns and first.views
    assert not twin.trace.turns and not twin.views  # compared by its events: turns and views would double memory
    assert [e.kind for e in twin.trace.events] == [e.kind for e in first.trace.events]


def test_douyin_open_type_buttons_fire_their_events_with_the_documented_detail(tmp_path):
    buttons = {"addCalendarEvent": "addcalendarevent", "openAwemeUserProfile": "openawemeuserprofile",
               "openWebcastRoom": "openwebcastroom", "authorizePrivateMessage": "authorizeprivatemessage",
               "navigateToVideoView": "navigatetovideoview", "addShortcut": "addshortcut", "privateMessage": "pm"}
    ttml = "".join(f'<button open-type="{ot}" data-aweme-id="a1" bind{ev}="got">{ot}</button>'
                   for ot, ev in buttons.items())
    js = "Page({ got(e) { console.log(e.type, JSON.stringify(e.detail)) } })"
    path = _app(tmp_path / "app", {"pages/home/home": _page(js, ttml)})
    result = walk(load_bundle(path), budgets=WalkBudgets(relaunch=False, second_taps=False))
    assert [e.message for e in result.trace.of_kind("error")] == []
    assert sorted(e.text for e in result.trace.of_kind("console")) == sorted([
        'addcalendarevent {"errMsg":"addCalendarEvent:ok","errNo":0}',
        'openawemeuserprofile {"errMsg":"openAwemeUserProfile:ok","errNo":0,"hasFollowed":false}',
        'openwebcastroom {"errMsg":"openWebcastRoom:ok","errNo":0}',
        'authorizeprivatemessage {"errMsg":"authorizePrivateMessage:ok","errNo":0}',
        'navigatetovideoview {"errMsg":"navigateToVideoView:ok","errNo":0}',
        'addshortcut {"errMsg":"addShortCut:ok","errNo":0}',
        'pm {"errMsg":"privateMessage:ok","errNo":0}'])
    assert [(p.scope, p.api) for p in result.trace.of_kind("permission")] == [("scope.calendar", "button:addCalendarEvent")]


def test_video_and_live_player_events_carry_the_components_typed_details(tmp_path):
    js = """Page({
      time(e) { console.log('time', typeof e.detail.currentTime, typeof e.detail.duration) },
      full(e) { console.log('full', typeof e.detail.fullScreen, e.detail.direction) },
      buffered(e) { console.log('buffered', typeof e.detail.buffered) },
      muted(e) { console.log('muted', typeof e.detail.isMuted) },
      rate(e) { console.log('rate', typeof e.detail.playbackRate) },
      state(e) { console.log('state', typeof e.detail.code) },
      liveFull(e) { console.log('live full', typeof e.detail.fullScreen) } })"""
    ttml = ('<video src="https://cdn.example.com/v.mp4" bindtimeupdate="time" bindfullscreenchange="full" '
            'bindprogress="buffered" bindmutechange="muted" bindplaybackratechange="rate"/>'
            '<live-player src="https://cdn.example.com/l.flv" bindstatechange="state" bindfullscreenchange="liveFull"/>')
    path = _app(tmp_path / "app", {"pages/home/home": _page(js, ttml)})
    result = walk(load_bundle(path), budgets=WalkBudgets(relaunch=False, second_taps=False))
    assert [e.message for e in result.trace.of_kind("error")] == []
    assert sorted(e.text for e in result.trace.of_kind("console")) == [
        "buffered number", "full boolean horizontal", "live full boolean", "muted boolean", "rate number",
        "state number", "time number number"]


def test_a_forms_submit_and_reset_buttons_are_tapped_without_handlers_of_their_own(tmp_path):
    js = """Page({ sent(e) { console.log('submit', JSON.stringify(e.detail.value)) }, cleared(e) { console.log('reset') } })"""
    ttml = ('<form bindsubmit="sent" bindreset="cleared"><input name="who" value="ann"/>'
            '<button form-type="submit">send</button><button form-type="reset">clear</button></form>')
    path = _app(tmp_path / "app", {"pages/home/home": _page(js, ttml)})
    result = walk(load_bundle(path), budgets=WalkBudgets(relaunch=False, second_taps=False))
    assert [e.message for e in result.trace.of_kind("error")] == []
    assert sorted(e.text for e in result.trace.of_kind("console")) == ["reset", 'submit {"who":"ann"}']
    acts = {e.action: e for e in result.trace.of_kind("user") if e.action in ("submit", "reset")}
    assert sorted(acts) == ["reset", "submit"] and acts["submit"].gesture_id is not None  # the button's tap


def _fires(result, owner: str) -> int:
    return sum(e.times for e in result.trace.events if e.kind == "timer" and e.op == "fire" and e.owner == owner)


def test_a_polling_chain_that_never_ends_does_not_hold_every_page_open(tmp_path):
    # the entry page polls every second for a value the server never sends (a timeout chain); it stays beneath the
    # other pages, so the chain goes on while they are walked
    poll = _page("Page({ onLoad() { const poll = () => { if (!getApp().prefix) setTimeout(poll, 1000) }; poll() },"
                 " go() { this.setData({ n: 1 }) } })", '<view bindtap="go">go</view>')
    calm = _page("Page({ go() { this.setData({ n: 1 }) }, more() { this.setData({ n: 2 }) } })",
                 '<view bindtap="go">go</view><view bindtap="more">more</view>')
    pages = {"pages/home/home": poll, **{f"pages/p{i}/p{i}": calm for i in range(4)}}
    result = walk(load_bundle(_app(tmp_path / "app", pages)))
    log = result.log
    assert log.pages_visited == list(pages) and log.budget_notes == [] and log.stopped_early is None
    assert log.handlers_fired == 9
    fires = _fires(result, "pages/home/home")
    # the home page's dwell follows the chain like an interval (60 links), as does the second launch's; later pages
    # neither wait for it in their dwell nor let three seconds pass after each step for its ticks (following it
    # for ten minutes of dwell a page and three seconds a step: over 9,000 fires)
    assert 120 <= fires < 600, fires


def test_a_countdown_made_of_timeouts_is_followed_to_its_end(tmp_path):
    countdown = _page("Page({ onLoad() { let n = 5; const tick = () => { this.setData({ n }); "
                      "if (n-- > 0) setTimeout(tick, 2000) }; tick() } })")
    result = walk(load_bundle(_app(tmp_path / "app", {"pages/a/a": countdown, "pages/b/b": _page("Page({})")})),
                  budgets=WalkBudgets(relaunch=False))
    assert _fires(result, "pages/a/a") == 5
    values = [e for e in result.trace.events if e.kind == "setData" and e.route == "pages/a/a"]
    assert len(values) == 6


def test_a_page_that_needs_its_query_is_opened_again_with_the_keys_its_onload_reads(tmp_path):
    exam = _page("Page({ onLoad(options) { const { step, poolType } = options || {};"
                 " if (!step || !poolType) { tt.navigateBack(); return } this.setData({ id: options.poolId }) },"
                 " answer() { this.setData({ done: true }) } })", '<view bindtap="answer">answer</view>')
    path = _app(tmp_path / "app", {"pages/home/home": _page("Page({})"), "pages/exam/exam": exam})
    result = walk(load_bundle(path))
    log = result.log
    assert log.pages_visited == ["pages/home/home", "pages/exam/exam"] and log.pages_redirected == {}
    assert log.handlers_fired == 1
    opened = [e.to_route + "?" + "&".join(f"{k}={v}" for k, v in sorted((e.query or {}).items()))
              for e in result.trace.events if e.kind == "navigation" and e.to_route == "pages/exam/exam"]
    assert "pages/exam/exam?poolId=1&poolType=1&step=1" in opened
    assert [e for e in result.trace.of_kind("note") if e.code == "walk-query"]


def test_a_component_used_by_two_components_counts_its_handler_once_and_as_bound(tmp_path):
    comp = lambda js, ttml, using=None: {"js": js, "ttml": ttml,  # noqa: E731
                                          "json": json.dumps({"component": True, "usingComponents": using or {}})}
    files = {
        "components/modal/modal": comp("Component({ methods: { close() { this.setData({ shut: true }) } } })",
                                       '<view bindtap="close">x</view>'),
        "components/login/login": comp("Component({ methods: { login() {} } })",
                                       '<view bindtap="login">in</view><modal/>', {"modal": "/components/modal/modal"}),
        "components/confirm/confirm": comp("Component({ methods: { ok() {} } })",
                                           '<view bindtap="ok">ok</view><modal/>', {"modal": "/components/modal/modal"}),
    }
    root = tmp_path / "app"
    _app(root, {"pages/home/home": _page("Page({ go() {} })", '<view bindtap="go">go</view><login/><confirm/>')})
    _write(root, {"pages/home/home.json": json.dumps({"usingComponents": {"login": "/components/login/login",
                                                                          "confirm": "/components/confirm/confirm"}})})
    for path, parts in files.items():
        _write(root, {path + ".js": parts["js"], path + ".ttml": parts["ttml"], path + ".json": parts["json"]})
    log = walk(load_bundle(root), budgets=WalkBudgets(relaunch=False)).log
    # go, login, ok, and the modal's close (one handler of one component, whichever dialog holds it)
    assert log.handlers_fired == 4 and log.handlers_bound == 4


def test_a_call_chain_left_by_an_unloaded_page_is_stopped_like_its_timers(tmp_path):
    # a login that retries for ever through its own callbacks (a server that never answers with a token)
    loop = _page("Page({ onLoad() { const again = () => tt.login({ success: () => again() }); again() } })")
    calm = _page("Page({ go() { this.setData({ n: 1 }) } })", '<view bindtap="go">go</view>')
    pages = {"pages/home/home": calm, "pages/a/a": loop, **{f"pages/p{i}/p{i}": calm for i in range(4)}}
    result = walk(load_bundle(_app(tmp_path / "app", pages)), budgets=WalkBudgets(relaunch=False, orphan_turns=100))
    log, trace = result.log, result.trace
    assert log.pages_visited == list(pages) and log.budget_notes == [] and not log.runaway_steps
    # its answers after the page unloaded are charged to no page; past the walk's allowance the pending one is
    # dropped, which ends the chain
    stopped = [e for e in trace.events if e.kind == "note" and e.code == "orphan-timers-stopped"]
    assert [e.data for e in stopped] == [{"pages/a/a": 1}] and stopped[0].page == "pages/p0/p0"
    logins = [e.page for e in trace.api_calls() if e.api == "login"]
    assert "pages/p0/p0" in logins and not {"pages/p1/p1", "pages/p2/p2", "pages/p3/p3", None} & set(logins)


def _unrendered_app(page_js: str, comp_js: str) -> dict[str, str]:
    return {"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
            "pages/p/p.js": page_js, "pages/p/p.json": '{"usingComponents": {"c": "/components/c/c"}}',
            "pages/p/p.wxml": "<c/>",
            "components/c/c.js": comp_js, "components/c/c.json": '{"component": true}',
            "components/c/c.wxml": '<view bindtap="onOpen" data-k="open">hi</view><block wx:if="{{show}}">'
                                   '<button bindtap="onTap" data-type="{{t}}">b</button></block>'}


def test_a_handler_bound_only_inside_a_false_wx_if_is_not_fired():
    from mpsandbox.bundle import bundle_from_files

    comp = ("Component({ data: { show: false, t: 'x' }, methods: { onOpen() {}, onTap(e) {"
            " console.log('tapped', JSON.stringify(e.target.dataset)) } } })")
    result = walk(bundle_from_files(_unrendered_app("Page({})", comp), "wx"))
    console = [e.text for e in result.trace.events if e.kind == "console"]
    assert not any("tapped" in c for c in console)
    log = result.log
    assert log.handlers_unrendered == ["onTap"] and log.handlers_fired == 1 and log.handlers_bound == 2
    assert any("onTap" in n and "wx:if" in n for n in log.budget_notes)


def test_a_branch_a_tap_renders_becomes_tappable_with_its_real_dataset():
    from mpsandbox.bundle import bundle_from_files

    comp = ("Component({ data: { show: false, t: 'x' }, methods: { onOpen() { this.setData({ show: true }) },"
            " onTap(e) { console.log('tapped', JSON.stringify(e.target.dataset)) } } })")
    result = walk(bundle_from_files(_unrendered_app("Page({})", comp), "wx"))
    console = [e.text for e in result.trace.events if e.kind == "console"]
    assert 'tapped {"type":"x"}' in console
    assert all('"type":"1"' not in c for c in console)
    log = result.log
    assert log.handlers_unrendered == [] and log.handlers_fired == 2 and log.handlers_bound == 2


def test_a_component_event_never_sent_is_fired_by_name_with_the_rendered_elements_dataset():
    from mpsandbox.bundle import bundle_from_files

    files = {"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
             "pages/p/p.js": "Page({ data: { v: 'real' }, onPick(e) { console.log('pick', "
                             "JSON.stringify(e.target.dataset)) } })",
             "pages/p/p.json": '{"usingComponents": {"c": "/components/c/c"}}',
             "pages/p/p.wxml": '<c bind:pick="onPick" data-k="{{v}}"/>',
             "components/c/c.js": "Component({})", "components/c/c.json": '{"component": true}',
             "components/c/c.wxml": "<view>c</view>"}
    result = walk(bundle_from_files(files, "wx"))
    console = [e.text for e in result.trace.events if e.kind == "console"]
    assert 'pick {"k":"real"}' in console
    assert result.log.handlers_unrendered == [] and result.log.handlers_fired == 1


def test_a_method_bound_to_many_events_counts_as_one_handler():
    # Taro binds one dispatcher ("eh") to every event of every element: coverage counts methods, not event types
    from mpsandbox.bundle import bundle_from_files

    files = {"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
             "pages/p/p.js": "Page({ eh(e) { console.log('eh', e.type) }, other() {} })",
             "pages/p/p.wxml": '<view bindtap="eh" bindlongpress="eh" bindtouchstart="eh">a</view>'
                               '<input bindinput="eh" bindblur="eh"/><view bindtap="other">b</view>'}
    result = walk(bundle_from_files(files, "wx"), budgets=WalkBudgets(relaunch=False, second_taps=False))
    console = [e.text for e in result.trace.events if e.kind == "console"]
    assert "eh tap" in console and "eh input" in console
    assert result.log.handlers_bound == 2 and result.log.handlers_fired == 2


def test_a_page_whose_onload_throws_without_its_query_is_opened_again_with_the_apps_own_link(tmp_path):
    # TDesign's order confirmation: the cart links to it with ?type=cart; opened bare, its onLoad throws
    confirm = _page("Page({ onLoad(options) { let list; if (options.type === 'cart') list = [];"
                    " list.forEach(() => {}); this.setData({ ok: true }) } })")
    cart = _page("Page({ buy() { tt.navigateTo({ url: '/pages/confirm/confirm?type=cart' }) } })",
                 '<view bindtap="buy">buy</view>')
    path = _app(tmp_path / "app", {"pages/cart/cart": cart, "pages/confirm/confirm": confirm})
    from mpsandbox.review import ReviewOptions, review

    result = walk(load_bundle(path), budgets=WalkBudgets(relaunch=False))
    notes = [e for e in result.trace.of_kind("note") if e.code == "walk-query"]
    assert [n.data for n in notes] == [{"route": "pages/confirm/confirm", "query": "type=cart"}]
    assert "onLoad threw" in notes[0].message
    assert any(e.kind == "setData" and e.route == "pages/confirm/confirm" for e in result.trace.events)
    report = review(path, ReviewOptions(engine="native"))
    assert not {"page-load-failure", "uncaught-error"} & {f.rule for f in report.findings}


def test_link_queries_take_literal_values_and_fill_computed_ones():
    from mpsandbox.bundle import bundle_from_files
    from mpsandbox.runtime.walker import link_queries

    files = {"app.json": json.dumps({"pages": ["pages/a/a", "pages/b/b", "pages/c/c"]}), "app.js": "App({})",
             "pages/a/a.js": "Page({ go() { wx.navigateTo({ url: `/pages/b/b?id=${this.id}&from=list` }) } })",
             "pages/a/a.wxml": '<navigator url="../c/c?tab=2&q={{q}}">c</navigator>',
             "pages/b/b.js": "Page({})", "pages/c/c.js": "Page({})"}
    assert link_queries(bundle_from_files(files, "wx")) == {"pages/b/b": "id=1&from=list", "pages/c/c": "tab=2&q=1"}


def test_a_field_is_used_in_the_order_a_user_would_whatever_order_its_bindings_were_written_in(tmp_path):
    # wcc writes a compiled element's attributes sorted: the source and the compiled form must be walked alike
    js = "Page({ log(e) { console.log(e.type) } })"
    orders = []
    for attrs in ('bindblur="log" bindinput="log" bindconfirm="log" bindfocus="log" bindtap="log"',
                  'bindtap="log" bindconfirm="log" bindfocus="log" bindblur="log" bindinput="log"'):
        path = _app(tmp_path / str(len(orders)), {"pages/a/a": _page(js, f"<input {attrs}/>")})
        result = walk(load_bundle(path))
        orders.append([e.text for e in result.trace.of_kind("console")])
    assert orders[0] == orders[1]
    assert orders[0][:5] == ["tap", "focus", "input", "confirm", "blur"]
