"""The host side of every API call: the only place a capability exists.

The runtime turns each call the bundle makes into an :class:`ApiCall` and asks :class:`ApiHost` for a
:class:`Reply`. Before a handler runs, the host applies what every platform enforces the same way: the mock
file's per-API answer, the permission scope (asking the simulated user), WeChat's ``requiredPrivateInfos``, the
user-gesture rule, and the canary scan of data sinks. Handlers (:mod:`.handlers`) then produce the result.
This module never imports the runtime internals or the review; it records through :class:`HostServices`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Any, Callable, Iterable

from pydantic import ValidationError

from ..trace import VIEW_LOAD_API, ApiCallEvent, CapEvent, FlowEvent, NoteEvent, PermissionEvent
from .bodies import default_body
from .calls import (HANDLERS, ApiCall, HostServices, Reply,
                    cloud_destination, js_type)
from .canary import CANARY_KINDS, MAX_DECODED_TEXT, CanaryRegistry
from .sink_digest import sink_event
from .catalogue import ApiSpec, Catalogue, Gesture, Kind, MethodSpec, Platform, load_catalogue
from .devices import choose as choose_device
from .handlers import BUTTON_APIS, button_detail, object_call
from .devices import profile as device_profile
from .mocks import MockConfig, MockError, _format_validation, load_mock_file
from .permissions import PermissionModel, PermissionRecord
from .urls import host_of

if TYPE_CHECKING:
    from ..bundle import Bundle

# Alipay reports failures with a numeric `error` and an `errorMessage` (docs: 2 invalid argument, 3 unknown,
# 4 no permission to call the API, 11 user denied / cancelled (my.request: no cross-domain permission), 12 network,
# 13 timeout, 14 decode, 19 HTTP error). Douyin adds `errNo` and, in newer APIs, `errorCode` (AAAABB) and `errorType`
# (D developer, U user, F framework). WeChat adds `errno` to some failures (103 user denied, 104 privacy agreement
# not accepted). Codes not in the platform docs are the closest documented ones (unverified).
ALIPAY_CODES = {"auth deny": 11, "cancel": 11, "timeout": 13, "invalid url": 2, "url not in domain list": 11,
                "gesture": 2, "not declared": 4, "exceed": 3, "parameter": 2, "privacy": 11, "http": 19}
DOUYIN_ERRNO = {"auth deny": 10200, "cancel": 10502, "timeout": 21101, "invalid url": 21100,
                "url not in domain list": 21102, "gesture": 10401, "not declared": 10101, "exceed": 10301,
                "parameter": 20000, "privacy": 10202}
DOUYIN_ERROR_TYPE = {"auth deny": "U", "cancel": "U", "privacy": "U", "timeout": "F", "not declared": "D",
                     "invalid url": "D", "url not in domain list": "D", "gesture": "D", "exceed": "D", "parameter": "D"}
# errorCode AAAABB is documented per API; only the ones seen in the docs/forum are filled in.
DOUYIN_ERROR_CODE = {("getLocation", "not declared"): 110583}
WECHAT_ERRNO = {"auth deny": 103, "privacy": 104}


NETWORK_SINKS = ("network", "upload", "socket")
UNJUDGED_SINKS = ("ui",)  # what the app shows its own user: no sink event for the differential walk
JSON_TEXT_MARK = "$jsonText"  # a default body's objects read as JSON text too (as_json_text, framework.js)
BODY_PLACEHOLDER = "$body"  # in a catalogue result: the default body of an unmocked request (bodies.py)
def err_msg(call: ApiCall, detail: str | None = None) -> str:
    name = call.platform_name
    return f"{name}:ok" if detail is None else f"{name}:fail {detail}"


def _js_texts(bundle: Bundle) -> Iterable[str]:
    for path in sorted(bundle.files):
        if path.endswith(".js"):
            yield bundle.read_text(path)


@dataclass
class Declarations:
    """What app.json declares: permission scopes (with desc), WeChat requiredPrivateInfos, timeouts, app id."""

    permission: dict[str, str] = field(default_factory=dict)
    required_private_infos: frozenset[str] = frozenset()
    network_timeout: dict[str, int] = field(default_factory=dict)
    app_id: str = ""
    privacy_check: bool = False  # Douyin "usePrivacyCheck" / WeChat "__usePrivacyCheck__"
    entry_page: str = ""  # the launch page, for getLaunchOptionsSync when the mocks give no path

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> "Declarations":
        """The declarations of the bundle's parsed app.json (and the app id of its project config)."""
        app = bundle.app
        nt = app.network_timeout
        timeouts = {k: int(v) for k, v in {
            "request": nt.request, "connectSocket": nt.connect_socket, "uploadFile": nt.upload_file,
            "downloadFile": nt.download_file}.items() if v} if nt is not None else {}
        return cls(permission={k: v.desc for k, v in app.permission.items()},
                   required_private_infos=frozenset(app.required_private_infos),
                   network_timeout=timeouts,
                   app_id=(bundle.project.appid if bundle.project is not None else None) or "",
                   privacy_check=_privacy_check(app.model_extra or {}),
                   entry_page=bundle.entry_page)


