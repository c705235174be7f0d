"""Mock handlers: what the host answers, per family. Registered by name; catalogue entries pick one with `handler`."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import TYPE_CHECKING, Any

from ..boundedjson import loads as bounded_loads
from .backends import backend_answer, cloud_file_list
from .canary import BINARY_KEY
from .catalogue import Kind
from .devices import system_info
from .permissions import AUTHORIZE_SCOPES

if TYPE_CHECKING:
    from .host import ApiHost

from .calls import CLOUD_OBJECTS, ApiCall, HostServices, Reply, cloud_destination, handler, js_type
from .urls import dns_name, host_of, parse_url

MAX_REQUESTS = 10
MAX_SOCKETS = 5
DEFAULT_TIMEOUT_MS = 60_000
STORAGE_KEY_LIMIT = 1024 * 1024
STORAGE_TOTAL_LIMIT = 10 * 1024 * 1024

@handler("default")
def _default(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.kind is Kind.FACTORY and spec.object:
        oid = services.new_object(spec.object)
        host.objects[oid] = {"type": spec.object}
        return Reply("object", oid=oid, object=spec.object)
    return host.finish(call, services, True, host.default_result(spec))


# ---- storage -------------------------------------------------------------------------------------------------------
def _storage_args(host: ApiHost, call: ApiCall) -> tuple[Any, Any, bool]:
    """(key, data, has_data) for the sync and async signatures of each platform."""
    spec = call.spec
    assert spec is not None
    if spec.kind is Kind.SYNC and not (host.platform == "my" and call.options):
        args = call.args
        return (args[0] if args else None), (args[1] if len(args) > 1 else None), len(args) > 1
    opts = call.options
    return opts.get("key"), opts.get("data"), "data" in opts


def _storage_used(host: ApiHost) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in host.storage.items())


@handler("storage")
def _storage(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    op = spec.name.removesuffix("Sync")
    key, data, has_data = _storage_args(host, call)
    if op in ("setStorage", "getStorage", "removeStorage") and (not isinstance(key, str) or not key):
        got = _type_name(key)
        return host.finish(call, services, False, None, f"parameter error: parameter.key should be String instead of {got};",
                           code="parameter")
    if op == "setStorage":
        text = json.dumps(data if has_data else None, ensure_ascii=False)
        if len(text.encode()) > STORAGE_KEY_LIMIT:
            return host.finish(call, services, False, None, "exceed storage item max length", code="exceed")
        old = host.storage.get(key)
        used = _storage_used(host) - (len(key.encode()) + len(old.encode()) if old is not None else 0)
        if used + len(key.encode()) + len(text.encode()) > STORAGE_TOTAL_LIMIT:
            return host.finish(call, services, False, None, "exceed storage max size", code="exceed")
        host.storage[key] = text
        return host.finish(call, services, True, {"__value__": None} if spec.kind is Kind.SYNC else {})
    if op == "getStorage":
        raw = host.storage.get(key)
        value = None if raw is None else bounded_loads(raw)
        if spec.kind is Kind.SYNC:
            if host.platform == "my":
                return host.finish(call, services, True, {"__value__": {"data": value}})
            return host.finish(call, services, True, {"__value__": "" if raw is None else value})
        if raw is None and host.platform != "my":
            return host.finish(call, services, False, None, "data not found")
        return host.finish(call, services, True, {"data": value})
    if op == "removeStorage":
        host.storage.pop(key, None)
        return host.finish(call, services, True, {"__value__": None} if spec.kind is Kind.SYNC else {})
    if op == "clearStorage":
        host.storage.clear()
        return host.finish(call, services, True, {"__value__": None} if spec.kind is Kind.SYNC else {})
    if op == "getStorageInfo":
        info = {"keys": sorted(host.storage), "currentSize": (_storage_used(host) + 1023) // 1024,
                "limitSize": STORAGE_TOTAL_LIMIT // 1024}
        return host.finish(call, services, True, {"__value__": info} if spec.kind is Kind.SYNC else info)
    return _default(host, call, services)


def _type_name(value: Any) -> str:
    return "Undefined" if value is None else js_type(value)


# ---- routing ---------------------------------------------------------------------------------------------------------
@handler("route")
def _route(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    ok, detail, delay = services.navigate(call)
    return host.finish(call, services, ok, {}, detail, delay=delay)


@handler("miniprogram")
def _miniprogram(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    if spec is not None and spec.name == "navigateToMiniProgram" and not call.options.get("appId"):
        return host.finish(call, services, False, None, "invalid appId")
    return host.finish(call, services, True, {})


# ---- network ---------------------------------------------------------------------------------------------------------
def is_ip_or_local(host: str) -> bool:
    """An IP literal (also the integer, hex and octal forms resolvers accept) or localhost."""
    h = dns_name(host).strip("[]")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(h)
        return True
    except ValueError:
        return bool(re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", h))


def domain_allowed(allowed: list[str] | None, host: str) -> bool:
    """``host`` is in the allow-list (``*.example.com`` matches subdomains); no list allows everything."""
    if allowed is None:
        return True
    host = dns_name(host)
    for d in allowed:
        if d.startswith("*.") and (host.endswith(d[1:]) or host == d[2:]):
            return True
        if host == d:
            return True
    return False


def check_url(host: ApiHost, url: Any, schemes: tuple[str, ...]) -> str | None:
    """The errMsg detail refusing ``url``, or None when the platform would let it through."""
    if not isinstance(url, str) or not url.strip():
        return "invalid url"
    parts = parse_url(url)
    if parts is None:
        return "invalid url"
    hostname = parts.host
    if parts.scheme not in schemes or not hostname:
        return f'invalid url "{url[:100]}"'
    if is_ip_or_local(hostname):
        return "url not in domain list"
    if not domain_allowed(host.allowed_domains, hostname):
        return "url not in domain list"
    return None


@handler("request")
def _request(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    opts = call.options
    url = opts.get("url")
    refused = check_url(host, url, ("https",))
    if refused:
        code = "invalid url" if refused.startswith("invalid url") else "url not in domain list"
        return host.finish(call, services, False, None, refused, code=code, delay=0)
    host.inflight = sorted(t for t in host.inflight if t > services.now)
    # At most 10 request/upload/download tasks at once; past that WeChat queues the call until a slot frees
    # (its staff's answer on the developer forum; real apps fire more than 10 at launch): it starts when the
    # task ahead of it in line ends, in virtual time.
    queued = host.inflight[len(host.inflight) - MAX_REQUESTS] - services.now if len(host.inflight) >= MAX_REQUESTS else 0
    if len(host.inflight) >= MAX_REQUESTS * 50:  # a flood: refuse rather than queue without end
        return host.finish(call, services, False, None,
                           f"exceed max concurrent requests ({MAX_REQUESTS})", code="exceed", delay=0)
    method = str(opts.get("method") or ("POST" if spec.name == "uploadFile" else "GET")).upper()
    mock = host.mocks.response_for(spec.name, method, url, host.response_uses)
    latency = mock.latency_ms if mock and mock.latency_ms is not None else host.mocks.network.default_latency_ms
    timeout = opts.get("timeout") if isinstance(opts.get("timeout"), (int, float)) else None
    timeout = int(timeout or host.declarations.network_timeout.get(spec.name) or DEFAULT_TIMEOUT_MS)
    if latency > timeout:
        host.inflight.append(services.now + queued + timeout)
        return host.finish(call, services, False, None, "timeout", code="timeout", delay=queued + timeout)
    latency += queued
    host.inflight.append(services.now + latency)
    if mock is not None and mock.fail:
        return host.finish(call, services, False, None, mock.fail, delay=latency)
    result = host.default_result(spec)
    if mock is not None and host.platform == "my" and mock.status >= 400 and spec.name in ("request", "httpRequest"):
        # Alipay's my.request fails on an HTTP error status (error 19) where tt/wx call success with the status
        return host.finish(call, services, False, {"status": mock.status, "data": mock.data}, "http status error",
                           code="http", delay=latency)
    if mock is not None:
        if spec.name == "downloadFile":
            result.update(statusCode=mock.status)
        elif host.platform == "my" and spec.name == "httpRequest":
            result.update(status=mock.status, data=mock.data, headers=mock.headers)
        else:
            data = mock.data if spec.name != "uploadFile" or isinstance(mock.data, str) else json.dumps(mock.data)
            result.update(statusCode=mock.status, data=data, header=mock.headers)
            if host.platform == "my":
                result.update(status=mock.status, headers=mock.headers)
    else:
        result.update(_default_body(host, spec.name, opts))
        if host.platform == "my" and "statusCode" in result:
            result.update(status=result["statusCode"], headers=result.get("header", {}))
    return host.finish(call, services, True, result, delay=latency)


def _default_body(host: ApiHost, api: str, opts: dict[str, Any]) -> dict[str, Any]:
    """The body of a request no mock response matches: ``network.default_data`` (a JSON value), as text when the
    call asked for text (``dataType`` other than json, or an uploadFile)."""
    if api not in ("request", "httpRequest", "uploadFile"):
        return {}
    body = host.default_request_body() if api == "uploadFile" else \
        backend_answer(opts.get("url"), opts.get("data"), host.default_request_body)
    designed = body is None
    if body is None:
        body = host.default_request_body()
    data_type = str(opts.get("dataType") or "json").lower()
    if api == "uploadFile" or data_type != "json" or opts.get("responseType") == "arraybuffer":
        return {"data": body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)}
    return {"data": host.as_json_text(body) if designed else body}


@handler("socket")
def _socket(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    url = call.options.get("url")
    refused = check_url(host, url, ("wss",))
    if refused is None and len(host.sockets) >= MAX_SOCKETS:
        refused = f"exceed max concurrent sockets ({MAX_SOCKETS})"
    code = None
    delay = 0 if refused else (call.spec.latency_ms if call.spec else 30)
    if refused is None:
        # a connectSocket mock for this URL may make the connection fail (`fail`) or time out (its latency over
        # app.json networkTimeout.connectSocket); looked up without using up its `times`
        mock = host.mocks.response_for("connectSocket", "*", str(url), dict(host.response_uses))
        timeout = int(host.declarations.network_timeout.get("connectSocket") or DEFAULT_TIMEOUT_MS)
        if mock is not None and mock.api == "connectSocket" and mock.fail:
            refused = mock.fail
        elif mock is not None and mock.api == "connectSocket" and (mock.latency_ms or 0) > timeout:
            refused, code, delay = "timeout", "timeout", timeout
    reply = host.finish(call, services, refused is None, {}, refused, delay=delay, code=code)
    if reply.oid is not None:
        host.objects[reply.oid]["url"] = url
        if refused is None:
            host.sockets[reply.oid] = str(url)
            host.objects[reply.oid]["open_at"] = services.now + delay
            services.emit_object(reply.oid, "onOpen", {"header": {}}, delay)
        else:
            services.emit_object(reply.oid, "onError", {"errMsg": f"connectSocket:fail {refused}"}, delay)
    return reply


# ---- location --------------------------------------------------------------------------------------------------------
@handler("location", "location-updates")
def _location(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.name == "startLocationUpdate":
        host.location_updates = True
        for i in range(1, 13):  # updates every 5 s for a minute, while the updates are on (see should_emit)
            payload = {"latitude": host.canaries.issue("latitude", "onLocationChange"),
                       "longitude": host.canaries.issue("longitude", "onLocationChange"), "accuracy": 30, "speed": 0}
            services.emit_api("onLocationChange", payload, 5_000 * i)
    elif spec.name == "stopLocationUpdate":
        host.location_updates = False
    return host.finish(call, services, True, host.default_result(spec))


# ---- pickers, dialogs, clipboard, system ---------------------------------------------------------------------------
@handler("choose")
def _choose(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if host.mocks.user.choose == "cancel":
        return host.finish(call, services, False, None, "cancel", code="cancel")
    result = host.default_result(spec)
    if host.platform == "my" and spec.name == "chooseImage":
        result["apFilePaths"] = result.get("tempFilePaths", [])
    if host.platform == "my" and spec.name == "scanCode":
        result["code"] = result.get("result")
    return host.finish(call, services, True, result)


@handler("modal")
def _modal(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    user = host.mocks.user
    if spec.name == "showActionSheet":
        items = call.options.get("itemList") or call.options.get("items") or []
        if not items:
            return host.finish(call, services, False, None, "parameter error: parameter.itemList should not be empty;",
                               code="parameter")
        index = min(user.action_sheet, len(items) - 1)
        return host.finish(call, services, True, {"index": index} if host.platform == "my" else {"tapIndex": index})
    confirm = user.modal == "confirm"
    result: dict[str, Any] = {"confirm": confirm}
    if host.platform != "my":
        result["cancel"] = not confirm
    return host.finish(call, services, True, result)


@handler("clipboard")
def _clipboard(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.name == "setClipboardData":
        data = call.options.get("text" if host.platform == "my" else "data")
        if not isinstance(data, str):
            field = "text" if host.platform == "my" else "data"
            return host.finish(call, services, False, None,
                               f"parameter error: parameter.{field} should be String instead of {_type_name(data)};",
                               code="parameter")
        host.clipboard = data
        return host.finish(call, services, True, {})
    text = host.clipboard if host.clipboard is not None else host.canaries.issue("clipboard", spec.name)
    return host.finish(call, services, True, {"text": text} if host.platform == "my" else {"data": text})


@handler("system-info")
def _system_info(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    api = spec.name.removesuffix("Sync")
    info = {**system_info(host.device, host.platform, host.host_version, api), **host.mocks.system_info}
    return host.finish(call, services, True, {"__value__": info} if spec.kind is Kind.SYNC else info)


COMPONENTS = frozenset({"view", "text", "image", "button", "input", "textarea", "scroll-view", "swiper", "video",
                        "camera", "map", "canvas", "web-view", "live-player", "picker", "form", "navigator", "ad"})
# <button open-type> values per platform (Douyin's list is partly unverified)
BUTTON_OPEN_TYPES: dict[str, frozenset[str]] = {
    "tt": frozenset({"share", "getPhoneNumber", "contact", "openSetting", "im", "agreePrivacyAuthorization",
                     "getUserInfo", "uploadDouyinVideo", "joinGroup", "privateMessage", "platformIm",
                     "navigateToVideoView", "openAwemeUserProfile", "openWebcastRoom", "addShortcut",
                     "addCalendarEvent", "authorizePrivateMessage"}),
    "wx": frozenset({"contact", "share", "getPhoneNumber", "getRealtimePhoneNumber", "getUserInfo", "launchApp",
                     "openSetting", "feedback", "chooseAvatar", "agreePrivacyAuthorization"}),
    "my": frozenset({"share", "getAuthorize", "contactShare", "launchApp", "openSetting", "lifestyle"}),
}


MAX_BASE64_BYTES = 1024 * 1024


@handler("base64")
def _base64(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    """arrayBufferToBase64 / base64ToArrayBuffer. Binary data crosses the bridge as {"$binary": base64, ...}
    (a plain list of numbers is read too); the result of base64ToArrayBuffer is a list of numbers, which
    `new Uint8Array(result)` accepts."""
    import base64
    import binascii

    arg = call.args[0] if call.args else None
    if call.spec is not None and call.spec.name == "base64ToArrayBuffer":
        text = arg if isinstance(arg, str) else ""
        try:
            data = base64.b64decode(text[: MAX_BASE64_BYTES * 4 // 3 + 4] + "===", validate=False)
        except (binascii.Error, ValueError):
            data = b""
        return Reply("sync", value=list(data[:MAX_BASE64_BYTES]))
    if isinstance(arg, dict) and isinstance(arg.get(BINARY_KEY), str):
        try:
            data = base64.b64decode(arg[BINARY_KEY])[:MAX_BASE64_BYTES]
        except (binascii.Error, ValueError):
            data = b""
        return Reply("sync", value=base64.b64encode(data).decode("ascii"))
    values = arg if isinstance(arg, list) else (
        [arg[k] for k in sorted(arg, key=lambda k: int(k) if k.isdigit() else -1) if k.isdigit()]
        if isinstance(arg, dict) else [])
    data = bytes(int(v) & 0xFF for v in values[:MAX_BASE64_BYTES] if isinstance(v, (int, float)))
    return Reply("sync", value=base64.b64encode(data).decode("ascii"))


@handler("can-i-use")
def _can_i_use(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    what = call.args[0] if call.args else None
    if not isinstance(what, str) or not what:
        return host.finish(call, services, True, {"__value__": False})
    first = what.split(".", 1)[0]
    if first in COMPONENTS and host.resolve(first) is None:
        # ${component}.${attribute}.${option}: components we know, and the open-types of <button>
        parts = what.split(".")
        if len(parts) >= 3 and first == "button" and parts[1] == "open-type":
            return host.finish(call, services, True, {"__value__": parts[2] in BUTTON_OPEN_TYPES[host.platform]})
        return host.finish(call, services, True, {"__value__": True})
    known = host.resolve(first) is not None
    if known and "." in what:
        spec = host.resolve(first)
        rest = what.split(".")
        if len(rest) >= 3 and rest[1] == "object" and spec is not None and spec.object:
            obj = host.catalogue.objects_by_name.get(spec.object)
            known = obj is not None and rest[2] in obj.methods
    return host.finish(call, services, True, {"__value__": known})


@handler("cloud-files")
def _cloud_files(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    """wx.cloud.getTempFileURL / deleteFile: an entry per requested file."""
    result = host.default_result(call.spec) if call.spec else {}
    method = call.spec.name.rsplit(".", 1)[-1] if call.spec else ""
    result["fileList"] = cloud_file_list(method, call.options) or []
    return host.finish(call, services, True, result, delay=call.spec.latency_ms if call.spec else 0)


@handler("launch-options")
def _launch_options(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    launch = host.mocks.launch
    value = {"path": launch.path or host.declarations.entry_page, "query": dict(launch.query), "scene": launch.scene,
             "referrerInfo": dict(launch.referrerInfo)}
    return host.finish(call, services, True, {"__value__": value})


@handler("account-info")
def _account_info(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    app_id = host.declarations.app_id or {"tt": "tt0000000000000000", "wx": "wx0000000000000000",
                                          "my": "2021000000000000"}[host.platform]
    value = {"miniProgram": {"appId": app_id, "envVersion": "release", "version": "1.0.0"}}
    return host.finish(call, services, True, {"__value__": value})


# ---- open capabilities ---------------------------------------------------------------------------------------------
@handler("login")
def _login(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    if host.platform == "my":
        # my.getAuthCode: scopes 'auth_base' is silent; 'auth_user' (and other user scopes) ask the user
        scopes = call.options.get("scopes") or "auth_base"
        wanted = [scopes] if isinstance(scopes, str) else [str(x) for x in scopes] if isinstance(scopes, list) else []
        if any(x != "auth_base" for x in wanted) and host.mocks.user.profile == "deny":
            return host.finish(call, services, False, None, "user cancel", code="cancel")
        return host.finish(call, services, True, {"authCode": host.canaries.issue("authCode", "login"),
                                                  "authSuccessScopes": wanted or ["auth_base"]})
    spec = call.spec
    assert spec is not None
    return host.finish(call, services, True, host.default_result(spec))


@handler("profile")
def _profile(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    user = host.mocks.user
    if spec.name == "getUserInfo" and host.platform == "wx":
        # since 2021 WeChat answers getUserInfo with an anonymous profile
        return host.finish(call, services, True, {"userInfo": {"nickName": "微信用户", "avatarUrl": "", "gender": 0}})
    refuse = user.phone_number if spec.name == "getPhoneNumber" else user.profile
    if refuse == "deny":
        return host.finish(call, services, False, None, "auth deny", code="auth deny")
    result = host.default_result(spec)
    if host.platform == "my" and spec.name == "getUserProfile":
        # my.getOpenUserInfo answers a JSON *string*: JSON.parse(res.response).response is the profile
        info = result.pop("userInfo", {})
        profile = {"code": "10000", "msg": "Success", "nickName": info.get("nickName"), "avatar": info.get("avatarUrl"),
                   "gender": "", "countryCode": "", "province": "", "city": ""}
        result = {"response": json.dumps({"response": profile}, ensure_ascii=False)}
    return host.finish(call, services, True, result)


@handler("authorize")
def _authorize(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    scope = call.options.get("scope")
    if not isinstance(scope, str) or not scope:
        return host.finish(call, services, False, None, "parameter error: parameter.scope should be String;",
                           code="parameter")
    if scope not in AUTHORIZE_SCOPES.get(host.platform, frozenset()):
        return host.finish(call, services, False, None, "invalid scope", code="parameter")
    refusal = host.use_scope(call, services, scope, action="authorize")
    # Douyin's success carries data {scope: "ok"}
    return refusal or host.finish(call, services, True, {"data": {scope: "ok"}} if host.platform == "tt" else {})


@handler("settings")
def _settings(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.name == "openSetting":
        auth = host.permissions.open_setting(spec.name)
    else:
        auth = host.permissions.settings()
    return host.finish(call, services, True, {"authSetting": auth})


@handler("payment")
def _payment(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    outcome = host.mocks.user.payment
    if host.platform == "my":
        code = {"success": "9000", "cancel": "6001", "fail": "4000"}[outcome]
        return host.finish(call, services, True, {"resultCode": code})
    if host.platform == "wx":
        if outcome == "success":
            return host.finish(call, services, True, {})
        return host.finish(call, services, False, None, "cancel" if outcome == "cancel" else "system error",
                           code="cancel" if outcome == "cancel" else None)
    # Douyin tt.pay reports the result in success's `code` (0 paid, 4 cancelled, 2 failed; unverified codes)
    return host.finish(call, services, True, {"code": {"success": 0, "cancel": 4, "fail": 2}[outcome]})


@handler("douyin-open-auth")
def _douyin_open_auth(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    """tt.showDouyinOpenAuth: scopeList [name, ...] (since 3.5.0, wins over scopes), or the older scopes {name: 0
    required | 1 preselected | 2 optional}; errNo 20000 when both are empty. Answers ticket and grantPermissions."""
    spec = call.spec
    assert spec is not None
    scope_list = call.options.get("scopeList")
    scopes = call.options.get("scopes")
    if isinstance(scope_list, list) and scope_list:
        granted = sorted({str(s) for s in scope_list})
    elif isinstance(scopes, dict) and scopes:
        granted = sorted(str(k) for k, v in scopes.items() if v in (0, 1))
    else:
        return host.finish(call, services, False, None, "scopes is empty", code="parameter")
    if host.mocks.user.profile == "deny":
        return host.finish(call, services, False, None, "auth deny", code="auth deny")
    result = host.default_result(spec)
    result["grantPermissions"] = granted
    return host.finish(call, services, True, result)


@handler("subscribe")
def _subscribe(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    ids = call.options.get("tmplIds") or call.options.get("entityIds") or []
    if not isinstance(ids, list) or not ids:
        return host.finish(call, services, False, None, "parameter error: parameter.tmplIds should not be empty;",
                           code="parameter")
    if len(ids) > 3:
        return host.finish(call, services, False, None, "tmplIds count exceeds the limit of 3", code="exceed")
    answer = "accept" if host.mocks.user.subscribe == "accept" else "reject"
    return host.finish(call, services, True, {str(i): answer for i in ids})


@handler("privacy")
def _privacy(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.name == "getPrivacySetting":
        agreed = host.permissions.privacy_agreed
        return host.finish(call, services, True, {"needAuthorization": not agreed,
                                                  "privacyContractName": "《用户隐私保护指引》"})
    if host.permissions.agree_privacy(spec.name):
        return host.finish(call, services, True, {})
    return host.finish(call, services, False, None, "privacy permission is not authorized", code="auth deny")


# ---- host objects ----------------------------------------------------------------------------------------------------
def object_call(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    if call.kind == "set":
        return _property_set(host, call, services)
    mspec = host.method_spec(call)
    state = host.objects.get(call.object_id or 0, {})
    kind = call.kind
    if mspec is not None and mspec.privacy is not None and host.declarations.privacy_check \
            and not host.permissions.privacy_agreed and not host.permissions.agree_privacy(call.name):
        body = {"errMsg": f"{call.method}:fail privacy permission is not authorized",
                **host.error_fields(call.name, "privacy permission is not authorized", "privacy")}
        if call.object_type == "RecorderManager" and call.object_id is not None:
            services.emit_object(call.object_id, "onError", body, 0)
            return Reply("sync", value=None, outcome="fail", err_msg=body["errMsg"])
        services.complete(call, False, body, 0)
        return Reply("async", outcome="pending", err_msg=body["errMsg"])
    if mspec is not None and mspec.scope and mspec.scope.get(host.platform):
        verdict = host.permissions.request(mspec.scope[host.platform], call.name)
        if not verdict.granted:
            body = {"errMsg": f"{call.method}:fail auth deny", **host.error_fields(call.name, "auth deny", "auth deny")}
            if call.object_type == "RecorderManager" and call.object_id is not None:
                services.emit_object(call.object_id, "onError", body, 0)
                return Reply("sync", value=None, outcome="fail", err_msg=body["errMsg"])
            services.complete(call, False, body, 0)
            return Reply("async", outcome="pending", err_msg=body["errMsg"])
    destination = None
    if mspec is not None and mspec.sink is not None:
        url = state.get("url") or host.sockets.get(call.object_id or 0)
        cloud = (call.object_type or "").startswith("Cloud") or call.object_type in CLOUD_OBJECTS
        destination = cloud_destination(host.platform) if cloud else host_of(url)
        host.scan_sink(call, services, call.args, mspec.sink.value, destination, sink_api=call.name)
    if call.object_type == "SocketTask" and call.object_id is not None:
        return _socket_method(host, call, services)
    if call.object_type == "RecorderManager" and call.object_id is not None and call.method in ("start", "stop"):
        if call.method == "start":
            services.emit_object(call.object_id, "onStart", {}, 0)
        else:
            path = host.canaries.issue("recordFilePath", "RecorderManager.stop")
            services.emit_object(call.object_id, "onStop", {"tempFilePath": path, "duration": 3000}, 0)
    if call.object_type == "CameraContext" and call.method == "takePhoto":
        services.complete(call, True, {"errMsg": "takePhoto:ok",
                                       "tempImagePath": host.canaries.issue("tempFilePath", "CameraContext.takePhoto")}, 50)
        return Reply("async", outcome="pending")
    if call.object_type == "SelectorQuery" and call.object_id is not None:
        reply = _selector_query(host, call, services, state)
        if reply is not None:
            return reply
    if mspec is not None and call.object_id is not None:
        for emit in mspec.emits:
            services.emit_object(call.object_id, emit.event, host.materialize(emit.payload, call.name), emit.delay_ms)
    if mspec is not None and mspec.kind == "factory" and mspec.object:
        oid = services.new_object(mspec.object)
        host.objects[oid] = {"type": mspec.object, "parent": call.object_id}
        return Reply("object", oid=oid, object=mspec.object)
    if kind in ("listener", "unlisten", "chain"):
        return Reply("sync", value=None)
    own = mspec.result_on(host.platform) if mspec is not None else None
    if kind == "sync":
        return Reply("sync", value=host.materialize(own, call.name))
    result = own if isinstance(own, dict) else {}
    result = host.materialize(result, call.name)
    files = cloud_file_list(call.method or "", call.options) if destination is not None and cloud else None
    if files is not None:
        result["fileList"] = files
    services.complete(call, True, {**result, "errMsg": f"{call.method}:ok"},
                      30 if mspec is not None and mspec.sink is not None else 0)
    return Reply("async", outcome="pending", domain=destination)


def _property_set(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    """The bundle set a recorded property (InnerAudioContext.src, Image.src): scanned when it is a sink."""
    obj = host.catalogue.objects_by_name.get(call.object_type or "")
    prop = obj.properties.get(call.method or "") if obj else None
    value = call.args[0] if call.args else None
    state = host.objects.setdefault(call.object_id or 0, {})
    state[call.method or ""] = value
    reply = Reply("sync", value=None)
    if prop is not None and prop.sink is not None:
        destination = host_of(value) if prop.sink.value in ("network", "upload", "socket") else None
        host.scan_sink(call, services, value, prop.sink.value, destination, sink_api=call.name)
        reply.domain = destination
    return reply


# A plausible layout for SelectorQuery results: every node is a 390x100 box at the top of a 390x844 window.
NODE_RECT = {"left": 0, "top": 0, "right": 390, "bottom": 100, "width": 390, "height": 100}
SCROLL_OFFSET = {"scrollLeft": 0, "scrollTop": 0, "scrollWidth": 390, "scrollHeight": 1688}
MAX_QUERY_ITEMS = 64


def _selector_query(host: ApiHost, call: ApiCall, services: HostServices, state: dict[str, Any]) -> Reply | None:
    """Queue the query's requests (select/selectAll/selectViewport then boundingClientRect/scrollOffset/fields/
    node/context) and answer exec with one result per request, in order."""
    queue = state.setdefault("queue", [])
    target = state.get("target", ("select", ""))
    arg = call.args[0] if call.args else None
    method = call.method
    if method in ("select", "selectAll"):
        state["target"] = (method, str(arg)[:200] if isinstance(arg, str) else "")
        return None
    if method == "selectViewport":
        state["target"] = ("viewport", "")
        return None
    if method in ("boundingClientRect", "scrollOffset", "fields", "node", "context") and len(queue) < MAX_QUERY_ITEMS:
        fields = arg if method == "fields" and isinstance(arg, dict) else {}
        queue.append((target, method, fields))
        return None
    if method != "exec":
        return None
    results = [_query_item(host, services, t, m, f) for t, m, f in queue]
    state["queue"] = []
    services.complete(call, True, results, 0)  # type: ignore[arg-type]  (exec's callback gets the list)
    return Reply("async", outcome="pending")


def _query_item(host: ApiHost, services: HostServices, target: tuple[str, str], method: str,
                fields: dict[str, Any]) -> Any:
    how, selector = target
    node: dict[str, Any] = {"id": selector[1:] if selector.startswith("#") else "", "dataset": {}}
    if how == "viewport":
        node = {"id": "", "dataset": {}, "left": 0, "top": 0, "right": 390, "bottom": 763, "width": 390,
                "height": 763}
    if method == "boundingClientRect":
        node = {**NODE_RECT, **node}
    elif method == "scrollOffset":
        node = {**node, **SCROLL_OFFSET}
    elif method in ("node", "context"):
        node = {"node": _query_node(host, services)} if method == "node" else {"context": {}}
    else:  # fields
        if fields.get("rect"):
            node.update({k: NODE_RECT[k] for k in ("left", "top", "right", "bottom")})
        if fields.get("size"):
            node.update(width=NODE_RECT["width"], height=NODE_RECT["height"])
        if fields.get("scrollOffset"):
            node.update(SCROLL_OFFSET)
        if fields.get("node"):
            node["node"] = _query_node(host, services)
        for name in ("properties", "computedStyle"):
            if isinstance(fields.get(name), list):
                node.update({str(k): "" for k in fields[name][:32]})
    return [node] if how == "selectAll" else node


def _query_node(host: ApiHost, services: HostServices) -> dict[str, Any]:
    """A canvas node (the common reason to ask for a node): a host object the framework revives."""
    oid = services.new_object("Canvas")
    host.objects[oid] = {"type": "Canvas"}
    return {"$object": "Canvas", "$oid": oid}




def _socket_method(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    oid = call.object_id
    assert oid is not None
    if call.method == "send":
        # before onOpen (or after close) the socket is not connected: the platform fails the send
        if oid not in host.sockets or services.now < host.objects.get(oid, {}).get("open_at", 0):
            services.complete(call, False, {"errMsg": "sendSocketMessage:fail socket is not connected"}, 0)
            return Reply("async", outcome="pending", err_msg="sendSocketMessage:fail socket is not connected")
        mock = host.mocks.response_for("connectSocket", "*", host.sockets[oid], host.response_uses)
        if mock is not None:
            data = mock.data if isinstance(mock.data, str) else json.dumps(mock.data, separators=(",", ":"),
                                                                           ensure_ascii=False)
            services.emit_object(oid, "onMessage", {"data": data}, mock.latency_ms or 20)
        services.complete(call, True, {"errMsg": "sendSocketMessage:ok"}, 0)
        return Reply("async", outcome="pending")
    if call.method == "close":
        if host.sockets.pop(oid, None) is not None:
            services.emit_object(oid, "onClose", {"code": 1000, "reason": ""}, 0)
        services.complete(call, True, {"errMsg": "closeSocket:ok"}, 0)
        return Reply("async", outcome="pending")
    return Reply("sync", value=None)


# open-type buttons whose event hands data to the bundle, and the API each stands for in the record
BUTTON_APIS = {"getPhoneNumber": "getPhoneNumber", "getRealtimePhoneNumber": "getPhoneNumber",
               "getUserInfo": "getUserInfo", "chooseAvatar": "chooseAvatar", "openSetting": "openSetting",
               "agreePrivacyAuthorization": "agreePrivacyAuthorization"}
# Douyin's open-type buttons: the name in their success errMsg (addShortcut's is documented as addShortCut) and
# what else the detail holds
DOUYIN_BUTTON_RESULTS: dict[str, tuple[str, dict[str, Any]]] = {
    "addCalendarEvent": ("addCalendarEvent", {}), "openAwemeUserProfile": ("openAwemeUserProfile", {"hasFollowed": False}),
    "openWebcastRoom": ("openWebcastRoom", {}), "authorizePrivateMessage": ("authorizePrivateMessage", {}),
    "navigateToVideoView": ("navigateToVideoView", {}), "addShortcut": ("addShortCut", {}),
    "privateMessage": ("privateMessage", {}), "platformIm": ("platformIm", {}), "joinGroup": ("joinGroup", {}),
}
_PRIVATE_BUTTONS = {"getPhoneNumber", "getRealtimePhoneNumber", "getUserInfo", "chooseAvatar"}


def button_detail(host: ApiHost, open_type: str, services: HostServices) -> dict[str, Any] | None:
    """The `detail` of an open-type button's event, as the platform fills it when the user taps it."""
    user = host.mocks.user
    ot = open_type.strip()
    if ot in _PRIVATE_BUTTONS and host.declarations.privacy_check and not host.permissions.privacy_agreed:
        name = BUTTON_APIS[ot]
        if not host.permissions.agree_privacy(f"button:{ot}"):
            return {"errMsg": f"{name}:fail privacy permission is not authorized",
                    **host.error_fields(name, "privacy permission is not authorized", "privacy")}
    if ot == "getPhoneNumber" or ot == "getRealtimePhoneNumber":
        name = "getPhoneNumber"
        if user.phone_number == "deny":
            return {"errMsg": f"{name}:fail user deny"}
        return {"errMsg": f"{name}:ok", "code": host.canaries.issue("code", "button:getPhoneNumber"),
                "encryptedData": host.canaries.issue("encryptedData", "button:getPhoneNumber"),
                "iv": "r7BXXKkLb8qrSNn0"}
    if ot == "getUserInfo":
        if user.profile == "deny":
            return {"errMsg": "getUserInfo:fail auth deny"}
        return {"errMsg": "getUserInfo:ok", "userInfo": {
            "nickName": host.canaries.issue("nickName", "button:getUserInfo"),
            "avatarUrl": host.canaries.issue("avatarUrl", "button:getUserInfo")}}
    if ot == "chooseAvatar":
        return {"avatarUrl": host.canaries.issue("tempFilePath", "button:chooseAvatar")}
    if ot == "openSetting":
        return {"authSetting": host.permissions.open_setting("button:openSetting")}
    if ot == "agreePrivacyAuthorization":
        host.permissions.agree_privacy("button:agreePrivacyAuthorization", explicit=True)
        return {"errMsg": "agreePrivacyAuthorization:ok"}
    if host.platform == "tt" and ot in DOUYIN_BUTTON_RESULTS:
        if ot == "addCalendarEvent" and not host.permissions.request("scope.calendar", "button:addCalendarEvent").granted:
            return {"errMsg": "addCalendarEvent:fail auth deny", "errNo": 10200}
        name, extra = DOUYIN_BUTTON_RESULTS[ot]
        return {"errMsg": f"{name}:ok", "errNo": 0, **extra}
    return None
