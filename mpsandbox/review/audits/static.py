"""package, api and bundle audits: sizes, pages, API names, and bundles that cannot be loaded safely."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..coverage import unknown_api_calls
from ..model import Evidence, Location, Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ...bundle import BundleProblem
    from ..policy import Policy

KB = 1024
MB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n / MB:.2f} MB" if n >= MB else f"{n / KB:.0f} KB"


def _problems(art: Artifacts, *codes: str) -> Iterable:
    for p in art.problems:
        if p.code in codes:
            yield p


def _problem_location(p: BundleProblem) -> Location | None:
    return Location(file=p.file, line=p.line, column=p.column) if p.file else None


@audit(
    "package-size",
    title="Package over the platform's size limit",
    category="package",
    severity=Severity.ERROR,
    description="""The main package, a subpackage or the whole bundle is larger than the platform accepts
    (Douyin and WeChat: 2 MB main, 2 MB per subpackage, 20 MB in total). Upload is refused, and big packages
    download slowly on first open.""",
    fix="Move pages into subpackages, serve images and data from a CDN, drop unused files.",
    example="a 2.4 MB main package with bundled images",
    reads=("bundle",),
)
def package_size(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    if art.facts is None:
        return
    th = policy.thresholds
    main = art.facts.main_size
    if main > th.main_package_bytes:
        yield Hit(message=f"main package is {_size(main)} (limit {_size(th.main_package_bytes)})", key="main",
                  location=Location(file="app.json", line=1),
                  evidence=[Evidence(description="main package size", value=main)] + _largest(art, "main"))
    for root, size in sorted(art.facts.subpackage_sizes.items()):
        if size > th.subpackage_bytes:
            yield Hit(message=f"subpackage {root} is {_size(size)} (limit {_size(th.subpackage_bytes)})",
                      key=f"sub|{root}", location=Location(file="app.json", line=1),
                      evidence=[Evidence(description=f"subpackage {root} size", value=size)] + _largest(art, root))
    total = art.facts.total_size
    if total > th.total_package_bytes:
        yield Hit(message=f"the bundle is {_size(total)} in total (limit {_size(th.total_package_bytes)})",
                  key="total", location=Location(file="app.json", line=1),
                  evidence=[Evidence(description="total size", value=total)])


def _largest(art: Artifacts, package: str) -> list[Evidence]:
    files = [(f.size, f.path) for f in (art.facts.files if art.facts is not None else [])
             if f.package == package and f.packed]
    files.sort(reverse=True)
    return [Evidence(description=f"{path}: {_size(size)}", location=Location(file=path), value=size)
            for size, path in files[:3]]


@audit(
    "missing-page",
    title="Page listed in app.json but missing",
    category="package",
    severity=Severity.ERROR,
    description="""app.json lists a page whose files are not in the bundle; opening it fails on the platform and
    the upload is refused.""",
    fix="Add the page's files or remove it from app.json `pages` / the subpackage's `pages`.",
    example='"pages": ["pages/index/index", "pages/gone/gone"]',
    reads=("bundle",),
)
def missing_page(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    seen = set()
    for p in _problems(art, "page-missing"):
        key = p.message
        seen.add(key)
        yield Hit(message=p.message, key=key, location=_problem_location(p) or Location(file="app.json"))
    for page in art.facts.pages if art.facts is not None else []:
        if not page.exists:
            route = page.route
            if not any(route in k for k in seen):
                yield Hit(message=f"page {route} is listed but its files are missing", key=route,
                          location=Location(file="app.json"))


@audit(
    "tabbar-outside-pages",
    title="tabBar page not listed in pages",
    category="package",
    severity=Severity.ERROR,
    description="""A tabBar item points at a page that the main package's `pages` does not list; the platform
    refuses the configuration (tab pages must be main-package pages).""",
    fix="Add the page to `pages` (main package) or fix the tabBar `pagePath`.",
    example='"tabBar": {"list": [{"pagePath": "pages/cart/cart"}]}  // not in pages',
    reads=("bundle",),
)
def tabbar_outside_pages(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for p in _problems(art, "tabbar-page-not-in-pages", "tabbar-outside-pages"):
        yield Hit(message=p.message, key=p.message,
                  location=_problem_location(p) or Location(file="app.json"))


@audit(
    "large-file",
    title="Large single file",
    category="package",
    severity=Severity.WARNING,
    description="""One file is larger than the threshold (500 KB by default): usually an image, font or data dump
    that belongs on a CDN, and a big share of the package limit.""",
    fix="Compress it or load it from the network at run time.",
    example="images/banner.png: 1.2 MB",
    reads=("bundle",),
)
def large_file(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    limit = policy.thresholds.large_file_bytes
    for f in art.facts.files if art.facts is not None else []:
        size = f.size
        if size > limit and f.packed:  # a file the tools leave out is never uploaded
            path = f.path
            yield Hit(message=f"{path} is {_size(size)} (threshold {_size(limit)})", key=path,
                      location=Location(file=path), evidence=[Evidence(description="file size", value=size)])


def _spec_flag(art: Artifacts, flag: str) -> Iterable:
    for run in art.runs:
        for e in run.trace.api_calls():
            spec = art.catalogue.by_name.get(e.api)
            if spec is not None and getattr(spec, flag):
                yield run, e, spec


@audit(
    "unknown-api",
    title="API the platform does not have",
    category="api",
    severity=Severity.WARNING,
    description="""The bundle reads a name on the platform global that the platform does not provide (a typo,
    another platform's name such as `tt.requestPayment`, or probing for hidden capabilities). On the platform it is
    undefined and calling it throws a TypeError.""",
    fix="Use the platform's name for the API (see the catalogue: `mpsandbox rules` / docs), or guard with canIUse.",
    example="tt.requestPayment({...})  // Douyin's is tt.pay",
)
def unknown_api(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        # `my.lin = my.lin || {}`: a name the bundle adds itself is its own namespace, not a missing API
        for e in unknown_api_calls(run):
            yield Hit(message=f"{e.called_as} does not exist on this platform", key=e.called_as,
                      evidence=[event_evidence(run, e, f"{e.called_as} read or called")])


@audit(
    "private-api",
    title="Private or internal API",
    category="api",
    severity=Severity.ERROR,
    description="""The bundle calls an API that exists on the host but is not public (internal or reserved for
    first-party mini-programs). Using it breaks without notice and is a review rejection reason.""",
    fix="Use the documented public API for the feature.",
)
def private_api(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e, _spec in _spec_flag(art, "private"):
        yield Hit(message=f"{e.called_as} is a private API", key=e.api,
                  evidence=[event_evidence(run, e, f"{e.called_as} called")])


@audit(
    "deprecated-api",
    title="Deprecated API",
    category="api",
    severity=Severity.INFO,
    description="""The API is deprecated on this platform: it may already behave differently (wx.getUserInfo
    returns an anonymous profile) and will be removed.""",
    fix="Move to the replacement named in the evidence.",
    example="wx.getUserInfo()  // use wx.getUserProfile in a tap",
)
def deprecated_api(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run, e, spec in _spec_flag(art, "deprecated"):
        yield Hit(message=f"{e.called_as} is deprecated" + (f": {spec.description}" if spec.description else ""),
                  key=e.api, evidence=[event_evidence(run, e, f"{e.called_as} called")])


@audit(
    "bundle-unloadable",
    title="Bundle cannot be loaded safely",
    category="bundle",
    severity=Severity.ERROR,
    description="""The bundle could not be loaded: a broken or hostile archive (path traversal, symlinks, zip
    bomb, duplicate names), a missing or invalid app.json. Nothing of it was run.""",
    fix="Rebuild the package with the platform's developer tool and upload that.",
    example="../../etc/passwd inside the zip",
    reads=("bundle",),
)
def bundle_unloadable(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    f = art.load_failure
    if f is None:
        return
    loc = Location(file=f.file, line=f.line, column=f.column) if f.file else None
    yield Hit(message=f"{f.code}: {f.message}", key=f.code, location=loc,
              evidence=[Evidence(description=f.message, location=loc, value=f.code)])


COVERED_PROBLEMS = {"page-missing", "tabbar-page-not-in-pages", "tabbar-outside-pages"}


@audit(
    "bundle-problem",
    title="Bundle file problem",
    category="bundle",
    severity=Severity.WARNING,
    description="""A file of the bundle is malformed but the run could go on: text that is not UTF-8, a page or
    component JSON that does not parse, a component that is used but missing, JavaScript that does not parse
    (`js-syntax`), or JavaScript the static scan did not read whole (`js-scan-cut`: a file over 8 MB, a parse past
    its CPU budget, or the bundle's JS past 48 MB), so the static facts of that file are incomplete.""",
    fix="Fix or remove the file named in the evidence.",
    reads=("bundle",),
)
def bundle_problem(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for p in art.problems:
        code = p.code
        if code in COVERED_PROBLEMS:
            continue
        sev = p.severity
        yield Hit(message=f"{code}: {p.message}", key=f"{code}|{p.file}",
                  location=_problem_location(p),
                  severity=Severity.INFO if sev == "info" else None)

