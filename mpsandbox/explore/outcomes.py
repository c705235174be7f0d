"""API outcomes and permission answers, given call by call: what the exploration (or a replay) decides when a
mini-program calls a fallible API or a permission prompt appears.

:func:`install` hooks an :class:`~mpsandbox.apis.host.ApiHost` (of a Sandbox or a ``MiniProgram``) so that every
call of a fallible API and every permission prompt asks a :class:`Chooser`. Outcomes are produced through the mock
layer (apis/mocks.py), so they look exactly as the platforms give them: a failure's ``errMsg`` is
``"<api>:fail <detail>"`` with the platform's ``errNo``/``errno``/``error`` fields from the host's error tables
(apis/host.py: ``timeout`` 21101, ``cancel`` 10502 on Douyin...), a timeout comes after the request's timeout in
virtual time, an HTTP error or a malformed body is a success with that status and body, as on the platforms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from ..apis.catalogue import Kind
from ..apis.mocks import ApiMock, ResponseMock
from ..apis.permissions import ONCE_SCOPES, PermissionModel, PermissionRecord, ScopeState, Verdict

# outcomes by the handler of the API (catalogue ``handler``); the first is the default (success)
NETWORK = ("ok", "timeout", "offline", "http-500", "empty", "malformed")
OUTCOMES: dict[str, tuple[str, ...]] = {
    "request": NETWORK,
    "location": ("ok", "timeout", "system-error"),
    "choose": ("ok", "cancel", "system-error"),
    "payment": ("ok", "cancel", "system-error"),
    "profile": ("ok", "cancel"),
    "subscribe": ("ok", "cancel"),
    "login": ("ok", "timeout", "system-error"),
    "modal": ("ok", "cancel"),  # showModal: ok is the confirm button; showActionSheet: ok picks the first item
}
OFFLINE_DETAIL = "net::ERR_INTERNET_DISCONNECTED"  # what WeChat's Android client reports without a network
NEVER_MS = 10 ** 9  # a latency past any timeout: the call fails with "timeout" when its timeout is due


def outcomes_for(spec: Any) -> tuple[str, ...]:
    """The outcomes a call of ``spec`` can have; () when it is not explored (sync, listeners, infallible)."""
    if spec is None or spec.kind not in (Kind.ASYNC, Kind.TASK):
        return ()
    if spec.handler == "location" and spec.name not in ("getLocation", "getFuzzyLocation", "chooseLocation"):
        return ()
    return OUTCOMES.get(spec.handler or "", ())


class Chooser(Protocol):
    def permission(self, scope: str, api: str | None, nth: int, options: tuple[str, ...]) -> str: ...

    def outcome(self, api: str, nth: int, options: tuple[str, ...], detail: str) -> str: ...


@dataclass
class AnsweringPermissions(PermissionModel):
    """The permission model, with each first prompt of a scope answered by a chooser (allow, deny or dismiss, and
    allow once where the phone offers it)."""

    chooser: Any = None
    asked: dict[str, int] = field(default_factory=dict)
    pending_answer: str | None = None

    @classmethod
    def wrap(cls, model: PermissionModel, chooser: Any) -> "AnsweringPermissions":
        return cls(**{f.name: getattr(model, f.name) for f in fields(PermissionModel)}, chooser=chooser)

    def request(self, scope: str, api: str | None, action: str = "prompt") -> Verdict:
        undeclared = self.needs_declaration(scope) and not self.is_declared(scope)
        if undeclared or self.state(scope) is not ScopeState.NOT_ASKED:
            return super().request(scope, api, action)
        self.asked[scope] = self.asked.get(scope, 0) + 1
        once = ("allow-once",) if scope in ONCE_SCOPES else ()
        default = self.default_answer(scope)
        default = default if default != "allow-once" or once else "allow"
        options = tuple(dict.fromkeys((default, "allow", "deny", "dismiss", *once)))
        answer = self.chooser.permission(scope, api, self.asked[scope], options)
        if answer == "dismiss":
            self.prompts += 1
            self.record(PermissionRecord(scope, api, action, "denied", self.is_declared(scope), "dismissed"))
            return Verdict(False, prompted=True, reason="user")
        self.pending_answer = answer
        return super().request(scope, api, action)

    def _ask(self, scope: str) -> str:
        if self.pending_answer is None:
            return super()._ask(scope)
        answer, self.pending_answer = self.pending_answer, None
        self.prompts += 1
        return answer


class Answerer:
    """Hooks one ApiHost: counts fallible calls per API and prompts per scope, and asks the chooser."""

    def __init__(self, host: Any, chooser: Chooser):
        self.host = host
        self.chooser = chooser
        self.calls: dict[str, int] = {}
        self._handle = host.handle
        host.handle = self.handle  # the instance's attribute: the Sandbox calls host.handle(call, services)
        host.permissions = AnsweringPermissions.wrap(host.permissions, chooser)

    def handle(self, call: Any, services: Any) -> Any:
        spec = call.spec
        options = outcomes_for(spec) if call.object_id is None else ()
        url = call.options.get("url") if options is NETWORK else None
        if not options or (options is NETWORK and not isinstance(url, str)):
            return self._handle(call, services)
        self.calls[spec.name] = self.calls.get(spec.name, 0) + 1
        outcome = self.chooser.outcome(spec.name, self.calls[spec.name], options, url or "")
        if outcome == "ok":
            return self._handle(call, services)
        return self._with_outcome(call, services, spec, outcome, url)

    def _with_outcome(self, call: Any, services: Any, spec: Any, outcome: str, url: str | None) -> Any:
        host = self.host
        saved_mocks, saved_uses = host.mocks, dict(host.response_uses)
        if url is not None:
            mock = network_mock(spec.name, url, outcome)
            host.mocks = saved_mocks.model_copy(update={"responses": [mock, *saved_mocks.responses]})
            host.response_uses = {i + 1: n for i, n in saved_uses.items()}
        else:
            apis = {**saved_mocks.apis, call.platform_name: api_mock(spec, outcome, host.platform)}
            host.mocks = saved_mocks.model_copy(update={"apis": apis})
        try:
            return self._handle(call, services)
        finally:
            if url is not None:
                host.response_uses = {i - 1: n for i, n in host.response_uses.items() if i > 0}
            host.mocks = saved_mocks


def network_mock(api: str, url: str, outcome: str) -> ResponseMock:
    base = dict(url="re:^" + re.escape(url) + "$", api=api if api in ("request", "uploadFile", "downloadFile") else "*",
                times=1)
    if outcome == "timeout":
        return ResponseMock(**base, latency_ms=NEVER_MS)
    if outcome == "offline":
        return ResponseMock(**base, fail=OFFLINE_DETAIL, latency_ms=0)
    if outcome == "http-500":
        return ResponseMock(**base, status=500, data={"error": "Internal Server Error"})
    if outcome == "empty":
        return ResponseMock(**base, status=200, data="")
    if outcome == "malformed":
        return ResponseMock(**base, status=502, data="<html><body><h1>502 Bad Gateway</h1></body></html>",
                            headers={"Content-Type": "text/html"})
    raise ValueError(f"unknown network outcome {outcome!r}")


def api_mock(spec: Any, outcome: str, platform: str) -> ApiMock:
    if outcome == "cancel" and spec.name == "showModal":
        return ApiMock(result={"confirm": False} if platform == "my" else {"confirm": False, "cancel": True})
    detail = {"timeout": "timeout", "system-error": "system error", "cancel": "cancel"}.get(outcome)
    if detail is None:
        raise ValueError(f"unknown outcome {outcome!r} of {spec.name}")
    return ApiMock(fail=detail)


def install(host: Any, chooser: Chooser) -> Answerer:
    """Hook ``host`` (an ApiHost) so that fallible calls and permission prompts ask ``chooser``."""
    return Answerer(host, chooser)
