"""Build the compiled form (.wxapkg files) of a WeChat source project, as WeChat's packager lays it out.

    python bench/compile_wxapkg.py SRC OUT [--wcc PATH]

SRC is a mini-program root (app.json; or a project whose project.config.json names ``miniprogramRoot``). OUT gets
``__APP__.wxapkg`` (the main package) and one ``<root>.wxapkg`` per subpackage (slashes as '_'), the layout
reviewers receive. What each package holds, as far as public material (unpacked real packages, the
miniprogram-compiler wrapper) shows it:

- main package: ``app-config.json`` (app.json, with every page listed in ``pages``, subpackages as
  ``subPackages``, each page's window settings under ``page["route.html"].window``, ``global.window``, tab bar and
  entry page paths ending in ``.html``); ``app-service.js``: ``__wxAppCode__['x.json'] = {...}`` for each page
  and component JSON, then each JS module as ``define("x.js", function(require, module, exports, window,...){...});``,
  ``app.js`` required, each page's module between its bootstrap lines (``__wxRoute = ...; require("page.js")``);
  ``page-frame.html``: the ``$gwx`` code the real ``wcc`` (npm miniprogram-compiler 0.2.3) generates for the
  package's templates (``-d -cc <components> files... -gn $gwx``, as the wrapper calls it); one ``route.html``
  per page naming its template; the assets (images and other non-source files).
- subpackage: ``<root>/app-service.js`` with its modules and JSON, ``<root>/page-frame.js`` with the ``$gwx`` code
  of its templates (plus the main-package templates they import or include), its assets.

Not done as the packager does: TypeScript is compiled with mpsandbox's own type strip (the developer tools use
tsc/babel); ES modules are shipped as written (with "ES6 to ES5" on, the tools would turn them into CommonJS);
styles (.wxss/.less) are left out (the compiled package carries them as wcsc code the review does not read).
The folder of packages is a bench and test input only: the builder is not part of the runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.bundle.typescript import compile_typescript_files  # noqa: E402
from mpsandbox.bundle.wxapkg import write_wxapkg  # noqa: E402

NPM_PREFIX = Path(os.environ.get("MPSANDBOX_NPM", Path.home() / ".cache" / "mpsandbox" / "npm"))
WCC = NPM_PREFIX / "node_modules" / "miniprogram-compiler" / "bin" / "linux" / "wcc"
PARAMS = ("require, module, exports, window,document,frames,self,location,navigator,localStorage,history,Caches,"
          "screen,alert,confirm,prompt,XMLHttpRequest,WebSocket,Reporter,webkit,WeixinJSCore")
PREAMBLE = ('\tvar __wxAppData = __wxAppData || {}; \tvar __wxRoute = __wxRoute || ""; \tvar __wxRouteBegin = '
            '__wxRouteBegin || ""; \tvar __wxAppCode__ = __wxAppCode__ || {};\n')
# source files the packager compiles or drops; everything else ships as an asset
SOURCE_EXT = (".js", ".ts", ".json", ".wxml", ".wxss", ".wxs", ".less", ".scss", ".sass", ".md", ".map")
NOT_SHIPPED = ("project.config.json", "project.private.config.json", "package.json", "package-lock.json",
               "tsconfig.json", "app.json", "sitemap.json")
_REF = re.compile(r"""<(?:import|include|wxs)\b[^>]*?\bsrc\s*=\s*["']([^"'{}]+)["']""")


def define(path: str, body: str, route: str | None = None) -> str:
    """One module as the packager emits it, with the page bootstrap lines around a page's module."""
    head = ""
    if route:
        head = f"\t__wxRoute = '{route}';__wxRouteBegin = true; \t__wxAppCurrentFile__ = '{path}';"
    tail = f' \trequire("{path}");\n' if route else "\n"
    return f'{head}\tdefine("{path}", function({PARAMS}){{ \t\t\t\n{body}\n \t\t\t}});' + tail


def read_project(src: Path) -> tuple[Path, dict[str, bytes]]:
    root = src
    pc = src / "project.config.json"
    if not (src / "app.json").exists() and pc.exists():
        root = src / json.loads(pc.read_text(encoding="utf-8")).get("miniprogramRoot", ".")
    files: dict[str, bytes] = {}
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        for n in sorted(names):
            p = Path(dirpath) / n
            files[p.relative_to(root).as_posix()] = p.read_bytes()
    files.update(compile_typescript_files(files))  # the developer tools compile x.ts to x.js
    return root, files


