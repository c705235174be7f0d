"""What a trace event costs the host, roughly, so that the record of a run has a budget in bytes
(``RunLimits.max_record_bytes``) as well as in events: a bundle shapes how big each event is."""

from __future__ import annotations

from typing import Any

EVENT_BYTES = 2_000  # a pydantic event and its fixed fields (measured: 1.5-3 KB)
TURN_BYTES = 800
FRAME_BYTES = 500
VALUE_BYTES = 100  # a container or scalar inside an event's data
MAX_VALUES = 2_000  # values counted per event (summaries keep far fewer)


def event_bytes(event: Any) -> int:
    # the fields, read from the model's dict: a getattr with a default on a pydantic model that lacks the field
    # goes through its slow __getattr__ (an event is measured as it is recorded: this runs for every event)
    fields = getattr(event, "__dict__", None)
    get = fields.get if isinstance(fields, dict) else (lambda name, default=None: getattr(event, name, default))
    n = EVENT_BYTES
    for f in get("stack") or ():
        n += FRAME_BYTES + len(f.file) + len(f.function or "")
    for name in ("message", "text", "detail", "err_msg"):
        v = get(name)
        if isinstance(v, str):
            n += len(v)
    for name in ("args", "data"):
        v = get(name)
        if v is not None:
            n += value_bytes(v)
    keys = get("keys")
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
