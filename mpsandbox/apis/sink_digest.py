"""What the differential walk compares at each data sink: a digest of the whole payload with the canaries taken out.

Once a run has handed out a canary, every sink records a :class:`SinkEvent`: a digest of the payload in which every
form of a canary the scan knows (plain, JSON, URL, hex, base64 cores, the number itself) is replaced by its kind, an
excerpt of the payload, the canary pass's hits and the sources read so far. Two walks that differ only in the
canaries' values give equal digests at a sink exactly when the payload depends on the sources only through forms
the canary pass explains; any other dependence (a reversed, split, scaled, XORed... value, or a branch) changes the
digest. The walk is iterative: depth costs no stack.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any

from ..trace import SinkEvent, SourceRead
from .canary import Canary, CanaryRegistry, Hit

EXCERPT_CHARS = 300


def payload_digest(payload: Any, canaries: CanaryRegistry, found: list[Canary] | None = None) -> tuple[str, str]:
    """The digest of ``payload`` with every known canary form replaced by its kind, and the payload's excerpt.
    ``found``: the canaries the scan found in it (the others have no form there), when known."""
    forms = canaries.forms()
    numbers = {c.numeric: c.kind for c in canaries.canaries if c.numeric is not None}
    if found is not None:
        forms = [f for f in forms if f[1] in found]
        numbers = {c.numeric: c.kind for c in found if c.numeric is not None}
    digest = hashlib.blake2b(digest_size=12)
    excerpt: list[str] = []
    room = EXCERPT_CHARS
    stack: list[Any] = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, _Mark):
            raw = masked = item.text
        elif isinstance(item, str):
            raw = json.dumps(item, ensure_ascii=False)
            masked = _mask(item, forms)
        elif isinstance(item, bool) or item is None:
            raw = masked = json.dumps(item)
        elif isinstance(item, (int, float)):
            raw = repr(item)
            kind = numbers.get(item) if isinstance(item, float) or abs(item) < 2**53 else None
            masked = raw if kind is None else f"\0{kind}\0"
        elif isinstance(item, dict):
            raw = masked = "{"
            stack.append(_CLOSE_OBJ)
            entries = list(item.items())
            for i in range(len(entries) - 1, -1, -1):
                stack.extend((entries[i][1], _COLON, str(entries[i][0])))
                if i:
                    stack.append(_SEP)
        elif isinstance(item, (list, tuple)):
            raw = masked = "["
            stack.append(_CLOSE_ARR)
            for i in range(len(item) - 1, -1, -1):
                stack.append(item[i])
                if i:
                    stack.append(_SEP)
        elif isinstance(item, (bytes, bytearray)):
            raw = masked = f"<{len(item)} bytes>"
            digest.update(bytes(item))
        else:
            raw = masked = f"<{type(item).__name__}>"
        digest.update(masked.encode("utf-8", "surrogatepass"))
        if room > 0:
            excerpt.append(raw[:room])
            room -= len(raw)
    text = "".join(excerpt)
    return digest.hexdigest(), text if room > 0 else text + "…"


class _Mark:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


_SEP, _COLON, _CLOSE_OBJ, _CLOSE_ARR = _Mark(","), _Mark(":"), _Mark("}"), _Mark("]")


def _mask(text: str, forms: list[tuple[str, Any]]) -> str:
    masked = text
    for form, canary in forms:
        if form in masked:
            masked = masked.replace(form, f"\0{canary.kind}\0")
    return json.dumps(masked, ensure_ascii=False)


def sources_read(host: Any) -> list[SourceRead]:
    """The sensitive sources the run has handed out so far, one per category and API, with their consent (the
    same list object while nothing changes, so that many sinks share it)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for canary in host.canaries.canaries:
        grouped.setdefault((canary.category, canary.source_api), []).append(canary.kind)
    state = tuple((category, api, tuple(kinds), *host.source_consent(api))
                  for (category, api), kinds in grouped.items())
    last = _LAST_SOURCES.get(host)
    if last is not None and last[0] == state:
        return last[1]
    out = [SourceRead(category=c, api=api, kinds=list(kinds), consent=consent, declared=declared)
           for c, api, kinds, consent, declared in state]
    _LAST_SOURCES[host] = (state, out)
    return out


_LAST_SOURCES: "weakref.WeakKeyDictionary[Any, tuple[tuple, list[SourceRead]]]" = weakref.WeakKeyDictionary()


def sink_event(host: Any, services: Any, payload: Any, *, sink: str, sink_api: str, destination: str | None,
               call_id: int | None, stack: list[Any], hits: list[Hit]) -> SinkEvent:
    digest, excerpt = payload_digest(payload, host.canaries, [h.canary for h in hits])
    return SinkEvent(**services.ev(), sink=sink, sink_api=sink_api, destination=destination, call_id=call_id,
                     chain=services.chain, digest=digest, excerpt=excerpt,
                     found=[f"{h.canary.kind}:{h.encoding}" for h in hits], sources=sources_read(host), stack=stack)
