"""load_bundle: read a directory or zip safely, detect the platform, parse the configuration, record static facts."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, computed_field

from .archive import LoadLimits, read_files, read_memory
from .compiled import CompiledInfo, convert, is_compiled
from .gwx import scan_gwx
from .packages import read_packages
from .config import AppConfig, PageConfig, ProjectConfig
from .errors import BundleError, BundleProblem
from .jsscan import JsFileFacts, JsScan
from .resolve import alipay_npm_folders, aliases, extended_components, resolve_component
from .typescript import compile_typescript_files
from .templates import TemplateFacts, parse_template

Platform = Literal["tt", "wx", "my"]
TEMPLATE_EXT = {"tt": ".ttml", "wx": ".wxml", "my": ".axml"}
STYLE_EXT = {"tt": ".ttss", "wx": ".wxss", "my": ".acss"}
# WeChat's developer tools upload the code they compile (.js, .json, templates, styles) and files whose suffix is on
# this list (the framework guide's "files allowed to be uploaded"); source maps, .d.ts, docs and the like stay behind
WX_UPLOADED_SUFFIXES = (".js", ".json", ".wxml", ".wxss", ".wxs", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".cer",
                        ".mp3", ".aac", ".m4a", ".mp4", ".wav", ".ogg", ".silk", ".wasm", ".br", ".cert")
BUILTIN_TAGS = {
    "view", "text", "button", "image", "input", "textarea", "scroll-view", "swiper", "swiper-item", "navigator",
    "block", "template", "import", "include", "icon", "form", "picker", "picker-view", "picker-view-column",
    "switch", "slider", "radio", "radio-group", "checkbox", "checkbox-group", "label", "video", "camera",
    "map", "canvas", "web-view", "rich-text", "progress", "movable-area", "movable-view", "cover-view",
    "cover-image", "audio", "live-player", "live-pusher", "ad", "open-data", "official-account", "editor",
    "page-meta", "navigation-bar", "wxs", "sjs", "import-sjs", "slot", "root-portal", "match-media",
}


class FileFact(BaseModel):
    path: str
    size: int
    sha256: str
    package: str = "main"
    packed: bool = True  # False: the developer tools leave it out of the upload (packOptions.ignore, file types)


class BindingFact(BaseModel):
    handler: str
    event: str
    kind: str
    tag: str
    file: str
    line: int
    open_type: str | None = None
    dataset: dict[str, str] = Field(default_factory=dict)
    id: str = ""
    component: str | None = None  # the custom component the tag is (the event comes from it)
    owner: str | None = None  # the component whose template binds it (None: the page's own template)
    dynamic: bool = False
    attrs: dict[str, str] = Field(default_factory=dict)  # the tag's attributes that shape the event's detail


class PageFact(BaseModel):
    route: str
    package: str = "main"
    exists: bool = True
    tab: bool = False
    files_present: dict[str, bool] = Field(default_factory=dict)
    bindings: list[BindingFact] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)


class BundleFacts(BaseModel):
    name: str
    platform: Platform
    files: list[FileFact] = Field(default_factory=list)
    main_size: int = 0
    subpackage_sizes: dict[str, int] = Field(default_factory=dict)
    total_size: int = 0
    pages: list[PageFact] = Field(default_factory=list)
    source_form: Literal["source", "wxapkg"] = "source"
    _js_scan: JsScan | None = PrivateAttr(default=None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def js(self) -> dict[str, JsFileFacts]:
        """The static scan of each JS file (outside npm folders), made on first use."""
        return self._js_scan.facts if self._js_scan is not None else {}


@dataclass
class BundleFile:
    path: str
    data: bytes
    package: str = "main"

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class PageInfo:
    route: str
    package: str = "main"
    exists: bool = True
    tab: bool = False
    files_present: dict[str, bool] = field(default_factory=dict)


@dataclass
class Bundle:
    name: str
    platform: Platform
    files: dict[str, BundleFile]
    app: AppConfig
    project: ProjectConfig | None
    pages: list[PageInfo]
    load_problems: list[BundleProblem]  # what loading found; ``problems`` adds the JS scan's
    facts: BundleFacts
    _texts: dict[str, str] = field(default_factory=dict, repr=False)
    _usages: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _page_configs: dict[str, PageConfig] = field(default_factory=dict, repr=False)
    source_form: Literal["source", "wxapkg"] = "source"  # wxapkg: converted from a compiled package
    compiled: CompiledInfo | None = None  # for a compiled package: where modules and $gwx templates came from

    @property
    def problems(self) -> list[BundleProblem]:
        """Every problem found: loading's, then the static JS scan's (which runs on first use)."""
        scan = self.facts._js_scan
        return self.load_problems + (scan.problems if scan is not None else [])

    @property
    def tab_pages(self) -> list[str]:
        return self.app.tab_pages

    @property
    def entry_page(self) -> str:
        entry = (self.app.entry_page_path or "").strip("/")
        if entry and any(p.route == entry for p in self.pages):
            return entry
        return self.pages[0].route if self.pages else ""

    def read_bytes(self, path: str) -> bytes:
        return self.files[path].data

    def read_text(self, path: str) -> str:
        text = self._texts.get(path)
        if text is None:
            text = _decode(self.files[path].data)[0]
            self._texts[path] = text
        return text

    def page_config(self, route: str) -> PageConfig:
        return self._page_configs.get(route) or PageConfig()

    def component_usages(self, route: str) -> list[dict[str, Any]]:
        return self._usages.get(route, [])

    def bindings(self, route: str) -> list[BindingFact]:
        for p in self.facts.pages:
            if p.route == route:
                return p.bindings
        return []


def _decode(data: bytes) -> tuple[str, bool]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), False


def _json(files: dict[str, bytes], path: str, problems: list[BundleProblem] | None) -> Any:
    """Parse a JSON file; a fatal BundleError when ``problems`` is None, else a recorded problem and None."""
    text, ok = _decode(files[path])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if problems is None:
            raise BundleError("invalid-json", exc.msg, file=path, line=exc.lineno, column=exc.colno) from None
        problems.append(BundleProblem(code="invalid-json", message=exc.msg, file=path, line=exc.lineno,
                                      column=exc.colno))
        return None


def _detect_platform(files: dict[str, bytes]) -> Platform:
    counts: Counter[str] = Counter()
    for path in files:
        for platform, ext in TEMPLATE_EXT.items():
            if path.endswith(ext) or path.endswith(STYLE_EXT[platform]):
                counts[platform] += 1
    if counts:
        return counts.most_common(1)[0][0]  # type: ignore[return-value]
    uses: Counter[str] = Counter()
    for path, data in files.items():
        if path.endswith(".js"):
            for platform in ("tt", "wx", "my"):
                uses[platform] += len(re.findall(rb"\b" + platform.encode() + rb"\.[a-zA-Z]", data))
    if uses and uses.most_common(1)[0][1] > 0:
        return uses.most_common(1)[0][0]  # type: ignore[return-value]
    return "tt"


def _project_root(files: dict[str, bytes]) -> str:
    """miniprogramRoot of the project config at the top of ``files``, normalised ("" when none or unsafe)."""
    for name in ("project.config.json", "mini.project.json"):
        if name in files:
            try:
                data = json.loads(files[name].decode("utf-8", "replace"))
            except (json.JSONDecodeError, RecursionError):
                return ""
            root = data.get("miniprogramRoot") if isinstance(data, dict) else None
            return _safe_root(root) if isinstance(root, str) else ""
    return ""


def _safe_root(root: str) -> str:
    root = posixpath.normpath(root.strip().strip("/") or ".")
    return "" if root == "." or root.startswith("../") or root == ".." or "\\" in root else root


def _ancestors(root: str) -> list[str]:
    """The folders above ``root``, nearest first, up to the project folder ("")."""
    out = []
    while root:
        root = posixpath.dirname(root)
        out.append(root)
    return out


def _alipay_npm_keep(path: Path, raw: dict[str, bytes], root: str) -> tuple[str, ...]:
    """The node_modules packages to read: those of each folder's package.json from miniprogramRoot up to the
    project folder (Node's lookup, which Alipay's IDE follows, bounded by the project)."""
    keep: list[str] = []
    for folder in ([root] + _ancestors(root)) if root else [""]:
        if (path / folder / "node_modules").is_dir():
            prefix = folder + "/" if folder else ""
            keep += alipay_npm_folders(raw.get(prefix + "package.json"), prefix)
    return tuple(keep)


def _npm_package(rel: str) -> str:
    """``@scope/name`` or ``name`` of a path inside node_modules."""
    parts = rel.split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def _mount_outer_npm(files: dict[str, bytes], inner: dict[str, bytes], root: str) -> None:
    """node_modules folders above miniprogramRoot resolve as if at its top (Node's lookup goes on up to the
    project folder); a package the root's own node_modules has wins, the nearest folder first."""
    have = {_npm_package(p[len("node_modules/"):]) for p in inner if p.startswith("node_modules/")}
    for folder in _ancestors(root):
        npm = folder + "/node_modules/" if folder else "node_modules/"
        found: dict[str, dict[str, bytes]] = {}
        for p, d in files.items():
            if p.startswith(npm) and len(p) > len(npm):
                rel = p[len(npm):]
                found.setdefault(_npm_package(rel), {})["node_modules/" + rel] = d
        for package, package_files in found.items():
            if package not in have:
                inner.update(package_files)
                have.add(package)


