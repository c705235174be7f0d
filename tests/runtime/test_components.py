"""Component: properties, data, methods, lifetimes, pageLifetimes, behaviors, observers, triggerEvent."""

from __future__ import annotations

import json

from mpsandbox.runtime.sandbox import Sandbox

from .bundles import make_bundle
from .helpers import console_lines, run_pages

CARD = """
const logger = Behavior({
  data: { fromBehavior: true },
  methods: { log(m) { console.log('[card]', m) } },
  lifetimes: { attached() { this.log('behavior attached') } },
});
Component({
  behaviors: [logger],
  properties: { price: { type: Number, value: 1, observer(n, o) { this.log('price ' + o + '->' + n) } }, title: String },
  data: { count: 0 },
  observers: { 'count, price': function (c, p) { this.setData({ total: c * p }) } },
  lifetimes: {
    created() { this.log('created ' + this.data.title) },
    attached() { this.log('attached price=' + this.data.price) },
    ready() { this.log('ready') },
    detached() { this.log('detached') },
  },
  pageLifetimes: { show() { this.log('page show') }, hide() { this.log('page hide') } },
  methods: {
    add() { this.setData({ count: this.data.count + 1 }); this.triggerEvent('change', { count: this.data.count, total: this.data.total }) },
  },
});
"""
PAGE = """Page({
  onChange(e) { console.log('page got', e.type, JSON.stringify(e.detail), e.target.id) },
  onReady() { const c = this.selectComponent('#card1'); console.log('selected', c && c.is, c && c.data.fromBehavior) },
})"""
CARD_FILES = {  # the page uses the card: its template and configuration give the loader the component's usage
    "components/card/card.js": CARD, "components/card/card.json": '{"component": true}',
    "pages/p/p.json": '{"usingComponents": {"product-card": "/components/card/card"}}',
    "pages/p/p.ttml": '<product-card id="card1" price="5" title="Cake" bindchange="onChange"/>',
}


def test_component_lifecycle_properties_observers_and_events(engine_name):
    def steps(sb):
        sb.tap("add", component="components/card/card")
        sb.run()
        sb.route("reLaunch", "/pages/p/p")

    trace = run_pages({"pages/p/p": PAGE}, extra=CARD_FILES, engine=engine_name, steps=steps)
    lines = console_lines(trace)
    assert lines[:5] == ["[card] created Cake", "[card] behavior attached", "[card] attached price=5", "[card] page show",
                         "[card] ready"]
    assert "selected components/card/card true" in lines
    assert 'page got change {"count":1,"total":5} card1' in lines
    assert "[card] detached" in lines


def test_component_property_observer_and_data_through_set_data(engine_name):
    bundle = make_bundle({"pages/p/p": PAGE}, extra=CARD_FILES)
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run()
        sb.tap("add", component="components/card/card")
        sb.tap("add", component="components/card/card")
        sb.run()
        events = sb.trace.of_kind("setData")
        assert [e.component for e in events if e.target == "component"][:2] == ["components/card/card"] * 2
        assert any(e.keys == ["total"] for e in events)


def test_page_built_with_component_constructor(engine_name):
    page = """Component({
      properties: { id: Number },
      data: { n: 1 },
      methods: {
        onLoad(q) { console.log('loaded', q.id, this.data.id, typeof this.data.id) },
        onShow() { console.log('shown') },
        bump() { this.setData({ n: this.data.n + 1 }); console.log('n', this.data.n) },
      },
      lifetimes: { attached() { console.log('attached') } },
    })"""
    bundle = make_bundle({"pages/p/p": page})
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch(query={"id": "42"})
        sb.run()
        sb.tap("bump")
        trace = sb.finish()
    assert console_lines(trace) == ["attached", "loaded 42 42 number", "shown", "n 2"]


def test_alipay_component_lifecycles_and_props_callbacks(engine_name):
    comp = """Component({
      mixins: [{ didMount() { console.log('mixin didMount') } }],
      props: { label: 'default', onPick: () => {} },
      data: { picked: false },
      onInit() { console.log('onInit', this.props.label) },
      didMount() { console.log('didMount') },
      didUnmount() { console.log('didUnmount') },
      methods: { pick() { this.setData({ picked: true }); this.props.onPick('coupon-1') } },
    })"""
    page = "Page({ handlePick(id) { console.log('picked', id); my.navigateBack && 0 } })"
    files = {"components/c/c.js": comp, "components/c/c.json": '{"component": true}',
             "pages/p/p.json": '{"usingComponents": {"coupon": "/components/c/c"}}',
             "pages/p/p.axml": '<coupon id="c1" label="满减" onPick="handlePick"/>'}

    def steps(sb):
        sb.tap("pick", component="components/c/c")
        sb.run()
        sb.route("reLaunch", "/pages/p/p")

    trace = run_pages({"pages/p/p": page}, extra=files, platform="my", engine=engine_name, steps=steps)
    lines = console_lines(trace)
    assert lines[:3] == ["onInit 满减", "mixin didMount", "didMount"]
    assert "picked coupon-1" in lines and "didUnmount" in lines


