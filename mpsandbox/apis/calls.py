"""What a call to the host is and what it answers: the call, the reply, the services a handler may use, and the
registry handlers join by name. Both the host and the handlers stand on this module; it imports neither (the host only for type checking)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol

from .canary import BINARY_KEY
from .catalogue import ApiSpec, Platform

if TYPE_CHECKING:
    from .host import ApiHost


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
    domain: str | None = None  # the host name of a network call, for the call event
    refused: str | None = None  # the failure code when the host refused the call (gesture, auth deny...)

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
    gesture: bool  # this turn is a user gesture (tap)
    chain: int | None  # user gesture chain the current turn descends from
    cause: str | None  # what scheduled the current turn, e.g. "complete:pay"

    def complete(self, call: ApiCall, ok: bool, result: dict[str, Any], delay_ms: int) -> None: ...

    def emit_object(self, oid: int, event: str, payload: Any, delay_ms: int) -> None: ...

    def emit_api(self, api: str, payload: Any, delay_ms: int) -> None: ...

    def new_object(self, type_name: str) -> int: ...

    def navigate(self, call: ApiCall) -> tuple[bool, str | None, int]:
        """Apply a routing API; returns (ok, fail detail, delay)."""

    def record(self, event: Any) -> None: ...

    def ev(self) -> dict[str, Any]:
        """The common fields (seq, turn, t, page) of a trace event recorded now."""


Handler = Callable[["ApiHost", ApiCall, HostServices], Reply]
HANDLERS: dict[str, Handler] = {}


def handler(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


CLOUD_DESTINATION = "wx.cloud"  # where WeChat cloud calls (wx.cloud.*, its database objects) send their data
CLOUD_OBJECTS = ("WxCloud", "MyCloudContext")  # cloud handles whose methods reach the cloud (and every Cloud* object)


def cloud_destination(platform: str) -> str:
    """Where a cloud call sends its data: WeChat's cloud, or Alipay's (my.cloud.createCloudContext)."""
    return "my.cloud" if platform == "my" else CLOUD_DESTINATION


def js_type(value: Any) -> str:
    """The type name the base library's parameter check uses (``String``, ``Number``, ``ArrayBuffer``...)."""
    if isinstance(value, dict) and isinstance(value.get(BINARY_KEY), str):
        return "ArrayBuffer"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if value is None:
        return "Null"
    return "Object"