def _strip_root(files: dict[str, bytes], problems: list[BundleProblem],
                mount_npm: Callable[[], bool] = lambda: False) -> tuple[dict[str, bytes], ProjectConfig | None]:
    """Apply project.config.json miniprogramRoot, and unwrap an archive whose only top-level entry is a folder.
    With ``mount_npm`` (Alipay), node_modules packages above the root stay reachable."""
    project: ProjectConfig | None = None
    if "app.json" not in files:
        tops = {p.split("/", 1)[0] for p in files}
        if len(tops) == 1 and all("/" in p for p in files):
            top = tops.pop() + "/"
            files = {p[len(top):]: d for p, d in files.items()}
    for name in ("project.config.json", "mini.project.json"):
        if name in files:
            data = _json(files, name, problems)
            if isinstance(data, dict):
                try:
                    project = ProjectConfig.model_validate(data)
                except ValidationError as exc:
                    problems.append(BundleProblem(code="invalid-config", message=str(exc).splitlines()[0], file=name))
            break
    root = (project.miniprogram_root if project else None) or ""
    root = root.strip().strip("/").removeprefix("./")
    if root and root != ".":
        prefix = root + "/"
        inner = {p[len(prefix):]: d for p, d in files.items() if p.startswith(prefix)}
        if not inner:
            raise BundleError("missing-app-json", f"miniprogramRoot {root!r} holds no files", file="project.config.json")
        safe = _safe_root(root)
        if safe and any("node_modules/" in p and not p.startswith(prefix) for p in files) and mount_npm():
            _mount_outer_npm(files, inner, safe)
        files = inner
    return files, project


