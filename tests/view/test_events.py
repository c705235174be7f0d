"""Event dispatch through rendered trees: capture, bubble, catch, mut-bind, marks, non-bubbling events, Alipay."""

from __future__ import annotations

from mpsandbox.runtime.view.events import interactive, is_activation, plan_event

from .test_render import render


def order(plan) -> list[tuple[str, str]]:
    return [(d.handler, d.phase) for d in plan.dispatches]


def test_capture_then_bubble_with_catch_stopping() -> None:
    tree = render("wx", {"pages/p.wxml": '<view capture-bind:tap="capOuter" bindtap="outer" mark:a="1">'
                                         '<view catchtap="middle" capture-bind:tap="capMiddle" mark:b="2">'
                                         '<view bindtap="inner" id="t" mark:a="3">x</view></view></view>'}, {}).tree
    plan = plan_event(tree.query("#t"), "tap")
    assert order(plan) == [("capOuter", "capture"), ("capMiddle", "capture"), ("inner", "target"),
                           ("middle", "bubble")]
    assert plan.mark == {"a": "3", "b": "2"}


def test_capture_catch_stops_before_bubbling() -> None:
    tree = render("wx", {"pages/p.wxml": '<view capture-catch:tap="stop"><view bindtap="never" id="t"/></view>'},
                  {}).tree
    assert order(plan_event(tree.query("#t"), "tap")) == [("stop", "capture")]


def test_mut_bind_runs_once_on_the_way_up() -> None:
    tree = render("wx", {"pages/p.wxml": '<view mut-bind:tap="m1" bindtap="b1"><view mut-bind:tap="m2" id="t"/>'
                                         '</view>'}, {}).tree
    assert order(plan_event(tree.query("#t"), "tap")) == [("m2", "target"), ("b1", "bubble")]


def test_non_bubbling_events_stay_on_the_target() -> None:
    tree = render("wx", {"pages/p.wxml": '<view bindinput="outer"><input bindinput="typed" id="t"/></view>'},
                  {}).tree
    assert order(plan_event(tree.query("#t"), "input")) == [("typed", "target")]


def test_alipay_on_and_catch() -> None:
    tree = render("my", {"pages/p.axml": '<view onTap="outer"><view catchTap="inner" id="t"/></view>'
                                         '<view onTap="a"><view onTap="b" id="u"/></view>'}, {}).tree
    assert order(plan_event(tree.query("#t"), "tap")) == [("inner", "target")]
    assert order(plan_event(tree.query("#u"), "tap")) == [("b", "target"), ("a", "bubble")]


def test_interactive_elements_skip_hidden_ones() -> None:
    tree = render("wx", {"pages/p.wxml": '<view bindtap="a" id="a"/><view hidden><view bindtap="b"/></view>'
                                         '<input id="i"/><button open-type="share" id="s">s</button>'
                                         '<view wx:if="{{false}}" bindtap="c"/>'}, {}).tree
    assert [e.id for e in interactive(tree)] == ["a", "i", "s"]


def test_activation_by_event_type() -> None:
    for platform in ("wx", "tt", "my"):
        assert is_activation(platform, "tap") and is_activation(platform, "submit")
        for ev in ("scroll", "touchmove", "input", "change", "scrolltolower", "focus", "blur"):
            assert not is_activation(platform, ev)
