"""Components in the view: shadow trees from their templates and data, slots, nesting, instance sync."""

from __future__ import annotations

from typing import Any

from mpsandbox.runtime.view.compose import Composer, Instance, component_resolver
from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.tree import Element

from ..runtime.bundles import template_bundle


class FakeLogic:
    """Stands in for the logic realm: instance data = component defaults overlaid with properties."""

    def __init__(self, defaults: dict[str, dict[str, Any]]):
        self.defaults = defaults
        self.live: dict[str, dict[str, Any]] = {}
        self.created: list[str] = []
        self.released: list[str] = []

    def sync(self, owner: str, instances: list[Instance]) -> dict[str, Any]:
        mine = {k for k in self.live if k.startswith(owner + "/") and "/" not in k[len(owner) + 1:].split(":")[0]}
        keep = {i.identity for i in instances}
        for gone in sorted(mine - keep):
            self.released.append(gone)
            del self.live[gone]
        for inst in instances:
            if inst.identity not in self.live:
                self.created.append(inst.identity)
            self.live[inst.identity] = {**self.defaults.get(inst.component, {}), **inst.props}
        return {i.identity: self.live[i.identity] for i in instances}


FILES = {
    "pages/p.json": '{"usingComponents": {"card": "/components/card/card"}}',
    "pages/p.js": "",
    "pages/p.wxml": '<card wx:for="{{items}}" wx:key="id" title="{{item.name}}" bind:buy="onBuy">'
                    '<text slot="footer">{{item.id}}</text><text>body {{item.id}}</text></card>',
    "components/card/card.json": '{"component": true, "usingComponents": {"badge": "../badge/badge"}}',
    "components/card/card.js": "",
    "components/card/card.wxml": '<view class="card"><view class="t" bindtap="tapTitle">{{title}}</view><slot/>'
                                 '<badge count="{{count}}"/><slot name="footer"/></view>',
    "components/badge/badge.js": "",
    "components/badge/badge.wxml": "<text class=\"badge\">{{count}}</text>",
}


def compose(realm: ViewRealm, logic: FakeLogic, data: dict) -> Element:
    bundle = realm.bundle
    page = realm.update("page-1", "pages/p.wxml", data).tree
    composer = Composer(render=lambda slot, module, d: realm.update(slot, module + ".wxml", d),
                        resolve=component_resolver(bundle), provider=logic)
    composer.compose(page, "page-1", "pages/p")
    assert composer.problems == []
    return page


def test_shadow_trees_slots_and_nesting() -> None:
    logic = FakeLogic({"components/card/card": {"count": 2}, "components/badge/badge": {}})
    with ViewRealm(template_bundle(FILES)) as realm:
        page = compose(realm, logic, {"items": [{"id": 1, "name": "tea"}, {"id": 2, "name": "cake"}]})
    cards = [e for e in page.iter() if e.tag == "view" and "card" in e.classes]
    assert len(cards) == 2
    texts = [[c if isinstance(c, str) else c.text for c in card.composed()] for card in cards]
    assert texts[0] == ["tea", "body 1", "2", "1"]  # title, default slot, nested badge, named slot
    title = next(e for e in page.iter() if "t" in e.classes)
    assert title.owner.endswith(":card") and title.bindings[0].handler == "tapTitle"
    assert len(logic.created) == 4  # two cards, a badge in each


def test_instances_follow_the_list() -> None:
    logic = FakeLogic({})
    with ViewRealm(template_bundle(FILES)) as realm:
        compose(realm, logic, {"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]})
        compose(realm, logic, {"items": [{"id": 1, "name": "a2"}]})
    assert any(r.endswith(":2:card") for r in logic.released)
    assert sum(1 for k in logic.live if k.endswith(":card")) == 1
    assert next(v for k, v in logic.live.items() if k.endswith(":card"))["title"] == "a2"


SLOT_FILES = {
    "pages/p.json": '{"usingComponents": {"panel": "/components/panel/panel"}}',
    "pages/p.js": "",
    "pages/p.wxml": '<view bindtap="onPage"><panel bindtap="onPanel"><text class="inner" bindtap="onInner">go</text>'
                    '</panel></view>',
    "components/panel/panel.json": '{"component": true}',
    "components/panel/panel.js": "",
    "components/panel/panel.wxml": '<view class="frame" bindtap="onFrame"><view class="body" catchtap="{{stop}}">'
                                   '<slot/></view></view>',
}


def test_a_tap_on_slotted_content_bubbles_through_the_components_own_elements() -> None:
    from mpsandbox.runtime.view.events import interactive, plan_event

    def handlers_of(stop: str) -> list[tuple[str, str]]:
        logic = FakeLogic({"components/panel/panel": {"stop": stop}})
        with ViewRealm(template_bundle(SLOT_FILES)) as realm:
            page = compose(realm, logic, {})
        inner = next(e for e in page.iter() if "inner" in e.classes)
        assert inner in interactive(page)
        return [(d.handler, "panel" if d.owner else "page") for d in plan_event(inner, "tap").dispatches]

    # WeChat: tap is bubbling and composed, so it goes up through the slot's wrappers inside the component
    assert handlers_of("") == [("onInner", "page"), ("onFrame", "panel"), ("onPanel", "page"), ("onPage", "page")]
    # a catch inside the component, around the slot, stops it there
    assert handlers_of("onBody") == [("onInner", "page"), ("onBody", "panel")]
