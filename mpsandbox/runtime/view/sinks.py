"""What a rendered page makes the view layer fetch: media and web-view sources, map marker icons and ``url()`` in
inline styles. Each is a network use the logic layer never sees as an API call, so the host records it like one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .tree import Element

# tag -> attributes whose value is a resource the view layer loads
SOURCE_ATTRS: dict[str, tuple[str, ...]] = {
    "image": ("src",),
    "cover-image": ("src",),
    "video": ("src", "poster"),
    "audio": ("src", "poster"),
    "web-view": ("src",),
    "live-player": ("src",),
    "live-pusher": ("url",),
    "camera": (),
    "map": (),
    "ad": (),
    "open-data": (),
    "img": ("src",),
}
_URL_IN_STYLE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I)
MAX_SINKS_PER_RENDER = 2_000


@dataclass(frozen=True)
class ViewSink:
    url: str
    tag: str
    attr: str  # 'src', 'style', 'markers[3].iconPath'...
    line: int


def _is_remote(url: str) -> bool:
    u = url.strip().lower()
    return u.startswith(("http://", "https://", "//", "ws://", "wss://", "rtmp://", "data:"))


def view_sinks(tree: Element) -> list[ViewSink]:
    """Every remote resource the rendered tree asks the view layer to load, in document order."""
    return sinks_of(tree.iter())


def sinks_of(elements: Iterable[Element]) -> list[ViewSink]:
    """The remote resources these elements ask the view layer to load (e.g. the elements an update changed)."""
    out: list[ViewSink] = []
    for el in elements:
        if len(out) >= MAX_SINKS_PER_RENDER:
            break
        for attr in SOURCE_ATTRS.get(el.tag, ()):
            v = el.attrs.get(attr)
            if isinstance(v, str) and _is_remote(v):
                out.append(ViewSink(v.strip(), el.tag, attr, el.line))
        style = el.attrs.get("style")
        if isinstance(style, str) and "url(" in style.lower():
            for m in _URL_IN_STYLE.finditer(style):
                if _is_remote(m.group(2)):
                    out.append(ViewSink(m.group(2).strip(), el.tag, "style", el.line))
        if el.tag == "map":
            out += _marker_icons(el)
    return out


def _marker_icons(el: Element) -> list[ViewSink]:
    out = []
    for name in ("markers", "covers"):
        items: Any = el.attrs.get(name)
        if not isinstance(items, list):
            continue
        for i, m in enumerate(items[:500]):
            if isinstance(m, dict) and isinstance(m.get("iconPath"), str) and _is_remote(m["iconPath"]):
                out.append(ViewSink(m["iconPath"].strip(), "map", f"{name}[{i}].iconPath", el.line))
    return out
