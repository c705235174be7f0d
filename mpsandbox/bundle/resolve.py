"""Where a component spec points, as the platforms' tools resolve it: relative and root paths, npm packages
(WeChat ``miniprogram_npm`` up the folder tree, Alipay ``node_modules``), app.json ``resolveAlias``, and the
WeChat extended libraries (``useExtendedLib``), whose components the platform supplies and the bundle lacks.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any, Iterable, Sequence

NPM_FOLDERS = ("miniprogram_npm", "node_modules")
MAX_ALIASES = 64
MAX_DEPS = 200

# useExtendedLib name -> (package the components are referenced by, component names the platform ships)
EXTENDED_LIBS: dict[str, tuple[str, frozenset[str]]] = {
    "weui": ("weui-miniprogram", frozenset({
        "actionsheet", "badge", "cell", "cells", "checkbox", "checkbox-group", "dialog", "form", "form-page",
        "gallery", "grids", "half-screen-dialog", "icon", "loading", "msg", "navigation-bar", "searchbar",
        "slideview", "tabbar", "toptips", "uploader",
    })),
}


def extended_components(app: Any) -> frozenset[str]:
    """Specs (``weui-miniprogram/cell/cell``) of the extended libraries app.json enables."""
    libs = getattr(app, "model_extra", None) or {}
    enabled = libs.get("useExtendedLib")
    if not isinstance(enabled, dict):
        return frozenset()
    out: set[str] = set()
    for lib, on in enabled.items():
        if lib in EXTENDED_LIBS and on not in (False, None, "", 0):
            package, names = EXTENDED_LIBS[lib]
            for name in names:
                out.update((f"{package}/{name}/{name}", f"{package}/{name}/index", f"{package}/{name}"))
    return frozenset(out)


def aliases(app: Any) -> list[tuple[str, str]]:
    """app.json ``resolveAlias`` as (prefix, replacement) pairs, longest prefix first (``"~/*": "/*"``)."""
    raw = (getattr(app, "model_extra", None) or {}).get("resolveAlias")
    if not isinstance(raw, dict):
        return []
    out = []
    for key, value in list(raw.items())[:MAX_ALIASES]:
        if isinstance(key, str) and isinstance(value, str) and key:
            out.append((key.removesuffix("*"), value.removesuffix("*")))
    return sorted(out, key=lambda kv: -len(kv[0]))


def apply_alias(spec: str, pairs: list[tuple[str, str]]) -> str:
    for prefix, target in pairs:
        if spec.startswith(prefix):
            rest = target + spec[len(prefix):]
            return "/" + rest.lstrip("/")  # alias targets are relative to the mini-program root
    return spec


def resolve_component(base_dir: str, spec: str, files: Any, pairs: Sequence[tuple[str, str]] = (),
                      stubs: frozenset[str] = frozenset()) -> str | None:
    """The module path (without extension) of a component, None when the platform supplies it, or the path it
    would have when it is missing."""
    spec = apply_alias(spec.strip(), list(pairs))
    if spec.startswith(("plugin://", "dynamicLib://", "ext://", "plugin-private://")):
        return None
    if spec.lstrip("/") in stubs:
        return None
    path = posixpath.normpath(spec.lstrip("/") if spec.startswith("/") else posixpath.join(base_dir, spec))
    if path.startswith("../"):
        return None
    for candidate in (path, path + "/index"):
        if candidate + ".js" in files:
            return candidate
    if not spec.startswith((".", "/")):
        for candidate in npm_candidates(base_dir, spec):
            if candidate + ".js" in files:
                return candidate
        if spec + ".js" in files:
            return spec
    return path


def npm_candidates(base_dir: str, spec: str) -> Iterable[str]:
    """``<dir>/miniprogram_npm/<spec>`` (and node_modules) from the using file's folder up to the root."""
    folder = base_dir.strip("/")
    while True:
        for npm in NPM_FOLDERS:
            root = f"{folder}/{npm}/{spec}" if folder else f"{npm}/{spec}"
            yield root
            yield root + "/index"
        if not folder:
            return
        folder = posixpath.dirname(folder)


def alipay_npm_folders(package_json: bytes | None, prefix: str = "") -> tuple[str, ...]:
    """``node_modules/<dep>`` folders of package.json's dependencies (the packages Alipay's IDE bundles);
    without a package.json the node_modules folder was copied in by hand and is read whole."""
    if package_json is None:
        return (f"{prefix}node_modules",)
    try:
        data = json.loads(package_json.decode("utf-8", "replace"))
    except (json.JSONDecodeError, RecursionError):
        return ()
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, dict):
        return ()
    out = []
    for name in list(deps)[:MAX_DEPS]:
        parts = name.split("/") if isinstance(name, str) else []
        if parts and all(p and p not in (".", "..") and "\\" not in p for p in parts) and len(parts) <= 2:
            out.append(f"{prefix}node_modules/{name}")
    return tuple(out)
