"""Platform conventions beyond the happy path: error fields per platform, parameter checks, the privacy agreement,
open-type buttons as sources, the newer catalogue entries and their sinks, and reading declarations from bundles."""

from __future__ import annotations

import json

import pytest

from mpsandbox.apis.host import ApiHost, Declarations
from mpsandbox.runtime.sandbox import Sandbox

from mpsandbox.bundle import BundleError, bundle_from_files
from .helpers import run_js

LOC = {"permission": {"scope.userLocation": {"desc": "shops near you"}}, "requiredPrivateInfos": ["getLocation"]}
FAIL = "fail: (e) => log('fail', e)"


def _fail(run) -> dict:
    line = next(x for x in run.logs if x.startswith("fail "))
    return json.loads(line[5:])


# ---- permission failures per platform ----------------------------------------------------------------------------
def test_douyin_undeclared_scope_is_a_platform_auth_deny():
    run = run_js(f"tt.getLocation({{ {FAIL} }});", platform="tt", app={})
    err = _fail(run)
    assert err["errMsg"] == "getLocation:fail platform auth deny"
    assert err["errNo"] == 10101 and err["errorCode"] == 110583 and err["errorType"] == "D"
    check = run.permissions()[0]
    assert (check.scope, check.action, check.decision, check.declared, check.reason) == \
        ("scope.userLocation", "check", "denied", False, "undeclared")


def test_wechat_undeclared_permission_desc():
    run = run_js(f"wx.getLocation({{ {FAIL} }});", platform="wx", app={"requiredPrivateInfos": ["getLocation"]})
    assert _fail(run)["errMsg"] == "getLocation:fail require permission desc"


@pytest.mark.parametrize("platform, extra", [
    ("tt", {"errNo": 10200, "errorType": "U"}),
    ("wx", {"errno": 103}),
    ("my", {"error": 11}),
])
def test_user_denial_fields(platform, extra):
    g = {"tt": "tt", "wx": "wx", "my": "my"}[platform]
    run = run_js(f"{g}.getLocation({{ {FAIL} }});", platform=platform, app=LOC,
                 mocks={"user": {"permissions": "deny"}})
    err = _fail(run)
    assert err["errMsg"] == "getLocation:fail auth deny"
    assert extra.items() <= err.items()
    if platform == "my":
        assert err["errorMessage"] == "auth deny"


# ---- parameter checks ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform, js, expected", [
    ("tt", "tt.showToast({ icon: 'none', fail: (e) => log('fail', e) })",
     "showToast:fail parameter error: parameter.title should be String instead of Undefined;"),
    ("wx", "wx.request({ url: 5, fail: (e) => log('fail', e) })",
     "request:fail parameter error: parameter.url should be String instead of Number;"),
    ("wx", "wx.requestSubscribeMessage({ tmplIds: 'a', fail: (e) => log('fail', e) })",
     "requestSubscribeMessage:fail parameter error: parameter.tmplIds should be Array instead of String;"),
])
def test_parameter_errors(platform, js, expected):
    run = run_js(js + ";", platform=platform)
    assert _fail(run)["errMsg"] == expected


def test_parameter_error_rejects_the_promise_and_alipay_is_not_checked():
    run = run_js("tt.showToast({}).catch((e) => log('caught', e.errMsg));"
                 "my.showToast({ content: 'hi', success: () => log('my ok') });".replace("my.", "g."), platform="tt")
    assert run.logs[0].startswith("caught showToast:fail parameter error")
    run = run_js("g.showToast({ content: 'hi', success: () => log('my ok') });", platform="my")
    assert run.logs == ["my ok"]


