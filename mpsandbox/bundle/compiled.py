"""A WeChat compiled package (what a .wxapkg holds) turned into the files of a source project.

A compiled package has no app.json, page .json, .wxml or per-module .js: app-config.json carries the app and page
configuration; app-service.js (and ``<subpackage>/app-service.js``, ``*.appservice.js`` and ``appservice.app.js``
under lazy code loading) carries every JS module as ``define("path.js", function(require, module, exports, window,
...){ body });`` between bootstrap lines (``__wxRoute = ...``, ``require("page.js")``); components' JSON is in
``__wxAppCode__['x.json'] = {...}`` statements; templates are ``$gwx`` code (see gwx.py).

Modules are found with a regex on the compiler's exact header and end (``});`` followed only by bootstrap lines up
to the next header): linear and fast on MB files. Where a file does not have that shape the whole file is parsed
with tree-sitter instead. A string that imitates a header can still mislead the fast path; the pieces it makes then
fail to parse, which the loader reports as ``js-syntax`` problems.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from .archive import safe_name
from .errors import BundleError, BundleProblem

_HEADER = re.compile(
    r"""define\(\s*(["'])((?:(?!\1)[^\\\n]|\\.){1,512})\1\s*,\s*function\s*\(\s*require\s*,\s*module\s*,"""
    r"""\s*exports\b[\w$,\s]{0,400}\)\s*\{""")
_BOOTSTRAP = re.compile(
    r"""(?:\s+|;|require\(\s*(?:"[^"\n]{0,512}"|'[^'\n]{0,512}')\s*\)"""
    r"""|__wxRoute\s*=\s*(?:"[^"\n]{0,512}"|'[^'\n]{0,512}')|__wxRouteBegin\s*=\s*(?:true|false|!0|!1)"""
    r"""|__wxAppCurrentFile__\s*=\s*(?:"[^"\n]{0,512}"|'[^'\n]{0,512}'))*""")
_BLANK_FIRST_LINE = re.compile(r"\A[ \t]*\r?\n")
_APP_CODE_JSON = re.compile(r"""__wxAppCode__\[\s*(["'])([^"'\n]{1,512}\.json)\1\s*\]\s*=\s*""")
# the wrapper's parameters the platform leaves undefined inside every module (it passes require, module, exports)
MODULE_PARAMS = ("require", "module", "exports", "window", "document", "frames", "self", "location", "navigator",
                 "localStorage", "history", "Caches", "screen", "alert", "confirm", "prompt", "XMLHttpRequest",
                 "WebSocket", "Reporter", "webkit", "WeixinJSCore")
# Douyin's define wrapper (compiled tt packages); it too passes only the first three
DOUYIN_MODULE_PARAMS = ("require", "module", "exports", "window", "document", "frames", "self", "location",
                        "navigator", "localStorage", "history", "Caches", "screen", "alert", "confirm", "prompt",
                        "fetch", "XMLHttpRequest", "WebSocket", "webkit", "ttJSCore", "Reporter", "print",
                        "indexedDB")
SERVICE_MARKERS = ("app-service.js", "appservice.app.js", ".appservice.js", "common.app.js")
COMPILED_ONLY = ("app-config.json", "app-service.js", "page-frame.html", "page-frame.js", "app-wxss.js",
                 "appservice.app.js", "common.app.js", "webview.app.js")


@dataclass
class Module:
    path: str
    body: str
    source: str  # the compiled file it came from
    line: int  # the line of that file where the body starts


@dataclass
class CompiledInfo:
    """What the loader keeps of the compiled form: where modules and templates came from."""

    source_form: str = "wxapkg"
    packages: list[str] = field(default_factory=list)  # the .wxapkg files read, main first
    service_files: list[str] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)  # module path -> compiled file
    gwx_sources: dict[str, str] = field(default_factory=dict)  # compiled file -> its $gwx code (for the view)
    templates: dict[str, str] = field(default_factory=dict)  # template path (x.wxml) -> compiled file
    splitter: dict[str, str] = field(default_factory=dict)  # service file -> "fast" | "tree-sitter"


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw)


def _headers(text: str) -> list[re.Match[str]]:
    """define() headers; str.find does the scanning (a regex with a word boundary first is ten times slower)."""
    out = []
    pos = text.find("define(")
    while pos != -1:
        if pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] in "_$."):
            m = _HEADER.match(text, pos)
            if m:
                out.append(m)
        pos = text.find("define(", pos + 7)
    return out


