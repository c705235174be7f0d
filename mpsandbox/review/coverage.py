"""Coverage of a walk: what it reached (pages, handlers), where its own budget cut it short, and whose fault each
error event was: the app's own, or the sandbox's (an unknown API, a missing framework feature, a module the
sandbox cannot load, a mock limitation).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .artifacts import Artifacts, RunArtifacts
from .model import Coverage, ErrorCause, PackageCoverage

# globals the platforms give the logic layer that the sandbox may lack: a ReferenceError on one is not the app's
PLATFORM_GLOBALS = {"global", "requirePlugin", "requireMiniProgram", "__wxConfig", "WXWebAssembly", "worker",
                    "Reporter", "__wxRoute", "__route__"}
# the platforms' page and component instance methods (tests check the sandbox's instances have each, except those
# in INSTANCE_METHODS_MISSING): "not a function" on one of the others is the app's, called on something else
INSTANCE_METHODS = ("getRelationNodes", "selectComponent", "selectAllComponents", "selectOwnerComponent",
                    "createSelectorQuery", "createIntersectionObserver", "createMediaQueryObserver", "animate",
                    "clearAnimation", "getTabBar", "getOpenerEventChannel", "getPageId", "setUpdatePerformanceListener",
                    "groupSetData", "getPassiveEvent", "setPassiveEvent", "hasBehavior", "triggerEvent",
                    "applyDataUpdates", "setInitialRenderingCache")
INSTANCE_METHODS_MISSING: tuple[str, ...] = ()
_NOT_DEFINED = re.compile(r"^'?([\w$]+)'? is not defined$")
_ESM_LINE = re.compile(r"^\s*(import\s|import\{|export\s|export\{)")
_PAGE_NOT_FOUND = re.compile(r"^Page\[[^\]]*\] not found")
_REQUIRE_MISSING = re.compile(r"^module \S+ is not defined, require args is")

CAUSE_TEXT = {
    "unknown-api": "an API the sandbox does not know",
    "not-supported": "a feature marked not supported in mpsandbox",
    "es-module-syntax": "ES module syntax (import/export) the sandbox does not compile",
    "missing-global": "a platform global the sandbox does not provide",
    "framework": "an error inside the sandbox's framework",
    "framework-feature": "a page or component instance method the sandbox's framework lacks",
    "after-module-failure": "a page or module missing because a module failed to load in the sandbox",
    "app": "the app's own code",
}


def _source_line(art: Artifacts, frame: Any) -> str:
    if frame is None or not frame.line:
        return ""
    text = art.texts.get(frame.file)
    if text is None:
        return ""
    lines = text.splitlines()
    return lines[frame.line - 1] if 0 < frame.line <= len(lines) else ""


def _other_platforms_apis(art: Artifacts) -> set[str]:
    """Names the catalogue gives other platforms' APIs but not this platform's."""
    catalogue = getattr(art, "catalogue", None)
    if catalogue is None:
        return set()
    own = {api.name_on(art.platform) for api in catalogue.apis}
    others = {api.name_on(p) for api in catalogue.apis for p in ("tt", "wx", "my") if p != art.platform}
    return {n for n in others - own if n}


def app_added_names(run: RunArtifacts) -> set[str]:
    """Names the bundle adds to the platform global itself (`wx.webpackJsonp = wx.webpackJsonp || []`): reading
    one before it is set is the app's own namespace, not an API the sandbox lacks."""
    return {e.data.get("name") for e in run.trace.of_kind("note")
            if e.code == "platform-global-extended" and isinstance(e.data, dict)}


def unknown_api_calls(run: RunArtifacts) -> list[Any]:
    """The run's reads or calls of names the platform lacks, less the names the bundle adds itself."""
    added = app_added_names(run)
    return [e for e in run.trace.api_calls() if e.outcome == "unknown" and e.called_as not in added]


def classify_errors(art: Artifacts, run: RunArtifacts) -> list[tuple[Any, str]]:
    """Every error event of the run with its cause (a key of :data:`CAUSE_TEXT`)."""
    trace = run.trace
    unknown_by_turn: dict[int, set[str]] = {}
    unknown_at: set[tuple[str, int]] = set()  # call sites of unknown APIs (reported once per name by the framework)
    foreign = _other_platforms_apis(art)
    for e in unknown_api_calls(run):
        # an API of another platform only (my.showModal on Alipay) is missing on the device too: the app's error
        if e.api not in foreign:
            unknown_by_turn.setdefault(e.turn, set()).add(e.api.rsplit(".", 1)[-1])
            if e.stack:
                unknown_at.add((e.stack[0].file, e.stack[0].line or 0))
    for e in trace.of_kind("note"):
        # a method name read on a host object that the sandbox's model lacks (e.g. VideoContext.setWaterMark)
        if e.code == "unknown-member" and isinstance(e.data, dict) and isinstance(e.data.get("name"), str):
            unknown_by_turn.setdefault(e.turn, set()).add(e.data["name"].rsplit(".", 1)[-1])
            if e.data.get("file"):
                unknown_at.add((e.data["file"], e.data.get("line") or 0))
    out: list[tuple[Any, str]] = []
    module_failed_in_sandbox = False
    for e in trace.of_kind("error"):
        cause = _cause(art, e, unknown_by_turn, unknown_at, module_failed_in_sandbox)
        if e.error == "module" and cause != "app":
            module_failed_in_sandbox = True
        out.append((e, cause))
    return out