# ---- privacy agreement -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform, flag", [("tt", "usePrivacyCheck"), ("wx", "__usePrivacyCheck__")])
def test_privacy_check_refused_then_agreed_by_button(platform, flag):
    app = {**LOC, flag: True}
    page = (f"Page({{ loc() {{ {platform}.getLocation({{ success: (r) => console.log('ok'), "
            f"fail: (e) => console.log(JSON.stringify(e)) }}) }}, agree(e) {{ console.log(e.detail.errMsg) }} }})")
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"], **app}),
                         "pages/p/p.js": page}, platform=platform)
    from mpsandbox.apis.mocks import MockConfig

    with Sandbox(bundle, mocks=MockConfig.model_validate({"user": {"privacy": "deny"}})) as sb:
        sb.launch()
        sb.run()
        sb.tap("loc")
        sb.run(until=sb.now + 1000)
        sb.tap("loc")
        sb.run(until=sb.now + 1000)
        sb.tap("agree", open_type="agreePrivacyAuthorization")
        sb.run(until=sb.now + 1000)
        sb.tap("loc")
        sb.run(until=sb.now + 1000)
        trace = sb.stop()
    logs = [e.text for e in trace.of_kind("console")]
    first = json.loads(logs[0])
    assert first["errMsg"] == "getLocation:fail privacy permission is not authorized"
    if platform == "wx":
        assert first["errno"] == 104
    assert logs[2:] == ["agreePrivacyAuthorization:ok", "ok"]
    privacy = [(e.action, e.decision, e.reason) for e in trace.of_kind("permission") if e.scope == "privacy"]
    assert privacy == [("prompt", "denied", "user"), ("check", "denied", "denied-before"),
                       ("authorize", "granted", "button")]


def test_privacy_check_off_never_asks():
    run = run_js("tt.getLocation({ success: () => log('ok') });", app=LOC, mocks={"user": {"privacy": "deny"}})
    assert run.logs == ["ok"] and not [e for e in run.permissions() if e.scope == "privacy"]


def test_privacy_setting_and_require_privacy_authorize():
    run = run_js("wx.getPrivacySetting({ success: (r) => { log(r.needAuthorization);"
                 " wx.requirePrivacyAuthorize({ success: () => wx.getPrivacySetting({ success: (s) => log(s.needAuthorization) }) }) } });",
                 platform="wx")
    assert run.logs == ["true", "false"]


# ---- open-type buttons are sources -------------------------------------------------------------------------------
def test_phone_button_is_recorded_and_its_code_is_a_source():
    page = ("Page({ onPhone(e) { tt.request({ url: 'https://api.example.com/bind', method: 'POST', "
            "data: { code: e.detail.code } }) } })")
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}), "pages/p/p.js": page}, platform="tt")
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap("onPhone", event_type="getphonenumber", open_type="getPhoneNumber")
        sb.run()
        trace = sb.stop()
    button = next(e for e in trace.api_calls() if e.called_as == "button:getPhoneNumber")
    user = next(e for e in trace.of_kind("user"))
    assert button.api == "getPhoneNumber" and button.gesture and button.chain == user.gesture_id
    flow = trace.of_kind("flow")[0]
    assert flow.source_api == "button:getPhoneNumber" and flow.sink == "network"
    assert flow.destination == "api.example.com"


@pytest.mark.parametrize("open_type, key", [("getUserInfo", "userInfo"), ("chooseAvatar", "avatarUrl"),
                                            ("openSetting", "authSetting")])
def test_other_buttons(open_type, key):
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
                         "pages/p/p.js": "Page({ h(e) { console.log(Object.keys(e.detail).join(',')) } })"}, platform="tt")
    with Sandbox(bundle) as sb:
        sb.launch()
        sb.run()
        sb.tap("h", open_type=open_type)
        sb.run()
        trace = sb.stop()
    assert key in trace.of_kind("console")[0].text.split(",")
    assert [e.called_as for e in trace.api_calls()] == [f"button:{open_type}"]


def test_share_and_contact_buttons_carry_no_detail():
    host = ApiHost("tt")
    assert host.button_event("share", None) is None  # type: ignore[arg-type]
    assert host.button_event("contact", None) is None  # type: ignore[arg-type]


