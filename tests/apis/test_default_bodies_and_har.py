"""The default body of unmocked requests, and HAR files (recorded traffic) as mocks."""

from __future__ import annotations

import base64
import json

import pytest

from mpsandbox.apis.bodies import ENVELOPE, default_body
from mpsandbox.apis.mocks import MockError, load_mock_file

from .helpers import run_js

REQUEST = ("g.request({ url: '%s', method: '%s', success: (r) => log(r.statusCode, r.data, r.header), "
           "fail: (e) => log('fail', e.errMsg) });")


def test_the_shaped_body_follows_what_the_code_reads():
    body = default_body("shaped", ["wx.request({success(res) { res.data.data.goods.forEach(f); "
                                   "const n = res.data.user.nickName; res.data.result.map(g); "
                                   "res.data.balance.toFixed(2); res.data.city.split(','); res.data.tag.slice(1) }})"])
    # typed by use: a number method makes 0, a string-only method "", a method of both lists and strings a list
    assert body["data"]["balance"] == 0 and body["data"]["city"] == "" and body["data"]["tag"] == []
    assert {k: body[k] for k in ENVELOPE} == ENVELOPE
    assert body["data"]["goods"] == [] and body["data"]["user"] == {} and body["result"] == []
    assert body["data"]["list"] == [] and body["data"]["total"] == 0
    assert default_body("shaped", ["x"]) == default_body("shaped", ["x"])  # deterministic
    assert default_body("empty") == {} and default_body("envelope")["data"]["records"] == []


def test_unmocked_requests_get_the_shaped_body_and_mock_responses_keep_priority():
    body = ("g.request({ url: 'https://api.example.com/feed', success: (r) => log(r.data.code, "
            "r.data.data.posts.length) });" + REQUEST % ("https://api.example.com/menu", "GET"))
    run = run_js(body, mocks={"responses": [{"url": "https://api.example.com/menu", "data": {"items": [1]}}]})
    assert run.logs[0] == '0 0' or run.logs[1] == '0 0'
    assert any(line.startswith('200 {"items":[1]}') for line in run.logs)


def test_default_data_overrides_the_design():
    run = run_js("g.request({ url: 'https://api.example.com/x', success: (r) => log(r.data) });",
                 mocks={"network": {"default_data": {"ok": 1}}})
    assert run.logs == ['{"ok":1}']
    run = run_js("g.request({ url: 'https://api.example.com/x', success: (r) => log(r.data) });",
                 mocks={"network": {"default_body": "empty"}})
    assert run.logs == ["{}"]


def test_the_default_body_can_be_read_as_the_json_text_a_server_may_send():
    # a real Ctrip app: `s = JSON.parse(o.data || "{}")`, where its server sends data as JSON text; the designed
    # body cannot know that, so its objects turn into their JSON when converted to a string (286 of the app's
    # errors were this one)
    code = ("g.request({ url: 'https://api.example.com/x', success: (r) => { const d = JSON.parse(r.data.data);"
            " log(typeof d, Array.isArray(d.list), Object.keys(r.data).includes('toString'), "
            "JSON.stringify(r.data).includes('toString'), ({...r.data.data}).toString === Object.prototype.toString,"
            " Object.prototype.toString.call(r.data), String(r.data.data) === JSON.stringify(r.data.data)) } });")
    assert run_js(code).logs == ["object true false false true [object Object] true"]
    # and as the empty list a server may send where the app iterates (res.data.filter(...)): the read-only list
    # methods answer as [] does, without becoming fields or shadowing one
    code = ("g.request({ url: 'https://api.example.com/x', success: (r) => { const d = r.data.data;"
            " log(d.filter((x) => x).length, d.map((x) => x), d.reduce((a, b) => a + b, 5), [...d].length, d.length,"
            " d.some((x) => x), d.join('-'), Object.keys(d).includes('length'), Array.isArray(d),"
            " typeof d.list.length) } });")
    assert run_js(code).logs == ['0 [] 5 0 0 false  false false number']
    # plain-object checks still pass (lodash's isPlainObject reads the prototype's own constructor), and a field of
    # the same name wins
    code = ("g.request({ url: 'https://api.example.com/x', success: (r) => { const d = r.data.data;"
            " const proto = Object.getPrototypeOf(d); log(d.constructor === Object,"
            " Object.prototype.hasOwnProperty.call(proto, 'constructor'), Object.getPrototypeOf(proto) === Object.prototype,"
            " d.hasOwnProperty('toString'), Array.isArray(d.list), typeof d.total) } });")
    assert run_js(code).logs == ["true true true false true number"]
    # a body the mocks give stays what they wrote: parsing an object fails, as it would on a phone
    mocked = run_js("g.request({ url: 'https://api.example.com/x', success: (r) => { try { JSON.parse(r.data.d) }"
                    " catch (e) { log(e.name) } } });", mocks={"network": {"default_data": {"d": {"k": 1}}}})
    assert mocked.logs == ["SyntaxError"]