def test_behavior_definition_filter_rewrites_the_definition(engine_name):
    # the computed-properties helper of a Douyin UI library: its Behavior's definitionFilter adds a method and
    # observers to every component that uses it, and its attached() calls that method
    computed = """export default Behavior({
      lifetimes: { attached() { this.initComputed() } },
      definitionFilter(defFields) {
        const { computed = {} } = defFields
        const observers = Object.keys(computed).reduce((acc, name) => ({
          ...acc, ['**']: function () {
            const v = computed[name].call(this, this.data)
            if (v !== this.data[name]) this.setData({ [name]: v })
          } }), {})
        Object.assign((defFields.observers = defFields.observers || {}), observers)
        Object.assign((defFields.methods = defFields.methods || {}), {
          initComputed() { Object.keys(computed).forEach((n) => this.setData({ [n]: computed[n].call(this, this.data) })) },
        })
      },
    })"""
    page = """import computedBehavior from '../../helpers/computed'
    Component({
      behaviors: [computedBehavior],
      data: { n: 2 },
      computed: { double(data) { return data.n * 2 } },
      methods: {
        onShow() { console.log('double', this.data.double) },
        bump() { this.setData({ n: 5 }); console.log('double', this.data.double) },
      },
    })"""
    bundle = make_bundle({"pages/p/p": page}, extra={"helpers/computed.js": computed})
    with Sandbox(bundle, engine=engine_name) as sb:
        sb.launch()
        sb.run()
        sb.tap("bump")
        trace = sb.finish()
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    assert console_lines(trace) == ["double 4", "double 10"]


def test_a_page_built_with_component_is_also_a_component():
    # Douyin's API demo lists pages in usingComponents; whichever loads first, both uses work
    card = """Component({ properties: { label: String },
      lifetimes: { attached() { console.log('attached', this.data.label || '-', !!this.route) } } })"""
    extra = {"pages/index/index.json": '{"usingComponents": {"my-card": "/pages/card/card"}}',
             "pages/index/index.ttml": '<my-card label="in index"/>', "pages/card/card.ttml": "<view>card</view>"}
    for first, then in (("pages/index/index", "pages/card/card"), ("pages/card/card", "pages/index/index")):
        pages = {first: "Page({})" if first == "pages/index/index" else card}
        pages[then] = "Page({})" if then == "pages/index/index" else card
        trace = run_pages(pages, extra=extra, steps=lambda sb, then=then: sb.route("navigateTo", "/" + then))
        assert sorted(console_lines(trace)) == ["attached - true", "attached in index false"]
        assert not [n for n in trace.of_kind("note") if n.code == "component-missing"]


def test_a_property_observer_fires_only_when_the_value_changes(engine_name):
    # TDesign's observers set their own property again; firing on an equal value recursed until the stack overflowed
    comp = """Component({
  properties: { value: { type: Object, value: { n: 0 }, observer(v) { console.log('obs', JSON.stringify(v)); this.setData({ value: { n: v.n } }) } },
                label: { type: String, observer(v) { console.log('label', v); this.setData({ label: v }) } } },
  observers: { label() { console.log('data observer') } },
  methods: { bump() { this.setData({ value: { n: this.data.value.n + 1 } }) }, same() { this.setData({ label: 'y', value: { n: 1 } }); this.setData({ label: 'y' }) } },
})"""
    files = {"components/c/c.js": comp, "components/c/c.json": '{"component": true}',
             "pages/p/p.json": '{"usingComponents": {"c": "/components/c/c"}}', "pages/p/p.ttml": '<c/>'}

    def steps(sb):
        sb.tap("bump", component="components/c/c")
        sb.run()
        sb.tap("same", component="components/c/c")

    trace = run_pages({"pages/p/p": "Page({})"}, extra=files, engine=engine_name, steps=steps)
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    lines = console_lines(trace)
    assert lines.count('obs {"n":1}') == 1 and lines.count("label y") == 1
    assert lines.count("data observer") == 3  # data observers still fire on every setData of the field


def test_a_re_render_of_the_owner_does_not_undo_the_components_own_property(engine_name):
    comp = """Component({
  properties: { open: { type: Boolean, observer(v) { console.log('open', v) } } },
  methods: { toggle() { this.setData({ open: !this.data.open }) }, show() { console.log('now', this.data.open) } },
})"""
    page = "Page({ data: { o: false, n: 0 }, other() { this.setData({ n: 1 }) }, reopen() { this.setData({ o: true }) } })"
    files = {"components/c/c.js": comp, "components/c/c.json": '{"component": true}',
             "pages/p/p.json": '{"usingComponents": {"c": "/components/c/c"}}',
             "pages/p/p.ttml": '<view>{{n}}</view><c open="{{o}}"/>'}

    def steps(sb):
        for name, comp_path in [("toggle", "components/c/c"), ("other", None), ("show", "components/c/c"),
                                ("toggle", "components/c/c"), ("reopen", None), ("show", "components/c/c")]:
            sb.tap(name, component=comp_path) if comp_path else sb.tap(name)
            sb.run()

    trace = run_pages({"pages/p/p": page}, extra=files, engine=engine_name, steps=steps)
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    # the page's unrelated setData keeps the component's own value; a value the page passes anew reaches it
    assert console_lines(trace) == ["open true", "now true", "open false", "open true", "now true"]