def test_phone_button_denied():
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
                         "pages/p/p.js": "Page({ h(e) { console.log(e.detail.errMsg, e.detail.code) } })"}, platform="tt")
    from mpsandbox.apis.mocks import MockConfig

    with Sandbox(bundle, mocks=MockConfig.model_validate({"user": {"phone_number": "deny"}})) as sb:
        sb.launch()
        sb.run()
        sb.tap("h", open_type="getPhoneNumber")
        sb.run()
        trace = sb.stop()
    assert trace.of_kind("console")[0].text == "getPhoneNumber:fail user deny undefined"
    call = trace.api_calls()[0]
    assert call.outcome == "fail" and call.err_msg == "getPhoneNumber:fail user deny"


# ---- sinks of the newer entries and the console -------------------------------------------------------------------
def test_console_is_scanned_beyond_the_recorded_summary():
    run = run_js("tt.getClipboardData({ success: (r) => console.log('x'.repeat(5000) + r.data) });")
    flow = run.flows()[0]
    assert flow.sink == "console" and flow.source_api == "getClipboardData"
    assert len(run.logs[0]) < 2100  # the record keeps a summary


@pytest.mark.parametrize("platform, js, sink, destination", [
    ("tt", "tt.reportAnalytics('evt', { c: r.data })", "analytics", None),
    ("wx", "wx.getRealtimeLogManager().info('clip', r.data)", "analytics", None),
    ("wx", "wx.reportEvent('evt', { c: r.data })", "analytics", None),
    ("wx", "wx.openEmbeddedMiniProgram({ appId: 'wxabc', extraData: { c: r.data } })", "miniprogram", "wxabc"),
    ("tt", "tt.shareAppMessage({ title: 'hi', query: 'c=' + encodeURIComponent(r.data) })", "share", None),
])
def test_newer_sinks(platform, js, sink, destination):
    run = run_js(f"{platform}.getClipboardData({{ success: (r) => {{ {js}; }} }});", platform=platform)
    flows = [f for f in run.flows() if f.sink == sink]
    assert flows and flows[0].destination == destination and flows[0].source_api == "getClipboardData"


def test_douyin_open_auth():
    run = run_js("tt.showDouyinOpenAuth({ scopes: { 'ma.item.data': 0, 'video.list': 2 }, "
                 "success: (r) => log(r.grantPermissions, typeof r.ticket), fail: (e) => log('fail', e) });"
                 "tt.showDouyinOpenAuth({ scopes: {}, fail: (e) => log('fail', e) });")
    assert sorted(run.logs) == ['["ma.item.data"] string',
                                'fail {"errMsg":"showDouyinOpenAuth:fail scopes is empty","errNo":20000,"errorType":"D"}']
    run2 = run_js("wx.showDouyinOpenAuth", platform="wx")
    assert [e.api for e in run2.trace.api_calls() if e.outcome == "unknown"] == ["showDouyinOpenAuth"]


def test_choose_poi_needs_required_private_infos_on_wechat():
    run = run_js(f"wx.choosePoi({{ success: (r) => log('ok', typeof r.latitude), {FAIL} }});", platform="wx")
    assert _fail(run)["errMsg"].endswith("requiredPrivateInfos field in app.json/ext.json")
    run = run_js("wx.choosePoi({ success: (r) => log('ok', typeof r.latitude) });", platform="wx",
                 app={"requiredPrivateInfos": ["choosePoi"]})
    assert run.logs == ["ok number"]


def test_alipay_http_error_status_fails():
    run = run_js(f"my.request({{ url: 'https://api.example.com/x', success: () => log('ok'), {FAIL} }});",
                 platform="my", mocks={"responses": [{"url": "https://api.example.com/*", "status": 500}]})
    err = _fail(run)
    assert err["error"] == 19 and err["status"] == 500
    run = run_js("tt.request({ url: 'https://api.example.com/x', success: (r) => log(r.statusCode) });",
                 mocks={"responses": [{"url": "https://api.example.com/*", "status": 500}]})
    assert run.logs == ["500"]


