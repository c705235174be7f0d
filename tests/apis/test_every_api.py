"""Every catalogue entry, on every platform that has it, called from bundle code: once as the platform answers by
default (success, or a failure in the platform's format where the call itself is wrong), once with a mocked
failure. The host never errors, each async call completes exactly once, errMsg names the API as called."""

from __future__ import annotations

import json

import pytest

from mpsandbox.apis.catalogue import PLATFORMS, Kind, load_catalogue

from .helpers import run_js

CAT = load_catalogue()
SCOPES = sorted({s for a in CAT.apis for s in (a.scope or {}).values()} |
                {s for o in CAT.objects for m in o.methods.values() for s in (m.scope or {}).values()})
INFOS = sorted({a.required_private_info for a in CAT.apis if a.required_private_info})
APP = {"permission": {s: {"desc": "d"} for s in SCOPES}, "requiredPrivateInfos": INFOS,
       "tabBar": {"list": [{"pagePath": "pages/p/p", "text": "p"}]}}
CASES = [(p, a.name_on(p), a.name) for a in CAT.apis for p in PLATFORMS if a.name_on(p)]

STRINGS = {"url": "https://api.example.com/x", "filePath": "ttfile://temp/a.jpg", "tempFilePath": "ttfile://temp/a.jpg",
           "src": "ttfile://temp/a.mp4", "phoneNumber": "10086", "scope": "scope.userLocation", "appId": "tt1234",
           "key": "k", "title": "t", "name": "file", "shareTicket": "st", "path": "ttfile://temp/a.png", "desc": "d"}
# Calls that fail by design with default arguments (the failure must still be in the platform's format)
EXPECTED_FAIL = {"navigateBack", "redirectTo", "navigateTo", "navigateBackMiniProgram", "exitMiniProgram"}


def _options(name: str, platform: str) -> dict:
    spec = CAT.by_name[name]
    opts: dict = {}
    for arg, s in spec.args.items():
        if not s.required and arg not in ("itemList", "tmplIds"):
            continue
        opts[arg] = {"string": STRINGS.get(arg, "x"), "number": 1, "boolean": True, "array": ["a"],
                     "object": {"a": 0}, "any": "x"}.get(s.type, "x")
    if name == "connectSocket":
        opts["url"] = "wss://ws.example.com/"
    if name in ("navigateTo", "redirectTo", "reLaunch", "switchTab"):
        opts["url"] = "/pages/p/p"
    if name == "showDouyinOpenAuth":
        opts["scopes"] = {"user_info": 0}
    if name == "showActionSheet" and platform == "my":
        opts = {"items": ["a"]}
    if name == "setClipboardData" and platform == "my":
        opts = {"text": "x"}
    return opts


def _js(platform: str, pname: str, name: str) -> str:
    spec = CAT.by_name[name]
    g = f"{platform}.{pname}"
    if spec.kind is Kind.SYNC:
        if name in ("setStorageSync",):
            args = "{ key: 'k', data: 1 }" if platform == "my" else "'k', 1"
        elif name in ("getStorageSync", "removeStorageSync"):
            args = "{ key: 'k' }" if platform == "my" else "'k'"
        elif name == "nextTick":
            args = "() => {}"
        elif name in ("reportAnalytics", "reportEvent"):
            args = "'evt', { a: 1 }"
        else:
            args = "'request'" if name == "canIUse" else ""
        return (f"try {{ const v = {g}({args}); log('sync', typeof v); }} "
                f"catch (e) {{ log('threw', e.message); }}")
    if spec.kind in (Kind.LISTENER, Kind.UNLISTEN):
        return f"log('listen', typeof {g}(() => {{}}));"
    if spec.kind is Kind.FACTORY:
        return f"const o = {g}({{}}); log('factory', typeof o, o === null);"
    if spec.kind is Kind.VALUE:
        return f"log('value', JSON.stringify({g}) === JSON.stringify({json.dumps(spec.result)}));"
    opts = json.dumps(_options(name, platform))
    return (f"const r = {g}(Object.assign({opts}, {{ success: (res) => log('success', res.errMsg), "
            f"fail: (e) => log('fail', e), complete: (res) => log('complete', res.errMsg) }})); "
            f"log('returned', typeof r);")


