"""Audits over the laid-out pages (review/layout.py, with ``--screenshots``): tap targets and images, with the
thresholds of WeChat's experience score ("可点击元素的响应区域", "保持图片大小比例", "图片大小")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..artifacts import Artifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit, template_of

if TYPE_CHECKING:
    from ..policy import Policy

MIN_TAP_PX = 20  # both sides, in CSS px
MAX_ASPECT_DRIFT = 0.15  # shown height/width against the file's, for images stretched to their box
MAX_IMAGE_RATIO = 3  # a file more than this many times larger than its box, in both directions
MAX_HITS = 20


def _boxes(art: Artifacts) -> Iterator[tuple[str, Any]]:
    """(route, box) of every shown box of every page, each page once (the first walk that showed it)."""
    seen: set[str] = set()
    for run in art.runs:
        for shot in getattr(run, "shots", []):
            if shot.route in seen:
                continue
            seen.add(shot.route)
            for box in shot.boxes:
                if box.shown:
                    yield shot.route, box


def laid_out(art: Artifacts) -> bool:
    return any(getattr(run, "shots", None) for run in art.runs)


def small_tap_targets(art: Artifacts) -> list[tuple[str, Any]]:
    return [(route, b) for route, b in _boxes(art)
            if b.tap is not None and (b.width < MIN_TAP_PX or b.height < MIN_TAP_PX)]


def stretched_images(art: Artifacts) -> list[tuple[str, Any]]:
    out = []
    for route, b in _boxes(art):
        if b.natural is None or (b.mode or "scaleToFill") != "scaleToFill" or b.width <= 0:
            continue
        w, h = b.natural
        if abs((b.height / b.width) / (h / w) - 1) > MAX_ASPECT_DRIFT:
            out.append((route, b))
    return out


def oversized_images(art: Artifacts) -> list[tuple[str, Any]]:
    return [(route, b) for route, b in _boxes(art) if b.natural is not None
            and b.natural[0] > MAX_IMAGE_RATIO * b.width and b.natural[1] > MAX_IMAGE_RATIO * b.height]



def _image_text(b: Any) -> str:
    return f"{b.image} ({b.natural[0]} x {b.natural[1]}) shown at {b.width:.0f} x {b.height:.0f} px"


def _hits(art: Artifacts, found: list[tuple[str, Any]], describe: Any) -> Iterable[Hit]:
    by_route: dict[str, list[Any]] = {}
    for route, box in found:
        by_route.setdefault(route, []).append(box)
    for route, boxes in sorted(by_route.items())[:MAX_HITS]:
        where = Location(file=template_of(art, route))
        yield Hit(message=f"{route}: {len(boxes)} {describe(None)}", key=route,
                  evidence=[Evidence(description=f"{route}: {describe(b)}", location=where) for b in boxes[:12]])


@audit(
    "small-tap-target",
    title="Tap target smaller than 20 px",
    category="experience",
    severity=Severity.INFO,
    description="""An element that reacts to a tap (a tap or longpress binding, a button, a navigator) is laid out
    smaller than 20 x 20 px, so fingers miss it; WeChat's experience score asks for at least 20 px in both
    directions. Measured on the pages as rendered in headless Chromium at 375 px wide (with --screenshots).""",
    fix="Give the element (or a wrapper that carries the binding) a padding or a minimum size of 20 px or more.",
    example='<text class="close" bindtap="onClose">×</text>  /* .close { font-size: 10px } */',
)
def small_tap_target(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    return _hits(art, small_tap_targets(art), lambda b: "tap target(s) under 20 px" if b is None else
                 f"{b.tap} is {b.width:.0f} x {b.height:.0f} px")


@audit(
    "image-aspect",
    title="Image stretched out of its proportions",
    category="experience",
    severity=Severity.INFO,
    description="""An image shown with the default mode (scaleToFill) in a box whose proportions differ from the
    picture's by more than 15 %, so it is distorted; WeChat's experience score checks the same. The picture's size
    is read from the bundle's own file; remote images are not fetched, so they are not judged.""",
    fix='Set mode="aspectFit", "aspectFill" or "widthFix" on the image, or size its box to the picture\'s ratio.',
    example='<image src="/img/banner.png" style="width: 100%; height: 100px" />  <!-- a 1200 x 400 picture -->',
)
def image_aspect(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    return _hits(art, stretched_images(art), lambda b: "stretched image(s)" if b is None else _image_text(b))


@audit(
    "oversized-image",
    title="Image file far larger than it is shown",
    category="performance",
    severity=Severity.INFO,
    description="""A bundle image has more than three times the pixels of its box in both directions, so the
    package carries and the phone decodes pixels nobody sees; WeChat's experience score checks image sizes against
    their boxes. Remote images are not fetched, so they are not judged.""",
    fix="Export the picture at the size it is shown (up to 3x for high-density screens), or load it from a CDN "
        "that resizes.",
    example='<image src="/img/icon-2048.png" style="width: 24px; height: 24px" />',
)
def oversized_image(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    return _hits(art, oversized_images(art), lambda b: "oversized image(s)" if b is None else _image_text(b))
