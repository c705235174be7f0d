"""Every API family on its success and failure paths, on each platform's names and conventions."""

from __future__ import annotations

import re

import pytest

from mpsandbox.apis.catalogue import load_catalogue

from .helpers import run_js

PLATFORMS = ("tt", "wx", "my")
LOC = {"permission": {"scope.userLocation": {"desc": "shops near you"}}, "requiredPrivateInfos": ["getLocation"]}


def cb(name: str) -> str:
    """success/fail/complete callbacks logging their result under ``name``."""
    return (f"success: (r) => log('{name} ok', r), fail: (e) => log('{name} fail', e), "
            f"complete: () => log('{name} complete')")


# ---- catalogue -------------------------------------------------------------------------------------------------------
def test_catalogue_size_and_cross_platform_names():
    cat = load_catalogue()
    assert len(cat.apis) >= 100
    assert cat.resolve("wx", "requestPayment").name == cat.resolve("my", "tradePay").name == "pay"
    assert cat.resolve("my", "getAuthCode").name == "login"
    assert cat.resolve("my", "httpRequest").deprecated and cat.resolve("my", "request").name == "request"
    assert cat.resolve("tt", "requestPayment") is None and cat.resolve("wx", "pay") is None
    for api in cat.apis:
        assert api.category and api.group
    families = {a.category for a in cat.apis}
    assert {"network", "storage", "location", "media", "device", "ui", "routing", "open", "payment", "share",
            "ads", "privacy", "base"} <= families