def _check_async(run, platform: str, pname: str, name: str, *, must_fail: str | None = None) -> None:
    spec = CAT.by_name[name]
    logs = run.logs
    assert not run.trace.of_kind("error"), run.trace.of_kind("error")
    returned = [x for x in logs if x.startswith("returned")]
    assert returned == [f"returned {'object' if spec.kind is Kind.TASK else 'undefined'}"], logs
    outcomes = [x for x in logs if x.startswith(("success ", "fail "))]
    completes = [x for x in logs if x.startswith("complete ")]
    assert len(outcomes) == 1 and len(completes) == 1, logs
    assert logs.index(outcomes[0]) < logs.index(completes[0]), "success/fail before complete"
    if outcomes[0].startswith("success"):
        assert must_fail is None and name not in EXPECTED_FAIL or name in EXPECTED_FAIL, logs
        assert outcomes[0] == f"success {pname}:ok", logs
    else:
        err = json.loads(outcomes[0][5:])
        msg = err["errMsg"]
        assert msg.startswith(f"{pname}:fail"), logs
        if platform == "tt":
            assert isinstance(err.get("errNo"), int) and err.get("errorType") in ("D", "U", "F", "I")
        if platform == "my":
            assert isinstance(err.get("error"), int) and isinstance(err.get("errorMessage"), str)
        if must_fail is not None:
            assert msg == f"{pname}:fail {must_fail}" or (spec.kind is Kind.TASK and "fail" in msg), logs
        else:
            assert name in EXPECTED_FAIL, f"{platform}.{pname} failed: {logs}"


@pytest.mark.parametrize("platform, pname, name", CASES, ids=[f"{p}.{n}" for p, n, _ in CASES])
def test_default_answer(platform, pname, name):
    spec = CAT.by_name[name]
    run = run_js(_js(platform, pname, name), platform=platform, app=APP,
                 mocks={"storage": {"k": 1}, "clipboard": ""}, advance_ms=30_000)
    assert not [n for n in run.trace.of_kind("note") if n.code == "host-error"], run.trace.of_kind("note")
    if spec.kind is Kind.VALUE:  # a plain value on the global: read, never a call
        assert run.logs == ["value true"] and not run.trace.api_calls()
        return
    if spec.kind is Kind.SYNC:
        assert run.logs and run.logs[0].startswith("sync "), run.logs
    elif spec.kind in (Kind.LISTENER, Kind.UNLISTEN):
        assert run.logs == ["listen undefined"]
    elif spec.kind is Kind.FACTORY:
        assert run.logs == ["factory object false"]
    else:
        _check_async(run, platform, pname, name)
    calls = [e for e in run.trace.api_calls() if e.api == name]
    assert calls and calls[0].called_as == f"{platform}.{pname}"


ASYNC_CASES = [c for c in CASES if CAT.by_name[c[2]].kind in (Kind.ASYNC, Kind.TASK)
               and CAT.by_name[c[2]].handler not in ("request", "socket")]


@pytest.mark.parametrize("platform, pname, name", ASYNC_CASES, ids=[f"{p}.{n}" for p, n, _ in ASYNC_CASES])
def test_mocked_failure(platform, pname, name):
    run = run_js(_js(platform, pname, name), platform=platform, app=APP,
                 mocks={"apis": {pname: {"fail": "system error"}}}, advance_ms=30_000)
    _check_async(run, platform, pname, name, must_fail="system error")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sync_failure_throws(platform):
    pname = CAT.by_name["getSystemInfoSync"].name_on(platform)
    run = run_js(f"try {{ {platform}.{pname}(); log('no'); }} catch (e) {{ log(e.message); }}", platform=platform,
                 mocks={"apis": {"getSystemInfoSync": {"fail": "system error"}}})
    assert run.logs == [f"{pname}:fail system error"]


PROMISE_CASES = [c for c in CASES if CAT.by_name[c[2]].kind is Kind.ASYNC and CAT.by_name[c[2]].promise]


@pytest.mark.parametrize("platform, pname, name", PROMISE_CASES, ids=[f"{p}.{n}" for p, n, _ in PROMISE_CASES])
def test_promise_style(platform, pname, name):
    opts = json.dumps(_options(name, platform))
    run = run_js(f"const p = {platform}.{pname}({opts}); log(typeof p.then);"
                 "p.then((r) => log('resolved', r.errMsg), (e) => log('rejected', e.errMsg));",
                 platform=platform, app=APP, mocks={"storage": {"k": 1}}, advance_ms=30_000)
    assert run.logs[0] == "function" and len(run.logs) == 2, run.logs
    verdict, msg = run.logs[1].split(" ", 1)
    assert msg == f"{pname}:ok" if verdict == "resolved" else msg.startswith(f"{pname}:fail")
    assert verdict == "resolved" or name in EXPECTED_FAIL, run.logs
    assert not run.trace.of_kind("error")  # a rejection handled by the bundle is no error
