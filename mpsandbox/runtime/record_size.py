"""What a trace event costs the host, roughly, so that the record of a run has a budget in bytes
(``RunLimits.max_record_bytes``) as well as in events: a bundle shapes how big each event is."""

from __future__ import annotations

from typing import Any

EVENT_BYTES = 2_000  # a pydantic event and its fixed fields (measured: 1.5-3 KB)
TURN_BYTES = 800
FRAME_BYTES = 500
VALUE_BYTES = 100  # a container or scalar inside an event's data
MAX_VALUES = 2_000  # values counted per event (summaries keep far fewer)


_TEXT_FIELDS = ("message", "text", "detail", "err_msg")


def event_bytes(event: Any) -> int:
    # the fields are read from the instance's dict: a pydantic model answers getattr of a field it lacks only after
    # raising AttributeError inside, which cost more than the rest of recording an API call (100,000 calls a walk)
    d = getattr(event, "__dict__", None) or {}
    n = EVENT_BYTES
    for f in d.get("stack") or ():
        n += FRAME_BYTES + len(f.file) + len(f.function or "")
    for name in _TEXT_FIELDS:
        v = d.get(name)
        if isinstance(v, str):
            n += len(v)
    for name in ("args", "data"):
        v = d.get(name)
        if v is not None:
            n += value_bytes(v)
    keys = d.get("keys")
    if isinstance(keys, list):
        n += sum(VALUE_BYTES + len(k) for k in keys)
    return n


def turn_bytes(turn: Any) -> int:
    return TURN_BYTES + len(turn.detail or "")


def value_bytes(value: Any) -> int:
    """Bytes of a JSON-like value, counted without recursion over at most :data:`MAX_VALUES` values."""
    n = 0
    todo = [value]
    seen = 0
    while todo and seen < MAX_VALUES:
        v = todo.pop()
        seen += 1
        n += VALUE_BYTES
        if isinstance(v, str):
            n += len(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                n += len(str(k))
                todo.append(x)
        elif isinstance(v, list):
            todo.extend(v)
    return n
