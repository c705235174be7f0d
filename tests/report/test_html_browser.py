"""The HTML report in headless Chromium (Debian's `chromium`, driven by Playwright): it renders at phone and desktop
width without horizontal overflow, console errors or any network request, and the CSS-only filters work.
Screenshots go to $MPSANDBOX_ARTIFACTS (CI keeps them) or the test's tmp dir. Skipped without Chromium/Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mpsandbox.report.render import render

from ._factory import make_report

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = next((p for p in (os.environ.get("MPSANDBOX_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # noqa: BLE001 - a Chromium that cannot start here is a skip, not a failure
            pytest.skip(f"Chromium does not start: {exc}")
        yield b
        b.close()


def _shots_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("MPSANDBOX_ARTIFACTS") or tmp_path) / "html-report"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.mark.parametrize("width", [390, 1280])
def test_renders_offline_without_errors_or_overflow(browser, tmp_path, width):
    page_file = tmp_path / "review.html"
    page_file.write_text(render(make_report(), "html"), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    assert errors == []
    assert [u for u in requests if u != page_file.as_uri() and not u.startswith("data:")] == []
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"horizontal overflow at {width} px: {scroll} > {inner}"
    assert page.locator(".mark").count() >= 7 and page.locator(".snip .ln.hit").count() >= 1
    page.screenshot(path=str(_shots_dir(tmp_path) / f"report-{width}.png"), full_page=True)
    page.close()


def test_filters_hide_and_show_findings_without_script(browser, tmp_path):
    page_file = tmp_path / "review.html"
    page_file.write_text(render(make_report(), "html"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    page.goto(page_file.as_uri())
    visible = lambda: page.locator("article.f:visible").count()  # noqa: E731
    assert visible() == 4
    page.click('label[for="fs-warning"]')
    assert visible() == 2
    page.click('label[for="fc-1"]')  # privacy, the first category: its one error finding goes too
    assert visible() == 1
    page.click('label[for="fs-warning"]')
    page.click('label[for="fc-1"]')
    assert visible() == 4
    page.close()
