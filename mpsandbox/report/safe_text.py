"""Neutralise what a hostile bundle could use to forge output: control characters, ANSI escapes, bidi overrides."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_XML_BAD = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    s = _ANSI.sub("", str(text))
    if keep_newlines:
        s = _CONTROL.sub(lambda m: "" if m.group(0) in "\n" else "\ufffd", s)
    else:
        s = s.replace("\n", "⏎").replace("\r", "")
        s = _CONTROL.sub("\ufffd", s)
    if limit is not None and len(s) > limit:
        s = s[:limit] + f"…(+{len(s) - limit})"
    return s


def xml_safe(text: object) -> str:
    return _XML_BAD.sub("\ufffd", _ANSI.sub("", str(text)))
