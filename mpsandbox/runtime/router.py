"""The page stack, owned by the host: routing decisions and the page operations they imply."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

MAX_DEPTH = 10


@dataclass
class PageRecord:
    page_id: int
    route: str
    query: dict[str, str]


@dataclass
class RouteResult:
    ok: bool
    detail: str | None = None  # fail detail, e.g. 'page "x" is not found'
    ops: list[dict] = field(default_factory=list)  # JS page ops for the framework's `pages` command
    created: PageRecord | None = None
    from_route: str | None = None
    to_route: str | None = None
    query: dict[str, str] = field(default_factory=dict)


def split_url(url: str, current: str | None) -> tuple[str, dict[str, str]]:
    path, _, qs = url.partition("?")
    path = path.strip()
    if path.startswith("/"):
        route = posixpath.normpath(path.lstrip("/"))
    else:
        base = posixpath.dirname(current) if current else ""
        route = posixpath.normpath(posixpath.join(base, path))
    if route.endswith(".js"):
        route = route[:-3]
    if route in (".", "") or route.startswith("../"):
        route = path.lstrip("/")
    query = {k: v for k, v in parse_qsl(qs, keep_blank_values=True)}
    return route, query


class Router:
    def __init__(self, routes: set[str], tab_routes: set[str], max_depth: int = MAX_DEPTH):
        self.routes = routes
        self.tab_routes = tab_routes
        self.max_depth = max_depth
        self.stack: list[PageRecord] = []
        self.tab_pages: dict[str, PageRecord] = {}  # tab pages kept alive while hidden
        self._ids = 0

    @property
    def top(self) -> PageRecord | None:
        return self.stack[-1] if self.stack else None

    def _new(self, route: str, query: dict[str, str]) -> PageRecord:
        self._ids += 1
        return PageRecord(self._ids, route, query)

    def _create(self, rec: PageRecord) -> dict:
        return {"op": "create", "route": rec.route, "query": rec.query, "pageId": rec.page_id}

    def _unload(self, recs: list[PageRecord]) -> list[dict]:
        ops = []
        for rec in recs:
            ops.append({"op": "unload", "pageId": rec.page_id})
            if self.tab_pages.get(rec.route) is rec:
                del self.tab_pages[rec.route]
        return ops

    def launch(self, route: str, query: dict[str, str]) -> RouteResult:
        if route not in self.routes:
            return RouteResult(False, f'page "{route}" is not found', to_route=route, query=query)
        rec = self._new(route, query)
        self.stack = [rec]
        if route in self.tab_routes:
            self.tab_pages[route] = rec
        return RouteResult(True, ops=[self._create(rec)], created=rec, to_route=route, query=query)

    def navigate(self, op: str, url: str | None, delta: int = 1) -> RouteResult:
        current = self.top.route if self.top else None
        if op == "navigateBack":
            return self._back(delta)
        if not isinstance(url, str) or not url:
            return RouteResult(False, "parameter.url should be String instead of Undefined", from_route=current)
        route, query = split_url(url, current)
        res = RouteResult(False, from_route=current, to_route=route, query=query)
        if route not in self.routes:
            res.detail = f'page "{route}" is not found'
            return res
        is_tab = route in self.tab_routes
        if op in ("navigateTo", "redirectTo") and is_tab:
            res.detail = f"can not {op} a tabbar page"
            return res
        if op == "switchTab" and not is_tab:
            res.detail = "can not switch to no-tabBar page"
            return res
        if op == "navigateTo":
            if len(self.stack) >= self.max_depth:
                res.detail = "webview count limit exceed"
                return res
            rec = self._new(route, query)
            if self.top:
                res.ops.append({"op": "hide", "pageId": self.top.page_id})
            self.stack.append(rec)
            res.ops.append(self._create(rec))
            res.created = rec
        elif op == "redirectTo":
            old = self.stack.pop() if self.stack else None
            if old:
                res.ops += self._unload([old])
            rec = self._new(route, query)
            self.stack.append(rec)
            res.ops.append(self._create(rec))
            res.created = rec
        elif op == "switchTab":
            non_tab = [r for r in self.stack if self.tab_pages.get(r.route) is not r]
            top = self.top
            if top and self.tab_pages.get(top.route) is top and top.route != route:
                res.ops.append({"op": "hide", "pageId": top.page_id})
            res.ops += self._unload(list(reversed(non_tab)))
            existing = self.tab_pages.get(route)
            if existing:
                self.stack = [existing]
                if top is not existing:
                    res.ops.append({"op": "show", "pageId": existing.page_id})
            else:
                rec = self._new(route, {})
                self.tab_pages[route] = rec
                self.stack = [rec]
                res.ops.append(self._create(rec))
                res.created = rec
        elif op == "reLaunch":
            alive = list(reversed(self.stack)) + [r for r in self.tab_pages.values() if r not in self.stack]
            res.ops += self._unload(alive)
            self.tab_pages.clear()
            rec = self._new(route, query)
            self.stack = [rec]
            if is_tab:
                self.tab_pages[route] = rec
            res.ops.append(self._create(rec))
            res.created = rec
        else:
            res.detail = f"unknown route op {op}"
            return res
        res.ok = True
        return res

    def _back(self, delta: int) -> RouteResult:
        current = self.top.route if self.top else None
        if len(self.stack) <= 1:
            return RouteResult(False, "cannot navigate back at first page.", from_route=current)
        delta = max(1, min(int(delta or 1), len(self.stack) - 1))
        gone = [self.stack.pop() for _ in range(delta)]
        res = RouteResult(True, from_route=current, to_route=self.top.route if self.top else None)
        res.ops += self._unload(gone)
        if self.top:
            res.ops.append({"op": "show", "pageId": self.top.page_id})
        return res

    def unload_all(self) -> list[dict]:
        alive = list(reversed(self.stack)) + [r for r in self.tab_pages.values() if r not in self.stack]
        ops = self._unload(alive)
        self.stack = []
        self.tab_pages.clear()
        return ops
