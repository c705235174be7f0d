"""What a reader of the report wants to see besides the findings: the hosts contacted, the permissions used, the walk
on a timeline, and the source around every evidence location. Built from the traces and the bundle's text files,
every list bounded."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable

from .artifacts import Artifacts, RunArtifacts
from .model import DomainContact, Finding, Location, PermissionUse, Snippet, Timeline, TimelineItem
from .policy import Policy

MAX_DOMAINS = 200
MAX_PERMISSIONS = 100
LANE_LIMIT = 150  # timeline items per lane
SNIPPET_CONTEXT = 2  # lines before and after
SNIPPET_WIDTH = 160  # characters per line, a window around the column
MAX_SNIPPETS = 400  # per report
LABEL_LIMIT = 120


def _location(stack: Iterable[Any]) -> Location | None:
    for f in stack or []:
        return Location(file=f.file, line=f.line or None, column=f.column or None, function=f.function)
    return None


def domains_contacted(run: RunArtifacts, policy: Policy) -> list[DomainContact]:
    by_domain: dict[str, DomainContact] = {}
    for e in run.trace.api_calls():
        host = getattr(e, "domain", None)
        if not host:
            continue
        d = by_domain.get(host)
        if d is None:
            if len(by_domain) >= MAX_DOMAINS:
                continue
            url = ""
            args = e.args if isinstance(e.args, list) else []
            if args and isinstance(args[0], dict) and isinstance(args[0].get("url"), str):
                url = args[0]["url"][:300]
            d = by_domain[host] = DomainContact(
                domain=host[:255], calls=0, allowed=policy.domain_allowed(host) if policy.allow_domains else None,
                first_location=_location(e.stack), example_url=url)
        d.calls += 1
        d.apis[e.called_as] = d.apis.get(e.called_as, 0) + 1
    return sorted(by_domain.values(), key=lambda d: (d.allowed is not False, -d.calls, d.domain))


def permissions_used(run: RunArtifacts) -> list[PermissionUse]:
    uses: dict[str, PermissionUse] = {}
    for e in run.trace.of_kind("permission"):
        u = uses.get(e.scope)
        if u is None:
            if len(uses) >= MAX_PERMISSIONS:
                continue
            u = uses[e.scope] = PermissionUse(scope=e.scope[:100])
        if e.api and e.api not in u.apis and len(u.apis) < 20:
            u.apis.append(e.api)
        if e.action == "prompt":
            u.prompts += 1
        if e.decision == "granted":
            u.granted += 1
        elif e.decision == "denied":
            u.denied += 1
        u.declared = u.declared and e.declared
    return sorted(uses.values(), key=lambda u: u.scope)


def _cut(text: Any, limit: int = LABEL_LIMIT) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[:limit] + "…"


def _where(stack: Any) -> str:
    loc = _location(stack or [])
    return f" at {loc}" if loc else ""


def timeline(run: RunArtifacts) -> Timeline:
    """Pages, taps, API calls, setData, timers and errors of a walk, on the axis of its turns."""
    trace = run.trace
    items: list[TimelineItem] = []
    per_lane: Counter[str] = Counter()
    dropped = 0

    def add(lane: str, e: Any, label: str, detail: str = "", status: str = "ok") -> None:
        nonlocal dropped
        if per_lane[lane] >= LANE_LIMIT:
            dropped += 1
            return
        per_lane[lane] += 1
        items.append(TimelineItem(lane=lane, turn=e.turn, t=e.t, label=_cut(label), detail=_cut(detail, 300),
                                  status=status))

    for e in trace.events:
        kind = e.kind
        if kind == "navigation":
            status = "ok" if e.outcome == "ok" else "fail"
            add("page", e, f"{e.op} {e.to_route or ''}".strip(),
                f"from {e.from_route or '-'}" + (f": {e.err_msg}" if e.err_msg else ""), status)
        elif kind == "lifecycle" and e.target == "page" and e.hook in ("onLoad", "onUnload"):
            add("page", e, f"{e.hook} {e.route or ''}".strip())
        elif kind == "user":
            add("user", e, f"{e.action} {e.handler or ''}".strip(), e.target or "", "ok" if e.found else "warn")
        elif kind == "api":
            status = {"fail": "fail", "throw": "fail", "unknown": "warn"}.get(e.outcome, "ok")
            add("api", e, e.called_as, (e.domain or "") + _where(e.stack), status)
        elif kind == "setData":
            add("setData", e, f"setData {e.bytes} B", f"{e.route or e.component or ''}: {', '.join(e.keys[:6])}")
        elif kind == "timer" and e.op in ("set", "fire"):
            add("timer", e, f"{e.op} #{e.timer_id}" + (f" {e.delay} ms" if e.op == "set" else "")
                + (f" (and {e.times - 1} like it)" if e.times > 1 else ""),
                (e.owner or "") + ("" if e.owner_alive else " (page unloaded)"),
                "ok" if e.owner_alive else "warn")
        elif kind in ("error", "budget"):
            label = f"budget:{e.budget}" if kind == "budget" else f"{e.error} {e.name}".strip()
            detail = e.detail if kind == "budget" else e.message
            add("error", e, label, detail, "fail")
    end = trace.end
    return Timeline(turns=max(len(trace.turns), max((i.turn for i in items), default=0) + 1),
                    virtual_ms=end.t if end else max((i.t for i in items), default=0), items=items, dropped=dropped)


def snippet(texts: dict[str, str], loc: Location | None, cache: dict[str, list[str]]) -> Snippet | None:
    """The lines around ``loc`` from the bundle's text files (None when the file or line is unknown)."""
    if loc is None or not loc.line or loc.file not in texts:
        return None
    lines = cache.get(loc.file)
    if lines is None:
        lines = cache[loc.file] = texts[loc.file].splitlines()
    if not 1 <= loc.line <= len(lines):
        return None
    start = max(1, loc.line - SNIPPET_CONTEXT)
    end = min(len(lines), loc.line + SNIPPET_CONTEXT)
    col = max(0, (loc.column or 1) - 1)
    left = max(0, col - SNIPPET_WIDTH // 2) if len(lines[loc.line - 1]) > SNIPPET_WIDTH else 0
    out = []
    for text in lines[start - 1:end]:
        piece = text[left:left + SNIPPET_WIDTH]
        out.append(("…" if left else "") + piece + ("…" if len(text) > left + SNIPPET_WIDTH else ""))
    return Snippet(file=loc.file, start_line=start, line=loc.line, lines=out)


_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.]{12,}")


