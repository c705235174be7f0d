"""Animation frames run only while their page shows: held while another page is on top, dropped when the page
unloads (its canvas is gone). A canvas page's drawing loop must not keep running through the rest of a walk."""

from __future__ import annotations

from mpsandbox.runtime.sandbox import Sandbox
from mpsandbox.runtime.walker import walk

from .bundles import make_bundle

DRAWING = """
Page({
  onLoad() {
    tt.createSelectorQuery().select('#c').fields({ node: true }).exec((res) => {
      const canvas = res[0].node;
      const draw = () => { canvas.requestAnimationFrame(draw); };
      canvas.requestAnimationFrame(draw);
    });
  },
});
"""


def _frames_fired(sb: Sandbox, route: str) -> int:
    """Firings of ``route``'s timers so far (the record folds a long chain's fires into one event: ``times``)."""
    return sum(e.times for e in sb.trace.events if e.kind == "timer" and e.op == "fire" and e.owner == route)


def test_frames_pause_beneath_another_page_resume_on_return_and_stop_at_unload(engine_name):
    bundle = make_bundle({"pages/draw/draw": DRAWING, "pages/other/other": "Page({})"})
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run(until=1_000)
        mark = _frames_fired(sb, "pages/draw/draw")
        sb.run(until=2_000)
        shown = _frames_fired(sb, "pages/draw/draw") - mark
        assert shown >= 50  # a frame every 16 ms while the page shows

        sb.route("navigateTo", "/pages/other/other")
        sb.run(until=3_000)
        mark = _frames_fired(sb, "pages/draw/draw")
        sb.run(until=4_000)
        assert _frames_fired(sb, "pages/draw/draw") - mark == 0  # held beneath the other page

        sb.route("navigateBack")
        mark = _frames_fired(sb, "pages/draw/draw")
        sb.run(until=5_000)
        assert _frames_fired(sb, "pages/draw/draw") - mark >= 50  # the loop goes on where it was

        sb.route("reLaunch", "/pages/other/other")
        sb.run(until=6_000)
        mark = _frames_fired(sb, "pages/draw/draw")
        sb.run(until=60_000)
        assert _frames_fired(sb, "pages/draw/draw") - mark == 0  # unloaded: dropped, not run for ever
        assert not sb._queue or all(t.op != "timer" for t in sb._queue)


# ---- in a walk -------------------------------------------------------------------------------------------------------
def _walk_app(pages: dict[str, str], engine: str):
    canvases = {route + ".ttml": "<canvas id='c' type='2d'/>" for route in pages}
    return walk(make_bundle(pages, extra=canvases), engine=engine)


POLLING = "Page({ onLoad() { const poll = () => setTimeout(poll, 100); poll(); } })"
CALM = "Page({ onLoad() { this.setData({ ok: 1 }) } })"


def test_a_polling_chain_stays_its_pages_after_unload_and_does_not_spend_later_pages(engine_name):
    pages = {"pages/a/a": CALM, "pages/poll/poll": POLLING, **{f"pages/p{i}/p{i}": CALM for i in range(4)}}
    result = _walk_app(pages, engine_name)
    log, trace = result.log, result.trace
    assert len(log.pages_visited) == 6 and not log.runaway_steps
    owners = {e.owner for e in trace.events if e.kind == "timer" and e.op == "set"}
    assert owners == {"pages/poll/poll"}  # every link of the chain, set after the page unloaded too
    late = [e for e in trace.events if e.kind == "timer" and e.op == "fire" and not e.owner_alive]
    assert late and all(e.owner == "pages/poll/poll" for e in late)
    # later pages' budgets are theirs alone: no page after the poller ran out of budget
    assert not [n for n in log.budget_notes if "pages/p" in n], log.budget_notes
    stopped = [e for e in trace.events if e.kind == "note" and e.code == "orphan-timers-stopped"]
    assert log.orphans_stopped == sum(sum(e.data.values()) for e in stopped)


DRAW_AND_WAIT = """
Page({
  onLoad() {
    tt.createSelectorQuery().select('#c').fields({ node: true }).exec((res) => {
      const canvas = res[0].node;
      const draw = () => canvas.requestAnimationFrame(draw);
      draw();
    });
    setTimeout(() => console.log('five minutes later'), 300000);
  },
});
"""


def test_a_page_drawing_every_frame_is_still_waited_for_and_its_frames_are_bounded(engine_name):
    result = _walk_app({"pages/draw/draw": DRAW_AND_WAIT}, engine_name)
    assert "five minutes later" in [e.text for e in result.trace.of_kind("console")]
    frames = sum(e.times for e in result.trace.events if e.kind == "timer" and e.op == "fire")
    assert frames < 3 * 2_000  # drawn through, the five minutes would be 18,750 frames
