"""Globals and instance surfaces real frameworks (uni-app, Taro) and apps rely on: replaceable App/Page/Component,
requirePlugin, a console apps may silence, component methods on pages."""

from __future__ import annotations

import json

import pytest

from mpsandbox.runtime.sandbox import Sandbox

from mpsandbox.bundle import bundle_from_files
from .helpers import console_lines, run_pages

# uni-app's vendor.js wraps the globals this way (assignment, then a call to the captured original)
WRAPPER = """
var MPPage = Page, MPComponent = Component;
Page = function (options) { var load = options.onLoad;
  options.onLoad = function (q) { console.log('wrapped onLoad'); return load && load.call(this, q); };
  return MPPage(options); };
Component = function (options) { options.created = function () { this.triggerEvent('hello', {}); }; return MPComponent(options); };
"""


def test_a_bundle_wrapping_page_and_component_still_registers_its_pages():
    trace = run_pages(
        {"pages/a/a": "require('../../vendor.js'); Page({ onLoad() { console.log('a', typeof this.triggerEvent) } })",
         "pages/b/b": "require('../../vendor.js'); Component({ methods: { onLoad() { console.log('b loaded') } } })"},
        extra={"vendor.js": WRAPPER},
        steps=lambda sb: sb.route("navigateTo", "/pages/b/b"))
    lines = console_lines(trace)
    assert lines[:2] == ["wrapped onLoad", "a function"]
    assert "b loaded" in lines
    assert not [e for e in trace.of_kind("error")]
    replaced = [e.data["name"] for e in trace.of_kind("note") if e.code == "platform-global-replaced"]
    assert replaced == ["Page", "Component"]


def test_console_methods_can_be_replaced():
    trace = run_pages({"pages/p/p": "console.log = function () {}; console.log('hidden'); console.info('kept'); Page({})"})
    assert console_lines(trace) == ["kept"]
    assert not trace.of_kind("error")


def _plugin_run(app_json: dict, page_js: str):
    sources = {"app.js": "App({})", "app.json": json.dumps(app_json), "pages/p/p.js": page_js}
    with Sandbox(bundle_from_files(sources, platform="wx")) as sb:
        sb.launch()
        sb.run()
        return sb.finish()


def test_require_plugin_gives_a_stub_and_notes_the_plugin():
    page = """const si = requirePlugin('WechatSI'); const m = si.getRecordRecognitionManager();
m.onStop = (r) => {}; m.start({ lang: 'zh_CN' });
console.log(typeof si, typeof m.start, typeof m.onStop, String(si));
const other = requirePlugin('myPlugin'); console.log(typeof other.anything);
Page({})"""
    trace = _plugin_run({"pages": ["pages/p/p"], "plugins": {"WechatSI": {"version": "0.3.5", "provider": "wx069ba97219f66d99"}}},
                        page)
    assert console_lines(trace) == ["function function function [plugin WechatSI]", "function"]
    notes = [(e.code, e.data["name"]) for e in trace.of_kind("note") if e.code.startswith("plugin-")]
    assert notes == [("plugin-used", "WechatSI"), ("plugin-undeclared", "myPlugin")]
    assert not trace.of_kind("error")


def test_wechat_modules_see_wxconfig(engine_name):
    page = ("Page({ onLoad() { console.log(JSON.stringify(__wxConfig.pages), __wxConfig.envVersion, "
            "typeof __wxConfig.global.window) } })")
    trace = run_pages({"pages/a/a": page}, engine=engine_name, platform="wx")
    assert console_lines(trace) == ['["pages/a/a"] release object']


def test_require_async_and_animate(engine_name):
    page = ("Page({ onLoad() {\n"
            "  require.async('../../utils/u.js').then(u => console.log('async', u.v));\n"
            "  require.async('./missing.js').catch(e => console.log('missing', e.mod));\n"
            "  this.animate('#box', [{ opacity: 0 }, { opacity: 1 }], 300, () => console.log('animated'));\n"
            "} })")
    trace = run_pages({"pages/a/a": page}, engine=engine_name, platform="wx", extra={"utils/u.js": "module.exports = { v: 7 }"})
    assert console_lines(trace) == ["async 7", "missing ./missing.js", "animated"]


def test_wechat_modules_may_name_the_wrappers_browser_globals(engine_name):
    # the official demo's compiled components start `const globalThis = this; const self = this` (WeChat's build
    # turns const into var, so redeclaring the wrapper's `self` parameter is no error there)
    util = "const globalThis = this; const\n  self = this\nmodule.exports = { kind: typeof self, window: typeof window }"
    page = "const u = require('../../utils/u.js');\nPage({ onLoad() { console.log(u.kind, u.window) } })"
    trace = run_pages({"pages/a/a": page}, engine=engine_name, platform="wx", extra={"utils/u.js": util})
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    assert console_lines(trace) == ["object undefined"]


@pytest.mark.parametrize(("platform", "names"), [("wx", "window document WeixinJSCore"),
                                                  ("tt", "window document fetch ttJSCore print")])
def test_modules_see_the_wrappers_browser_globals_as_undefined(engine_name, platform, names):
    # Douyin wraps modules as WeChat does, with fetch, ttJSCore, print... among the (undefined) parameters: a
    # global of the same name (here one app.js makes) is shadowed in every module
    util = f"const self = this\nmodule.exports = [{', '.join('typeof ' + n for n in names.split())}, typeof self]"
    page = "const u = require('../../utils/u.js');\nPage({ onLoad() { console.log(u.join(' ')) } })"
    made = " = ".join(f"globalThis.{n}" for n in names.split()[2:])
    trace = run_pages({"pages/a/a": page}, engine=engine_name, platform=platform, extra={"utils/u.js": util},
                      app_js=f"{made} = {{}}; App({{}})")
    assert not trace.of_kind("error"), [e.message for e in trace.of_kind("error")]
    assert console_lines(trace) == [" ".join(["undefined"] * len(names.split()) + ["object"])]


@pytest.mark.parametrize("platform", ["wx", "tt"])
def test_a_bundle_replacing_function_call_does_not_stop_modules_starting(engine_name, platform):
    page = ("Function.prototype.call = function () { throw new Error('tampered') };\n"
            "const u = require('../../utils/u.js');\nPage({ onLoad() { console.log('u', u.v) } })")
    trace = run_pages({"pages/a/a": page}, engine=engine_name, platform=platform,
                      extra={"utils/u.js": "module.exports = { v: 7 }"})
    assert "u 7" in console_lines(trace)
