"""The record of a run: the trace's events up to a cap, and every cap the host reaches written into the trace.

Past ``RunLimits.max_events`` the record keeps only what findings are made of (flows, permissions, budgets, caps,
notes of dynamic code, and calls of APIs that are data sinks, sources, or need a scope or a gesture), up to
``max_kept_events`` more, and drops the rest. Every cap reached (events, console lines, a payload the framework's
serializer cut, a canary search that skipped a text) is one :class:`CapEvent` per cap and place, counted; the
review's ``record-incomplete`` rule turns it into a finding, so an incomplete record is never approved.
"""

from __future__ import annotations

from typing import Any, Callable

from .record_size import EVENT_BYTES, event_bytes, turn_bytes
from ..trace import CapEvent, Trace

KEPT_KINDS = frozenset({"flow", "permission", "budget", "cap"})
MAX_CAP_PLACES = 200  # distinct (cap, place) events; past it they merge into one place "(other)"


class Recorder:
    """Appends events to a trace within the caps; ``judged_api(name)`` says whether calls of an API matter to the
    review (a sink, a source, a scope or a gesture rule), ``ev()`` gives the common fields of a new event."""

    def __init__(self, trace: Trace, *, max_events: int, max_kept: int, judged_api: Callable[[str], bool],
                 ev: Callable[[], dict[str, Any]], max_bytes: int = 256 * 1024 * 1024, record_turns: bool = True):
        self.record_turns = record_turns
        self.trace = trace
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.bytes = 0  # events and turns, as record_size counts them
        self.max_kept = max_kept
        self.judged_api = judged_api
        self.ev = ev
        self.dropped = 0
        self._kept_past = 0
        self._caps: dict[tuple[str, str | None, str], CapEvent] = {}
        self._folds: dict[tuple, Any] = {}  # see fold
        self._turn_folds: dict[tuple, Any] = {}  # see fold_turn

    def add(self, event: Any) -> bool:
        """Record ``event``; False when a cap dropped it (the drop is counted in the trace)."""
        if event.kind == "cap":  # one event per cap and place, never dropped
            self.cap(event.cap, event.where, limit=event.limit, unit=event.unit, dropped=event.dropped,
                     judged=event.judged, detail=event.detail)
            return True
        events = self.trace.events
        size = event_bytes(event)
        if len(events) < self.max_events and self.bytes + size <= self.max_bytes:
            self.bytes += size
            events.append(event)
            return True
        if self._matters(event):
            if self._kept_past < self.max_kept:
                self._kept_past += 1
                self.bytes += size
                events.append(event)
                return True
            self.cap("events", "judged", limit=self.max_events + self.max_kept, unit="events", dropped=1,
                     judged=True, again=False,
                     detail="events findings are made of (flows, permissions, sensitive calls) were dropped too")
        else:
            self.cap("events", None, limit=self.max_events, unit="events", dropped=1, again=False,
                     detail=f"past the cap only flows, permissions, budgets and calls of sensitive APIs are kept "
                            f"(up to {self.max_kept} more)")
        self.dropped += 1
        return False

    def drops_call(self, api: str) -> bool:
        """Whether a call of ``api`` would be dropped now (past the caps, and the review does not judge the API):
        then :meth:`drop_call` counts it and its event need not be built (a bundle that fills the record with
        cheap calls pays for each one the rest of its walk)."""
        return ((len(self.trace.events) >= self.max_events or self.bytes + EVENT_BYTES > self.max_bytes)
                and not self.judged_api(api))

    def drop_call(self) -> None:
        """Count a call :meth:`drops_call` said is dropped, as :meth:`add` counts one."""
        self.cap("events", None, limit=self.max_events, unit="events", dropped=1, again=False,
                 detail=f"past the cap only flows, permissions, budgets and calls of sensitive APIs are kept "
                        f"(up to {self.max_kept} more)")
        self.dropped += 1

    def fold(self, key: tuple, make: Callable[[], Any]) -> None:
        """Record like events as one: the first one under ``key`` is recorded (``make()``), later ones add to its
        ``times`` (for events as many as a walk repeats: a polling chain's links, a long list's components)."""
        event = self._folds.get(key)
        if event is not None:
            event.times += 1
            return
        event = make()
        if self.add(event):
            self._folds[key] = event

    def fold_turn(self, key: tuple, turn: Any) -> None:
        """Record like turns as one (a folded timer's later fires): its ``times``, CPU and jobs add up."""
        folded = self._turn_folds.get(key)
        if folded is not None:
            folded.times += 1
            folded.cpu_units += turn.cpu_units
            folded.jobs += turn.jobs
            folded.memory_bytes = max(folded.memory_bytes, turn.memory_bytes)
        elif self.add_turn(turn):
            self._turn_folds[key] = turn

    def amendable(self) -> list[Any]:
        """The recorded events whose counts may grow after they were recorded (caps, folded repeats)."""
        return [*self._caps.values(), *self._folds.values()]

    def amendable_turns(self) -> list[Any]:
        return list(self._turn_folds.values())

    def add_turn(self, turn: Any) -> bool:
        """Record a turn while the record has room; False when the byte budget dropped it (a cap)."""
        if not self.record_turns:
            return False
        size = turn_bytes(turn)
        if self.bytes + size <= self.max_bytes:
            self.bytes += size
            self.trace.turns.append(turn)
            return True
        self.cap("turns", None, limit=self.max_bytes, unit="bytes", dropped=1, again=False,
                 detail="the record reached its byte budget: later turns were not kept")
        return False

    def _matters(self, event: Any) -> bool:
        kind = event.kind
        if kind in KEPT_KINDS:
            return True
        if kind == "api":
            return self.judged_api(event.api)
        return kind == "note" and event.code == "dynamic-code"

    def cap(self, cap: str, where: str | None, *, limit: int, unit: str, dropped: int = 0, judged: bool = False,
            detail: str = "", again: bool = True) -> CapEvent:
        """Note that ``cap`` was reached at ``where``: the first time a CapEvent goes into the trace (caps are
        never dropped); later times add to its counts (``again=False``: one more item dropped past a cap already
        reached, as events and console lines are)."""
        key = (cap, where, unit)
        event = self._caps.get(key)
        if event is None and len(self._caps) >= MAX_CAP_PLACES:
            key = (cap, "(other)", unit)
            event = self._caps.get(key)
        if event is None:
            self.trace.events.append(CapEvent(**self.ev(), cap=cap, where=key[1], limit=limit, unit=unit,  # type: ignore[arg-type]
                                              dropped=dropped, judged=judged, detail=detail[:500]))
            event = self._caps[key] = self.trace.events[-1]
            return event
        if again:
            event.times += 1
        event.dropped += dropped
        event.judged = event.judged or judged
        return event

    def payload_cut(self, where: str, report: dict[str, Any], judged: bool) -> None:
        """What the framework's serializer reported cutting from the payload sent at ``where``."""
        skipped, chars = _count(report.get("skipped")), _count(report.get("chars"))
        if skipped:
            self.cap("payload", where, limit=_count(report.get("maxNodes")), unit="values", dropped=skipped,
                     judged=judged, detail='values past the serializer\'s budget were not sent (marked "[Truncated]")')
        if chars:
            self.cap("payload", where, limit=_count(report.get("maxChars")), unit="chars", dropped=chars,
                     judged=judged, detail="the end of long strings and binary bodies was not sent")


def _count(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 0