def test_file_system_manager_and_documents():
    run = run_js("const fs = tt.getFileSystemManager(); fs.readFile({ filePath: 'ttfile://user/a', "
                 "success: (r) => log('read', r.errMsg) });"
                 "tt.openDocument({ filePath: 'ttfile://user/a.pdf', success: (r) => log(r.errMsg) });")
    assert sorted(run.logs) == ["openDocument:ok", "read readFile:ok"]


# ---- declarations ----------------------------------------------------------------------------------------------------
def test_declarations_from_a_loaded_bundle(tmp_path):
    from mpsandbox.bundle.loader import load_bundle

    (tmp_path / "app.js").write_text("App({})")
    (tmp_path / "pages" / "p").mkdir(parents=True)
    (tmp_path / "pages" / "p" / "p.js").write_text("Page({})")
    (tmp_path / "app.json").write_text(json.dumps({
        "pages": ["pages/p/p"], "permission": {"scope.userLocation": {"desc": "d"}, "scope.record": "why"},
        "requiredPrivateInfos": ["getLocation"], "networkTimeout": {"request": 5000, "connectSocket": 1000},
        "__usePrivacyCheck__": True}))
    (tmp_path / "project.config.json").write_text(json.dumps({"appid": "wx1234567890abcdef"}))
    bundle = load_bundle(tmp_path)
    d = Declarations.from_bundle(bundle)
    assert d.permission == {"scope.userLocation": "d", "scope.record": "why"}
    assert d.required_private_infos == {"getLocation"}
    assert d.network_timeout == {"request": 5000, "connectSocket": 1000}
    assert d.privacy_check is True


@pytest.mark.parametrize("app_json, code", [("not json", "invalid-json"), ("[1, 2]", "invalid-json"),
                                            (json.dumps({"pages": ["p"], "permission": [1], "requiredPrivateInfos": "x",
                                                         "networkTimeout": {"request": "soon"}}), "invalid-config")])
def test_odd_app_json_never_reaches_the_declarations(app_json, code):
    # Declarations read the loader's typed AppConfig; an app.json it cannot type is refused while loading
    with pytest.raises(BundleError) as info:
        bundle_from_files({"app.json": app_json, "p.js": "Page({})"})
    assert info.value.code == code


def test_api_host_construction():
    host = ApiHost("wx", seed=3, allowed_domains=["API.example.com"])
    assert host.allowed_domains == ["api.example.com"] and host.platform == "wx"
    with pytest.raises(TypeError):
        ApiHost("wx", None)  # type: ignore[misc]  (catalogue is keyword-only)
    bundle = bundle_from_files({"app.json": json.dumps({"pages": ["p"], **LOC}), "p.js": "Page({})"}, platform="my")
    host = ApiHost.for_bundle(bundle, seed=1)
    assert host.platform == "my" and host.declarations.permission == {"scope.userLocation": "shops near you"}


@pytest.mark.parametrize("platform, query, expected", [
    ("wx", "button.open-type.getPhoneNumber", True),
    ("wx", "button.open-type.getAuthorize", False),
    ("my", "button.open-type.getAuthorize", True),
    ("tt", "view", True),
    ("tt", "getSystemInfoSync.return.safeArea", True),
    ("tt", "connectSocket.object.send", True),
    ("tt", "connectSocket.object.fly", False),
    ("wx", "choosePoi", True),
    ("tt", "choosePoi", False),
    ("tt", "", False),
])
def test_can_i_use(platform, query, expected):
    run = run_js(f"log({platform}.canIUse({query!r}));", platform=platform)
    assert run.logs == [json.dumps(expected)]


def test_every_api_is_described_and_the_loader_refuses_duplicates():
    import yaml

    from mpsandbox.apis.catalogue import _strict_loader, load_catalogue

    cat = load_catalogue()
    assert len(cat.apis) >= 110 and all(a.description for a in cat.apis)
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("apis: []\napis: []\n", Loader=_strict_loader())  # noqa: S506


