"""A minimal in-memory bundle for runtime tests that do not need the real loader."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass
class FakeFile:
    path: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class FakePage:
    route: str
    package: str = "main"


@dataclass
class FakeBundle:
    sources: dict[str, str]
    platform: str = "tt"
    name: str = "fake"
    tab_pages: list[str] = field(default_factory=list)
    usages: dict[str, list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.files = {p: FakeFile(p, s.encode()) for p, s in self.sources.items()}
        app = json.loads(self.sources.get("app.json", '{"pages": []}'))
        self.pages = [FakePage(r) for r in app.get("pages", [])]
        for sub in app.get("subpackages", []):
            self.pages += [FakePage(f"{sub['root'].rstrip('/')}/{r}", sub["root"]) for r in sub["pages"]]
        self.entry_page = self.pages[0].route if self.pages else ""
        self.tab_pages = self.tab_pages or [i["pagePath"] for i in app.get("tabBar", {}).get("list", [])]

    def read_text(self, path: str) -> str:
        return self.sources[path]

    def component_usages(self, route: str) -> list[dict]:
        return self.usages.get(route, [])


def make_bundle(pages: dict[str, str], app_js: str = "App({})", extra: dict[str, str] | None = None, **kw) -> FakeBundle:
    """pages: route -> page JS source."""
    app = {"pages": list(pages), "permission": {"scope.userLocation": {"desc": "tests use location"}}}
    sources = {"app.js": app_js, "app.json": json.dumps(app)}
    for route, src in pages.items():
        sources[route + ".js"] = src
    sources.update(extra or {})
    return FakeBundle(sources, **kw)