def _fast_split(text: str, source: str) -> list[Module] | None:
    """Modules by the compiler's header and closing shape; None when the file does not have that shape."""
    if "plugin-private://" in text:
        return None  # plugin modules live inside definePlugin wrappers, not at the top: the parse tells them apart
    headers = _headers(text)
    out: list[Module] = []
    line, counted = 1, 0
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        region_start = m.end()
        # the body closes with the last "})" whose tail up to the next header is only bootstrap lines
        close = text.rfind("}", region_start, end)
        while close != -1:
            tail_start = text.find(")", close, end)
            if tail_start != -1 and not text[close + 1:tail_start].strip():
                if _BOOTSTRAP.fullmatch(text, tail_start + 1, end):
                    break
            if end - close > 4096:  # a long tail is not bootstrap: not the compiler's shape
                return None
            close = text.rfind("}", region_start, close)
        if close == -1:
            return None
        line += text.count("\n", counted, region_start)
        counted = region_start
        out.append(Module(path=_unquote(m.group(2)), body=text[region_start:close], source=source, line=line))
    return out


def _tree_split(text: str, source: str) -> list[Module]:
    from .jsscan import _parser

    src = text.encode("utf-8", "surrogatepass")
    tree = _parser().parse(src)
    out: list[Module] = []
    stack = list(reversed(tree.root_node.children))
    visited = 0
    while stack and visited < 200_000:
        node = stack.pop()
        visited += 1
        t = node.type
        if t in ("expression_statement", "sequence_expression", "parenthesized_expression"):
            stack.extend(reversed(node.named_children))
            continue
        if t != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or src[fn.start_byte:fn.end_byte] != b"define" or args.named_child_count < 2:
            continue
        name_node, factory = args.named_children[0], args.named_children[1]
        if name_node.type != "string" or factory.type not in ("function_expression", "function"):
            continue
        params = factory.child_by_field_name("parameters")
        body = factory.child_by_field_name("body")
        names = [src[p.start_byte:p.end_byte].decode() for p in (params.named_children if params else [])]
        if names[:3] != ["require", "module", "exports"] or body is None:
            continue
        path = src[name_node.start_byte + 1:name_node.end_byte - 1].decode("utf-8", "replace")
        out.append(Module(path=_unquote(path), body=src[body.start_byte + 1:body.end_byte - 1].decode(
            "utf-8", "replace"), source=source, line=body.start_point[0] + 1))
    return out


def split_service(text: str, source: str = "app-service.js") -> tuple[list[Module], str]:
    """The define()d modules of a compiled service file, and which splitter found them."""
    if "define(" not in text:
        return [], "none"
    fast = _fast_split(text, source)
    if fast is not None:
        return fast, "fast"
    return _tree_split(text, source), "tree-sitter"


def app_code_json(text: str) -> dict[str, Any]:
    """``__wxAppCode__['x.json'] = {...}`` statements: component and page configuration by path."""
    out: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    for m in _APP_CODE_JSON.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, m.end())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            out.setdefault(m.group(2), value)
    return out


def is_compiled(files: dict[str, bytes]) -> bool:
    return "app.json" not in files and "app-config.json" in files


def _strip_html(route: str) -> str:
    route = route.strip().lstrip("/")
    return route[:-5] if route.endswith(".html") else route


def _plugin_page(route: Any) -> bool:
    return isinstance(route, str) and "__plugin__/" in route


def app_json_of(config: dict[str, Any]) -> dict[str, Any]:
    """app.json as the developer wrote it, from app-config.json."""
    app = {k: v for k, v in config.items() if k not in ("page", "global")}
    glob = config.get("global")
    if isinstance(glob, dict) and isinstance(glob.get("window"), dict):
        app["window"] = glob["window"]
    for key in ("entryPagePath",):
        if isinstance(app.get(key), str):
            app[key] = _strip_html(app[key])
    tab_bar = app.get("tabBar")
    if isinstance(tab_bar, dict) and isinstance(tab_bar.get("list"), list):  # the packager writes "x.html"
        app["tabBar"] = {**tab_bar, "list": [
            {**item, "pagePath": _strip_html(item["pagePath"])}
            if isinstance(item, dict) and isinstance(item.get("pagePath"), str) else item
            for item in tab_bar["list"]]}
    # pages of the plugins the app uses (__plugin__/<appid>/...) are the plugins', which the platform supplies:
    # the developer's app.json never lists them
    if isinstance(app.get("pages"), list):
        app["pages"] = [p for p in app["pages"] if not _plugin_page(p)]
    subs = app.get("subPackages", app.get("subpackages"))
    if isinstance(subs, list):
        # compiled: "pages" lists every page, and a subpackage's pages (when listed) carry its root
        pages = [p for p in app.get("pages", []) if isinstance(p, str)]
        roots = []
        fixed = []
        for sub in subs:
            if not isinstance(sub, dict) or not isinstance(sub.get("root"), str):
                fixed.append(sub)
                continue
            root = sub["root"].strip().strip("/") + "/"
            roots.append(root)
            listed = [p for p in sub.get("pages", []) if isinstance(p, str)] or [p for p in pages if p.startswith(root)]
            listed = [p for p in listed if not _plugin_page(p)]
            fixed.append({**sub, "pages": [p[len(root):] if p.startswith(root) else p for p in listed]})
        app.pop("subpackages", None)
        app["subPackages"] = fixed
        if "pages" in app and isinstance(app["pages"], list):
            app["pages"] = [p for p in app["pages"] if not (isinstance(p, str) and p.startswith(tuple(roots)))]
    return app