def _cause(art: Artifacts, e: Any, unknown_by_turn: dict[int, set[str]], unknown_at: set[tuple[str, int]],
           module_failed: bool) -> str:
    message = e.message or ""
    top = e.stack[0] if e.stack else None
    if "not supported in mpsandbox" in message:
        return "not-supported"
    if e.error == "module" and e.name == "SyntaxError":
        line = _source_line(art, top)
        if _ESM_LINE.match(line) or "keyword: export" in message or "keyword: import" in message:
            return "es-module-syntax"
        return "app"
    if e.name == "TypeError" and message.endswith("not a function"):
        if top is not None and (top.file, top.line or 0) in unknown_at:
            return "unknown-api"
        unknown = unknown_by_turn.get(e.turn)
        if unknown:
            line = _source_line(art, top)
            if not line or any(name in line for name in unknown):
                return "unknown-api"
    if e.name == "TypeError" and message.endswith("not a function"):
        line = _source_line(art, top)
        if any(f".{name}(" in line or f".{name})" in line for name in INSTANCE_METHODS_MISSING):
            return "framework-feature"
    if e.name == "ReferenceError":
        m = _NOT_DEFINED.match(message)
        if m and m.group(1) in PLATFORM_GLOBALS:
            return "missing-global"
    if module_failed and (_PAGE_NOT_FOUND.match(message) or _REQUIRE_MISSING.match(message)):
        return "after-module-failure"
    if e.error == "framework" and not _PAGE_NOT_FOUND.match(message):
        return "framework"
    if top is not None and top.file.startswith("mpsandbox/"):
        return "framework"
    return "app"


def run_coverage(art: Artifacts, run: RunArtifacts) -> Coverage:
    pages, routes = [], set()
    for p in art.facts.pages if art.facts is not None else []:  # a route app.json lists twice is one page
        if p.route not in routes:
            routes.add(p.route)
            pages.append(p)
    visited = set(run.pages_visited)
    packages: dict[str, PackageCoverage] = {}
    for p in pages:
        name = p.package or "main"
        pc = packages.setdefault(name, PackageCoverage(package=name))
        pc.pages_declared += 1
        if p.route in visited:
            pc.pages_visited += 1
    causes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    classes: Counter[str] = Counter()
    failed_at: set[tuple[str, int]] = set()  # where an unknown API or member made the app fail
    for e, cause in classify_errors(art, run):
        if cause == "unknown-api" and e.stack:
            failed_at.add((e.stack[0].file, e.stack[0].line or 0))
        causes[cause] += 1
        if cause == "app":
            classes[e.error] += 1
        examples.setdefault(cause, f"{e.name + ': ' if e.name else ''}{e.message}"[:200])
    # another platform's API (tt.confirm on Douyin) is missing on the device too: the app's error and an unknown-api
    # finding, not a gap in the sandbox's catalogue
    foreign = _other_platforms_apis(art)
    unknown_names = {e.api for e in unknown_api_calls(run) if e.api not in foreign}
    # a host object's missing method counts where the app failed on it (a mere probe of a name does not)
    unknown_names |= {e.data["name"] for e in run.trace.of_kind("note") if e.code == "unknown-member"
                and isinstance(e.data, dict) and (e.data.get("file"), e.data.get("line") or 0) in failed_at}
    unknown = sorted(unknown_names)
    return Coverage(
        pages_declared=len(pages),
        pages_visited=len(visited),
        packages=list(packages.values()),
        pages_failed=list(run.pages_failed),
        pages_skipped=list(run.pages_skipped),
        pages_redirected=dict(run.pages_redirected),
        handlers_bound=run.handlers_bound,
        handlers_fired=run.handlers_fired,
        unknown_apis=unknown,
        budget_notes=list(run.budget_notes) + stall_notes(run) + ([f"walk stopped early: {run.stopped_early}"]
                                                                  if run.stopped_early else []),
        errors_app=causes.get("app", 0),
        errors_sandbox=sum(n for c, n in causes.items() if c != "app"),
        errors_by_class=dict(sorted(classes.items())),
        error_causes=[ErrorCause(cause=c, origin="app" if c == "app" else "sandbox", count=n,
                                 description=CAUSE_TEXT[c], example=examples[c])
                      for c, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))],
    )


def stall_notes(run: RunArtifacts) -> list[str]:
    """Turns that stalled: they reached the wall limit without spending their CPU time (the machine or the host,
    not the bundle: never a finding), so the walk's record stops short there."""
    return [f"a turn stalled past the wall limit without spending its CPU time ({e.detail}); not the bundle's CPU"
            for e in run.trace.of_kind("budget") if e.budget == "wall"]


def sandbox_error_seqs(art: Artifacts, run: RunArtifacts) -> set[int]:
    """Sequence numbers of the run's error events that are the sandbox's fault."""
    return {e.seq for e, cause in classify_errors(art, run) if cause != "app"}

