"""JSON from the sandbox, parsed without recursing without bound.

Python's JSON decoder recurses once per nesting level and raises RecursionError around depth 1,000, and so would
every host walk over the value. Text nested deeper than :data:`MAX_DEPTH` is parsed with its deeper parts kept as
their JSON text (a string): nothing is lost to a search for canaries, and no host walk recurses past the bound.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 200
_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"|[\[\]{}]')


def loads(text: str | bytes) -> Any:
    """``json.loads``, except that containers deeper than :data:`MAX_DEPTH` become their JSON text."""
    try:
        return json.loads(text)
    except RecursionError:
        pass
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", "replace")
    return json.loads(flatten_deep(text, MAX_DEPTH))


def flatten_deep(text: str, max_depth: int) -> str:
    """``text`` with every container that starts below ``max_depth`` levels replaced by a string of its text."""
    out: list[str] = []
    depth = 0
    last = 0
    cut = -1  # where the container being cut out starts
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            continue
        if tok in "[{":
            depth += 1
            if depth == max_depth + 1 and cut < 0:
                cut = m.start()
        else:
            if depth == max_depth + 1 and cut >= 0:
                out.append(text[last:cut])
                out.append(json.dumps(text[cut:m.end()], ensure_ascii=False))
                last, cut = m.end(), -1
            depth -= 1
    if cut >= 0:  # unbalanced: the rest as text, so that the decoder reports the error without recursing
        out.append(text[last:cut])
        out.append(json.dumps(text[cut:], ensure_ascii=False))
    else:
        out.append(text[last:])
    return "".join(out)