def _json(files: dict[str, bytes], path: str) -> dict:
    try:
        value = json.loads(files[path].decode("utf-8-sig"))
    except (KeyError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _resolve(base: str, ref: str) -> str:
    ref = ref.strip()
    if ref.startswith("/"):
        return os.path.normpath(ref.lstrip("/"))
    return os.path.normpath(os.path.join(os.path.dirname(base), ref))


def _with_ext(path: str, ext: str) -> str:
    return path if path.endswith(ext) else path + ext


def run_wcc(root: Path, wxml: list[str], wxs: list[str], components: dict[str, list[str]], name: str,
            wcc: Path = WCC) -> tuple[str, list[str]]:
    """The $gwx code of these templates; templates wcc refuses are left out (their names returned)."""
    dropped: list[str] = []
    files = list(wxml)
    while files:
        comp = [f for f in files if components.get(f)]
        args = [str(len(comp))]
        for f in comp:
            args += [f, str(len(components[f]))] + components[f]
        cmd = [str(wcc), "-d", "-cc", " ".join(args), *files, *wxs, "-gn", name]
        out = subprocess.run(cmd, cwd=root, capture_output=True, timeout=600)
        if out.returncode and os.environ.get("WCC_DEBUG"):
            print(out.returncode, out.stdout[-500:], cmd[:6], len(cmd), file=sys.stderr)
        if out.returncode == 0:
            return out.stdout.decode("utf-8", "replace"), dropped
        err = out.stderr.decode("utf-8", "replace")
        bad = next((f for f in files if f in err), None)
        if bad is None:
            raise RuntimeError(f"wcc failed: {err[:2000]}")
        print(f"  wcc refuses {bad}: {err.strip()[:300]}", file=sys.stderr)
        files.remove(bad)
        dropped.append(bad)
    return "", dropped


def build(src: Path, out: Path, wcc: Path = WCC) -> dict[str, int]:
    """Write the packages of ``src`` into ``out``; returns each package's size in bytes."""
    root, files = read_project(src)
    app = _json(files, "app.json")
    subs = [s for s in app.get("subpackages", app.get("subPackages", [])) or [] if isinstance(s, dict)]
    roots = [s["root"].strip("/") + "/" for s in subs]

    def package_of(path: str) -> str:
        return next((r for r in roots if path.startswith(r)), "")

    main_pages = list(app.get("pages", []))
    sub_pages = {r: [r + p for p in s.get("pages", [])] for r, s in zip(roots, subs)}
    all_pages = main_pages + [p for r in roots for p in sub_pages[r]]
    global_components = app.get("usingComponents", {}) or {}

    # every page and component JSON (what usingComponents reaches) and the components each template uses
    json_paths = sorted(p for p in files if p.endswith(".json") and p[:-5] + ".wxml" in files)
    components: dict[str, list[str]] = {}
    for jp in json_paths:
        cfg = _json(files, jp)
        names = dict(cfg.get("usingComponents", {}) or {})
        if jp[:-5] in all_pages:
            names = {**global_components, **names}
        names.update({k: "" for k in (cfg.get("componentGenerics", {}) or {})})
        if names:
            components[jp[:-5] + ".wxml"] = sorted(names)

    # config
    page_section = {}
    for route in all_pages:
        cfg = _json(files, f"{route}.json")
        window = {k: v for k, v in cfg.items() if k not in ("usingComponents", "componentGenerics", "component")}
        page_section[f"{route}.html"] = {"window": window}
    config = {k: v for k, v in app.items() if k not in ("window", "subpackages", "subPackages", "pages")}
    config["pages"] = all_pages
    config["subPackages"] = [{**s, "root": r, "pages": sub_pages[r]} for r, s in zip(roots, subs)]
    config["page"] = page_section
    config["entryPagePath"] = (app.get("entryPagePath") or all_pages[0]) + ".html"
    config["global"] = {"window": app.get("window", {})}
    if isinstance(app.get("tabBar"), dict):
        config["tabBar"] = {**app["tabBar"], "list": [{**item, "pagePath": item["pagePath"] + ".html"}
                                                      for item in app["tabBar"].get("list", [])]}
    sitemap = app.get("sitemapLocation", "sitemap.json")

    packages: dict[str, dict[str, bytes]] = {"": {}, **{r: {} for r in roots}}
    packages[""]["app-config.json"] = json.dumps(config, ensure_ascii=False).encode()
    if sitemap in files:
        packages[""][sitemap] = files[sitemap]
    theme = app.get("themeLocation")
    if theme and theme in files:
        packages[""][theme] = files[theme]

    # service code per package
    workers = (app.get("workers") or "").strip("/")
    for pkg in packages:
        pages = main_pages if pkg == "" else sub_pages[pkg]
        head = [PREAMBLE]
        mods = []
        for path in sorted(p for p in files if package_of(p) == pkg):
            if path.endswith(".json") and path in json_paths:
                head.append(f"\t__wxAppCode__['{path}'] = "
                            f"{json.dumps(_json(files, path), ensure_ascii=False, separators=(',', ':'))};\n")
            elif path.endswith(".js") and path != "app.js" and path[:-3] not in pages \
                    and not (workers and path.startswith(workers + "/")):
                mods.append(define(path, files[path].decode("utf-8-sig")))
            elif workers and path.startswith(workers + "/") and not path.endswith(SOURCE_EXT[1:]):
                packages[pkg][path] = files[path]  # worker scripts ship as plain files
            elif not path.endswith(SOURCE_EXT) and os.path.basename(path) not in NOT_SHIPPED:
                packages[pkg][path] = files[path]
        if pkg == "":
            mods.append(define("app.js", files["app.js"].decode("utf-8-sig")) + 'require("app.js");\n')
        for route in pages:
            if f"{route}.js" in files:
                mods.append(define(f"{route}.js", files[f"{route}.js"].decode("utf-8-sig"), route=route))
        name = "app-service.js" if pkg == "" else f"{pkg}app-service.js"
        packages[pkg][name] = "".join(head + mods).encode()

    # templates per package: its own .wxml and .wxs, plus what they import/include/reference from elsewhere
    for pkg in packages:
        own = sorted(p for p in files if package_of(p) == pkg and p.endswith(".wxml"))
        wanted, queue = set(own), list(own)
        wxs = {p for p in files if package_of(p) == pkg and p.endswith(".wxs")}
        while queue:
            cur = queue.pop()
            for ref in _REF.findall(files[cur].decode("utf-8", "replace")):
                target = _resolve(cur, ref)
                if target.endswith(".wxs"):
                    if target in files:
                        wxs.add(target)
                    continue
                target = _with_ext(target, ".wxml")
                if target in files and target not in wanted:
                    wanted.add(target)
                    queue.append(target)
        code, dropped = run_wcc(root, sorted(wanted), sorted(wxs), components,
                                "$gwx" if pkg == "" else f"$gwx_{pkg.strip('/').replace('/', '_')}", wcc)
        if pkg == "":
            packages[pkg]["page-frame.html"] = f"<script>{code}</script>".encode()
        else:
            packages[pkg][f"{pkg}page-frame.js"] = code.encode()
        for route in main_pages if pkg == "" else sub_pages[pkg]:
            packages[pkg][f"{route}.html"] = (f"<script>__wxAppCode__['{route}.wxml'] = "
                                              f"$gwx('./{route}.wxml');</script>").encode()
        if dropped:
            print(f"  {pkg or 'main'}: {len(dropped)} template(s) left out: {', '.join(dropped)}", file=sys.stderr)

    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for pkg, pfiles in packages.items():
        name = "__APP__.wxapkg" if pkg == "" else pkg.strip("/").replace("/", "_") + ".wxapkg"
        data = write_wxapkg(pfiles)
        (out / name).write_bytes(data)
        sizes[name] = len(data)
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--wcc", type=Path, default=WCC)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sizes = build(args.src, args.out, args.wcc)
    for name, size in sizes.items():
        print(f"{name:40} {size:>10} bytes")
    print(f"{len(sizes)} packages, {sum(sizes.values())} bytes, {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