def pack_ignored(project: ProjectConfig | None) -> Callable[[str], bool]:
    """Whether the developer tools leave a file out of the package (project.config.json packOptions.ignore: folder,
    file, suffix, prefix, regexp and glob rules, case-insensitive, paths from the mini program's root)."""
    rules = project.pack_options.ignore if project is not None and project.pack_options is not None else []
    tests: list[Callable[[str], bool]] = []
    for rule in rules:
        value = rule.value.strip().lower().lstrip("./").strip("/") if rule.type in ("folder", "file") else \
            rule.value.lower()
        if not value:
            continue
        if rule.type == "folder":
            tests.append(lambda p, v=value: p.startswith(v + "/"))
        elif rule.type == "file":
            tests.append(lambda p, v=value: p == v)
        elif rule.type == "suffix":
            tests.append(lambda p, v=value: p.endswith(v))
        elif rule.type == "prefix":
            tests.append(lambda p, v=value: p.startswith(v) or posixpath.basename(p).startswith(v))
        elif rule.type in ("regexp", "glob"):
            try:
                rx = re.compile(value if rule.type == "regexp" else fnmatch.translate(value))
            except re.error:
                continue
            tests.append(lambda p, r=rx: r.search(p) is not None)
    return lambda path: any(t(path.lower()) for t in tests)