def mask_tokens(sn: Snippet | None) -> Snippet | None:
    """The snippet with every long token (a key, a secret) cut to its first 4 characters: a secret finding's report
    must not carry the secret."""
    if sn is None:
        return None
    return sn.model_copy(update={"lines": [_TOKEN.sub(lambda m: m.group(0)[:4] + "…(masked)", line)
                                           for line in sn.lines]})


def add_snippets(findings: list[Finding], art: Artifacts) -> None:
    """Give every finding and evidence with a known file and line the source around it (bounded per report).
    Findings of the ``secret`` category get masked snippets."""
    cache: dict[str, list[str]] = {}
    budget = MAX_SNIPPETS
    for f in findings:
        if budget <= 0:
            return
        masked = f.category == "secret"
        if f.snippet is None and f.location is not None:
            f.snippet = snippet(art.texts, f.location, cache)
            f.snippet = mask_tokens(f.snippet) if masked else f.snippet
            budget -= f.snippet is not None
        for e in f.evidence:
            if budget <= 0:
                return
            if e.snippet is None and e.location is not None:
                if f.location == e.location and f.snippet is not None:
                    continue  # shown once, with the finding
                e.snippet = snippet(art.texts, e.location, cache)
                e.snippet = mask_tokens(e.snippet) if masked else e.snippet
                budget -= e.snippet is not None