def test_the_catalogue_cache_gives_the_parsed_catalogue_and_follows_the_yaml(tmp_path, monkeypatch):
    from mpsandbox.apis import catalogue as cat_mod

    monkeypatch.setenv("MPSANDBOX_CACHE", str(tmp_path))
    monkeypatch.setattr(cat_mod, "COMPILED_DIR", tmp_path / "not-installed")
    files = cat_mod._catalogue_files()  # noqa: SLF001
    parsed = cat_mod.Catalogue.model_validate(cat_mod._load_yaml_docs(files))  # noqa: SLF001
    cat_mod.load_catalogue.cache_clear()
    try:
        first = cat_mod.load_catalogue()  # parses the YAML and writes the cache
        cached = list((tmp_path / "catalogue").glob("*.json"))
        assert len(cached) == 1
        cat_mod.load_catalogue.cache_clear()
        second = cat_mod.load_catalogue()  # from the cache
        assert first.model_dump() == second.model_dump() == parsed.model_dump()
        # a changed YAML file is another key: the stale entry is not used
        edited = [(name, data + b"\n# edited\n") if i == 0 else (name, data) for i, (name, data) in enumerate(files)]
        assert cat_mod._cache_path(edited) != str(cached[0])  # noqa: SLF001
        # a corrupt entry is parsed again, and replaced
        cached[0].write_bytes(b'{"apis": "not a list"')
        cat_mod.load_catalogue.cache_clear()
        assert cat_mod.load_catalogue().model_dump() == parsed.model_dump()
        assert cat_mod._from_cache(str(cached[0])) is not None  # noqa: SLF001
    finally:
        cat_mod.load_catalogue.cache_clear()


def test_the_catalogue_compiled_at_install_is_read_without_parsing_yaml(tmp_path, monkeypatch):
    from mpsandbox.apis import catalogue as cat_mod

    monkeypatch.setenv("MPSANDBOX_CACHE", str(tmp_path / "cache"))
    parsed = cat_mod.Catalogue.model_validate(cat_mod._load_yaml_docs())  # noqa: SLF001
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    (compiled / "0123456789abcdef0123456789abcdef.json").write_text("{}")  # compiled from YAML since changed
    path = cat_mod.compile_into(compiled)
    assert list(compiled.iterdir()) == [path], "the stale compiled catalogue is removed"
    monkeypatch.setattr(cat_mod, "COMPILED_DIR", compiled)
    parse = cat_mod._load_yaml_docs  # noqa: SLF001

    def no_yaml(*args, **kwargs):
        raise AssertionError("the YAML was parsed")

    monkeypatch.setattr(cat_mod, "_load_yaml_docs", no_yaml)
    cat_mod.load_catalogue.cache_clear()
    try:
        assert cat_mod.load_catalogue().model_dump() == parsed.model_dump()
        assert not (tmp_path / "cache").exists(), "nothing written to the cache"
        # YAML edited after the install (an editable tree): the compiled file is another key, the YAML is parsed
        monkeypatch.setattr(cat_mod, "_load_yaml_docs", parse)
        monkeypatch.setattr(cat_mod, "_catalogue_files", lambda: [("10-seed.yaml", b"apis: []\n")])
        cat_mod.load_catalogue.cache_clear()
        assert cat_mod.load_catalogue().apis == []
    finally:
        cat_mod.load_catalogue.cache_clear()


def test_the_c_yaml_loader_reads_the_catalogue_as_the_python_one_does(monkeypatch):
    import yaml

    from mpsandbox.apis import catalogue as cat_mod

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml: only the Python loader exists")
    fast = cat_mod._load_yaml_docs()  # noqa: SLF001
    cat_mod._strict_loader.cache_clear()  # noqa: SLF001
    monkeypatch.delattr(yaml, "CSafeLoader")
    try:
        assert cat_mod._strict_loader().__mro__[1] is yaml.SafeLoader  # noqa: SLF001
        assert cat_mod._load_yaml_docs() == fast  # noqa: SLF001
    finally:
        cat_mod._strict_loader.cache_clear()  # noqa: SLF001


