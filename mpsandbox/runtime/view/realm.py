"""The view realm: a JavaScript engine of its own that renders a bundle's templates from page data.

As on the platforms, the view realm shares nothing with the logic realm: data crosses as JSON. Templates and
script modules are compiled on first use (a page's template, what it imports and includes, the scripts they use).
Every render is a turn with the engine's CPU and memory budgets, so a hostile script module cannot hang the host.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..engine import Engine, EngineLimits, create_engine
from .compile import SCRIPT_EXT, CompiledFile, compile_template, script_to_cjs
from .parse import TemplateProblem
from .tree import Changes, Element, apply_patches, from_json

if TYPE_CHECKING:
    from ...bundle import Bundle

TEMPLATE_EXT = {"tt": ".ttml", "wx": ".wxml", "my": ".axml"}
VIEW_FILE = "https://lib/webview.js"  # a platform-like name: script modules read it in their stacks
MAX_FILES = 2_000  # template and script files one realm compiles


@dataclass
class RenderResult:
    tree: Element
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    patches: int | None = None  # for an update: how many patches changed the slot's previous tree
    changes: Changes | None = None  # for an update with patches: what they changed (None: the tree is new)


@functools.lru_cache(maxsize=None)
def _view_source() -> str:
    return (resources.files("mpsandbox.runtime") / "js" / "view.js").read_text(encoding="utf-8")


def _view_engine(engine: str, limits: EngineLimits | None) -> Engine:
    """An engine with the view framework loaded."""
    eng = create_engine(engine, limits or EngineLimits(cpu_ms_per_turn=500.0))
    loaded = eng.load_trusted(_view_source(), VIEW_FILE)
    if not loaded.ok:
        eng.close()
        raise RuntimeError(f"the view framework failed to load: {loaded.error}")
    return eng


def warm_view(engine: str) -> None:
    """Load the view framework once in this process (compiled code that later realms, and forked processes,
    reuse)."""
    _view_engine(engine, None).close()


_CS_PUSH = 'cs.push("'
_N_RETURN = "return {tag:'wx-'+tag,"


def _mark_nodes(code: str) -> str:
    """wcc's debug code names each element's template position before creating it (``cs.push("file:tag:line:col")``,
    kept in shipped packages): each element then carries it, as a source template's elements carry their node,
    so that the items of a list share one shape and distinct elements do not."""
    if _CS_PUSH not in code or _N_RETURN not in code:
        return code
    return code.replace(_CS_PUSH, 'cs.push(__mps_src="').replace(_N_RETURN, _N_RETURN + "src:__mps_src,")


class ViewRealm:
    """Render the templates of one bundle. Not thread-safe; close it (or use it as a context manager)."""

    def __init__(self, bundle: Bundle, *, engine: str = "native", limits: EngineLimits | None = None,
                 max_nodes: int = 20_000):
        self.bundle = bundle
        self.platform = bundle.platform
        self.template_ext = TEMPLATE_EXT[self.platform]
        self.script_ext = SCRIPT_EXT[self.platform]
        self.engine: Engine = _view_engine(engine, limits)
        self.engine.pin("__view_entry")
        self.engine.call("__view_entry", "limit", max_nodes)
        self.compiled: dict[str, CompiledFile] = {}
        self.problems: list[TemplateProblem] = []
        self._scripts: set[str] = set()
        self._slots: dict[str, Element] = {}
        self._compiled_code = False

    # ---- loading ------------------------------------------------------------------------------------------------
    def _text(self, path: str) -> str | None:
        if path not in self.bundle.files:
            return None
        return self.bundle.read_text(path)

    def _eval(self, js: str, where: str) -> None:
        self.engine.begin_turn()
        try:
            res = self.engine.eval(js, where)
        finally:
            self.engine.end_turn()
        if not res.ok:
            self.problems.append(TemplateProblem(f"{where}: {res.error.text if res.error else res.outcome.value}", 1))

    def load(self, path: str) -> bool:
        """Compile ``path`` and everything it imports, includes and uses; False if the file is not in the bundle."""
        todo = [path]
        found = True
        while todo:
            current = todo.pop()
            if current in self.compiled or len(self.compiled) >= MAX_FILES:
                continue
            text = self._text(current)
            if text is None:
                if current == path:
                    found = False
                continue
            compiled = compile_template(current, text, self.platform, self.template_ext)
            self.compiled[current] = compiled
            self.problems += [TemplateProblem(f"{current}:{p.line}: {p.message}", p.line) for p in compiled.problems]
            self._eval(compiled.js, current)
            todo += compiled.imports + compiled.includes
            for script in compiled.scripts.values():
                self._load_script(script)
        return found

    def _load_script(self, path: str) -> None:
        pending = [path]
        while pending:
            current = pending.pop()
            if "#" in current or current in self._scripts or len(self._scripts) >= MAX_FILES:
                continue
            self._scripts.add(current)
            text = self._text(current)
            if text is None:
                continue
            source = script_to_cjs(text)
            js = (f"__view.script({json.dumps(current)},function(require,module,exports,getRegExp,getDate,__ctor){{"
                  f"{source}\n}});")
            self._eval(js, current)
            # scripts a script requires: load every script file of the bundle it could name (cheap, bounded)
            for dep in _required(source, current, self.script_ext):
                pending.append(dep)

    def set_clock(self, epoch_ms: int) -> None:
        """What getDate() (WXS/SJS) gives from now on: the logic realm's clock."""
        self.engine.call("__view_entry", "clock", int(epoch_ms))

    def load_compiled(self, code: str, where: str = "page-frame") -> int:
        """Evaluate compiled template code (``$gwx`` from a .wxapkg, as wcc generates it); its templates then render
        like source ones. Returns how many template generators the realm holds."""
        if not self._compiled_code:
            # what the generated code expects of a web view's page frame (nothing of it reaches the host)
            self._eval("var window = globalThis; var __wxAppCode__ = {}; var __wxConfig = {}; var __vd_version_info__"
                       " = {}; var __wxAppCurrentFile__ = ''; var __mainPageFrameReady__ = function(){};"
                       "var setCssToHead = function(){ return function(){}; };"
                       "var __COMMON_STYLESHEETS__ = {}; var __wxAppSuffixCode__ = {}; var Component = function(){};"
                       "var define = function(){}; var require = function(){ return {}; }; var __mps_src; var navigator ="
                       " {userAgent: ''}; var __wxRoute = ''; var __wxRouteBegin = false;"
                       "var console = {log: function(){}, warn: function(){}, error: function(){},"
                       " info: function(){}, debug: function(){}, group: function(){}, groupEnd: function(){}};",
                       "https://lib/page-frame.js")
        code = _mark_nodes(code)
        before = len(self.problems)
        self._eval(code, where)
        if len(self.problems) > before and "return" in self.problems[-1].message:
            # wcc's wxmlToJs output is a function body ending in `return $gwx` (evaluated with new Function)
            del self.problems[before:]
            self._eval(f"(function (global) {{{code}\n}})({{}});", where)
        for name, paths in gwx_paths(code).items():
            self.engine.call("__view_entry", "gwxpaths", name, paths)
        res = self.engine.call("__view_entry", "gwx")
        self._compiled_code = True
        return int(res.value) if res.ok and isinstance(res.value, int) else 0

    # ---- rendering ----------------------------------------------------------------------------------------------
    def _ensure(self, path: str) -> bool:
        if path in self.compiled or self.load(path):
            return True
        if self._compiled_code:
            res = self.engine.call("__view_entry", "has", path)
            return bool(res.ok and res.value)
        return False

    def render(self, path: str, data: Any) -> RenderResult:
        """Render the template file ``path`` (e.g. ``pages/index/index.wxml``) with ``data`` (a JSON copy)."""
        if not self._ensure(path):
            return RenderResult(Element("#root"), error=f"no template {path}")
        self.engine.begin_turn()
        try:
            res = self._call("render", path, data)
        finally:
            self.engine.end_turn()
        if not res.ok:
            reason = res.error.text if res.error else res.outcome.value
            return RenderResult(Element("#root"), error=f"render stopped: {reason}")
        value = res.value if isinstance(res.value, dict) else {}
        tree = from_json(value.get("tree") or [])
        return RenderResult(tree, error=value.get("error"), problems=list(value.get("problems") or []))

    def render_page(self, route: str, data: Any) -> RenderResult:
        return self.render(route + self.template_ext, data)

    def update(self, slot: str, path: str, data: Any) -> RenderResult:
        """Render ``path`` into ``slot`` (e.g. a page instance) with the whole ``data``: the first time the whole
        tree crosses, then only patches against the slot's previous tree."""
        return self._slot_call("update", slot, path, data)

    def set_data(self, slot: str, path: str, changes: dict[str, Any]) -> RenderResult:
        """Apply a ``setData`` payload (``{"list[3].name": "x"}``) to the slot's data and re-render: only the
        changes cross into the realm and only patches come back, as on the platforms."""
        return self._slot_call("setData", slot, path, changes)

    def _slot_call(self, op: str, slot: str, path: str, data: Any) -> RenderResult:
        if not self._ensure(path):
            return RenderResult(Element("#root"), error=f"no template {path}")
        self.engine.begin_turn()
        try:
            res = self._call(op, slot, path, data)
        finally:
            self.engine.end_turn()
        if not res.ok:
            self.drop(slot)
            reason = res.error.text if res.error else res.outcome.value
            return RenderResult(Element("#root"), error=f"render stopped: {reason}")
        value = res.value if isinstance(res.value, dict) else {}
        problems = list(value.get("problems") or [])
        if "patches" in value and slot in self._slots:
            tree = self._slots[slot]
            changes = Changes()
            n = apply_patches(tree, value.get("patches") or [], changes)
            return RenderResult(tree, error=value.get("error"), problems=problems, patches=n, changes=changes)
        tree = from_json(value.get("tree") or [])
        self._slots[slot] = tree
        return RenderResult(tree, error=value.get("error"), problems=problems)

    def has_slot(self, slot: str) -> bool:
        """Whether ``slot`` holds a tree (and its data) from an earlier update."""
        return slot in self._slots

    def drop(self, slot: str) -> None:
        self._slots.pop(slot, None)
        self.engine.call("__view_entry", "drop", slot)

    def _call(self, op: str, *args: Any) -> Any:
        """Call the view framework with data as its last argument (JSON-encoded once, by the engine; a value JSON
        cannot hold is turned into its text and the call made again)."""
        *head, data = args
        data = {} if data is None else data
        try:
            return self.engine.call("__view_entry", op, *head, data)
        except (TypeError, ValueError):
            return self.engine.call("__view_entry", op, *head, _json_safe(data))

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "ViewRealm":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _json_safe(data: Any) -> Any:
    """``data`` as the engine can take it: values JSON cannot hold become their text."""
    return json.loads(json.dumps(data, default=str))


