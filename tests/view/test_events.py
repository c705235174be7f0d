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


def _random_tree(rnd, depth=0):
    from mpsandbox.runtime.view.tree import Element

    def el(tag, parent):
        attrs = {}
        if rnd.random() < 0.2:
            attrs["hidden"] = rnd.choice([True, "false", ""])
        if rnd.random() < 0.5:
            attrs["bindtap"] = "h"
        e = Element(tag=tag, attrs=attrs, parent=parent)
        if parent is not None:
            parent.children.append(e)
        return e

    def grow(parent, depth):
        for _ in range(rnd.randint(0, 3) if depth < 4 else 0):
            child = el(rnd.choice(["view", "input", "text"]), parent)
            if rnd.random() < 0.3:  # a component: its light children go into a slot of its shadow
                grow(child, depth + 1)
                shadow = Element(tag="#shadow", parent=child)
                holder = el("view", shadow) if rnd.random() < 0.5 else shadow
                slot = el("slot", holder)
                slot.assigned = list(child.children)
                grow(shadow, depth + 2)
                child.shadow = shadow
            else:
                grow(child, depth + 1)

    from mpsandbox.runtime.view.tree import Element as E
    root = E(tag="#root")
    grow(root, 0)
    return root


def test_interactive_elements_skip_what_is_hidden_above_them_in_the_composed_tree():
    import random

    from mpsandbox.runtime.view.events import interactive

    def naive(tree):
        return [e for e in tree.iter() if not e.hidden and not any(a.hidden for a in e.composed_ancestors())
                and (e.bindings or e.tag == "input")]

    for seed in range(300):
        tree = _random_tree(random.Random(seed))
        assert [id(e) for e in interactive(tree)] == [id(e) for e in naive(tree)], seed
