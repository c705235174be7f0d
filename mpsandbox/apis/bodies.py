"""Default bodies of network answers when no mock response matches (MOCKS.md: how they were chosen and measured).

- ``empty``: ``{}``, what mpsandbox answered before.
- ``envelope``: the conventional API envelope (``code: 0``, ``success: true``, ``msg: "ok"``...) whose ``data`` holds
  empty lists under the usual names.
- ``shaped`` (default): the envelope plus, at the top level and inside ``data`` and ``result``, the fields the
  bundle's own code reads from response-like objects, typed by how it uses them (``x.list.length`` or
  ``x.list.map(...)``: an empty list; ``x.user.name``: an object), found statically in its JavaScript; its ``code``
  is the success code the bundle compares ``.code`` with most (``res.code === 200``, ``20000 !== r.code``: backends
  disagree on 0, 200, 10000 or 20000), 0 when it compares with none.

Deterministic: the same bundle always gets the same body. Bounded: at most MAX_FIELDS fields, one level deep.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterable, Iterator, Literal

BodyKind = Literal["shaped", "envelope", "empty"]
MAX_FIELDS = 200
MAX_SCAN_CHARS = 8 * 1024 * 1024

ENVELOPE: dict[str, Any] = {
    "code": 0, "errcode": 0, "errCode": 0, "errno": 0, "success": True, "status": 200,
    "msg": "ok", "message": "ok", "errmsg": "ok",
}
LIST_FIELDS = ("list", "records", "items", "rows")
ARRAY_METHODS = {"length", "forEach", "map", "filter", "concat", "slice", "some", "every", "find", "findIndex",
                 "reduce", "join", "indexOf", "includes", "push", "splice", "sort", "reverse", "flat", "flatMap"}
# members only a number or only a string has: the field is typed 0 or "" (res.data.balance.toFixed(2))
NUMBER_METHODS = {"toFixed", "toPrecision", "toExponential"}
STRING_METHODS = {"split", "replace", "replaceAll", "trim", "trimStart", "trimEnd", "substring", "substr",
                  "toUpperCase", "toLowerCase", "charAt", "charCodeAt", "startsWith", "endsWith", "match",
                  "padStart", "padEnd", "localeCompare"}
# a member chain after .data or .result (res.data.data.list.length, n.data.user.name, this.data.x.y), or on a
# response-like name (result.user.name)
_CHAIN = re.compile(r"(?:\.(?:data|result)|\b(?:res|resp|response|result|ret|body|json))"
                    r"((?:\.[A-Za-z_$][\w$]{0,40}){1,6})")
_RESERVED = set(ENVELOPE) | {"data", "then", "catch", "prototype", "constructor", "__proto__", "header",
                             "statusCode", "errMsg", "setData", "length"}


# `.code === 200`, `.code != '0'`, `20000 !== res.code`, `1 !== y.resultCode`: the literals a bundle compares
# response codes with, by field (code, resultCode, RetCode, errCode, ret...; statusCode is the HTTP status)
_CODE_NAME = r"(?!statusCode\b)((?:[A-Za-z_$][\w$]{0,30}?)?(?:code|Code|CODE)|ret|Ret|rtn)"
_CODE_CMP = re.compile(r"\." + _CODE_NAME + r"\s*[!=]==?\s*['\"]?(\d{1,5})\b"
                       r"|\b(\d{1,5})['\"]?\s*[!=]==?\s*[\w$.]*\." + _CODE_NAME + r"\b")
SUCCESS_CODES = (0, 200, 1, 10000, 20000)  # the success codes of common backends; error codes (401...) never win
# a login answer's credentials, read as values (res.data.token): a placeholder string, since an app that keeps
# an undefined token finds itself logged out again and logs in again, without end (the WeChat mall's auth.js)
CREDENTIALS = {"token": "mpsb-token", "accessToken": "mpsb-token", "access_token": "mpsb-token",
               "sessionKey": "mpsb-session", "session_key": "mpsb-session", "openid": "mpsb-openid",
               "openId": "mpsb-openid", "unionid": "mpsb-unionid", "uid": 1}
_CREDENTIAL_READ = re.compile(r"\.data\.(" + "|".join(CREDENTIALS) + r")\b(?!\s*\()")  # the success codes of common backends; error codes (401...) never win


def _within_budget(texts: Iterable[str]) -> Iterator[str]:
    """The texts, cut so that together they hold at most MAX_SCAN_CHARS characters."""
    budget = MAX_SCAN_CHARS
    for text in texts:
        if budget <= 0:
            return
        chunk = text[:budget]
        budget -= len(chunk)
        yield chunk


def success_codes(texts: Iterable[str]) -> dict[str, int]:
    """The success code the bundle's code expects in each code field it compares with one (``code`` always, 0
    when none): the one of SUCCESS_CODES it compares that field with most (ties: the earlier, 0 first)."""
    counts: dict[str, dict[int, int]] = {"code": dict.fromkeys(SUCCESS_CODES, 0)}
    for chunk in _within_budget(texts):
        for m in _CODE_CMP.finditer(chunk):
            name, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if len(counts) >= MAX_FIELDS and name not in counts:
                continue
            per = counts.setdefault(name, dict.fromkeys(SUCCESS_CODES, 0))
            if int(value) in per:
                per[int(value)] += 1
    out = {}
    for name, per in counts.items():
        best = max(SUCCESS_CODES, key=lambda c: per[c])
        if per[best] or name == "code":  # a field compared only with other numbers (barcode == 12345) is no code
            out[name] = best if per[best] else 0
    return out


def success_code(texts: Iterable[str]) -> int:
    """The success code the bundle compares ``.code`` with most."""
    return success_codes(texts)["code"]


def _fields(texts: Iterable[str]) -> tuple[dict[str, Any], bool]:
    """The body fields the bundle's code reads, and whether it uses the envelope's own data (res.data.data) as a
    list more often than as an object."""
    arrays: set[str] = set()
    objects: set[str] = set()
    numbers: set[str] = set()
    strings: set[str] = set()
    inner_data = [0, 0]  # the envelope's own data (res.data.data): used as a list, used as an object
    credentials: set[str] = set()
    for chunk in _within_budget(texts):
        credentials.update(m.group(1) for m in _CREDENTIAL_READ.finditer(chunk))
        for m in _CHAIN.finditer(chunk):
            members = m.group(1)[1:].split(".")
            # after `.data`, the first member is already inside the body; after `res`, the second is
            first = 0 if m.group(0).startswith(".") else 1
            if len(members) > first + 1 and members[first] == "data":
                inner_data[0 if members[first + 1] in ARRAY_METHODS else 1] += 1
            if len(members) < 2:
                continue
            for name, member in zip(members, members[1:]):
                if name in _RESERVED or name.startswith("$"):
                    continue
                (arrays if member in ARRAY_METHODS else numbers if member in NUMBER_METHODS else
                 strings if member in STRING_METHODS else objects).add(name)
    out: dict[str, Any] = {}
    # a name used both ways is a list (property reads on [] are undefined); a number or string only when the code
    # uses it as nothing else
    for name in sorted(arrays | objects | numbers | strings):
        if len(out) >= MAX_FIELDS:
            break
        out[name] = [] if name in arrays else {} if name in objects else 0 if name in numbers else ""
    for name in sorted(credentials):
        if name not in out:
            out[name] = CREDENTIALS[name]
    return out, inner_data[0] > inner_data[1]  # res.data.data.forEach(...) more than res.data.data.list: a list


def default_body(kind: BodyKind, texts: Iterable[str] = ()) -> Any:
    if kind == "empty":
        return {}
    lists: dict[str, Any] = {name: [] for name in LIST_FIELDS}
    lists.update(total=0, count=0, page=1, pages=0, hasMore=False)
    if kind == "envelope":
        return {**ENVELOPE, "data": lists}
    texts = list(texts)
    fields, data_is_list = _fields(texts)
    envelope = {**ENVELOPE, **success_codes(texts)}
    inner = {**lists, **fields}
    inner.pop("result", None)
    result = [] if fields.get("result") == [] else copy.deepcopy(inner)  # res.result.forEach(...): a list
    data: Any = [] if data_is_list else {**inner, "result": copy.deepcopy(result)}
    return {**envelope, **fields, "data": data, "result": result}