def test_the_examples_in_mocks_md_are_valid():
    import re
    from pathlib import Path

    from mpsandbox.apis.mocks import parse_mock_text

    text = (Path(__file__).parents[2] / "mpsandbox" / "apis" / "MOCKS.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(toml|yaml|json)\n(.*?)```", text, re.S)
    assert {fmt for fmt, _ in blocks} >= {"toml", "yaml"}
    for fmt, body in blocks:
        cfg = parse_mock_text(body, fmt, f"MOCKS.md ({fmt})")
        assert cfg.responses


def test_revoke_in_the_settings_page():
    # the prompt happens at the call, so the settings page (tap only) opened in the same tap sees the grant
    run = run_js("tt.getLocation({ success: () => log('first ok') }); tt.openSetting({ success: (s) => {"
                 " log(s.authSetting); tt.getLocation({ fail: (e) => log(e.errMsg) }); } });",
                 app=LOC, mocks={"user": {"open_setting": "revoke-all"}})
    assert run.logs == ["first ok", '{"scope.userLocation":false}', "getLocation:fail auth deny"]
    assert [(e.action, e.decision) for e in run.permissions()] == [("prompt", "granted"), ("revoke", "denied"),
                                                                   ("check", "denied")]


def test_api_behaviour_is_the_same_on_every_engine(engine_name):
    body = ("tt.getLocation({ success: (r) => tt.request({ url: 'https://api.example.com/?l=' + r.latitude.toFixed(3) }) });"
            "tt.showToast({ title: 'x' }).then((r) => log(r.errMsg));"
            "const t = tt.request({ url: 'https://api.example.com/a', success: (r) => log(r.statusCode),"
            " complete: () => log('complete') }); log(typeof t.abort);"
            "try { tt.setStorageSync('big', 'x'.repeat(1024 * 1024 + 1)); } catch (e) { log(e.message); }"
            "tt.getUserProfile({ desc: 'd' }).then((r) => log(typeof r.userInfo.nickName));"
            "log(typeof tt.requestPayment);")
    run = run_js(body, app=LOC, engine=engine_name)
    assert run.logs == ["function", "setStorageSync:fail exceed storage item max length", "undefined",
                        "showToast:ok", "200", "complete", "string"]
    assert [(f.source_api, f.encoding, f.destination) for f in run.flows()] == \
        [("getLocation", "rounded", "api.example.com")]


def test_privacy_check_covers_object_methods():
    run = run_js("const r = wx.getRecorderManager(); r.onError((e) => log(e.errMsg, e.errno)); r.start({});"
                 "wx.createCameraContext().takePhoto({ fail: (e) => log(e.errMsg) });", platform="wx",
                 app={"__usePrivacyCheck__": True}, mocks={"user": {"privacy": "deny"}})
    assert run.logs == ["start:fail privacy permission is not authorized 104",
                        "takePhoto:fail privacy permission is not authorized"]


def test_launch_options_default_to_the_entry_page():
    run = run_js("log(tt.getLaunchOptionsSync().path, tt.getEnterOptionsSync().scene);")
    assert run.logs == ["pages/p/p 1001"]
    run = run_js("log(tt.getLaunchOptionsSync().path, tt.getLaunchOptionsSync().query);",
                 mocks={"launch": {"path": "pages/x/x", "query": {"a": "1"}}})
    assert run.logs == ['pages/x/x {"a":"1"}']


@pytest.mark.parametrize("platform, fields", [("tt", {"errNo": 10200, "errorType": "U"}), ("wx", {"errno": 103}),
                                              ("my", {"error": 11})])
def test_object_method_denials_carry_the_platform_fields(platform, fields):
    run = run_js(f"const r = {platform}.getRecorderManager(); r.onError((e) => log(e)); r.start({{}});",
                 platform=platform, mocks={"user": {"permissions": "deny"}})
    err = json.loads(run.logs[0])
    assert err["errMsg"] == "start:fail auth deny" and fields.items() <= err.items()


