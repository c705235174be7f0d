"""The layout gatherer: each rendered page shown in headless Chromium, for its screenshot and the boxes of its
tap targets and images (what the tap-target and image-size audits read). Runs with ``--screenshots`` only, and
only where Chromium can start: without it the review says why and those audits stay silent."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runtime.view.screenshot import Box
from .artifacts import Artifacts

MAX_SCREENSHOTS = 24


@dataclass
class PageShot:
    route: str
    png: bytes
    boxes: list[Box] = field(default_factory=list)


def gather_layout(art: Artifacts) -> str | None:
    """Screenshots and boxes of the pages each walk rendered, into each run's ``shots``; returns why there are
    none, if so. Problems with single pages go into ``art.layout_problems``."""
    from ..runtime.view.screenshot import Camera, ScreenshotUnavailable

    docs = [(run, route, view.html) for run in art.runs for route, view in (run.views or {}).items()
            if getattr(view, "html", "")]
    if not docs:
        return "no page was rendered"
    try:
        camera = Camera()
    except ScreenshotUnavailable as exc:
        return str(exc)
    with camera:
        taken = 0
        for run, route, html in docs:
            if taken >= MAX_SCREENSHOTS:
                break
            try:
                png, boxes = camera.shoot_and_measure(html)
            except Exception as exc:  # noqa: BLE001 - one page that Chromium cannot show is not the review's end
                art.layout_problems.append(f"screenshot of {route} failed: {str(exc).splitlines()[0][:200]}")
                continue
            run.shots.append(PageShot(route=route, png=png, boxes=boxes))
            taken += 1
    return None