def _har(tmp_path, entries):
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                                        "entries": entries}}), encoding="utf-8")
    return path


def _entry(method, url, status, text, mime="application/json", encoding=None, headers=None):
    content = {"size": len(text), "mimeType": mime, "text": text}
    if encoding:
        content["encoding"] = encoding
    return {"startedDateTime": "2025-01-01T00:00:00Z", "time": 10,
            "request": {"method": method, "url": url, "headers": [], "queryString": []},
            "response": {"status": status, "statusText": "", "headers": headers or [], "content": content}}


def test_a_har_file_replays_recorded_traffic(tmp_path):
    path = _har(tmp_path, [
        _entry("GET", "https://api.example.com/menu?page=1", 200, '{"items": [{"id": 7}]}',
               headers=[{"name": "X-Trace", "value": "abc"}]),
        _entry("POST", "https://api.example.com/order", 201, base64.b64encode(b"created").decode(), "text/plain",
               "base64"),
        _entry("GET", "https://api.example.com/seq", 200, '{"n": 1}'),
        _entry("GET", "https://api.example.com/seq", 200, '{"n": 2}'),
        _entry("GET", "https://api.example.com/aborted", 0, ""),
    ])
    mocks = load_mock_file(path)
    assert len(mocks.responses) == 4
    body = "".join(REQUEST % (u, m) for u, m in (("https://api.example.com/menu?page=1", "GET"),
                                                   ("https://api.example.com/order", "POST"),
                                                   ("https://api.example.com/seq", "GET"),
                                                   ("https://api.example.com/seq", "GET"),
                                                   ("https://api.example.com/seq", "GET"),
                                                   ("https://api.example.com/menu?page=2", "GET")))
    logs = run_js(body, mocks=mocks.model_dump()).logs
    assert '200 {"items":[{"id":7}]} {"X-Trace":"abc"}' in logs
    assert any(line.startswith("201 created") for line in logs)
    seq = [line for line in logs if '"n":' in line]
    assert [json.loads(line.split(" ")[1])["n"] for line in seq] == [1, 2, 2]
    assert sum('"id":7' in line for line in logs) == 1  # ?page=2 was never recorded: the default body answers
    assert sum(line.startswith('200 {"code":0') for line in logs) == 1


