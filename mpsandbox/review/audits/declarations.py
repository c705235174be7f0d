"""permission: what app.json declares against what the walk used. Used but undeclared is in permission.py
(undeclared-scope, missing-private-info); here, declared but never used (over-claim)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit

if TYPE_CHECKING:
    from ..policy import Policy

MAX_SCAN_CHARS = 8 * 1024 * 1024


def _declaration_location(art: Artifacts, key: str) -> Location:
    """Where app.json declares ``key`` (its line when found)."""
    text = art.texts.get("app.json", "")
    needle = json.dumps(key)
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return Location(file="app.json", line=i, column=line.index(needle) + 1)
    return Location(file="app.json")


def _code_mentions(art: Artifacts, names: set[str]) -> set[str]:
    """Which of ``names`` the bundle's JavaScript mentions at all (reachable by the walk or not)."""
    if not names:
        return set()
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    found: set[str] = set()
    budget = MAX_SCAN_CHARS
    for path, text in sorted(art.texts.items()):
        if not path.endswith(".js") or budget <= 0:
            continue
        chunk = text[:budget]
        budget -= len(chunk)
        found.update(m.group(1) for m in pattern.finditer(chunk))
    return found


def _walk_complete(art: Artifacts) -> bool:
    """Every declared page visited and every bound handler fired in some walk."""
    pages = {p.route for p in (art.facts.pages if art.facts is not None else [])}
    visited = {p for r in art.runs for p in r.pages_visited}
    return bool(art.runs) and pages <= visited and all(r.handlers_fired >= r.handlers_bound for r in art.runs)


def _scope_apis(art: Artifacts) -> dict[str, set[str]]:
    """Scope key on the bundle's platform -> the platform names of the APIs (and object methods) needing it."""
    out: dict[str, set[str]] = {}
    platform = art.platform
    for spec in art.catalogue.apis:
        scope = (spec.scope or {}).get(platform)
        name = spec.name_on(platform)
        if scope and name:
            out.setdefault(scope, set()).add(name)
        obj = art.catalogue.objects_by_name.get(spec.object) if spec.object else None
        for method in (obj.methods.values() if obj is not None else ()):
            mscope = (method.scope or {}).get(platform)
            if mscope and name:  # e.g. getRecorderManager: its start() needs scope.record
                out.setdefault(mscope, set()).add(name)
    return out


def _used_scopes(art: Artifacts) -> set[str]:
    used: set[str] = set()
    for run in art.runs:
        used.update(e.scope for e in run.trace.of_kind("permission") if e.scope)
        for e in run.trace.api_calls():
            spec = art.catalogue.by_name.get(e.api)
            scope = (spec.scope or {}).get(art.platform) if spec is not None else None
            if scope:
                used.add(scope)
    return used


def _over_claim(art: Artifacts, key: str, kind: str, apis: set[str]) -> Hit:
    mentioned = sorted(_code_mentions(art, apis))
    complete = _walk_complete(art)
    if mentioned:
        why = (f"the code mentions {', '.join(mentioned[:5])}, which the walk never reached: check the declaration "
               "is still needed")
    elif complete:
        why = "no API needing it appears anywhere in the code, and the walk reached every page and handler"
    else:
        why = ("no API needing it appears in the code; the walk did not reach every page and handler, so this is "
               "a lower-confidence finding")
    severity = Severity.WARNING if not mentioned and complete else Severity.INFO
    loc = _declaration_location(art, key)
    return Hit(message=f"{kind} {key} is declared in app.json but the bundle never used it ({why})", key=key,
               location=loc, severity=severity,
               evidence=[Evidence(description=f"declared in app.json {kind}", location=loc, value=key)])


@audit(
    "unused-scope-declaration",
    title="Permission scope declared but never used",
    category="permission",
    severity=Severity.WARNING,
    description="""app.json declares a permission scope (`permission` with a `desc`) that no API call of the walk
    needed, and that no API needing it appears in the code: the app claims access it does not use, which the
    platforms' reviews refuse as over-collection and users see as a needless request. When the code mentions such an
    API that the walk did not reach, or the walk did not reach every page and handler, the finding is only
    informational: the walk may have missed the use.""",
    fix="Remove the scope from app.json `permission`, or check the feature that needs it still exists.",
    example='"permission": {"scope.userLocation": {"desc": "to find shops"}}  // and no getLocation anywhere',
)
def unused_scope_declaration(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    declared = list(art.app.permission if art.app is not None else [])
    if not declared or not art.runs:
        return
    used = _used_scopes(art)
    apis = _scope_apis(art)
    for scope in declared:
        if scope in used or scope not in apis:  # a scope no known API needs: nothing to compare against
            continue
        yield _over_claim(art, scope, "permission scope", apis[scope])


@audit(
    "unused-private-info",
    title="requiredPrivateInfos entry never used",
    category="permission",
    severity=Severity.WARNING,
    description="""app.json `requiredPrivateInfos` (WeChat) lists a location API that the walk never called and
    that the code never mentions: the app declares collecting location data it does not collect. Declared privacy
    APIs are shown to users in the privacy guide and checked by review. Informational only when the code mentions
    the API or the walk did not reach every page and handler.""",
    fix='Remove the entry from `requiredPrivateInfos`, e.g. `"requiredPrivateInfos": ["chooseLocation"]` when only '
        "chooseLocation is used.",
    example='"requiredPrivateInfos": ["getLocation", "onLocationChange"]  // only getLocation is called',
)
def unused_private_info(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    declared = list(art.app.required_private_infos if art.app is not None else [])
    if not declared or not art.runs:
        return
    used: set[str] = set()
    for run in art.runs:
        for e in run.trace.api_calls():
            spec = art.catalogue.by_name.get(e.api)
            if spec is not None and spec.required_private_info:
                used.add(spec.required_private_info)
    for info in declared:
        if info in used:
            continue
        names = {spec.name_on(art.platform) or spec.name for spec in art.catalogue.apis
                 if spec.required_private_info == info} | {info}
        yield _over_claim(art, info, "requiredPrivateInfos entry", names)

