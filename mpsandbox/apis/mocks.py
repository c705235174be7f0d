"""The mock file: what the simulated host and user answer. TOML, YAML or JSON, validated by pydantic.

Everything has a default, so an unmocked bundle still runs: a request returns 200 with a body shaped for the
bundle (bodies.py), the user allows every permission and confirms every dialog, payments succeed. A HAR file
(recorded traffic) is accepted as a mock file too: its entries become responses.
"""

import base64
import binascii
import fnmatch
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Choice = Literal["allow", "deny"]
# a prompt's answer: "allow-once" is the phone's own "Allow once" / "Only this time" (location, camera, microphone):
# granted until the app is quit, asked again at the next launch (elsewhere it is a plain allow)
PromptChoice = Literal["allow", "allow-once", "deny"]


class MockError(ValueError):
    """A mock file that cannot be used; the message names the file and the field."""


class ResponseMock(BaseModel):
    """An answer to network calls whose URL matches ``url`` (a glob, or a regex when it starts with ``re:``)."""

    model_config = ConfigDict(extra="forbid")
    url: str
    method: str = "*"
    status: int = Field(200, ge=100, le=599)
    data: Any = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=lambda: {"Content-Type": "application/json"})
    latency_ms: int | None = Field(None, ge=0)
    fail: str | None = None  # errMsg detail of a transport failure, e.g. "timeout"
    times: int | None = Field(None, ge=1)  # match this many times only
    api: Literal["request", "uploadFile", "downloadFile", "connectSocket", "*"] = "*"

    @field_validator("url")
    @classmethod
    def _pattern(cls, v: str) -> str:
        if v.startswith("re:"):
            try:
                re.compile(v[3:])
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return v

    def matches(self, api: str, method: str, url: str) -> bool:
        if self.api not in ("*", api):
            return False
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.url.startswith("re:"):
            return re.search(self.url[3:], url) is not None
        return fnmatch.fnmatchcase(url, self.url) or fnmatch.fnmatchcase(url.split("?", 1)[0], self.url)


class ApiMock(BaseModel):
    """Per-API answer: a result to merge into the default, or a failure."""

    model_config = ConfigDict(extra="forbid")
    result: dict[str, Any] | None = None
    value: Any = None  # for sync APIs returning a bare value
    fail: str | None = None  # errMsg detail, e.g. "system error"
    latency_ms: int | None = Field(None, ge=0)


class UserMock(BaseModel):
    """The simulated user's decisions."""

    model_config = ConfigDict(extra="forbid")
    permissions: PromptChoice = "allow"  # default answer to every permission prompt
    scopes: dict[str, PromptChoice] = Field(default_factory=dict)  # per scope, e.g. {"scope.userLocation": "deny"}
    script: list[PromptChoice] = Field(default_factory=list)  # answers to successive prompts, before the defaults
    # what the user does in the settings page: nothing, re-enable every denied scope, or turn every granted one off
    open_setting: Literal["unchanged", "allow-all", "revoke-all"] = "unchanged"
    privacy: Choice = "allow"  # privacy agreement (requirePrivacyAuthorize / agree button)
    payment: Literal["success", "cancel", "fail"] = "success"
    subscribe: Literal["accept", "reject"] = "accept"
    modal: Literal["confirm", "cancel"] = "confirm"
    action_sheet: int = Field(0, ge=0)
    choose: Literal["ok", "cancel"] = "ok"  # chooseImage, chooseLocation, chooseAddress, scanCode...
    phone_number: Choice = "allow"
    profile: Choice = "allow"


