"""Build compiled WeChat packages (.wxapkg) in tests, the way the WeChat tools lay them out."""

from __future__ import annotations

import json
from pathlib import Path

from mpsandbox.bundle.wxapkg import write_wxapkg

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GWX = (FIXTURES / "compiled" / "gwx.js").read_text(encoding="utf-8")
PARAMS = ("require, module, exports, window,document,frames,self,location,navigator,localStorage,history,Caches,"
          "screen,alert,confirm,prompt,XMLHttpRequest,WebSocket,Reporter,webkit,WeixinJSCore")
PREAMBLE = ('\tvar __wxAppData = __wxAppData || {}; \tvar __wxRoute = __wxRoute || ""; \tvar __wxRouteBegin = '
            '__wxRouteBegin || ""; \tvar __wxAppCode__ = __wxAppCode__ || {};\n')


def define(path: str, body: str, route: str | None = None) -> str:
    """One module as wcc/the packager emits it, with the page bootstrap lines around a page's module."""
    head = ""
    if route:
        head = f"\t__wxRoute = '{route}';__wxRouteBegin = true; \t__wxAppCurrentFile__ = '{path}';"
    tail = f' \trequire("{path}");\n' if route else "\n"
    return (f'{head}\tdefine("{path}", function({PARAMS}){{ \t\t\t\n{body}\n \t\t\t}});' + tail)


def compile_source(root: Path, gwx: str = GWX, extra: dict[str, bytes] | None = None,
                   include_subpackages: bool = True) -> bytes:
    """The .wxapkg of a source bundle: app.json and page JSON into app-config.json, every .js into define()
    modules of app-service.js, component JSON as __wxAppCode__ statements, templates as the given $gwx code."""
    app = json.loads((root / "app.json").read_text(encoding="utf-8"))
    routes = list(app.get("pages", []))
    for sub in app.get("subpackages", app.get("subPackages", [])) if include_subpackages else []:
        routes += [f"{sub['root'].strip('/')}/{p}" for p in sub.get("pages", [])]
    page_section = {}
    for route in routes:
        jp = root / f"{route}.json"
        page_section[f"{route}.html"] = {"window": json.loads(jp.read_text(encoding="utf-8")) if jp.exists() else {}}
    config = {k: v for k, v in app.items() if k != "window"}
    config.update(page=page_section, entryPagePath=f"{routes[0]}.html", **{"global": {"window": app.get("window", {})}})
    if isinstance(app.get("tabBar"), dict):  # the packager writes tab pages as "route.html"
        config["tabBar"] = {**app["tabBar"], "list": [{**item, "pagePath": item["pagePath"] + ".html"}
                                                      for item in app["tabBar"].get("list", [])]}
    service = [PREAMBLE]
    assets: dict[str, bytes] = {}
    for path in sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()):
        data = (root / path).read_bytes()
        if path.endswith(".json") and path not in ("app.json", "project.config.json", "sitemap.json") \
                and path[:-5] not in routes:
            service.insert(1, f"\t__wxAppCode__['{path}'] = {data.decode()};\n")
        elif path.endswith(".js") and not path.endswith(tuple(f"{r}.js" for r in routes)) and path != "app.js":
            service.append(define(path, data.decode()))
        elif path.endswith((".png", ".jpg")) or path == "sitemap.json":
            assets[path] = data
    service.append(define("app.js", (root / "app.js").read_text(encoding="utf-8")) + 'require("app.js");\n')
    for route in routes:
        service.append(define(f"{route}.js", (root / f"{route}.js").read_text(encoding="utf-8"), route=route))
    files = {
        "app-config.json": json.dumps(config).encode(),
        "app-service.js": "".join(service).encode(),
        "page-frame.html": f"<script>{gwx}</script>".encode(),
        **{f"{r}.html": f"<script>$gwx('./{r}.wxml')</script>".encode() for r in routes},
        **assets,
        **(extra or {}),
    }
    return write_wxapkg(files)
