"""Screenshots of rendered pages, taken by headless Chromium (Debian's ``chromium``) driven by Playwright.

Optional at run time: without Playwright or a Chromium binary, :func:`open_camera` raises
:class:`ScreenshotUnavailable` with the reason, and reviews run on without pictures. The browser never touches
the network: every request is aborted and the documents forbid loading anything but inline styles and data URLs.
"""

from __future__ import annotations

import os
import shutil
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


class Camera:
    """One headless browser for many screenshots; close it when done (or use as a context manager)."""

    def __init__(self, width: int = 375, height: int = 667, scale: float = 2.0, timeout_ms: int = 10_000):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise ScreenshotUnavailable("Playwright is not installed (pip install playwright)") from exc
        exe = find_chromium()
        if not exe:
            raise ScreenshotUnavailable("no Chromium found (apt-get install chromium, or set MPSANDBOX_CHROMIUM)")
        self.width, self.height, self.timeout_ms = width, height, timeout_ms
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
        page = self._context.new_page()
        try:
            page.set_content(document, timeout=self.timeout_ms, wait_until="load")
            return page.screenshot(type="png", full_page=full_page, timeout=self.timeout_ms)
        finally:
            page.close()

    def close(self) -> None:
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