def uploaded(platform: str, path: str) -> bool:
    """Whether the developer tools put a source project's file into the package. WeChat's list of suffixes is
    documented; for Douyin and Alipay no list is public, so every file counts except TypeScript sources and declarations
    (compiled to the .js beside them, or types only)."""
    low = path.lower()
    if platform == "wx":
        return low.endswith(WX_UPLOADED_SUFFIXES)
    return not low.endswith((".ts", ".mts", ".cts"))


def _resolve_component(base_dir: str, spec: str, files: dict[str, bytes], pairs: Sequence[tuple[str, str]] = (),
                       stubs: frozenset[str] = frozenset()) -> str | None:
    return resolve_component(base_dir, spec, files, pairs, stubs)


def _package_of(path: str, roots: list[str]) -> str:
    for root in roots:
        if path == root or path.startswith(root + "/"):
            return root
    return "main"


def load_bundle(path: str | Path, platform: Platform | None = None, limits: LoadLimits | None = None) -> Bundle:
    """Load a bundle from a directory, a .zip, a .wxapkg, or a folder of .wxapkg files (main package and
    subpackages). Raises :class:`BundleError`, never anything else."""
    return _guarded(lambda lim: _load(Path(path), platform, lim), limits)


def bundle_from_files(files: Mapping[str, str | bytes], platform: Platform | None = None, *, name: str = "bundle",
                      limits: LoadLimits | None = None) -> Bundle:
    """Build a bundle from files held in memory (path in the bundle -> text or bytes, as a zip's entries would
    be), through the same checks, parsing and static facts as :func:`load_bundle`. Raises :class:`BundleError`,
    never anything else."""
    return _guarded(lambda lim: _assemble(read_memory(
        {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}, lim), name, platform, [], []), limits)


def _guarded(build: Callable[[LoadLimits], Bundle], limits: LoadLimits | None) -> Bundle:
    try:
        return build(limits or LoadLimits())
    except BundleError:
        raise
    except RecursionError:
        raise BundleError("internal", "the bundle is nested too deeply to load") from None
    except Exception as exc:  # noqa: BLE001 - the loader's promise: a BundleError, never a traceback
        raise BundleError("internal", f"{type(exc).__name__}: {exc}") from None


def _load(path: Path, platform: Platform | None, limits: LoadLimits) -> Bundle:
    problems: list[BundleProblem] = []
    raw, package_names = read_packages(path, limits, problems)
    if raw is None:
        raw = read_files(path, limits)
        if path.is_dir() and (platform or _detect_platform(raw)) == "my":
            keep = _alipay_npm_keep(path, raw, _project_root(raw))  # Alipay bundles its npm dependencies
            if keep:
                raw = read_files(path, limits, keep)
    name = path.stem if path.suffix.lower() in (".zip", ".wxapkg") else path.name
    return _assemble(raw, name, platform, problems, package_names)