def test_get_tab_bar_gives_the_pages_custom_tab_bar_instance(engine_name):
    app_json = {"pages": ["pages/a/a", "pages/b/b"],
                "tabBar": {"custom": True, "list": [{"pagePath": "pages/a/a", "text": "A"}]}}
    tab_bar = ("Component({ data: { selected: -1 }, lifetimes: { attached() { console.log('tab bar attached') } },"
               " methods: { pick(i) { this.setData({ selected: i }) } } })")
    page_a = ("Page({ onShow() { const t = this.getTabBar(); t.pick(0);"
              " console.log(t.is, t.data.selected, t === this.getTabBar()) } })")
    page_b = "Page({ onLoad() { console.log('not a tab page', this.getTabBar()) } })"
    files = {"custom-tab-bar/index.js": tab_bar, "custom-tab-bar/index.json": '{"component": true}',
             "custom-tab-bar/index.wxml": "<view>{{selected}}</view>", "app.json": json.dumps(app_json)}
    trace = run_pages({"pages/a/a": page_a, "pages/b/b": page_b}, platform="wx", extra=files, engine=engine_name,
                      steps=lambda sb: sb.route("navigateTo", "/pages/b/b"))
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    assert console_lines(trace) == ["tab bar attached", "custom-tab-bar/index 0 true", "not a tab page null"]


NESTED = {
    "pages/p/p.json": '{"usingComponents": {"outer": "/comp/outer/outer"}}',
    "pages/p/p.{ext}": '<outer/>',
    "comp/outer/outer.json": '{"component": true, "usingComponents": {"inner": "/comp/inner/inner"}}',
    "comp/outer/outer.{ext}": '<inner class="x"/><view {prefix}:if="{{more}}"><inner class="y"/></view>',
    "comp/outer/outer.js": """Component({ data: { more: false }, lifetimes: {
      created() { console.log('outer created, inner found: ' + !!this.selectComponent('.x')) },
      attached() { console.log('outer attached') }, ready() { console.log('outer ready') } },
      methods: { grow() { this.setData({ more: true }) } } })""",
    "comp/inner/inner.json": '{"component": true}', "comp/inner/inner.{ext}": '<view>in</view>',
    "comp/inner/inner.js": """Component({ lifetimes: { created() { console.log('inner created') },
      attached() { console.log('inner attached') }, ready() { console.log('inner ready') } } })""",
}


def launched_nested(page_js: str, platform: str, engine: str) -> Sandbox:
    """A sandbox launched on a page holding outer > inner (NESTED), in the platform's template syntax."""
    ext, prefix = {"wx": ("wxml", "wx"), "tt": ("ttml", "tt")}[platform]
    files = {k.replace("{ext}", ext): v.replace("{prefix}", prefix) for k, v in NESTED.items()}
    sb = Sandbox(make_bundle({"pages/p/p": page_js}, extra=files, platform=platform), engine=engine)
    sb.launch()
    sb.run()
    return sb


def test_wechat_creates_a_components_children_before_it_as_exparser_does(engine_name):
    # WeChat's exparser (checked with miniprogram-simulate, which runs it) builds a component's shadow tree from its
    # initial data before its created lifetime: children are created first, so created can selectComponent them
    # (Vant's datetime-picker does); attached runs parent first, ready child first
    with launched_nested("Page({ onLoad() { console.log('page load') } })", "wx", engine_name) as sb:
        assert console_lines(sb.trace)[:7] == [
            "inner created", "outer created, inner found: true", "outer attached", "inner attached", "page load",
            "inner ready", "outer ready"]
        before = len(console_lines(sb.trace))
        sb.tap("grow", component="comp/outer/outer")
        sb.run()
        # a child shown later by setData is created, attached and ready in turn
        assert console_lines(sb.trace)[before:] == ["inner created", "inner attached", "inner ready"]


def test_douyin_creates_a_parent_before_its_children(engine_name):
    with launched_nested("Page({ onLoad() { console.log('page load') } })", "tt", engine_name) as sb:
        assert console_lines(sb.trace)[:4] == ["outer created, inner found: false", "outer attached",
                                               "inner created", "inner attached"]


def test_wechat_page_built_with_component_is_created_after_its_components(engine_name):
    # the order WeChat prints for a Component-built page holding parent > son: son created, parent created, page
    # created, page attached, parent attached, son attached, page onLoad
    page = """Component({ lifetimes: { created() { console.log('page created') }, attached() { console.log('page attached') } },
      methods: { onLoad() { console.log('page load') } } })"""
    with launched_nested(page, "wx", engine_name) as sb:
        assert console_lines(sb.trace)[:7] == [
            "inner created", "outer created, inner found: true", "page created", "page attached", "outer attached",
            "inner attached", "page load"]
