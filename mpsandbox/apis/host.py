"""The host side of every API call: the only place a capability exists.

The runtime turns each call the bundle makes into an :class:`ApiCall` and asks :class:`ApiHost` for a
:class:`Reply`. Handlers get a :class:`HostServices` (implemented by the runtime) to schedule completions, emit
events, navigate and record. This module never imports the runtime or the review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol

from .catalogue import ApiSpec, Catalogue, Kind, Platform, load_catalogue

ReplyKind = Literal["sync", "async", "throw", "object", "undefined"]
CallOutcome = Literal["ok", "fail", "pending", "unknown", "throw"]


@dataclass
class ApiCall:
    call_id: int
    name: str  # canonical API id, or "<Object>.<method>" for a host-object method
    via: str  # as the bundle wrote it: "tt.getLocation", "RequestTask.abort"
    args: list[Any]
    callbacks: list[str]
    kind: str
    spec: ApiSpec | None = None
    object_id: int | None = None
    object_type: str | None = None
    method: str | None = None
    stack: list[Any] = field(default_factory=list)  # list[Frame]

    @property
    def options(self) -> dict[str, Any]:
        """The options object of an async-style call ({} when absent or not an object)."""
        first = self.args[0] if self.args else None
        return first if isinstance(first, dict) else {}

    @property
    def platform_name(self) -> str:
        return self.via.split(".", 1)[-1]


@dataclass
class Reply:
    r: ReplyKind
    value: Any = None
    error_name: str = "Error"
    message: str = ""
    object: str | None = None
    oid: int | None = None
    outcome: CallOutcome = "ok"
    err_msg: str | None = None

    def to_js(self) -> dict[str, Any]:
        if self.r == "sync":
            return {"r": "sync", "value": self.value}
        if self.r == "throw":
            return {"r": "throw", "name": self.error_name, "message": self.message}
        if self.r == "object":
            return {"r": "object", "oid": self.oid, "object": self.object}
        if self.r == "async":
            out: dict[str, Any] = {"r": "async"}
            if self.oid is not None:
                out.update(oid=self.oid, object=self.object)
            return out
        return {"r": "undefined"}


class HostServices(Protocol):
    """What the runtime offers API handlers."""

    platform: Platform
    now: int  # virtual ms
    page: str | None  # route on top of the stack
    gesture: bool  # this turn is a user gesture
    chain: int | None  # user gesture chain the current turn descends from

    def complete(self, call: ApiCall, ok: bool, result: dict[str, Any], delay_ms: int) -> None: ...

    def emit_object(self, oid: int, event: str, payload: Any, delay_ms: int) -> None: ...

    def emit_api(self, api: str, payload: Any, delay_ms: int) -> None: ...

    def new_object(self, type_name: str) -> int: ...

    def navigate(self, call: ApiCall) -> tuple[bool, str | None, int]:
        """Apply a routing API; returns (ok, fail detail, delay)."""

    def record(self, event: Any) -> None: ...


Handler = Callable[["ApiHost", ApiCall, HostServices], Reply]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def err_msg(call: ApiCall, detail: str | None = None) -> str:
    name = call.platform_name
    return f"{name}:ok" if detail is None else f"{name}:fail {detail}"


class ApiHost:
    """Mock open-capability host for one run."""

    def __init__(self, platform: Platform, catalogue: Catalogue | None = None):
        self.platform = platform
        self.catalogue = catalogue or load_catalogue()
        self.storage: dict[str, str] = {}

    def resolve(self, platform_name: str) -> ApiSpec | None:
        return self.catalogue.resolve(self.platform, platform_name)

    def handle(self, call: ApiCall, services: HostServices) -> Reply:
        spec = call.spec
        if call.object_id is not None:
            return self._object_call(call, services)
        if spec is None:
            return Reply("undefined", outcome="unknown")
        fn = HANDLERS.get(spec.handler or "") or HANDLERS["default"]
        return fn(self, call, services)

    def _object_call(self, call: ApiCall, services: HostServices) -> Reply:
        if call.kind in ("listener", "unlisten", "chain", "sync"):
            return Reply("sync", value=None)
        services.complete(call, True, {"errMsg": f"{call.method}:ok"}, 0)
        return Reply("async", outcome="pending")

    # -- shared helpers for handlers --------------------------------------------------------------------------
    def finish(
        self, call: ApiCall, services: HostServices, ok: bool, result: dict[str, Any] | None, detail: str | None = None
    ) -> Reply:
        """Answer an API call the way its kind requires: value/throw for sync, completion for async."""
        spec = call.spec
        body = dict(result or {})
        body["errMsg"] = err_msg(call, None if ok else (detail or "unknown error"))
        if spec is not None and spec.kind is Kind.SYNC:
            if ok:
                value = (result or {}).get("__value__", result)
                return Reply("sync", value=value)
            return Reply("throw", message=body["errMsg"], outcome="throw", err_msg=body["errMsg"])
        delay = spec.latency_ms if spec is not None else 0
        services.complete(call, ok, body, delay)
        reply = Reply("async", outcome="pending")
        if spec is not None and spec.kind is Kind.TASK and spec.object:
            reply.oid = services.new_object(spec.object)
            reply.object = spec.object
        return reply


@handler("default")
def _default(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    if spec.kind is Kind.FACTORY and spec.object:
        return Reply("object", oid=services.new_object(spec.object), object=spec.object)
    if spec.kind in (Kind.LISTENER, Kind.UNLISTEN):
        return Reply("sync", value=None)
    result = spec.result if isinstance(spec.result, dict) else ({"__value__": spec.result} if spec.result is not None else {})
    return host.finish(call, services, True, result)


@handler("storage")
def _storage(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    spec = call.spec
    assert spec is not None
    args = call.args
    if spec.name == "setStorageSync":
        if not args or not isinstance(args[0], str) or not args[0]:
            return Reply("throw", message=err_msg(call, "key should be String instead of Undefined"), outcome="throw")
        host.storage[args[0]] = json.dumps(args[1] if len(args) > 1 else None)
        return Reply("sync", value=None)
    if spec.name == "getStorageSync":
        key = args[0] if args else None
        raw = host.storage.get(key) if isinstance(key, str) else None
        return Reply("sync", value="" if raw is None else json.loads(raw))
    return _default(host, call, services)


@handler("route")
def _route(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    ok, detail, delay = services.navigate(call)
    body = {"errMsg": err_msg(call, None if ok else detail)}
    services.complete(call, ok, body, delay)
    return Reply("async", outcome="pending")


@handler("request")
def _request(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    url = call.options.get("url")
    if not isinstance(url, str) or not url:
        return host.finish(call, services, False, None, "invalid url")
    result = dict(call.spec.result or {}) if call.spec else {}
    return host.finish(call, services, True, result)


@handler("location")
def _location(host: ApiHost, call: ApiCall, services: HostServices) -> Reply:
    result = dict(call.spec.result or {}) if call.spec else {}
    result.update(latitude=30.274085, longitude=120.15507)
    return host.finish(call, services, True, result)