def _required(source: str, current: str, ext: str) -> list[str]:
    out = []
    for m in re.finditer(r"require\(\s*['\"]([^'\"]+)['\"]\s*\)", source):
        spec = m.group(1)
        path = spec.lstrip("/") if spec.startswith("/") else posixpath.join(posixpath.dirname(current), spec)
        path = posixpath.normpath(path)
        out.append(path)
    return out


_GWX_DEF = re.compile(r"(\$gwx\w*)=function\(path,global\)\{")
_GWX_PATHS = re.compile(r"var x=\[([^\]]{0,200000})\]")


def gwx_paths(code: str) -> dict[str, list[str]]:
    """Which compiled template function ($gwx, $gwx28...) defines which template paths: the ``var x=[...]`` list
    in each function's source (a subpackage's page-frame.js has one function for its pages)."""
    starts = [(m.start(), m.group(1)) for m in _GWX_DEF.finditer(code)]
    out: dict[str, list[str]] = {}
    for i, (pos, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(code)
        paths = out.setdefault(name, [])
        for m in _GWX_PATHS.finditer(code, pos, end):
            paths += [p[2:] if p.startswith("./") else p for p in re.findall(r"'([^']{1,512}\.wxml)'", m.group(1))]
    return {k: v[:5000] for k, v in out.items() if v}