def _assemble(raw: dict[str, bytes], name: str, platform: Platform | None, problems: list[BundleProblem],
              package_names: list[str]) -> Bundle:
    """The bundle made of ``raw`` (every file, read safely): configuration, pages, templates, static facts."""
    files, project = _strip_root(raw, problems, lambda: (platform or _detect_platform(raw)) == "my")
    # -- compiled WeChat packages (wxapkg): back to source-project files, templates from their $gwx code
    compiled: CompiledInfo | None = None
    template_cache: dict[str, TemplateFacts] = {}
    if is_compiled(files):
        files, compiled = convert(files, problems)
        compiled.packages = package_names
        for src, code in compiled.gwx_sources.items():
            for tpath, tfacts in scan_gwx(code).items():
                # the same template may be compiled into several files (service and view): the fullest one wins
                if tpath not in template_cache or len(tfacts.tags) > len(template_cache[tpath].tags):
                    template_cache[tpath] = tfacts
                    compiled.templates[tpath] = src
        platform = platform or "wx"
    # -- TypeScript source projects: x.ts compiles to x.js, as the developer tools do
    files.update(compile_typescript_files(files))
    # --
    if "app.json" not in files:
        raise BundleError("missing-app-json", "the bundle has no app.json at its root")
    app_data = _json(files, "app.json", None)
    if not isinstance(app_data, dict):
        raise BundleError("invalid-json", "app.json must hold a JSON object", file="app.json")
    try:
        app = AppConfig.model_validate(app_data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise BundleError("invalid-config", f"{where}: {err['msg']}", file="app.json") from None
    if not app.pages and not app.subpackages:
        raise BundleError("no-pages", "app.json lists no pages", file="app.json")
    plat: Platform = platform or _detect_platform(files)

    sub_roots = [s.root for s in app.subpackages]
    bundle_files = {p: BundleFile(p, d, _package_of(p, sub_roots)) for p, d in sorted(files.items())}
    texts: dict[str, str] = {}
    for p, f in bundle_files.items():
        if p.endswith((".js", ".json", TEMPLATE_EXT[plat], STYLE_EXT[plat], ".wxs", ".sjs")):
            text, ok = _decode(f.data)
            texts[p] = text
            if not ok:
                problems.append(BundleProblem(code="non-utf8", message="not valid UTF-8 text (decoded with "
                                              "replacement characters)", file=p))

    # pages
    tab = set(app.tab_pages)
    routes: list[tuple[str, str]] = [(r, "main") for r in app.pages]
    for sub in app.subpackages:
        routes += [(posixpath.join(sub.root, r.strip("/")), sub.root) for r in sub.pages]
    pages: list[PageInfo] = []
    tpl_ext, style_ext = TEMPLATE_EXT[plat], STYLE_EXT[plat]
    for route, package in routes:
        present = {ext: route + ext in files or route + ext in template_cache
                   for ext in (".js", ".json", tpl_ext, style_ext)}
        info = PageInfo(route=route, package=package, exists=present[".js"], tab=route in tab, files_present=present)
        pages.append(info)
        if not info.exists:
            problems.append(BundleProblem(code="page-missing", severity="error", file="app.json",
                                          message=f"page {route} is listed but {route}.js is missing"))
    main_routes = set(app.pages)
    for t in app.tab_pages:
        if t not in main_routes:
            problems.append(BundleProblem(code="tabbar-page-not-in-pages", severity="error", file="app.json",
                                          message=f"tabBar page {t} is not listed in the main package's pages"))

    # page and component configuration, templates, component uses
    page_configs: dict[str, PageConfig] = {}
    usages: dict[str, list[dict[str, Any]]] = {}
    page_facts: list[PageFact] = []

    def config_of(module: str) -> PageConfig:
        jp = module + ".json"
        if jp not in files:
            return PageConfig()
        data = _json(files, jp, problems)
        if not isinstance(data, dict):
            return PageConfig()
        try:
            return PageConfig.model_validate(data)
        except ValidationError as exc:
            problems.append(BundleProblem(code="invalid-config", message=str(exc).splitlines()[0], file=jp))
            return PageConfig()

    def template_of(module: str) -> tuple[str, list[Any]]:
        """Tags of a module's template, following import/include within the bundle."""
        tp = module + tpl_ext
        out: list[Any] = []
        seen: set[str] = set()
        todo = [tp]
        while todo:
            current = todo.pop(0)
            if current in seen or (current not in texts and current not in template_cache) or len(seen) > 50:
                continue
            seen.add(current)
            facts = template_cache.get(current)
            if facts is None:
                facts = template_cache[current] = parse_template(texts[current], plat)
            out += [(current, t) for t in facts.tags]
            for inc in facts.includes:
                target = posixpath.normpath(inc.lstrip("/") if inc.startswith("/") else
                                            posixpath.join(posixpath.dirname(current), inc))
                if not target.endswith(tpl_ext):
                    target += tpl_ext
                todo.append(target)
        return tp, out

    # one fact per binding, file, component and owner, shared by every page whose template includes it (a base
    # template included by 300 pages is not 300 copies of its 900 bindings)
    binding_facts: dict[tuple[int, str, str | None, str | None], BindingFact] = {}

    def binding_fact(b: Any, file: str, component: str | None, owner: str | None) -> BindingFact:
        key = (id(b), file, component, owner)
        fact = binding_facts.get(key)
        if fact is None:
            fact = binding_facts[key] = BindingFact(
                handler=b.handler, event=b.event, kind=b.kind, tag=b.tag, file=file, line=b.line,
                open_type=b.open_type, dataset=b.dataset, id=b.id, component=component, owner=owner,
                dynamic=b.dynamic, attrs=b.attrs)
        return fact

    global_components = dict(app.using_components)
    alias_pairs, stubs = aliases(app), extended_components(app)
    for info in pages:
        cfg = config_of(info.route)
        page_configs[info.route] = cfg
        comps = {**global_components, **cfg.using_components}
        base = posixpath.dirname(info.route)
        resolved = {tag: _resolve_component(base, spec, files, alias_pairs, stubs) for tag, spec in comps.items()}
        pf = PageFact(route=info.route, package=info.package, exists=info.exists, tab=info.tab,
                      files_present=info.files_present)
        page_usages: list[dict[str, Any]] = []
        _, tags = template_of(info.route)
        for file, tag in tags:
            comp = resolved.get(tag.tag)
            pf.bindings += [binding_fact(b, file, comp, None) for b in tag.bindings]
            if comp is None and tag.tag not in BUILTIN_TAGS and "-" in tag.tag and tag.tag not in comps:
                continue
            if comp is None:
                continue
            if comp + ".js" not in files:
                problems.append(BundleProblem(code="component-missing", file=file, line=tag.line,
                                              message=f"<{tag.tag}> uses {comp}, which is not in the bundle"))
                continue
            # static attribute values only: {{ }} expressions need the page's data, which the walk does not have
            props = {k: v for k, v in tag.attrs.items()
                     if not k.startswith(("bind", "catch", "data-", "capture-", "mut-bind", "tt:", "wx:", "a:", "s-"))
                     and k not in ("id", "class", "style", "slot", "key") and "{{" not in v}
            # one defined in a <template name> is made only where <template is> renders it, with the data it is
            # given (Taro's recursive templates hold every component an app may use): no static instance of it
            if not tag.in_template:
                page_usages.append({
                    "path": comp, "tag": tag.tag, "id": tag.attrs.get("id", ""),
                    "classes": tag.attrs.get("class", "").split(),
                    "dataset": {k: v for k, v in (tag.bindings[0].dataset if tag.bindings else {}).items()},
                    "props": props,
                    "bindings": [{"event": b.event, "handler": b.handler, "prop": None} for b in tag.bindings],
                })
            if comp not in pf.components:
                pf.components.append(comp)
                # handlers bound inside the component's own template belong to the component
                ccfg = config_of(comp)
                _, ctags = template_of(comp)
                inner = {t: _resolve_component(posixpath.dirname(comp), s, files, alias_pairs, stubs)
                         for t, s in ccfg.using_components.items()}
                for cfile, ctag in ctags:
                    pf.bindings += [binding_fact(b, cfile, inner.get(ctag.tag), comp) for b in ctag.bindings]
        usages[info.route] = page_usages
        page_facts.append(pf)

    # static JS facts: scanned when first read (BundleFacts.js, Bundle.problems), not while loading
    js_scan = JsScan(texts, [p for p in bundle_files
                             if p.endswith(".js") and not p.startswith(("miniprogram_npm/", "node_modules/"))])

    ignored = pack_ignored(project)
    packed = {p: compiled is not None or (uploaded(plat, p) and not ignored(p)) for p in bundle_files}
    sizes = Counter()
    for f in bundle_files.values():
        if packed[f.path]:
            sizes[f.package] += f.size
    facts = BundleFacts(
        name=name,
        platform=plat,
        files=[FileFact(path=f.path, size=f.size, sha256=f.sha256, package=f.package, packed=packed[f.path])
               for f in bundle_files.values()],
        main_size=sizes.get("main", 0),
        subpackage_sizes={root: sizes.get(root, 0) for root in sub_roots},
        total_size=sum(sizes.values()),
        pages=page_facts,
        source_form="wxapkg" if compiled else "source",
    )
    facts._js_scan = js_scan
    return Bundle(name=name, platform=plat, files=bundle_files, app=app, project=project, pages=pages,
                  load_problems=problems, facts=facts, _texts=texts, _usages=usages, _page_configs=page_configs,
                  source_form="wxapkg" if compiled else "source", compiled=compiled)
