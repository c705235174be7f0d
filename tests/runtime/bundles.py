"""Small real bundles for tests: the loader builds them from files held in memory (``bundle_from_files``)."""

from __future__ import annotations

import json

from mpsandbox.bundle import Bundle, bundle_from_files
from mpsandbox.bundle.loader import Platform


def make_bundle(pages: dict[str, str], app_js: str = "App({})", extra: dict[str, str] | None = None, *,
                platform: Platform = "tt", name: str = "fake") -> Bundle:
    """pages: route -> page JS source; ``extra``: more files (they may replace app.json)."""
    app = {"pages": list(pages), "permission": {"scope.userLocation": {"desc": "tests use location"}}}
    sources = {"app.js": app_js, "app.json": json.dumps(app)}
    for route, src in pages.items():
        sources[route + ".js"] = src
    sources.update(extra or {})
    return bundle_from_files(sources, platform, name=name)


def template_bundle(files: dict[str, str], platform: Platform = "wx") -> Bundle:
    """A real bundle around template, style and script files (the view's tests): unless ``files`` has one, an
    app.json listing the page ``pages/p`` is added."""
    return bundle_from_files({"app.json": json.dumps({"pages": ["pages/p"]}), **files}, platform, name="view")