# ---- network ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_request_success_with_mock_and_callback_order(platform):
    mocks = {"responses": [{"url": "https://api.example.com/menu*", "data": {"items": [1, 2]}}]}
    run = run_js(f"g.request({{ url: 'https://api.example.com/menu?p=1', {cb('req')} }});", platform=platform,
                 mocks=mocks)
    ok = next(line for line in run.logs if line.startswith("req ok"))
    assert '"items":[1,2]' in ok and '"errMsg":"request:ok"' in ok
    assert [line.split(" ")[1] for line in run.logs if line.startswith("req")] == ["ok", "complete"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("url, detail", [
    ("http://api.example.com/x", "invalid url"),
    ("https://127.0.0.1/x", "url not in domain list"),
    ("https://localhost:8080/x", "url not in domain list"),
    ("https://other.example.net/x", "url not in domain list"),
])
def test_request_refused(platform, url, detail):
    run = run_js(f"g.request({{ url: {url!r}, {cb('req')} }});", platform=platform, allowed_domains=["api.example.com"])
    fail = next(line for line in run.logs if line.startswith("req fail"))
    assert f"request:fail {detail}" in fail
    if platform == "my":  # 2 invalid argument, 11 no cross-domain permission
        code = 2 if detail == "invalid url" else 11
        assert f'"error":{code}' in fail and "errorMessage" in fail
    if platform == "tt":
        assert '"errNo":' in fail and '"errorType":"D"' in fail


def test_request_timeout_from_network_timeout_and_concurrency_limit():
    run = run_js(f"g.request({{ url: 'https://api.example.com/slow', {cb('req')} }});",
                 mocks={"responses": [{"url": "https://api.example.com/slow", "latency_ms": 5000}]},
                 app={"networkTimeout": {"request": 1000}})
    assert any("request:fail timeout" in line for line in run.logs)
    # past 10 at once, a request waits in line for a free slot (WeChat queues) and then runs its own latency
    run = run_js("const t0 = Date.now(); for (let i = 0; i < 11; i++) g.request({ url: 'https://api.example.com/' + i, "
                 "success: () => { if (i === 0 || i === 10) log('ok', i, Date.now() - t0) }, "
                 "fail: (e) => log('fail', i, e.errMsg) });",
                 mocks={"network": {"default_latency_ms": 100}})
    # (the app's clock also counts the time its own work took: a few ms)
    assert [line.rsplit(" ", 1)[0] for line in run.logs] == ["ok 0", "ok 10"]
    assert [int(line.rsplit(" ", 1)[1]) // 10 for line in run.logs] == [10, 20]


def test_sockets_messages_and_limit():
    mocks = {"responses": [{"url": "wss://ws.example.com/*", "api": "connectSocket", "data": {"pong": 1}}]}
    run = run_js("const s = g.connectSocket({ url: 'wss://ws.example.com/chat' });"
                 "s.onOpen(() => { log('open'); s.send({ data: 'ping' }); });"
                 "s.onMessage((m) => { log('message', m.data); s.close({}); });"
                 "s.onClose(() => log('closed'));"
                 "for (let i = 0; i < 5; i++) { const t = g.connectSocket({ url: 'wss://ws.example.com/' + i }); "
                 "t.onError((e) => log('socket error', i, e.errMsg)); }", mocks=mocks)
    assert run.logs[:1] == ["socket error 4 connectSocket:fail exceed max concurrent sockets (5)"]
    assert ["open", 'message {"pong":1}', "closed"] == [x for x in run.logs if not x.startswith("socket error")]
    insecure = run_js("const s = g.connectSocket({ url: 'ws://ws.example.com/' }); s.onError((e) => log(e.errMsg));")
    assert insecure.logs == ['connectSocket:fail invalid url "ws://ws.example.com/"']


# ---- storage ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_storage_sync_and_async(platform):
    if platform == "my":
        body = ("g.setStorageSync({ key: 'k', data: { a: 1 } }); log(g.getStorageSync({ key: 'k' }));"
                "g.setStorage({ key: 'j', data: 2, success: () => g.getStorage({ key: 'j', success: (r) => log('async', r.data) }) });"
                "g.getStorage({ key: 'missing', success: (r) => log('missing', r.data) });")
        expect = ['{"data":{"a":1}}', "missing null", "async 2"]
    else:
        body = ("g.setStorageSync('k', { a: 1 }); log(g.getStorageSync('k')); log('empty', JSON.stringify(g.getStorageSync('none')));"
                "g.setStorage({ key: 'j', data: 2, success: () => g.getStorage({ key: 'j', success: (r) => log('async', r.data) }) });"
                "g.getStorage({ key: 'missing', fail: (e) => log(e.errMsg) });")
        expect = ['{"a":1}', 'empty ""', "getStorage:fail data not found", "async 2"]
    run = run_js(body, platform=platform)
    assert run.logs == expect
    assert run.storage["k"] == {"a": 1}


def test_storage_limits_and_info():
    run = run_js("try { g.setStorageSync('big', 'x'.repeat(1024 * 1024 + 1)); } catch (e) { log(e.message); }"
                 "for (let i = 0; i < 12; i++) { try { g.setStorageSync('k' + i, 'y'.repeat(1000 * 1000)); } "
                 "catch (e) { log(i, e.message); break; } }"
                 "const info = g.getStorageInfoSync(); log(info.keys.length, info.limitSize);"
                 "g.removeStorageSync('k0'); g.clearStorage({ success: () => log('cleared', g.getStorageInfoSync().keys.length) });")
    assert run.logs[0] == "setStorageSync:fail exceed storage item max length"
    assert run.logs[1] == "10 setStorageSync:fail exceed storage max size"
    assert run.logs[2:] == ["10 10240", "cleared 0"]


# ---- location and permissions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_location_granted_and_denied(platform):
    body = f"g.getLocation({{ {cb('loc')} }});"
    ok = run_js(body, platform=platform, app=LOC)
    line = next(x for x in ok.logs if x.startswith("loc ok"))
    assert '"latitude":' in line and "getLocation:ok" in line
    denied = run_js(body, platform=platform, app=LOC, mocks={"user": {"permissions": "deny"}})
    fail = next(x for x in denied.logs if x.startswith("loc fail"))
    assert "getLocation:fail auth deny" in fail
    assert [(p.scope, p.decision) for p in denied.permissions()][0][1] == "denied"


def test_wechat_required_private_infos_message_is_verbatim():
    run = run_js(f"wx.getLocation({{ {cb('loc')} }});", platform="wx",
                 app={"permission": {"scope.userLocation": {"desc": "x"}}})
    assert any("getLocation:fail the api need to be declared in the requiredPrivateInfos field in app.json/ext.json"
               in x for x in run.logs)


def test_undeclared_scope_fails_and_is_recorded():
    run = run_js(f"tt.getLocation({{ {cb('loc')} }});")
    assert any("auth deny" in x for x in run.logs if x.startswith("loc fail"))
    assert [(p.scope, p.declared, p.reason) for p in run.permissions()] == [("scope.userLocation", False, "undeclared")]


def test_authorize_get_setting_open_setting_and_scripted_user():
    body = ("g.authorize({ scope: 'scope.userLocation', success: () => log('auth ok'), fail: () => log('auth no'),"
            "  complete: () => g.getSetting({ success: (s) => { log(s.authSetting);"
            "    g.getLocation({ fail: (e) => log('again', e.errMsg), success: () => log('again ok') });"
            "    g.openSetting({ fail: (e) => log(e.errMsg) }); } }) });")
    run = run_js(body, app=LOC, mocks={"user": {"script": ["deny"], "open_setting": "allow-all"}})
    assert run.logs == ["auth no", '{"scope.userLocation":false}', "again getLocation:fail auth deny",
                        "openSetting:fail must be invoked by user tap gesture"]  # only a tap opens the settings
    actions = [(p.action, p.decision) for p in run.permissions()]
    assert actions == [("authorize", "denied"), ("check", "denied")]
    body = ("g.getLocation({ fail: () => g.getSetting({ success: (s) => log(s.authSetting) }) });"
            "g.openSetting({ success: (o) => { log('after', o.authSetting); g.getLocation({ success: () => log('ok') }); } });")
    run = run_js(body, app=LOC, mocks={"user": {"permissions": "deny", "open_setting": "allow-all"}})
    assert run.logs[-2:] == ['after {"scope.userLocation":true}', "ok"]
    assert ("open-setting", "granted") in [(p.action, p.decision) for p in run.permissions()]


def test_promise_style_when_no_callback():
    run = run_js("wx.getLocation({ type: 'gcj02' }).then((r) => log('then', typeof r.latitude))"
                 ".catch((e) => log('catch', e.errMsg));", platform="wx", app=LOC)
    assert run.logs == ["then number"]
    run = run_js("wx.getLocation({}).then(() => log('then')).catch((e) => log('catch', e.errMsg));", platform="wx",
                 app=LOC, mocks={"user": {"permissions": "deny"}})
    assert run.logs == ["catch getLocation:fail auth deny"]
    task = run_js("const t = wx.request({ url: 'https://a.example.com/' }); log(typeof t.abort, typeof t.then);",
                  platform="wx")
    assert task.logs == ["function undefined"]


# ---- media and device ------------------------------------------------------------------------------------------------
def test_choose_image_and_cancel():
    run = run_js(f"tt.chooseImage({{ count: 1, {cb('img')} }});")
    assert any(re.search(r'"tempFilePaths":\["ttfile://temp/\w{16}\.jpg"\]', x) for x in run.logs)
    cancel = run_js(f"tt.chooseImage({{ count: 1, {cb('img')} }});", mocks={"user": {"choose": "cancel"}})
    assert any("chooseImage:fail cancel" in x for x in cancel.logs)
    my = run_js("my.chooseImage({ success: (r) => log(r.apFilePaths.length) });", platform="my")
    assert my.logs == ["1"]


def test_recorder_needs_the_record_scope():
    run = run_js("const r = tt.getRecorderManager(); r.onStart(() => log('start')); r.onError((e) => log(e.errMsg));"
                 "r.start({ duration: 1000 });", mocks={"user": {"scopes": {"scope.record": "deny"}}})
    assert run.logs == ["start:fail auth deny"]
    ok = run_js("const r = tt.getRecorderManager(); r.onStart(() => log('start')); r.onStop((s) => log('stop', typeof s.tempFilePath));"
                "r.start({}); r.stop();")
    assert ok.logs == ["start", "stop string"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_device_apis(platform):
    clip_set = "g.setClipboard({ text: 'hello' })" if platform == "my" else "g.setClipboardData({ data: 'hello' })"
    clip_get = ("g.getClipboard({ success: (r) => log('clip', r.text) })" if platform == "my"
                else "g.getClipboardData({ success: (r) => log('clip', r.data) })")
    run = run_js(f"const s = g.getSystemInfoSync(); log(s.platform, s.windowWidth > 0); {clip_set}; {clip_get};"
                 "g.getNetworkType({ success: (r) => log(r.networkType) });"
                 "g.vibrateShort({ success: () => log('buzz') });", platform=platform)
    assert run.logs[0] in ({"iOS true", "Android true"} if platform == "my" else {"ios true", "android true"})
    assert set(run.logs[1:]) == {"clip hello", "wifi", "buzz"}


def test_clipboard_read_returns_a_canary_and_scan_code_names():
    run = run_js("tt.getClipboardData({ success: (r) => log(r.data) });")
    assert len(run.logs) == 1 and re.fullmatch(r"复制口令\w{14}", run.logs[0])
    my = run_js("my.scan({ success: (r) => log(typeof r.code) });", platform="my")
    assert my.logs == ["string"]


# ---- UI ----------------------------------------------------------------------------------------------------------
def test_modal_action_sheet_and_selector_query():
    run = run_js("tt.showModal({ title: 't', success: (r) => log('modal', r.confirm, r.cancel) });"
                 "tt.showActionSheet({ itemList: ['a', 'b'], success: (r) => log('sheet', r.tapIndex) });"
                 "tt.createSelectorQuery().select('#x').boundingClientRect().exec((res) => log('rect', res[0].width));",
                 mocks={"user": {"modal": "cancel", "action_sheet": 1}})
    assert sorted(run.logs) == ["modal false true", "rect 390", "sheet 1"]
    my = run_js("my.confirm({ title: 't', success: (r) => log('confirm', r.confirm) });", platform="my")
    assert my.logs == ["confirm true"]


def test_routing_errors():
    run = run_js("g.switchTab({ url: '/pages/p/p', fail: (e) => log(e.errMsg) });"
                 "g.navigateTo({ url: '/pages/none/none', fail: (e) => log(e.errMsg) });")
    assert any(x.startswith("switchTab:fail") for x in run.logs)
    assert any(x.startswith("navigateTo:fail") and "not found" in x for x in run.logs)


# ---- open capabilities --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform, call, field", [
    ("tt", "tt.login", "code"), ("wx", "wx.login", "code"), ("my", "my.getAuthCode", "authCode")])
def test_login_codes(platform, call, field):
    run = run_js(f"{call}({{ success: (r) => log(typeof r.{field}, r.{field}.length) }});", platform=platform)
    assert run.logs == ["string 24"]  # a canary, shaped as an opaque token


@pytest.mark.parametrize("platform, expected", [
    ("tt", "getUserProfile:fail must be invoked by user tap gesture"),
    ("wx", "getUserProfile:fail can only be invoked by user TAP gesture."),
])
def test_profile_needs_a_tap(platform, expected):
    body = "g.getUserProfile({ desc: 'd', success: (r) => log('ok', typeof r.userInfo.nickName), fail: (e) => log(e.errMsg) });"
    assert run_js(body, platform=platform, tap=False).logs == [expected]
    assert run_js(body, platform=platform, tap=True).logs == ["ok string"]
    denied = run_js(body, platform=platform, mocks={"user": {"profile": "deny"}})
    assert denied.logs == ["getUserProfile:fail auth deny"]


@pytest.mark.parametrize("platform, call, outcome, expected", [
    ("tt", "tt.pay", "success", "ok 0"), ("tt", "tt.pay", "cancel", "ok 4"),
    ("wx", "wx.requestPayment", "success", "ok undefined"), ("wx", "wx.requestPayment", "cancel", "fail requestPayment:fail cancel"),
    ("my", "my.tradePay", "success", "ok 9000"), ("my", "my.tradePay", "cancel", "ok 6001"),
])
def test_payment_results(platform, call, outcome, expected):
    body = (f"{call}({{ orderInfo: {{}}, tradeNO: 'n', success: (r) => log('ok', r.code !== undefined ? r.code : r.resultCode),"
            " fail: (e) => log('fail', e.errMsg) });")
    run = run_js(body, platform=platform, mocks={"user": {"payment": outcome}})
    assert run.logs == [expected]


def test_subscribe_message_in_tap_in_pay_callback_and_outside():
    body = "tt.requestSubscribeMessage({ tmplIds: ['t1'], success: (r) => log(r.t1), fail: (e) => log(e.errMsg) });"
    assert run_js(body).logs == ["accept"]
    assert run_js(body, tap=False).logs == ["requestSubscribeMessage:fail must be invoked by user tap gesture"]
    in_pay = run_js("tt.pay({ orderInfo: {}, service: 5, success: () => { " + body + " } });")
    assert in_pay.logs == ["accept"]
    # the payment callback counts even when no tap started the payment (the user confirmed the payment sheet)
    assert run_js("tt.pay({ orderInfo: {}, service: 5, success: () => { " + body + " } });", tap=False).logs == \
        ["accept"]
    later = run_js("tt.pay({ orderInfo: {}, service: 5, success: () => setTimeout(() => { " + body + " }, 5) });")
    assert later.logs == ["requestSubscribeMessage:fail must be invoked by user tap gesture"]
    too_many = run_js("tt.requestSubscribeMessage({ tmplIds: ['a', 'b', 'c', 'd'], fail: (e) => log(e.errMsg) });")
    assert too_many.logs == ["requestSubscribeMessage:fail tmplIds count exceeds the limit of 3"]


def test_payment_outside_a_user_chain_is_recorded_but_allowed():
    run = run_js("tt.pay({ orderInfo: {}, service: 5, success: () => log('paid') });", tap=False)
    assert run.logs == ["paid"]
    assert any(e.code == "payment-without-gesture" for e in run.trace.of_kind("note"))


def test_phone_number_through_the_open_type_button():
    from mpsandbox.runtime.sandbox import Sandbox

    from ..runtime.bundles import make_bundle

    bundle = make_bundle({"pages/p/p": "Page({ onPhone(e) { console.log(e.detail.errMsg, typeof e.detail.code) } })"})
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap("onPhone", event_type="getphonenumber", open_type="getPhoneNumber")
        sb.run()
        assert [e.text for e in sb.trace.of_kind("console")] == ["getPhoneNumber:ok string"]


def test_can_i_use_launch_options_and_unknown_apis():
    run = run_js("log(tt.canIUse('getLocation'), tt.canIUse('requestPayment'), tt.canIUse('request.object.abort'));"
                 "log(tt.getLaunchOptionsSync().scene);"
                 "log(typeof tt.requestPayment); try { tt.requestPayment({}); } catch (e) { log(e.name); }",
                 mocks={"launch": {"scene": 1011}})
    assert run.logs == ["true false true", "1011", "undefined", "TypeError"]
    unknown = [e.api for e in run.trace.api_calls() if e.outcome == "unknown"]
    assert unknown == ["requestPayment", "requestPayment"]  # once per place in the code that reads it


def test_ads_and_share_menu():
    run = run_js("const ad = tt.createRewardedVideoAd({ adUnitId: 'u' }); ad.onClose((r) => log('closed', r.isEnded));"
                 "ad.load().then(() => ad.show()).then(() => log('shown'));"
                 "tt.showShareMenu({ success: () => log('menu') });")
    assert run.logs == ["menu", "shown", "closed true"]


def test_mock_failures_and_results_per_api():
    run = run_js("tt.getSystemInfo({ success: (r) => log(r.model) }); tt.showToast({ title: 'x', fail: (e) => log(e.errMsg) });",
                 mocks={"apis": {"getSystemInfo": {"result": {"model": "Phone X"}}, "showToast": {"fail": "system busy"}}})
    assert sorted(run.logs) == ["Phone X", "showToast:fail system busy"]


def test_socket_send_before_open_and_connect_failures():
    run = run_js("const s = g.connectSocket({ url: 'wss://ws.example.com/a' });"
                 "s.send({ data: 'early', fail: (e) => log('early', e.errMsg) });"
                 "s.onOpen(() => s.send({ data: 'late', success: (r) => log('late', r.errMsg) }));")
    assert run.logs == ["early sendSocketMessage:fail socket is not connected", "late sendSocketMessage:ok"]
    mocks = {"responses": [{"url": "wss://down.example.com/*", "api": "connectSocket", "fail": "network down"},
                           {"url": "wss://slow.example.com/*", "api": "connectSocket", "latency_ms": 9000}]}
    run = run_js("for (const h of ['down', 'slow']) { const s = g.connectSocket({ url: 'wss://' + h + '.example.com/',"
                 " fail: (e) => log('fail', e.errMsg) }); s.onError((e) => log('error', e.errMsg)); }",
                 mocks=mocks, app={"networkTimeout": {"connectSocket": 5000}})
    assert run.logs == ["fail connectSocket:fail network down", "error connectSocket:fail network down",
                        "fail connectSocket:fail timeout", "error connectSocket:fail timeout"]
    called = run.trace.api_calls("connectSocket")[-1].t
    assert run.trace.of_kind("api-complete")[-1].t - called == 5000  # the networkTimeout, not the mock's 9 s


def test_wechat_scopes_app_json_cannot_declare_are_never_undeclared():
    # WeChat's app.json `permission` takes only its location scopes (any other entry is "invalid"): a camera or a
    # recording is asked for at its first use and is not a missing declaration; the location still is one
    body = ("g.authorize({ scope: 'scope.camera' }); g.authorize({ scope: 'scope.record' });"
            " g.getLocation({ fail: (e) => log('loc', e.errMsg) });")
    run = run_js(body, platform="wx", app={"requiredPrivateInfos": ["getLocation"]})
    declared = {p.scope: p.declared for p in run.permissions()}
    assert declared == {"scope.camera": True, "scope.record": True, "scope.userLocation": False}
    douyin = run_js("g.authorize({ scope: 'scope.camera' });")  # Douyin's `permission` takes any scope with a desc
    assert [(p.scope, p.declared) for p in douyin.permissions()] == [("scope.camera", False)]


def test_douyin_preload_draw_ad():
    run = run_js("tt.preloadDrawAd({ success: (r) => log('preloaded', r.errMsg) }); log(typeof wx, typeof tt.preloadDrawAd);")
    assert run.logs == ["undefined function", "preloaded preloadDrawAd:ok"]
    assert [e.outcome for e in run.trace.api_calls("preloadDrawAd")] != ["unknown"]