def _privacy_check(app_json: dict[str, Any]) -> bool:
    return bool(app_json.get("usePrivacyCheck") or app_json.get("__usePrivacyCheck__"))


class ApiHost:
    """Mock open-capability host for one run."""

    def __init__(
        self,
        platform: Platform,
        *,
        catalogue: Catalogue | None = None,
        mocks: MockConfig | dict[str, Any] | str | PathLike[str] | None = None,
        seed: int = 0,
        declarations: Declarations | None = None,
        allowed_domains: list[str] | None = None,
        canary_variant: int = 0,
    ):
        self.platform = platform
        self.catalogue = catalogue or load_catalogue()
        self.mocks = coerce_mocks(mocks)
        self.declarations = declarations or Declarations()
        domains = allowed_domains if allowed_domains is not None else self.mocks.network.allowed_domains
        self.allowed_domains = [d.lower() for d in domains] if domains else None
        self.canaries = CanaryRegistry(seed, variant=canary_variant)
        self.storage: dict[str, str] = {k: json.dumps(v) for k, v in self.mocks.storage.items()}
        self.clipboard: str | None = self.mocks.clipboard or None
        self.response_uses: dict[int, int] = {}
        self.inflight: list[int] = []  # completion times of requests in flight
        self.sockets: dict[int, str] = {}  # open SocketTask oid -> url
        self.objects: dict[int, dict[str, Any]] = {}  # state of host objects by oid
        self._judged: dict[str, bool] = {}
        self.location_updates = False
        self.device, self.host_version = choose_device(seed, platform)  # what the system-info APIs describe
        self._services: HostServices | None = None
        self.code_texts: Callable[[], Iterable[str]] = lambda: ()  # the bundle's JS, for the shaped default body
        self._default_body: str | None = None  # its JSON
        self.permissions = PermissionModel(
            platform=platform,
            declared=dict(self.declarations.permission),
            required_private_infos=self.declarations.required_private_infos,
            user=self.mocks.user,
            record=self._record_permission,
        )
        self._api_of_scope: dict[str, str] = {}
        self._fuzzy_checked = False

    @classmethod
    def for_bundle(cls, bundle: Bundle, *, mocks: MockConfig | dict[str, Any] | str | PathLike[str] | None = None,
                   seed: int = 0, platform: Platform | None = None, allowed_domains: list[str] | None = None,
                   catalogue: Catalogue | None = None, canary_variant: int = 0) -> "ApiHost":
        """The host for ``bundle``: its platform and its app.json declarations (permission, requiredPrivateInfos,
        networkTimeout, privacy check, entry page). ``canary_variant`` picks the canaries (see CanaryRegistry)."""
        host = cls(platform or bundle.platform, catalogue=catalogue, mocks=mocks, seed=seed,
                   declarations=Declarations.from_bundle(bundle), allowed_domains=allowed_domains,
                   canary_variant=canary_variant)
        host.code_texts = lambda: _js_texts(bundle)
        return host

    def use_device(self, key: str, host_version: tuple[str, str]) -> None:
        """Describe device ``key`` (apis/devices.py) and host (app version, SDK version) from now on."""
        self.device, self.host_version = device_profile(key), host_version

    def new_launch(self) -> None:
        """The app is launched again on the same device: what the user and the device keep (storage, clipboard,
        permission decisions but those given once, canaries) stays; what belonged to the last launch's JS (requests in flight, sockets,
        host objects, location updates) is gone."""
        self.inflight.clear()
        self.sockets.clear()
        self.objects.clear()
        self.location_updates = False
        self.permissions.new_launch()

    def default_request_body(self) -> Any:
        """The body of a request no mock response matches: ``network.default_data`` when the mocks set it, else
        the ``network.default_body`` design (bodies.py), computed once per host."""
        if self._default_body is None:
            net = self.mocks.network
            body = net.default_data if net.default_data is not None else \
                default_body(net.default_body, self.code_texts())
            self._default_body = json.dumps(body, ensure_ascii=False)
        return json.loads(self._default_body)  # a fresh copy each time: 10x faster than copy.deepcopy

    def as_json_text(self, body: Any) -> Any:
        """The default body as the app receives it: marked (``{"$jsonText": body}``) so that the framework lets
        its objects also be read as JSON text (``JSON.parse(res.data.data)`` where the real server sends a JSON
        string: the designed body cannot know which fields those are). A body the mocks set (``default_data``)
        stays as written."""
        if self.mocks.network.default_data is not None or not isinstance(body, dict):
            return body
        return {JSON_TEXT_MARK: body}

    def resolve(self, platform_name: str) -> ApiSpec | None:
        return self.catalogue.resolve(self.platform, platform_name)

    def is_judged(self, name: str) -> bool:
        """Calls of ``name`` (a canonical API, or "<Object>.<member>") matter to the review: a data sink, a
        privacy source, a scope or a gesture rule. The record keeps them past its event cap."""
        judged = self._judged.get(name)
        if judged is None:
            spec = self.catalogue.by_name.get(name)
            obj_type, _, member = name.partition(".")
            obj = self.catalogue.objects_by_name.get(obj_type) if spec is None else None
            if spec is not None:
                judged = bool(spec.sink or spec.privacy or spec.scope or spec.gesture is not Gesture.NONE)
            elif obj is not None and member in obj.methods:
                m = obj.methods[member]
                judged = bool(m.sink or m.privacy or m.scope)
            elif obj is not None and member in obj.properties:
                judged = obj.properties[member].sink is not None
            else:
                judged = name == VIEW_LOAD_API
            self._judged[name] = judged
        return judged

    # ---- recording --------------------------------------------------------------------------------------------------
    def _record_permission(self, rec: PermissionRecord) -> None:
        s = self._services
        if s is None:
            return
        s.record(PermissionEvent(**s.ev(), scope=rec.scope, api=rec.api, action=rec.action,  # type: ignore[arg-type]
                                 decision=rec.decision, declared=rec.declared, reason=rec.reason))

    def note(self, services: HostServices, code: str, message: str, data: Any = None) -> None:
        services.record(NoteEvent(**services.ev(), code=code, message=message, data=data))

    # ---- the call path ----------------------------------------------------------------------------------------------
    def handle(self, call: ApiCall, services: HostServices) -> Reply:
        reply = self._handle(call, services)
        if call.spec is not None and call.spec.sink is not None and call.spec.sink.value in NETWORK_SINKS:
            reply.domain = self.sink_destination(call)
        return reply

    def _handle(self, call: ApiCall, services: HostServices) -> Reply:
        self._services = services
        if call.object_id is not None:
            return self._object_call(call, services)
        spec = call.spec
        if spec is None:
            return Reply("undefined", outcome="unknown")
        if spec.kind in (Kind.LISTENER, Kind.UNLISTEN):
            return self._listener(call, services)
        mock = self.mocks.apis.get(call.platform_name) or self.mocks.apis.get(spec.name)
        if spec.sink is not None:
            self.scan_sink(call, services, call.args, spec.sink.value, self.sink_destination(call))
        bad = self.validate_args(call)
        if bad is not None:
            return self.finish(call, services, False, None, f"parameter error: {bad}", code="parameter", delay=0)
        refusal = self.check(call, services)
        if refusal is not None:
            return refusal
        if mock is not None and (mock.fail is not None or mock.result is not None or mock.value is not None):
            if mock.fail is not None:
                return self.finish(call, services, False, None, mock.fail, delay=mock.latency_ms)
            if spec.kind is Kind.SYNC:
                return Reply("sync", value=self.materialize(mock.value if mock.value is not None else mock.result,
                                                             spec.name))
            result = {**self.default_result(spec), **self.materialize(mock.result or {}, spec.name)}
            return self.finish(call, services, True, result, delay=mock.latency_ms)
        fn = HANDLERS.get(spec.handler or "") or HANDLERS["default"]
        return fn(self, call, services)

    def validate_args(self, call: ApiCall) -> str | None:
        """The base library's parameter check of an options-object call against the catalogue's ``args``:
        ``parameter.url should be String instead of Undefined;`` (WeChat's wording, which Douyin shares).

        Only tt and wx: the schema uses their parameter names, and Alipay's differ (``{number}``, ``{text}``,
        ``{content}``...). Sync APIs take positional arguments and are not checked here.
        """
        spec = call.spec
        if spec is None or not spec.args or self.platform == "my" or spec.kind not in (Kind.ASYNC, Kind.TASK):
            return None
        first = call.args[0] if call.args else None
        if first is not None and not isinstance(first, dict):
            return f"parameter should be Object instead of {js_type(first)};"
        opts = first or {}
        for name, arg in spec.args.items():
            value = opts.get(name)
            if value is None:
                if arg.required:
                    return f"parameter.{name} should be {_TYPE_NAMES.get(arg.type, 'String')} instead of Undefined;"
                continue
            if arg.type not in ("any", "function") and js_type(value) != _TYPE_NAMES[arg.type]:
                return f"parameter.{name} should be {_TYPE_NAMES[arg.type]} instead of {js_type(value)};"
        return None

    def check(self, call: ApiCall, services: HostServices) -> Reply | None:
        """Scope, requiredPrivateInfos and gesture rules; a Reply when the call must fail."""
        spec = call.spec
        assert spec is not None
        if self.platform == "wx" and spec.required_private_info and not self._fuzzy_checked:
            # WeChat: fuzzy and precise location are exclusive in requiredPrivateInfos (the upload refuses both)
            self._fuzzy_checked = True
            declared = self.declarations.required_private_infos
            precise = declared & {"getLocation", "onLocationChange", "startLocationUpdate",
                                  "startLocationUpdateBackground", "chooseLocation", "choosePoi"}
            if "getFuzzyLocation" in declared and precise & {"getLocation", "onLocationChange", "startLocationUpdate",
                                                             "startLocationUpdateBackground"}:
                self.note(services, "private-info-conflict",
                          "requiredPrivateInfos declares both getFuzzyLocation and precise location "
                          f"({', '.join(sorted(precise))}); WeChat accepts only one of them",
                          {"declared": sorted(declared)})
        if self.platform == "wx" and spec.required_private_info and \
                spec.required_private_info not in self.declarations.required_private_infos:
            detail = "the api need to be declared in the requiredPrivateInfos field in app.json/ext.json"
            self.note(services, "private-info-undeclared", f"{call.via}: {detail}", {"api": spec.name})
            return self.finish(call, services, False, None, detail, code="not declared")
        if not self.gesture_ok(spec.gesture, services):
            detail = {"tt": "must be invoked by user tap gesture",
                      "wx": "can only be invoked by user TAP gesture.",
                      "my": "must be invoked by user tap gesture"}[self.platform]
            return self.finish(call, services, False, None, detail, code="gesture")
        if self.declarations.privacy_check and spec.privacy is not None and not self.permissions.privacy_agreed:
            # With the privacy check on (usePrivacyCheck / __usePrivacyCheck__), a privacy API asks the user to
            # accept the privacy guide first (the platform's popup; a bundle's onNeedPrivacyAuthorization listener
            # would replace it, but its resolve() callback cannot be modelled). A refusal fails the call.
            if not self.permissions.agree_privacy(spec.name):
                return self.finish(call, services, False, None, "privacy permission is not authorized",
                                   code="privacy")
        if spec.gesture is Gesture.RECORD and not services.gesture and services.chain is None:
            self.note(services, "payment-without-gesture", f"{call.via} was called without any user action",
                      {"api": spec.name})
        scope = (spec.scope or {}).get(self.platform)
        if scope:
            return self.use_scope(call, services, scope)
        return None

    def gesture_ok(self, rule: Gesture, services: HostServices) -> bool:
        if rule is Gesture.BUTTON:
            return services.gesture
        if rule is Gesture.TAP:
            # a tap on a dialog's button is a user tap too: the common "denied → showModal → confirm →
            # openSetting" flow works on the platforms
            cause = services.cause or ""
            dialog = cause.startswith("complete:") and cause.split(":", 1)[1] in ("showModal", "showActionSheet")
            return services.gesture or dialog
        if rule is Gesture.TAP_OR_PAYMENT:
            cause = services.cause or ""
            paid = cause.startswith("complete:") and cause.split(":", 1)[1] in (
                "pay", "requestOrder", "getOrderPayment", "requestGamePayment")
            # the payment callback counts whatever started the payment: the user confirmed it in the payment sheet
            return services.gesture or paid
        return True

    def use_scope(self, call: ApiCall, services: HostServices, scope: str, action: str = "prompt") -> Reply | None:
        api = call.spec.name if call.spec else call.name
        self._api_of_scope.setdefault(scope, api)
        verdict = self.permissions.request(scope, api, action)
        if verdict.granted:
            return None
        if verdict.reason == "undeclared":
            # A scope app.json does not declare (with a desc) is refused without asking the user. Douyin answers
            # "platform auth deny" (errNo 10101, errorType D: the mini-app lacks the capability, documented for
            # getLocation and getClipboardData); WeChat answers "require permission desc" (seen in the field for a
            # missing `permission.scope.userLocation.desc`; unverified wording).
            detail = "platform auth deny" if self.platform == "tt" else "require permission desc"
            return self.finish(call, services, False, None, detail, code="not declared")
        return self.finish(call, services, False, None, "auth deny", code="auth deny")

    # ---- answers ----------------------------------------------------------------------------------------------------
    def materialize(self, value: Any, api: str) -> Any:
        """Replace "$canary:<kind>" placeholders with this run's canaries, and "$body" with the default body of an
        unmocked request (a cloud function's answer is the app's own backend answering)."""
        if isinstance(value, str) and value.startswith("$canary:"):
            return self.canaries.issue(value[8:], api)
        if value == BODY_PLACEHOLDER:
            return self.default_request_body()
        if isinstance(value, dict):
            return {k: self.materialize(v, api) for k, v in value.items()}
        if isinstance(value, list):
            return [self.materialize(v, api) for v in value]
        return value

    def default_result(self, spec: ApiSpec) -> dict[str, Any]:
        r = spec.result
        if isinstance(r, dict):
            return self.materialize(r, spec.name)
        return {} if r is None else {"__value__": self.materialize(r, spec.name)}

    def finish(
        self, call: ApiCall, services: HostServices, ok: bool, result: dict[str, Any] | None,
        detail: str | None = None, *, delay: int | None = None, code: str | None = None,
    ) -> Reply:
        """Answer a call the way its kind requires: value/throw for sync, a completion for async and tasks."""
        spec = call.spec
        body = dict(result or {})
        body["errMsg"] = err_msg(call, None if ok else (detail or "unknown error"))
        if not ok:
            for k, v in self.error_fields(spec.name if spec else call.name, detail, code).items():
                body.setdefault(k, v)
        if spec is not None and spec.kind is Kind.SYNC:
            if ok:
                value = (result or {}).get("__value__", result)
                return Reply("sync", value=value)
            return Reply("throw", message=body["errMsg"], outcome="throw", err_msg=body["errMsg"], refused=code)
        wait = delay if delay is not None else (spec.latency_ms if spec is not None else 0)
        services.complete(call, ok, body, wait)
        reply = Reply("async", outcome="pending", err_msg=None if ok else body["errMsg"], refused=None if ok else code)
        if spec is not None and spec.kind is Kind.TASK and spec.object:
            reply.oid = services.new_object(spec.object)
            reply.object = spec.object
            self.objects[reply.oid] = {"type": spec.object, "call": call.call_id}
        return reply

    def error_fields(self, api: str, detail: str | None, code: str | None = None) -> dict[str, Any]:
        """The platform's extra fields of a failure: Alipay error/errorMessage, Douyin errNo/errorType(/errorCode),
        WeChat errno where it has one."""
        key = code or detail or ""
        if self.platform == "my":
            return {"error": ALIPAY_CODES.get(key, 3), "errorMessage": detail or "unknown error"}
        if self.platform == "tt":
            out: dict[str, Any] = {"errNo": DOUYIN_ERRNO.get(key, 10300), "errorType": DOUYIN_ERROR_TYPE.get(key, "F")}
            ecode = DOUYIN_ERROR_CODE.get((api, key))
            if ecode is not None:
                out["errorCode"] = ecode
            return out
        return {"errno": WECHAT_ERRNO[key]} if key in WECHAT_ERRNO else {}

    # ---- listeners and host objects ---------------------------------------------------------------------------------
    def _listener(self, call: ApiCall, services: HostServices) -> Reply:
        spec = call.spec
        assert spec is not None
        if spec.kind is Kind.LISTENER and spec.name == "onNetworkStatusChange":
            services.emit_api("onNetworkStatusChange", {"isConnected": True, "networkType": "4g"}, 10_000)
        return Reply("sync", value=None)

    def should_emit(self, payload: dict[str, Any]) -> bool:
        """Whether a scheduled emission still happens (location updates stop with stopLocationUpdate)."""
        if payload.get("api") == "onLocationChange":
            return self.location_updates
        return True

    def method_spec(self, call: ApiCall) -> MethodSpec | None:
        obj = self.catalogue.objects_by_name.get(call.object_type or "")
        return obj.methods.get(call.method or "") if obj else None

    def _object_call(self, call: ApiCall, services: HostServices) -> Reply:
        return object_call(self, call, services)

    # ---- data sinks -------------------------------------------------------------------------------------------------
    def sink_destination(self, call: ApiCall) -> str | None:
        opts = call.options
        spec = call.spec
        if spec is None:
            return None
        if spec.sink is not None and spec.sink.value in ("network", "upload", "socket"):
            return cloud_destination(self.platform) if spec.name.startswith("cloud.") else host_of(opts.get("url"))
        if spec.sink is not None and spec.sink.value == "storage":
            key = opts.get("key") if opts else (call.args[0] if call.args else None)
            return str(key) if key is not None else None
        if spec.sink is not None and spec.sink.value == "miniprogram":
            return str(opts.get("appId") or "") or None
        return None

    def scan_sink(self, call: ApiCall | None, services: HostServices, payload: Any, sink: str,
                  destination: str | None, sink_api: str | None = None, stack: list[Any] | None = None) -> int:
        """Record a FlowEvent for every canary found in ``payload`` (searched whole), and once a source was read a
        SinkEvent for the differential walk; returns how many canaries were found."""
        skipped: list[int] = []
        hits = self.canaries.scan(payload, skipped=skipped)
        if skipped:
            services.record(CapEvent(**services.ev(), cap="scan", where=sink_api or (call.via if call else sink),
                                     limit=MAX_DECODED_TEXT, unit="chars", dropped=sum(skipped), judged=True,
                                     detail=f"{len(skipped)} text(s) too long to decode were searched as they are"))
        sink_api = sink_api or (call.spec.name if call and call.spec else (call.name if call else sink))
        stack = stack if stack is not None else (call.stack if call else [])
        for hit in hits:
            consent, declared = self.source_consent(hit.canary.source_api)
            services.record(FlowEvent(
                **services.ev(),
                source_api=hit.canary.source_api,
                source_kind=hit.canary.kind,
                sink_api=sink_api,
                sink=sink,
                destination=destination,
                encoding=hit.encoding,
                call_id=call.call_id if call else None,
                consent=consent,
                declared=declared,
                stack=stack,
            ))
        if self.canaries.canaries and sink not in UNJUDGED_SINKS:
            services.record(sink_event(self, services, payload, sink=sink, sink_api=sink_api, destination=destination,
                                       call_id=call.call_id if call else None, stack=stack, hits=hits))
        return len(hits)

    def source_consent(self, source_api: str) -> tuple[bool, bool]:
        """Whether the user granted the source's scope (True when it has none), and whether the scope or private
        info is declared where the platform requires it."""
        src_spec = self.catalogue.by_name.get(source_api)
        scope = (src_spec.scope or {}).get(self.platform) if src_spec else None
        consent = True if scope is None else self.permissions.state(scope).value == "granted"
        declared = True
        if scope and self.permissions.needs_declaration(scope):
            declared = self.permissions.is_declared(scope)
        if self.platform == "wx" and src_spec is not None and src_spec.required_private_info:
            declared = declared and src_spec.required_private_info in self.declarations.required_private_infos
        return consent, declared

    def scan_console(self, text: str, services: HostServices, stack: list[Any]) -> None:
        if self.canaries.canaries:
            self.scan_sink(None, services, text, "console", None, sink_api="console", stack=stack)

    def scan_share(self, payload: Any, services: HostServices) -> None:
        if self.canaries.canaries:
            path = payload.get("path") if isinstance(payload, dict) else None
            self.scan_sink(None, services, payload, "share", str(path) if path else None, sink_api="onShareAppMessage")

    def button_event(self, open_type: str, services: HostServices, *, chain: int | None = None) -> dict[str, Any] | None:
        """The ``detail`` of the event of an open-type button the user taps (getPhoneNumber, getUserInfo,
        chooseAvatar, openSetting, agreePrivacyAuthorization...); None for buttons whose event carries no data
        (share, contact...). A button that hands data to the bundle is recorded like an API call (called_as
        ``button:<openType>``), since the data is a source just as an API result is."""
        self._services = services
        ot = (open_type or "").strip()
        event = None
        if ot in BUTTON_APIS:  # recorded first: the permission events the button causes follow it
            event = ApiCallEvent(**services.ev(), call_id=0, api=BUTTON_APIS[ot], called_as=f"button:{ot}",
                                 args={"openType": ot}, gesture=True, chain=chain, outcome="ok")
            services.record(event)
        detail = button_detail(self, ot, services)
        if event is not None and detail is not None:
            err = detail.get("errMsg") if isinstance(detail.get("errMsg"), str) else None
            if err and ":fail" in err:
                event.outcome, event.err_msg = "fail", err
        return detail


_TYPE_NAMES = {"string": "String", "number": "Number", "boolean": "Boolean", "object": "Object", "array": "Array",
               "function": "Function", "any": "Any"}


def coerce_mocks(mocks: Any) -> MockConfig:
    """A MockConfig from a MockConfig, a dict (validated), a path to a mock file, or None (the defaults)."""
    if mocks is None:
        return MockConfig()
    if isinstance(mocks, MockConfig):
        return mocks
    if isinstance(mocks, dict):
        try:
            return MockConfig.model_validate(mocks)
        except ValidationError as exc:
            raise MockError(_format_validation("<mocks>", exc)) from exc
    if isinstance(mocks, (str, PathLike)):
        return load_mock_file(mocks)
    raise TypeError(f"mocks must be a MockConfig, a dict or a path, not {type(mocks).__name__}")


def privacy_category(kind: str) -> str:
    return CANARY_KINDS.get(kind, "identity")


