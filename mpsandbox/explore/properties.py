"""The properties checked after every step of an exploration run, over the trace and the rendered page.

- no uncaught error and no unhandled rejection;
- no white screen: a page that, once nothing is pending (no API call in flight, no loading shown), renders no
  visible content;
- no endless loading: ``showLoading`` still shown, or a spinner still rendered, once nothing is pending that could
  end it (no call in flight, no timer due within a minute);
- basic features still work after a denial: a page that offered features (interactive elements other than
  permission buttons) before a permission was refused still offers some after it;
- no re-prompt loop: a scope the user refused (or dismissed) is asked for again three times or more in one step,
  that is in answer to a single user action;
- no navigation past the page-stack limit (``navigateTo`` failing with "webview count limit exceed");
- the run does not end on a budget (CPU, turns, memory).
"""

from __future__ import annotations

import re
from typing import Any

from ..runtime.view.events import interactive
from .model import Failure

REPROMPT_LIMIT = 3  # asks of a refused scope in one step that make a loop
TIMER_HORIZON_MS = 60_000  # a timer due within this may still hide a loading indicator
VISIBLE_TAGS = frozenset({"image", "video", "canvas", "map", "icon", "web-view", "cover-image", "cover-view",
                          "live-player", "camera", "input", "textarea", "switch", "slider", "progress", "ad",
                          "rich-text", "picker-view", "radio", "checkbox", "editor"})
SPINNER_CLASSES = frozenset({"loading", "spinner", "is-loading", "loading-spinner", "weui-loading"})
PERMISSION_OPEN_TYPES = frozenset({"openSetting", "getPhoneNumber", "getRealtimePhoneNumber", "getUserInfo",
                                   "getAuthorize", "agreePrivacyAuthorization", "chooseAvatar"})
PERMISSION_HANDLER = re.compile(r"auth|permission|setting|privacy|授权|权限", re.I)
_DIGITS = re.compile(r"\d+")


def _hidden(el: Any) -> bool:
    for node in (el, *el.ancestors()):
        if node.hidden:
            return True
        style = str(node.attrs.get("style") or "").replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            return True
    return False


def visible_content(tree: Any) -> bool:
    """Whether a rendered page shows anything: text, or an element that draws by itself (image, input...)."""
    for el in tree.iter():
        if el.tag not in VISIBLE_TAGS and not any(isinstance(c, str) and c.strip() for c in el.composed()):
            continue
        if el.tag == "image" and not el.attrs.get("src"):
            continue
        if not _hidden(el):
            return True
    return False


def spinner(tree: Any) -> Any:
    """A loading indicator rendered on the page (a <loading> element, a spinner class), or None."""
    for el in tree.iter():
        if el.tag == "loading" or SPINNER_CLASSES & set(el.classes):
            if not _hidden(el):
                return el
    return None


def is_permission_element(el: Any) -> bool:
    open_type = str(el.attrs.get("openType") or el.attrs.get("open-type") or "")
    if open_type in PERMISSION_OPEN_TYPES:
        return True
    handlers = [str(b.handler) for b in el.bindings if isinstance(b.handler, str)]
    return bool(handlers) and all(PERMISSION_HANDLER.search(h) for h in handlers)


def features(tree: Any) -> int:
    """Interactive elements that are not there to ask for a permission."""
    return sum(1 for el in interactive(tree) if not is_permission_element(el))


def _where(stack: list[Any]) -> str | None:
    return f"{stack[0].file}:{stack[0].line}" if stack else None