def page_json_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each page's own .json, from app-config.json's ``page`` section ({"route.html": {"window": {...}}})."""
    out: dict[str, dict[str, Any]] = {}
    pages = config.get("page")
    if not isinstance(pages, dict):
        return out
    for key, value in pages.items():
        if not isinstance(key, str) or not isinstance(value, dict):
            continue
        window = value.get("window", value)
        if isinstance(window, dict):
            out[_strip_html(key)] = window
    return out


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")


def convert(files: dict[str, bytes], problems: list[BundleProblem]) -> tuple[dict[str, bytes], CompiledInfo]:
    """The source-project files of a compiled package: app.json, page/component .json, one .js per module, the
    assets; the compiled files themselves are kept apart in CompiledInfo (they are not modules)."""
    info = CompiledInfo()
    if ("game.json" in files or "game.js" in files) and "app-service.js" not in files:
        raise BundleError("wxapkg-minigame", "a WeChat mini game (game.json), not a mini program: it has no pages "
                          "to review")
    try:
        config = json.loads(_decode(files["app-config.json"]))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BundleError("invalid-json", f"app-config.json does not parse: {exc}", file="app-config.json") from None
    if not isinstance(config, dict):
        raise BundleError("invalid-json", "app-config.json must hold a JSON object", file="app-config.json")
    out: dict[str, bytes] = {}
    json_files: dict[str, Any] = {f"{route}.json": cfg for route, cfg in page_json_of(config).items()}
    code_json: set[str] = set()
    for path in sorted(files):
        base = posixpath.basename(path)
        data = files[path]
        if base in COMPILED_ONLY or path.endswith((".appservice.js", ".webview.js", ".common.js")) \
                or (path.endswith(".html") and not path.startswith("__plugin__/")):
            text = _decode(data)
            if "gz$gwx" in text or "$gwx" in text:
                info.gwx_sources[path] = text
            if path.endswith(".js") and ("define(" in text or "__wxAppCode__" in text):
                for jpath, value in app_code_json(text).items():
                    try:
                        name = safe_name(jpath)
                    except BundleError:
                        continue  # plugin-private:// and other non-file names
                    if name in code_json:
                        continue  # the same JSON in several service files: first wins
                    code_json.add(name)
                    # a page's JSON is both in app-config.json (its window settings) and here (as written, with
                    # usingComponents): merged, this one winning
                    json_files[name] = {**json_files.get(name, {}), **value}
                modules, how = split_service(text, path)
                if how != "none":
                    info.service_files.append(path)
                    info.splitter[path] = how
                for mod in modules:
                    try:
                        name = safe_name(mod.path)
                    except BundleError as exc:
                        problems.append(BundleProblem(code=exc.code, file=path, line=mod.line,
                                                      message=f"module name {mod.path!r}: {exc.message}"))
                        continue
                    if name in info.modules:
                        continue  # the same module in several service files (lazy loading copies): first wins
                    info.modules[name] = path
                    # the packager puts the source on the line after the header: drop that blank first line so
                    # that lines in the module are the developer's lines
                    body = _BLANK_FIRST_LINE.sub("", mod.body, count=1)
                    out[name] = body.encode("utf-8", "surrogatepass")
            continue
        out[path] = data
    for jpath, value in json_files.items():
        if jpath not in out:
            out[jpath] = json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
    # one key a line, as developers write it: a finding about a key of app.json then points at its own line
    out["app.json"] = json.dumps(app_json_of(config), ensure_ascii=False, indent=2).encode("utf-8")
    return out, info