def test_alipay_open_user_info_and_auth_code():
    run = run_js("my.getOpenUserInfo({ success: (r) => { const p = JSON.parse(r.response).response;"
                 " log(p.code, typeof p.nickName, typeof p.avatar);"
                 " my.request({ url: 'https://api.example.com/u', data: { n: p.nickName } }); } });"
                 "my.getAuthCode({ scopes: 'auth_user', success: (r) => log(typeof r.authCode, r.authSuccessScopes) });",
                 platform="my")
    assert sorted(run.logs) == sorted(['10000 string string', 'string ["auth_user"]'])
    assert [f.source_api for f in run.flows()] == ["getUserProfile"]
    denied = run_js("my.getAuthCode({ scopes: ['auth_user'], fail: (e) => log(e.errMsg, e.error) });"
                    "my.getAuthCode({ success: (r) => log('silent', typeof r.authCode) });", platform="my",
                    mocks={"user": {"profile": "deny"}})
    assert sorted(denied.logs) == ["getAuthCode:fail user cancel 11", "silent string"]


@pytest.mark.parametrize("platform, modal", [("wx", "showModal"), ("tt", "showModal"), ("my", "confirm")])
def test_open_setting_from_a_dialog_confirm(platform, modal):
    run = run_js(f"{platform}.{modal}({{ title: 't', content: 'c', success: () => {platform}.openSetting({{"
                 " success: (r) => log('settings', r.errMsg), fail: (e) => log('fail', e.errMsg) }) });"
                 f"setTimeout(() => {platform}.openSetting({{ fail: (e) => log('timer', e.errMsg) }}), 10);",
                 platform=platform, tap=False)
    assert sorted(run.logs) == ["settings openSetting:ok", "timer openSetting:fail " + (
        "can only be invoked by user TAP gesture." if platform == "wx" else "must be invoked by user tap gesture")]


def test_fuzzy_and_precise_location_declared_together_is_noted():
    app = {"permission": {"scope.userLocation": {"desc": "d"}, "scope.userFuzzyLocation": {"desc": "d"}},
           "requiredPrivateInfos": ["getLocation", "getFuzzyLocation"]}
    run = run_js("wx.getFuzzyLocation({}); wx.getLocation({});", platform="wx", app=app)
    notes = [n for n in run.trace.of_kind("note") if n.code == "private-info-conflict"]
    assert len(notes) == 1
    ok = run_js("wx.getFuzzyLocation({});", platform="wx",
                app={**app, "requiredPrivateInfos": ["getFuzzyLocation", "chooseLocation"]})
    assert not [n for n in ok.trace.of_kind("note") if n.code == "private-info-conflict"]


def test_mocks_given_as_dict_or_path(tmp_path):
    from mpsandbox.apis.mocks import MockError

    assert ApiHost("tt", mocks={"clipboard": "hi"}).mocks.clipboard == "hi"
    p = tmp_path / "m.json"
    p.write_text('{"clipboard": "file"}')
    assert ApiHost("tt", mocks=p).mocks.clipboard == "file"
    assert ApiHost("tt", mocks=str(p)).mocks.clipboard == "file"
    with pytest.raises(MockError, match="user.permissions"):
        ApiHost("tt", mocks={"user": {"permissions": "maybe"}})
    with pytest.raises(TypeError):
        ApiHost("tt", mocks=42)  # type: ignore[arg-type]
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/p/p"]}),
                         "pages/p/p.js": "Page({ onLoad() { tt.getClipboardData({ success: (r) => console.log(r.data) }) } })"}, platform="tt")
    with Sandbox(bundle, mocks={"clipboard": "from dict"}) as sb:  # type: ignore[arg-type]
        sb.launch()
        sb.run()
        assert [e.text for e in sb.trace.of_kind("console")] == ["from dict"]


def test_network_calls_record_their_domain():
    run = run_js("tt.request({ url: 'https://API.example.com/a?b=1' }); tt.connectSocket({ url: 'wss://ws.example.com/' });"
                 "tt.request({ url: 'not a url', fail: () => {} }); tt.showToast({ title: 't' });")
    assert [(e.api, e.domain) for e in run.trace.api_calls()] == [
        ("request", "api.example.com"), ("connectSocket", "ws.example.com"), ("request", None), ("showToast", None)]
