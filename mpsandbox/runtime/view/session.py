"""The view side of a running sandbox: one view realm that renders every page and component instance the logic
realm holds, keeps each page's composed element tree, and reports what the view layer loads.

The logic realm drives it (framework.js ``viewSync``) through the bridge's ``view`` operation, level by level:
``page`` renders a page and answers the component elements its tree holds; ``component`` renders one instance
into its host element and answers its own component elements; ``release`` forgets an instance; ``done`` ends a
page's sync (its sinks are reported then).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable

from ..engine import EngineLimits
from .compose import MAX_INSTANCES, _distribute, component_elements, component_resolver, props_of
from .html import BundleImages, collect_styles, to_html
from .realm import TEMPLATE_EXT, RenderResult, ViewRealm
from .sinks import ViewSink, sinks_of
from .tree import Changes, Element

if TYPE_CHECKING:
    from ...bundle import Bundle

SinkCallback = Callable[[ViewSink, str, str | None], None]  # (sink, page route, component path or None)
MAX_SEEN_SINKS = 5_000


_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.S | re.I)
MAX_COMPILED_CHUNKS = 64


def compiled_scripts(where: str, text: str) -> list[str]:
    """The JavaScript of a compiled view file: each inline ``<script>`` of an .html file, or the .js file itself;
    only chunks that define templates (``$gwx``) are kept."""
    chunks = [m.group(1) for m in _SCRIPT.finditer(text)] if where.endswith(".html") else [text]
    return [c for c in chunks if "$gwx" in c][:MAX_COMPILED_CHUNKS]


MAX_DATA_CHANGES = 100  # more paths than this: the whole data crosses
_REFUSED = ("__proto__", "constructor", "prototype")  # path segments setData refuses (view.js applyChanges)


def data_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The setData paths that turn JSON data ``old`` into ``new`` (values as strict as JSON's: ``True`` is not
    ``1``, key order counts), or None when they cannot (a key removed or moved at the top, too many paths). A
    changed list of another length, or an object whose keys changed, is set whole (the view keeps its equal
    parts)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    keys = list(old)
    if list(new)[:len(keys)] != keys:
        return None
    out: dict[str, Any] = {}
    for k, v in new.items():
        if not _plain(k):
            return None
        if k not in old:
            out[k] = v
        elif old[k] is not v:
            _diff(old[k], v, k, out, 0)
        if len(out) > MAX_DATA_CHANGES:
            return None
    return out


def _plain(key: str) -> bool:
    return bool(key) and "." not in key and "[" not in key and "]" not in key and key not in _REFUSED


_SCALARS = (str, int, bool, type(None))  # equal when of one type and ==


def _same_scalar(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _SCALARS:
        return a == b
    # -0.0 == 0.0 in Python, not in a template (1 / x); NaN is never equal: set again
    return kind is float and a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))


def _diff(o: Any, n: Any, path: str, out: dict[str, Any], depth: int) -> None:
    if len(out) > MAX_DATA_CHANGES:
        return
    kind = type(o)
    if kind is not type(n) or depth > 32:
        out[path] = n
    elif kind is dict:
        if len(o) != len(n):
            out[path] = n
            return
        for (k, v), (ok, ov) in zip(n.items(), o.items()):
            if k != ok or not _plain(k):  # keys moved, or no path for one: the object whole (after any paths
                out[path] = n  # into it, so it wins)
                return
            if ov is not v and not _same_scalar(ov, v):
                _diff(ov, v, f"{path}.{k}", out, depth + 1)
    elif kind is list:
        if len(o) != len(n):
            out[path] = n
            return
        for i, (ov, v) in enumerate(zip(o, n)):
            if ov is not v and not _same_scalar(ov, v):
                _diff(ov, v, f"{path}[{i}]", out, depth + 1)
    elif not _same_scalar(o, n):
        out[path] = n


class ViewSession:
    def __init__(self, bundle: Bundle, *, engine: str = "native", on_sink: SinkCallback | None = None,
                 limits: EngineLimits | None = None):
        self.bundle = bundle
        self.realm = ViewRealm(bundle, engine=engine, limits=limits)
        sources = bundle.compiled.gwx_sources if bundle.compiled is not None else {}
        for where, text in sorted(sources.items()):
            for i, chunk in enumerate(compiled_scripts(where, text)):
                self.realm.load_compiled(chunk, f"{where}#{i}")
        self.ext = TEMPLATE_EXT[bundle.platform]
        self.resolve = component_resolver(bundle)
        self.on_sink = on_sink
        self.pages: dict[int, Element] = {}
        self.routes: dict[int, str] = {}
        self.hosts: dict[str, Element] = {}  # instance identity -> its element in the owner's tree
        self.owners: dict[str, int] = {}  # instance identity -> page id
        self.components: dict[str, str] = {}  # instance identity -> component path
        self.errors: list[str] = []
        # templates (a page's route, a component's path) a render of failed: their trees may lack what they bind
        self.failed: set[str] = set()
        self._seen: set[tuple[str, str, str, str]] = set()
        self._pending: dict[int, list[tuple[ViewSink, str | None]]] = {}
        # per slot: the component elements its tree held when last looked for, and the limit they were looked
        # for with (kept while updates only change attributes and texts)
        self._found: dict[str, tuple[int, list[tuple[str, str, Element]]]] = {}
        self._data: dict[str, dict[str, Any]] = {}  # per slot: the data it was last rendered with (the bridge's)

    # ---- the bridge operation ------------------------------------------------------------------------------------
    def handle(self, p: dict[str, Any]) -> dict[str, Any] | None:
        op = p.get("op")
        if op == "page":
            return self._page(p)
        if op == "component":
            return self._component(p)
        if op == "release":
            identity = str(p.get("identity") or "")
            self.hosts.pop(identity, None)
            self.owners.pop(identity, None)
            self.components.pop(identity, None)
            if identity:
                self.realm.drop(identity)
                self._found.pop(identity, None)
                self._data.pop(identity, None)
            return None
        if op == "done":
            self._flush(int(p.get("pageId") or 0))
            return None
        return None

    def _page(self, p: dict[str, Any]) -> dict[str, Any]:
        page_id = int(p.get("pageId") or 0)
        route = str(p.get("route") or "")
        res = self._render(f"p{page_id}", route + self.ext, p.get("data") or {})
        if res.error and res.error.startswith("no template"):
            return {"instances": [], "rendered": False}
        if res.error:
            self.errors.append(f"{route}: {res.error}")
            self.failed.add(route)
        self.pages[page_id] = res.tree
        self.routes[page_id] = route
        self._collect(page_id, res.tree, None, res.changes)
        return {"instances": self._instances(res.tree, f"p{page_id}", route, page_id, res.changes),
                "rendered": True}

    def _component(self, p: dict[str, Any]) -> dict[str, Any]:
        identity = str(p.get("identity") or "")
        path = str(p.get("path") or "")
        host = self.hosts.get(identity)
        page_id = self.owners.get(identity)
        if host is None or page_id is None:
            return {"instances": []}
        res = self._render(identity, path + self.ext, p.get("data") or {})
        if res.error:
            self.failed.add(path)
        if res.error and not res.error.startswith("no template"):
            self.errors.append(f"{path}: {res.error}")
        shadow = res.tree
        shadow.parent = host
        if res.changes is None:
            for node in shadow.raw_iter():
                node.owner = identity
        else:  # the shadow's other elements are those of its last render
            for el, deep in res.changes.elements:
                if deep:
                    el.owner = identity
                    for node in el.raw_iter():
                        node.owner = identity
        host.shadow = shadow
        _distribute(host, shadow)
        self._collect(page_id, shadow, path, res.changes)
        return {"instances": self._instances(shadow, identity, path, page_id, res.changes)}

    def _render(self, slot: str, path: str, data: dict[str, Any]) -> RenderResult:
        """Render ``slot`` with the whole of the logic realm's data; what differs from the data it was last rendered
        with crosses into the view realm as setData paths, as on the platforms (``data`` is the bridge's own JSON,
        which nothing changes: it is kept to compare the next data with)."""
        last = self._data.get(slot)
        changes = data_changes(last, data) if last is not None and self.realm.has_slot(slot) else None
        res = self.realm.update(slot, path, data) if changes is None else self.realm.set_data(slot, path, changes)
        self._data[slot] = data
        return res

    def _instances(self, tree: Element, owner_slot: str, owner_module: str, page_id: int,
                   changes: Changes | None = None) -> list[dict[str, Any]]:
        out = []
        room = MAX_INSTANCES - len(self.hosts)
        limit = max(0, room) + 1
        kept = self._found.get(owner_slot)
        if changes is not None and not changes.structure and kept is not None and len(kept[1]) < kept[0]:
            found = kept[1][:limit]  # the same elements at the same places: the same instances
        else:
            found = component_elements(tree, owner_slot, owner_module, self.resolve, limit=limit)
        self._found[owner_slot] = (limit, found)
        if len(found) > room:
            self.errors.append(f"more than {MAX_INSTANCES} component instances")
            found = found[:max(0, room)]
        for identity, component, el in found:
            self.hosts[identity] = el
            self.owners[identity] = page_id
            self.components[identity] = component
            out.append({
                "identity": identity, "path": component, "tag": el.tag, "id": el.id, "classes": el.classes,
                "dataset": el.dataset, "props": props_of(el),
                "bindings": [{"event": b.event, "handler": b.handler, "kind": b.kind} for b in el.bindings
                             if isinstance(b.handler, str)],
            })
        return out

    # ---- sinks ---------------------------------------------------------------------------------------------------------
    def _collect(self, page_id: int, tree: Element, component: str | None, changes: Changes | None = None) -> None:
        # after an update, only what it changed: the rest was searched when it was rendered
        for sink in sinks_of(tree.iter() if changes is None else changes.iter()):
            key = (f"{page_id}", sink.tag, sink.attr, sink.url)
            if key in self._seen or len(self._seen) >= MAX_SEEN_SINKS:
                continue
            self._seen.add(key)
            self._pending.setdefault(page_id, []).append((sink, component))

    def _flush(self, page_id: int) -> None:
        items = self._pending.pop(page_id, [])
        if self.on_sink is None:
            return
        route = self.routes.get(page_id, "")
        for sink, component in items:
            self.on_sink(sink, route, component)

    # ---- what the host reads -------------------------------------------------------------------------------------
    def tree(self, page_id: int) -> Element | None:
        return self.pages.get(page_id)

    def document(self, page_id: int, width: int = 375) -> str | None:
        """The page as a self-contained HTML document (its styles and its components' inlined), for screenshots."""
        tree = self.pages.get(page_id)
        if tree is None:
            return None
        route = self.routes.get(page_id, "")
        modules = sorted({c for i, c in self.components.items() if self.owners.get(i) == page_id})
        css = collect_styles(self.bundle, [route, *modules], self.bundle.platform)
        return to_html(tree, css, width=width, title=route, images=BundleImages(self.bundle, route))

    def drop_page(self, page_id: int) -> None:
        self.pages.pop(page_id, None)
        self.routes.pop(page_id, None)
        self.realm.drop(f"p{page_id}")
        self._found.pop(f"p{page_id}", None)
        self._data.pop(f"p{page_id}", None)
        for identity in [i for i, pid in self.owners.items() if pid == page_id]:
            self._found.pop(identity, None)
            self._data.pop(identity, None)
            self.hosts.pop(identity, None)
            self.owners.pop(identity, None)
            self.components.pop(identity, None)
            self.realm.drop(identity)

    def close(self) -> None:
        self.realm.close()