@pytest.mark.parametrize("doc,needle", [
    ({"log": {}}, "not a HAR file"),
    ({"log": {"entries": [{"request": {}, "response": {}}]}}, "log.entries[0]: expected request.url"),
    ({"log": {"entries": [_entry("GET", "https://a.example/x", 999, "")]}}, "HTTP status"),
])
def test_bad_har_files_are_refused_with_the_entry_named(tmp_path, doc, needle):
    path = tmp_path / "bad.har"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MockError, match=None) as info:
        load_mock_file(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_a_har_that_is_not_json(tmp_path):
    path = tmp_path / "broken.har"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(MockError, match="invalid JSON"):
        load_mock_file(path)


UNICLOUD_CLIENT = """
// what the uniCloud client bundled in a uni-app build's common/vendor.js does (Alibaba Cloud space)
function call(method, params) {
  return new Promise((resolve, reject) => g.request({
    url: 'https://api.bspapp.com/client', method: 'POST', dataType: 'json',
    data: { method, params: JSON.stringify(params), spaceId: 'space-1', timestamp: Date.now() },
    complete: (e) => {
      if (!e.statusCode || e.statusCode >= 400) return reject(new Error('SYS_ERR'));
      const o = e.data;
      if (o.error) return reject(new Error(o.error.message));
      o.result = o.data; delete o.data; resolve(o);
    } }));
}
call('serverless.auth.user.anonymousAuthorize', {})
  .then((t) => { if (!(t.result && t.result.accessToken)) throw new Error('获取accessToken失败'); })
  .then(() => call('serverless.function.runtime.invoke', { functionTarget: 'get_label', functionArgs: {} }))
  .then((res) => log('labels', res.result.data.list.length))
  .catch((err) => log('rejected', err.message));
"""


def test_unicloud_requests_get_a_token_and_a_function_answer():
    run = run_js(UNICLOUD_CLIENT, platform="wx")
    assert run.logs == ["labels 0"]
    assert {e.api for e in run.trace.api_calls()} >= {"request"}


def test_the_shaped_body_answers_with_the_success_code_the_code_expects():
    # uni-imooc-news resolves only `200 === e.result.code`; hangzhouTong2's services test `res.code === 20000`
    assert default_body("shaped", ["200===e.result.code?t(e.result):r(e.result)"])["code"] == 200
    texts = ["if (res.code === 20000) ok(); if (res.code == 401) login();", "if (r.code !== 20000) fail()"]
    assert default_body("shaped", texts)["code"] == 20000
    assert default_body("shaped", ["if (res.code === 401) relogin()"])["code"] == 0  # error codes never win
    run = run_js("g.request({ url: 'https://api.example.com/x', success: (r) => log(r.data.code) });"
                 "function ok(e) { return 200 === e.code }")
    assert run.logs == ["200"]


def test_the_envelopes_data_is_a_list_when_the_code_mostly_iterates_it():
    # my.request({ success: (res) => res.data.data.forEach(...) }): an object there made every list page throw
    lists = default_body("shaped", ["res.data.data.forEach(f); res.data.data.length; n.data.data.map(g)"])
    assert lists["data"] == [] and lists["code"] == 0
    # reads of its fields outnumber: it stays the object the other pages read (data.list, data.total)
    mixed = default_body("shaped", ["res.data.data.forEach(f); res.data.data.list.length; res.data.data.total"])
    assert isinstance(mixed["data"], dict) and mixed["data"]["list"] == []


def test_a_login_answer_gives_the_credentials_the_code_keeps():
    # the WeChat mall keeps res.data.token and, finding none, logs in again without end
    body = default_body("shaped", ["wx.setStorageSync('token', res.data.token); wx.setStorageSync('uid', res.data.uid)"])
    assert body["data"]["token"] == "mpsb-token" and body["data"]["uid"] == 1
    assert "token" not in default_body("shaped", ["res.data.list.length"])["data"]  # only what the code reads


def test_every_code_field_the_bundle_compares_gets_its_success_code():
    # zhixing's login: `if (1 !== y.resultCode && 1 !== y.RetCode) throw "获取openId失败"` (744 errors in one walk)
    body = default_body("shaped", ["if(1!==y.resultCode&&1!==y.RetCode){throw 'x'}", "res.errCode === 0",
                                   "res.statusCode === 200; item.barcode == 12345"])
    assert body["resultCode"] == 1 and body["RetCode"] == 1 and body["errCode"] == 0 and body["code"] == 0
    assert "statusCode" not in body and "barcode" not in body
    run = run_js("g.request({ url: 'https://api.example.com/login', success: (r) => log(1 === r.data.resultCode) });"
                 "function ok(y) { return 1 !== y.resultCode }")
    assert run.logs == ["true"]
