"""Laid-out pages (--screenshots): tap targets and the bundle's images measured in Chromium, audited with WeChat's
experience-score thresholds, and scored."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from mpsandbox.review import ReviewOptions, review
from mpsandbox.runtime.view.html import BundleImages, to_html
from mpsandbox.runtime.view.tree import Element


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make(root: Path, template: str, wxss: str = "") -> Path:
    files: dict[str, bytes] = {
        "app.json": json.dumps({"pages": ["pages/p/p"]}).encode(), "app.js": b"App({})",
        "pages/p/p.js": b"Page({ onTap() {}, onClose() {} })", "pages/p/p.wxml": template.encode(),
        "pages/p/p.wxss": wxss.encode(), "img/wide.png": png(300, 100), "img/big.png": png(600, 600),
        "img/icon.png": png(48, 48),
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_the_document_marks_tap_targets_and_inlines_the_bundles_images(tmp_path: Path) -> None:
    from mpsandbox.bundle import load_bundle

    bundle = load_bundle(make(tmp_path, ""))
    images = BundleImages(bundle, "pages/p/p")
    assert images("../../img/wide.png")[1:] == (300, 100) and images("/img/wide.png")[0].startswith("data:image/png")
    assert images("https://cdn.example.com/a.png") is None and images("/img/missing.png") is None
    assert images("/../../etc/passwd") is None
    tree = Element(tag="root", children=[
        Element(tag="view", attrs={"bindtap": "onTap", "class": "a b"}, children=["go"]),
        Element(tag="image", attrs={"src": "/img/wide.png", "mode": "widthFix"}),
        Element(tag="image", attrs={"src": "https://cdn.example.com/x.png"}),
        Element(tag="view", children=["plain"]),
    ])
    doc = to_html(tree, images=images)
    assert 'data-audit-tap="view.a.b (onTap)"' in doc and doc.count("data-audit-tap") == 1
    assert 'data-audit-image="/img/wide.png" data-audit-size="300x100" data-audit-mode="widthFix"' in doc
    assert "aspect-ratio:300/100" in doc and doc.count("data-audit-image") == 1
    assert "cdn.example.com" not in doc  # remote images are never in the document


def _shots_or_skip() -> None:
    from mpsandbox.runtime.view.screenshot import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here")
    pytest.importorskip("playwright")


BAD = """<view>
  <text class="x" bindtap="onClose">x</text>
  <image src="/img/wide.png" style="width: 100px; height: 100px" />
  <image src="/img/big.png" mode="aspectFit" style="width: 40px; height: 40px" />
</view>"""
GOOD = """<view>
  <view class="x" bindtap="onClose">close</view>
  <image src="/img/wide.png" mode="widthFix" style="width: 150px" />
  <image src="/img/icon.png" style="width: 24px; height: 24px" />
  <button bindtap="onTap">Buy</button>
</view>"""


def test_small_tap_targets_stretched_and_oversized_images_are_found_and_scored(tmp_path: Path) -> None:
    _shots_or_skip()
    bad = review(make(tmp_path / "bad", BAD, ".x { font-size: 10px; line-height: 12px; }"),
                 ReviewOptions(engine="native", screenshots=True))
    by_rule = {f.rule: f for f in bad.findings}
    tap = by_rule["small-tap-target"]
    assert tap.severity.value == "info" and tap.category == "experience"
    assert "text.x (onClose)" in tap.evidence[0].description and tap.evidence[0].location.file == "pages/p/p.wxml"
    assert "/img/wide.png (300 x 100) shown at 100 x 100 px" in by_rule["image-aspect"].evidence[0].description
    assert "/img/big.png (600 x 600) shown at 40 x 40 px" in by_rule["oversized-image"].evidence[0].description
    checks = {c.id: c for c in bad.score.checks}
    assert checks["tap-targets"].score == 0 and checks["image-aspect"].score == 0 and checks["image-size"].score == 0

    good = review(make(tmp_path / "good", GOOD, ".x { padding: 10px; }"),
                  ReviewOptions(engine="native", screenshots=True))
    assert not {"small-tap-target", "image-aspect", "oversized-image"} & {f.rule for f in good.findings}
    checks = {c.id: c for c in good.score.checks}
    assert checks["tap-targets"].score == 1 and checks["image-aspect"].score == 1 and checks["image-size"].score == 1
    assert good.score.score > bad.score.score


def test_without_layout_the_checks_are_not_scored(tmp_path: Path) -> None:
    report = review(make(tmp_path, BAD), ReviewOptions(engine="native"))
    checks = {c.id: c for c in report.score.checks}
    assert checks["tap-targets"].score is None and checks["image-size"].score is None
    assert not {"small-tap-target", "image-aspect", "oversized-image"} & {f.rule for f in report.findings}
