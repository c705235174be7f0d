"""Canary flows through every encoding and sink; the permission and gesture record under random sequences; mocks."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpsandbox.apis.canary import CanaryRegistry
from mpsandbox.apis.mocks import MockError, load_mock_file
from mpsandbox.runtime.sandbox import Sandbox

from mpsandbox.bundle import bundle_from_files
from .helpers import run_js, run_share

LOC = {"permission": {"scope.userLocation": {"desc": "near you"}}}
SEND = "tt.request({ url: 'https://api.example.com/c?x=' + "


@pytest.mark.parametrize("expr, encoding", [
    ("r.latitude", "plain"),
    ("encodeURIComponent(JSON.stringify({ at: [r.latitude, r.longitude] }))", "plain"),  # digits survive URL-encoding
    ("r.latitude.toFixed(3)", "rounded"),
    ("Math.round(r.longitude * 1000) / 1000", "rounded"),
])
def test_location_canaries_in_urls(expr, encoding):
    run = run_js("tt.getLocation({ success: (r) => " + SEND + expr + " }) });", app=LOC)
    flows = run.flows()
    assert flows, "no flow recorded"
    assert flows[0].sink == "network" and flows[0].destination == "api.example.com"
    assert encoding in flows[0].encoding and flows[0].consent and flows[0].declared
    assert flows[0].stack and flows[0].stack[0].file == "pages/p/p.js"


@pytest.mark.parametrize("transform, encoding", [
    ("JSON.stringify({ n: r.userInfo.nickName })", "plain"),  # JS leaves non-ASCII unescaped
    ("encodeURIComponent(r.userInfo.nickName)", "url"),
    ("toB64('x:' + r.userInfo.avatarUrl)", "base64"),
    ("toHex(r.userInfo.avatarUrl)", "hex"),
])
def test_profile_canaries_in_request_bodies(transform, encoding):
    helpers = ("const toHex = (s) => Array.from(s).map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');"
               "const toB64 = (s) => { const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'; let o = '';"
               " for (let i = 0; i < s.length; i += 3) { const [a, b, c] = [s.charCodeAt(i), s.charCodeAt(i + 1), s.charCodeAt(i + 2)];"
               " const n = (a << 16) | ((b || 0) << 8) | (c || 0); o += A[n >> 18] + A[(n >> 12) & 63] +"
               " (isNaN(b) ? '=' : A[(n >> 6) & 63]) + (isNaN(c) ? '=' : A[n & 63]); } return o; };")
    run = run_js(helpers + "tt.getUserProfile({ desc: 'd', success: (r) => tt.request({ url: 'https://api.example.com/p', "
                 "method: 'POST', data: { blob: " + transform + " } }) });")
    flows = [f for f in run.flows() if f.sink == "network"]
    assert flows and encoding in flows[0].encoding and flows[0].source_api == "getUserProfile"


@pytest.mark.parametrize("sink_js, sink, destination", [
    ("tt.setStorageSync('where', r.latitude)", "storage", "where"),
    ("tt.setStorage({ key: 'w', data: { lat: r.latitude } })", "storage", "w"),
    ("tt.setClipboardData({ data: 'I am at ' + r.latitude })", "clipboard", None),
    ("tt.navigateToMiniProgram({ appId: 'tt123', extraData: { p: r.longitude } })", "miniprogram", "tt123"),
    ("console.log('at', r.latitude)", "console", None),
    ("tt.uploadFile({ url: 'https://up.example.com/u', filePath: 'a', name: 'f', formData: { lat: r.latitude } })",
     "upload", "up.example.com"),
])
def test_every_sink(sink_js, sink, destination):
    run = run_js("tt.getLocation({ success: (r) => { " + sink_js + " } });", app=LOC)
    flows = [f for f in run.flows() if f.sink == sink]
    assert flows and flows[0].destination == destination and flows[0].source_kind in ("latitude", "longitude")


def test_socket_and_share_sinks():
    run = run_js("tt.getLocation({ success: (r) => { const s = tt.connectSocket({ url: 'wss://ws.example.com/' });"
                 " s.onOpen(() => s.send({ data: 'pos=' + r.latitude })); this.setData({ lat: r.latitude }); } });", app=LOC)
    assert [(f.sink, f.destination) for f in run.flows()] == [("socket", "ws.example.com")]
    trace = run_share("Page({ go() { tt.getLocation({ success: (r) => { this.lat = r.latitude } }) },"
                      " onShareAppMessage() { return { path: '/pages/p/p?lat=' + this.lat } } })", LOC)
    assert [f.sink for f in trace.of_kind("flow")] == ["share"]


def test_no_flow_without_sensitive_data_and_consent_flags():
    run = run_js("tt.request({ url: 'https://api.example.com/x', data: { lat: 30.123456, name: 'mpsb' } });")
    assert run.flows() == []
    denied_then_sent = run_js("tt.getLocation({ fail: () => {} }); tt.getClipboardData({ success: (c) => "
                              "tt.request({ url: 'https://api.example.com/c', data: c.data }) });", app=LOC,
                              mocks={"user": {"scopes": {"scope.userLocation": "deny"}}})
    flow = denied_then_sent.flows()[0]
    assert flow.source_api == "getClipboardData" and flow.sink == "network"


def test_registry_encodings_directly():
    reg = CanaryRegistry(seed=7)
    phone = reg.issue("phoneNumber", "chooseAddress")
    nick = reg.issue("nickName", "getUserProfile")
    lat = reg.issue("latitude", "getLocation")
    import base64
    import urllib.parse

    cases = {
        "plain": f"tel {phone}",
        "json": json.dumps({"n": nick}),  # ensure_ascii: \uXXXX escapes
        "url": "https://x.example/?n=" + urllib.parse.quote(nick),
        "base64": "prefix " + base64.b64encode(f"phone={phone}".encode()).decode() + " suffix",
        "hex": f"{phone}".encode().hex(),
        "rounded": f"{lat:.3f}",
    }
    for encoding, payload in cases.items():
        hits = reg.scan({"body": payload})
        assert hits and encoding in hits[0].encoding, (encoding, hits)
    assert reg.scan({"body": "nothing to see"}) == []
    assert reg.scan({"body": f"{lat:.2f}"}) == []  # two decimals (~1 km) is coarse location: not a precise leak
    assert CanaryRegistry(seed=7).issue("phoneNumber", "chooseAddress") == phone  # per-seed determinism
    assert CanaryRegistry(seed=8).issue("phoneNumber", "chooseAddress") != phone


# ---- permission and gesture record under random sequences ----------------------------------------------------------
ACTIONS = st.lists(st.sampled_from(["tap-location", "tap-authorize", "tap-profile", "load-profile", "tap-open-setting",
                                    "tap-subscribe", "timer-subscribe", "tap-record", "tap-pay-subscribe"]),
                   min_size=1, max_size=8)
BODIES = {
    "tap-location": "tt.getLocation({ fail: () => {} })",
    "tap-authorize": "tt.authorize({ scope: 'scope.record', fail: () => {} })",
    "tap-profile": "tt.getUserProfile({ desc: 'd', fail: () => {} })",
    "load-profile": "setTimeout(() => tt.getUserProfile({ desc: 'd', fail: () => {} }), 1)",
    "tap-open-setting": "tt.openSetting({})",
    "tap-subscribe": "tt.requestSubscribeMessage({ tmplIds: ['t'], fail: () => {} })",
    "timer-subscribe": "setTimeout(() => tt.requestSubscribeMessage({ tmplIds: ['t'], fail: () => {} }), 5)",
    "tap-record": "tt.getRecorderManager().start({})",
    "tap-pay-subscribe": "tt.pay({ orderInfo: {}, service: 5, success: () => tt.requestSubscribeMessage({ tmplIds: ['t'] }) })",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, decisions=st.lists(st.sampled_from(["allow", "deny"]), max_size=6),
       open_setting=st.sampled_from(["unchanged", "allow-all"]))
def test_random_sequences_leave_a_consistent_record(actions, decisions, open_setting):
    methods = ",\n".join(f"  a{i}() {{ {BODIES[a]} }}" for i, a in enumerate(actions))
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"], **LOC}),
                         "pages/p/p.js": "Page({\n" + methods + "\n})"}, platform="tt")
    from mpsandbox.apis.mocks import MockConfig

    mocks = MockConfig.model_validate({"user": {"script": decisions, "open_setting": open_setting}})
    with Sandbox(bundle, mocks=mocks) as sb:
        sb.launch()
        sb.run()
        for i, _ in enumerate(actions):
            sb.tap(f"a{i}")
            sb.run(until=sb.now + 2000)
        trace = sb.stop()
    assert trace.end is not None and not trace.of_kind("error")
    assert not [n for n in trace.of_kind("note") if n.code == "host-error"]
    calls = {e.call_id: e for e in trace.api_calls()}
    for done in trace.of_kind("api-complete"):
        assert done.call_id in calls  # every completion answers a call
    state: dict[str, str] = {}
    for e in trace.of_kind("permission"):
        prev = state.get(e.scope)
        if e.action == "prompt":
            assert prev is None, f"{e.scope} prompted twice without a reset"  # the user is asked once per scope
        if e.action == "check" and e.reason == "denied-before":
            assert prev == "denied"
        if e.action == "open-setting":
            assert prev == "denied" and e.decision == "granted"
        if e.decision in ("granted", "denied") and e.reason != "undeclared":
            state[e.scope] = e.decision
        assert any(c.seq < e.seq for c in trace.api_calls())  # a permission event follows a call
    for call in trace.api_calls("getUserProfile"):
        if not call.gesture:
            done = next(d for d in trace.of_kind("api-complete") if d.call_id == call.call_id)
            assert done.outcome == "fail" and "gesture" in (done.err_msg or "")
    for call in trace.api_calls("requestSubscribeMessage"):
        done = next(d for d in trace.of_kind("api-complete") if d.call_id == call.call_id)
        assert (done.outcome == "ok") == (call.gesture or call.chain is not None and not call.gesture
                                          and done.outcome == "ok")


# ---- mock files --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix, text", [
    ("toml", '[[responses]]\nurl = "https://api.example.com/*"\ndata = { ok = true }\n[user]\npermissions = "deny"\n'),
    ("yaml", "responses:\n  - url: https://api.example.com/*\n    data: {ok: true}\nuser:\n  permissions: deny\n"),
    ("json", '{"responses": [{"url": "https://api.example.com/*", "data": {"ok": true}}], "user": {"permissions": "deny"}}'),
])
def test_mock_files_in_every_format(tmp_path, suffix, text):
    p = tmp_path / f"m.{suffix}"
    p.write_text(text)
    m = load_mock_file(p)
    assert m.user.permissions == "deny" and m.responses[0].data == {"ok": True}


@pytest.mark.parametrize("suffix, text, where", [
    ("toml", "[user]\npermissions = 'maybe'\n", "user.permissions"),
    ("json", '{"responses": [{"url": "re:(", "status": 200}]}', "responses.0.url"),
    ("json", '{"responses": [{"url": "x", "status": 900}]}', "responses.0.status"),
    ("json", '{"nope": 1}', "nope"),
    ("json", '{"a": ', ":1:"),
    ("yaml", "user: [", "invalid YAML"),
    ("txt", "x", "unknown mock format"),
])
def test_bad_mock_files_name_the_file_and_field(tmp_path, suffix, text, where):
    p = tmp_path / f"bad.{suffix}"
    p.write_text(text)
    with pytest.raises(MockError) as info:
        load_mock_file(p)
    assert str(p) in str(info.value) and where in str(info.value)


# ---- nested encodings -----------------------------------------------------------------------------------------
def _combos():
    import base64
    import urllib.parse

    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    return [
        ("json-in-base64-in-text", lambda v, lat: "id=7&blob=" + b64(json.dumps({"u": {"phone": v}})) + "&end=1",
         "base64"),
        ("base64-in-url", lambda v, lat: "https://t.example/?q=" + urllib.parse.quote(b64("p:" + v), safe=""), "base64"),
        ("urlsafe-base64", lambda v, lat: base64.urlsafe_b64encode(("~~>" + v + "?>").encode()).decode(), "base64"),
        ("hex-upper-of-json", lambda v, lat: json.dumps({"p": v}).encode().hex().upper(), "hex"),
        ("double-base64", lambda v, lat: b64(b64("tel=" + v)), "base64"),
        ("rounded-in-base64", lambda v, lat: b64(f"lat={lat:.4f}"), "rounded"),
        ("rounded-in-url-json", lambda v, lat: urllib.parse.quote(json.dumps({"lat": round(lat, 3)})), "rounded"),
        ("truncated-coordinate-number", lambda v, lat: {"lat": int(lat * 1000) / 1000}, "rounded"),
        # digits survive URL-encoding: the phone number is still there as is
        ("url-encoded-json-in-header", lambda v, lat: {"X-Info": urllib.parse.quote(json.dumps({"p": v}))}, "plain"),
    ]


@pytest.mark.parametrize("name, make, expected", [(n, m, e) for n, m, e in _combos()], ids=[c[0] for c in _combos()])
def test_nested_encodings(name, make, expected):
    reg = CanaryRegistry(seed=11)
    phone = reg.issue("phoneNumber", "getPhoneNumber")
    lat = reg.issue("latitude", "getLocation")
    payload = make(phone, lat)
    hits = reg.scan({"data": payload})
    assert hits, (name, payload)
    assert expected in hits[0].encoding, (name, hits[0].encoding)


def test_non_ascii_through_url_and_json_escapes():
    reg = CanaryRegistry(seed=11)
    nick = reg.issue("nickName", "getUserProfile")
    import urllib.parse

    assert reg.scan({"h": {"X-N": urllib.parse.quote(json.dumps({"n": nick}))}})[0].encoding == "url+json"
    assert reg.scan("q=" + urllib.parse.quote_plus("name " + nick))[0].encoding == "url"
    assert reg.scan(json.dumps({"n": nick}))[0].encoding == "json"  # \uXXXX escapes


def test_nested_encodings_through_js_and_headers():
    run = run_js("tt.getLocation({ success: (r) => tt.request({ url: 'https://api.example.com/t', "
                 "header: { 'X-Geo': encodeURIComponent(JSON.stringify({ a: +r.latitude.toFixed(3) })) } }) });",
                 app=LOC)
    flow = run.flows()[0]
    assert flow.sink == "network" and "rounded" in flow.encoding and flow.source_api == "getLocation"


@pytest.mark.parametrize("platform", ["tt", "wx", "my"])
def test_sinks_on_every_platform(platform):
    p = platform
    store = "my.setStorageSync({ key: 'pos', data: r.latitude })" if p == "my" else f"{p}.setStorageSync('pos', r.latitude)"
    clip = ("my.setClipboard({ text: String(r.longitude) })" if p == "my"
            else f"{p}.setClipboardData({{ data: String(r.longitude) }})")
    app = {**LOC, "requiredPrivateInfos": ["getLocation"]}
    run = run_js(f"{p}.getLocation({{ success: (r) => {{ {p}.request({{ url: 'https://api.example.com/l', "
                 f"header: {{ 'X-Lat': String(r.latitude) }} }}); {store}; {clip}; }} }});", platform=p, app=app)
    sinks = sorted((f.sink, f.destination) for f in run.flows())
    assert sinks == [("clipboard", None), ("network", "api.example.com"), ("storage", "pos")]
    assert all(f.source_api == "getLocation" and f.consent and f.declared for f in run.flows())


def test_profile_canaries_name_no_placeholder_host():
    """A bundle that checks the avatar's host for a placeholder (example-cdn) cannot tell it is reviewed
    (tests/hostile: tf-canary-marker); the differential variant differs in the random part only."""
    urls = [CanaryRegistry(seed, variant).issue("avatarUrl", "getUserProfile") for seed in (0, 1) for variant in (0, 1)]
    assert len(set(urls)) == 4
    for url in urls:
        assert url.startswith("https://p3-passport.byteacctimg.com/img/user-avatar/") and "example" not in url


def test_allow_once_lasts_until_the_next_launch_where_the_phone_offers_it():
    from mpsandbox.apis.mocks import UserMock
    from mpsandbox.apis.permissions import PermissionModel, ScopeState

    records = []
    user = UserMock(scopes={"scope.userLocation": "allow-once", "scope.address": "allow-once"})
    model = PermissionModel("wx", {"scope.userLocation": "d"}, frozenset(), user, record=records.append)
    assert model.request("scope.userLocation", "getLocation").granted
    assert model.request("scope.address", "chooseAddress").granted  # no phone prompt: a plain allow
    assert [r.reason for r in records] == ["once", None]
    again = model.request("scope.userLocation", "getLocation")
    assert again.granted and not again.prompted  # within the launch: granted
    model.new_launch()
    assert model.state("scope.userLocation") is ScopeState.NOT_ASKED
    assert model.state("scope.address") is ScopeState.GRANTED
    assert (records[-1].action, records[-1].decision, records[-1].reason) == ("revoke", "not-asked", "once")
    verdict = model.request("scope.userLocation", "getLocation")
    assert verdict.granted and verdict.prompted  # asked again
    user.scopes["scope.userLocation"] = "deny"
    model.new_launch()
    assert not model.request("scope.userLocation", "getLocation").granted