class Checker:
    """Reads a run's trace as it grows and the page on top; :meth:`check` returns the first property that failed."""

    def __init__(self, mp: Any):
        self.mp = mp
        self.seen = 0  # trace events read
        self.pending: dict[int, str] = {}  # async calls in flight: call id -> api
        self.loading = False
        self.denied: set[str] = set()  # scopes refused or dismissed in this run
        self.denials = 0
        self.features_before: dict[str, int] = {}  # route -> features seen before any denial
        self.pages: set[str] = set()

    def _read(self, step: int) -> Failure | None:
        events = self.mp.sandbox.trace.events
        asks: dict[str, int] = {}
        failure: Failure | None = None
        for e in events[self.seen:]:
            kind = e.kind
            if kind == "api":
                if e.outcome == "pending":
                    self.pending[e.call_id] = e.api
                if e.api == "showLoading" and e.outcome in ("ok", "pending"):
                    self.loading = True
                elif e.api in ("hideLoading", "showToast"):  # a toast replaces the loading indicator
                    self.loading = False
            elif kind == "api-complete":
                self.pending.pop(e.call_id, None)
            elif kind == "note" and e.code == "relaunch":
                self.pending.clear()
                self.loading = False
            elif kind == "permission":
                if e.scope in self.denied and e.action != "open-setting" and (
                        e.action in ("prompt", "authorize") or e.reason in ("denied-before", "dismissed")):
                    asks[e.scope] = asks.get(e.scope, 0) + 1
                    if asks[e.scope] == REPROMPT_LIMIT and failure is None:
                        failure = Failure(property="reprompt-loop", key=f"reprompt-loop|{e.scope}", route=e.page,
                                          step=step, message=f"{e.scope} was asked for {REPROMPT_LIMIT} times after "
                                          f"the user refused it, in answer to one action (by {e.api})")
                if e.decision == "denied" and e.reason in ("user", "dismissed"):
                    self.denied.add(e.scope)
                    self.denials += 1
            elif kind == "error" and e.error in ("uncaught", "unhandled-rejection") and failure is None:
                where = _where(e.stack)
                message = f"{e.name}: {e.message}" if e.name else e.message
                norm = _DIGITS.sub("N", message)[:160]
                failure = Failure(property=e.error if e.error == "unhandled-rejection" else "uncaught-error",
                                  key=f"{e.error}|{norm}|{where or e.source or ''}", route=e.page, step=step,
                                  message=f"{message} ({e.source or 'app'})", location=where)
            elif kind == "navigation" and e.outcome == "fail" and "limit exceed" in (e.err_msg or "") \
                    and failure is None:
                failure = Failure(property="page-stack-limit", key=f"page-stack-limit|{e.from_route}",
                                  route=e.from_route, step=step,
                                  message=f"{e.op} to {e.to_route} past the page-stack limit ({e.err_msg})")
        self.seen = len(events)
        return failure

    def check(self, step: int) -> Failure | None:
        failure = self._read(step)
        if failure is not None:
            return failure
        sb = self.mp.sandbox
        if sb.trace.end is not None or not sb.pages:
            return None
        route = sb.pages[-1]
        self.pages.add(route)
        tree = sb.view_tree()
        if tree is None:
            return None
        idle = not self.pending
        quiet = idle and sb.next_timer_at(sb.now + TIMER_HORIZON_MS) is None
        if quiet and self.loading:
            return Failure(property="endless-loading", key=f"endless-loading|{route}|showLoading", route=route,
                           step=step, message="showLoading is still shown with no call in flight and no timer due "
                                              "to hide it")
        if quiet and (el := spinner(tree)) is not None:
            return Failure(property="endless-loading", key=f"endless-loading|{route}|spinner", route=route,
                           step=step, message=f"a spinner (<{el.tag} class=\"{' '.join(el.classes)}\">) is still "
                                              "rendered with no call in flight and no timer due to end it")
        if idle and not self.loading and not visible_content(tree):
            return Failure(property="white-screen", key=f"white-screen|{route}", route=route, step=step,
                           message="the page renders no visible content once nothing is pending")
        count = features(tree)
        if not self.denials:
            self.features_before[route] = max(self.features_before.get(route, 0), count)
        elif idle and count == 0 and self.features_before.get(route, 0) > 0:
            return Failure(property="blocked-after-denial", key=f"blocked-after-denial|{route}", route=route,
                           step=step, message=f"after {', '.join(sorted(self.denied))} was refused the page offers "
                                              f"nothing but permission requests ({self.features_before[route]} "
                                              "features before)")
        return None
