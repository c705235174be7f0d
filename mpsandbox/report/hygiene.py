"""The text hygiene every report format shares.

Everything a bundle controls (messages, evidence, file names, values, even its name) is hostile: it may carry ANSI
escapes that recolour or rewrite the reviewer's terminal, newlines that forge report lines, bidi overrides that
reorder what is read, NUL and other characters XML forbids, lone surrogates that cannot be encoded. :func:`neutralise`
turns every such character into a visible escape (``\\x1b``, ``\\u202e``, ``\\n``) so the reviewer sees what the
bundle tried, and nothing it wrote can change the structure of the report.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# Categories of characters that never reach output as themselves: controls (C0, C1, DEL), format characters (bidi
# overrides and isolates, zero-width, BOM...), line and paragraph separators, surrogates, unassigned noncharacters.
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")
# Fast path: printable ASCII and the common scripts without any of the above.
_PLAIN = re.compile(r"[ -~]*")
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return " "
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(ch: str) -> bool:
    return unicodedata.category(ch) in _ESCAPED_CATEGORIES or bool(_NONCHARACTER.match(ch))


def neutralise(text: object, limit: int | None = None) -> str:
    """One line of bundle-controlled text made safe for any output: every control, format, separator or surrogate
    character becomes a visible escape; cut to ``limit`` characters with a note of how much was left out."""
    s = text if isinstance(text, str) else str(text)
    cut = 0
    if limit is not None and len(s) > limit:
        cut = len(s) - limit
        s = s[:limit]
    if not _PLAIN.fullmatch(s):
        s = "".join(_escape_char(ch) if _needs_escape(ch) else ch for ch in s)
    if cut:
        s += f"… (+{cut} chars)"
    return s


def xml_safe(text: str) -> str:
    """Drop what XML 1.0 forbids (after :func:`neutralise` there is none left; this is the last line of defence)."""
    return _XML_FORBIDDEN.sub("\ufffd", text)


def value_text(value: Any, limit: int = 160) -> str:
    """An evidence value (domain, size, payload...) as one neutralised line."""
    if isinstance(value, str):
        return neutralise(value, limit)
    try:
        raw = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr, allow_nan=True)
    except (TypeError, ValueError):
        try:
            raw = json.dumps(value, ensure_ascii=False, default=repr)
        except (TypeError, ValueError, RecursionError):
            raw = repr(value)
    return neutralise(raw, limit)
