"""Screenshots of rendered pages, taken by headless Chromium (Debian's ``chromium``) driven by Playwright.

Optional at run time: without Playwright or a Chromium binary, :func:`open_camera` raises
:class:`ScreenshotUnavailable` with the reason, and reviews run on without pictures. The browser never touches
the network: every request is aborted and the documents forbid loading anything but inline styles and data URLs.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--font-render-hinting=none",
]


class ScreenshotUnavailable(RuntimeError):
    """Screenshots cannot be taken on this machine (message says why)."""


def find_chromium() -> str | None:
    env = os.environ.get("MPSANDBOX_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


MAX_BOXES = 2_000
# Runs in the browser's utility world (the page's own scripts are off): every marked element's box in CSS px.
MEASURE_JS = """() => [...document.querySelectorAll('[data-audit-tap],[data-audit-image]')].map(e => {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {tap: e.getAttribute('data-audit-tap'), image: e.getAttribute('data-audit-image'),
          size: e.getAttribute('data-audit-size'), mode: e.getAttribute('data-audit-mode'),
          x: r.x, y: r.y, width: r.width, height: r.height,
          shown: s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0};
})"""


@dataclass(frozen=True)
class Box:
    """A laid-out element of a screenshot: a tap target (``tap``: its description) or an image (``image``: its
    src, ``natural``: the file's pixel size, ``mode``), in CSS px at the screenshot's width."""

    x: float
    y: float
    width: float
    height: float
    shown: bool
    tap: str | None = None
    image: str | None = None
    natural: tuple[int, int] | None = None
    mode: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> Box:
        def num(k: str) -> float:
            v = item.get(k)
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0

        natural = None
        size = item.get("size")
        if isinstance(size, str) and "x" in size:
            w, _, h = size.partition("x")
            if w.isdigit() and h.isdigit():
                natural = (int(w), int(h))
        text = lambda k: str(item[k])[:300] if isinstance(item.get(k), str) else None  # noqa: E731
        return cls(x=num("x"), y=num("y"), width=num("width"), height=num("height"), shown=item.get("shown") is True,
                   tap=text("tap"), image=text("image"), natural=natural, mode=text("mode"))


class Camera:
    """One headless browser for many screenshots; close it when done (or use as a context manager).

    Every screenshot loads its document into the same tab (opening a tab costs more than loading and capturing a
    page); a tab that failed is closed and the next screenshot opens a new one. Scripts are off, so nothing of one
    document outlives the next ``set_content``."""

    def __init__(self, width: int = 375, height: int = 667, scale: float = 2.0, timeout_ms: int = 10_000):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise ScreenshotUnavailable("Playwright is not installed (pip install playwright)") from exc
        exe = find_chromium()
        if not exe:
            raise ScreenshotUnavailable("no Chromium found (apt-get install chromium, or set MPSANDBOX_CHROMIUM)")
        self.width, self.height, self.timeout_ms = width, height, timeout_ms
        self._page: Any = None
        try:
            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=timeout_ms)
            self._context = self._browser.new_context(viewport={"width": width, "height": height},
                                                      device_scale_factor=scale, java_script_enabled=False,
                                                      offline=True)
            self._context.route("**/*", lambda route: route.abort())
        except Exception as exc:  # noqa: BLE001 - any launch failure means: no screenshots here
            self.close()
            raise ScreenshotUnavailable(f"Chromium did not start: {str(exc).splitlines()[0][:200]}") from None

    def shoot(self, document: str, full_page: bool = False) -> bytes:
        """PNG bytes of ``document`` (an HTML string from :func:`.html.to_html`)."""
        return self._take(document, full_page, measure=False)[0]

    def shoot_and_measure(self, document: str, full_page: bool = False) -> tuple[bytes, list[Box]]:
        """PNG bytes of ``document`` and the laid-out boxes of its tap targets and images (``data-audit-*``)."""
        return self._take(document, full_page, measure=True)

    def _take(self, document: str, full_page: bool, measure: bool) -> tuple[bytes, list[Box]]:
        page = self._page
        if page is None:
            page = self._page = self._context.new_page()
        try:
            page.set_content(document, timeout=self.timeout_ms, wait_until="load")
            png = page.screenshot(type="png", full_page=full_page, timeout=self.timeout_ms)
            raw = page.evaluate(MEASURE_JS) if measure else []
        except BaseException:
            self._page = None
            try:
                page.close()
            except Exception:  # noqa: BLE001 - the tab may be gone with the failure
                pass
            raise
        return png, [Box.of(item) for item in (raw or [])[:MAX_BOXES] if isinstance(item, dict)]

    def close(self) -> None:
        page, self._page = getattr(self, "_page", None), None
        if page is not None:
            try:
                page.close()
            except Exception:  # noqa: BLE001
                pass
        for name in ("_context", "_browser"):
            obj = getattr(self, name, None)
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001
                    pass
        pw = getattr(self, "_pw", None)
        if pw is not None:
            try:
                pw.stop()
            except Exception:  # noqa: BLE001
                pass
            self._pw = None

    def __enter__(self) -> "Camera":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_camera(**kwargs: Any) -> Camera:
    return Camera(**kwargs)