class NetworkMock(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_domains: list[str] | None = None  # request-domain allow-list; None: not enforced
    default_latency_ms: int = Field(80, ge=0)
    # the body of a request no response matches: default_data when set, else the default_body design (MOCKS.md)
    default_body: Literal["shaped", "envelope", "empty"] = "shaped"
    default_data: Any = None


class LaunchMock(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str | None = None
    query: dict[str, str] = Field(default_factory=dict)
    scene: int = 1001
    referrerInfo: dict[str, Any] = Field(default_factory=dict)


class MockConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    responses: list[ResponseMock] = Field(default_factory=list)
    apis: dict[str, ApiMock] = Field(default_factory=dict)  # by platform or canonical API name
    user: UserMock = Field(default_factory=UserMock)
    network: NetworkMock = Field(default_factory=NetworkMock)
    system_info: dict[str, Any] = Field(default_factory=dict)  # merged over the default profile
    launch: LaunchMock = Field(default_factory=LaunchMock)
    storage: dict[str, Any] = Field(default_factory=dict)  # initial storage
    clipboard: str = ""

    def response_for(self, api: str, method: str, url: str, used: dict[int, int]) -> ResponseMock | None:
        for i, r in enumerate(self.responses):
            if r.matches(api, method, url) and (r.times is None or used.get(i, 0) < r.times):
                used[i] = used.get(i, 0) + 1
                return r
        return None


def _format_validation(path: str, exc: ValidationError) -> str:
    lines = [f"{path}: invalid mock file"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def parse_mock_text(text: str, fmt: str, name: str = "<mock>") -> MockConfig:
    try:
        if fmt == "toml":
            data = tomllib.loads(text)
        elif fmt in ("yaml", "yml"):
            import yaml  # only for a YAML mock file: a review without one never imports it

            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise MockError(f"{name}: invalid YAML: {exc}") from exc
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise MockError(f"{name}: unknown mock format {fmt!r} (use .toml, .yaml or .json)")
    except tomllib.TOMLDecodeError as exc:
        raise MockError(f"{name}: invalid TOML: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise MockError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise MockError(f"{name}: a mock file must hold a table/object at the top level")
    try:
        return MockConfig.model_validate(data)
    except ValidationError as exc:
        raise MockError(_format_validation(name, exc)) from exc


HAR_MAX_BYTES = 64 * 1024 * 1024
HAR_MAX_ENTRIES = 20_000
HAR_MAX_BODY = 4 * 1024 * 1024


def har_responses(data: Any, name: str = "<har>") -> list[ResponseMock]:
    """Responses of a HAR 1.2 log (recorded traffic): each entry's method and exact URL answer with its status,
    headers and body (text, base64-decoded when the HAR says so, parsed as JSON when the mimeType is JSON). A URL
    recorded several times answers with its recordings in order, the last one from then on."""
    log = data.get("log") if isinstance(data, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise MockError(f"{name}: not a HAR file (expected log.entries, a list)")
    if len(entries) > HAR_MAX_ENTRIES:
        raise MockError(f"{name}: {len(entries)} entries, more than {HAR_MAX_ENTRIES}")
    out: list[ResponseMock] = []
    for i, entry in enumerate(entries):
        where = f"{name}: log.entries[{i}]"
        req = entry.get("request") if isinstance(entry, dict) else None
        res = entry.get("response") if isinstance(entry, dict) else None
        if not isinstance(req, dict) or not isinstance(res, dict) or not isinstance(req.get("url"), str):
            raise MockError(f"{where}: expected request.url and a response")
        status = res.get("status")
        if not isinstance(status, int) or not 100 <= status <= 599:
            if status == 0:  # a request the browser never completed: no answer to replay
                continue
            raise MockError(f"{where}: response.status must be an HTTP status (100-599), not {status!r}")
        headers = {str(h.get("name")): str(h.get("value", "")) for h in res.get("headers") or []
                   if isinstance(h, dict) and h.get("name")}
        content = res.get("content") if isinstance(res.get("content"), dict) else {}
        body: Any = content.get("text") or ""
        if not isinstance(body, str):
            raise MockError(f"{where}: response.content.text must be text")
        if len(body) > HAR_MAX_BODY:
            raise MockError(f"{where}: the body is larger than {HAR_MAX_BODY} bytes")
        if content.get("encoding") == "base64":
            try:
                body = base64.b64decode(body, validate=False).decode("utf-8", errors="replace")
            except (ValueError, binascii.Error) as exc:
                raise MockError(f"{where}: response.content.text is not valid base64") from exc
        mime = str(content.get("mimeType") or headers.get("Content-Type") or headers.get("content-type") or "")
        if "json" in mime.lower() and body.strip():
            try:
                body = json.loads(body)
            except ValueError:
                pass  # a body labelled JSON that is not: the app gets the text, as it would
        out.append(ResponseMock(url="re:^" + re.escape(req["url"]) + "$", method=str(req.get("method") or "*"),
                                status=status, data=body, headers=headers or {"Content-Type": mime or "text/plain"},
                                api="*"))
    last: dict[tuple[str, str], int] = {}
    for i, r in enumerate(out):
        last[(r.method.upper(), r.url)] = i
    return [r.model_copy(update={"times": 1}) if last[(r.method.upper(), r.url)] != i else r
            for i, r in enumerate(out)]


def load_mock_file(path: str | Path) -> MockConfig:
    p = Path(path)
    if p.suffix.lower() == ".har":
        return _load_har(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MockError(f"{p}: no such mock file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MockError(f"{p}: cannot read mock file: {exc}") from exc
    return parse_mock_text(text, p.suffix.lstrip(".").lower(), str(p))


def _load_har(p: Path) -> MockConfig:
    try:
        if p.stat().st_size > HAR_MAX_BYTES:
            raise MockError(f"{p}: the HAR file is larger than {HAR_MAX_BYTES // (1024 * 1024)} MB")
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MockError(f"{p}: no such mock file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MockError(f"{p}: cannot read mock file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise MockError(f"{p}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    return MockConfig(responses=har_responses(data, str(p)))
