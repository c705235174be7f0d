"""Pages as HTML for screenshots, view-layer sinks, and real screenshots in headless Chromium (skipped where
Playwright or Chromium is missing; CI installs both)."""

from __future__ import annotations

import struct

import pytest

from mpsandbox.runtime.view.html import collect_styles, rewrite_css, rpx_to_px, to_html
from mpsandbox.runtime.view.realm import ViewRealm
from mpsandbox.runtime.view.screenshot import Camera, ScreenshotUnavailable
from mpsandbox.runtime.view.sinks import view_sinks

from ..runtime.bundles import template_bundle
from .test_render import render


def test_rpx_and_tag_selectors() -> None:
    assert rpx_to_px("width: 750rpx; margin: -20rpx 1.5rpx", 375) == "width: 375px; margin: -10px 0.75px"
    css = rewrite_css("view.a > text, page .b { color: red } @media (max-width: 1px) { image { x: y } } "
                      "@keyframes k { from { a: b } to { a: c } } .c:hover button { d: e }")
    assert "wx-view.a > wx-text, body .b { color: red }" in css
    assert "wx-image { x: y }" in css
    assert "from { a: b }" in css and "to { a: c }" in css
    assert ".c:hover wx-button" in css


def test_styles_follow_imports_once() -> None:
    b = template_bundle({"app.wxss": '@import "common/base.wxss"; .app{}', "common/base.wxss": ".base{}",
                      "pages/p.wxss": '@import "/common/base.wxss"; .page{}'})
    css = collect_styles(b, ["pages/p"], "wx")
    assert css.count(".base{}") == 1 and ".app{}" in css and ".page{}" in css


def test_html_never_fetches_and_escapes() -> None:
    res = render("wx", {"pages/p.wxml": '<view style="width:100rpx;background:url({{u}})" bindtap="x">'
                                        '{{t}}</view><image src="{{u}}"/>'},
                 {"u": "https://evil.example/x.png?lat=1", "t": "<script>alert(1)</script>"})
    doc = to_html(res.tree)
    assert "<script>" not in doc and "&lt;script&gt;" in doc
    assert 'src="' not in doc and "bindtap" not in doc
    assert "default-src 'none'" in doc
    assert "width:50px" in doc


def test_view_sinks() -> None:
    res = render("wx", {"pages/p.wxml": '<image src="{{img}}"/><image src="/local.png"/>'
                                        '<web-view src="https://h5.example/?u={{uid}}"/>'
                                        '<view style="background-image: url(\'{{bg}}\')"/>'
                                        '<map markers="{{markers}}"/><video src="{{v}}" poster="{{p}}"/>'},
                 {"img": "https://cdn.example/a.png", "uid": 7, "bg": "https://cdn.example/bg.png",
                  "markers": [{"iconPath": "https://cdn.example/m.png"}, {"iconPath": "/m.png"}],
                  "v": "https://v.example/a.mp4", "p": "https://v.example/p.png"})
    got = [(s.tag, s.attr, s.url) for s in view_sinks(res.tree)]
    assert got == [
        ("image", "src", "https://cdn.example/a.png"),
        ("web-view", "src", "https://h5.example/?u=7"),
        ("view", "style", "https://cdn.example/bg.png"),
        ("map", "markers[0].iconPath", "https://cdn.example/m.png"),
        ("video", "src", "https://v.example/a.mp4"),
        ("video", "poster", "https://v.example/p.png"),
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_screenshot_of_a_rendered_page() -> None:
    try:
        cam = Camera(width=375, height=600, scale=1)
    except ScreenshotUnavailable as exc:
        pytest.skip(str(exc))
    files = {"pages/p.wxml": '<view class="bar">{{title}}</view>', "pages/p.wxss": ".bar { height: 200rpx; "
             "background: rgb(255, 0, 0); }"}
    with ViewRealm(template_bundle(files)) as realm:
        tree = realm.render("pages/p.wxml", {"title": "hello"}).tree
    with cam:
        png = cam.shoot(to_html(tree, collect_styles(template_bundle(files), ["pages/p"], "wx")))
    assert _png_size(png) == (375, 600)
    # the red bar is 100 px high: decode the PNG and look at a pixel inside and one below it
    import io
    import zlib

    def pixels(data: bytes) -> list[bytes]:
        stream = io.BytesIO(data[8:])
        idat = b""
        while True:
            length, kind = struct.unpack(">I4s", stream.read(8))
            chunk = stream.read(length)
            stream.read(4)
            if kind == b"IHDR":
                w, h, depth, color = struct.unpack(">IIBB", chunk[:10])
            elif kind == b"IDAT":
                idat += chunk
            elif kind == b"IEND":
                break
        raw = zlib.decompress(idat)
        bpp = 4 if color == 6 else 3
        stride = w * bpp
        rows, prev = [], bytearray(stride)
        for y in range(h):
            f = raw[y * (stride + 1)]
            line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1:
                    line[x] = (line[x] + a) & 255
                elif f == 2:
                    line[x] = (line[x] + b) & 255
                elif f == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(bytes(line))
            prev = line
        return [bytes(r[x * bpp:x * bpp + 3]) for r in rows for x in (300,)]

    col = pixels(png)
    assert col[50] == b"\xff\x00\x00"
    assert col[150] == b"\xff\xff\xff"


def test_one_tab_shoots_every_page_as_a_fresh_tab_would() -> None:
    """The camera loads each document into the same tab: nothing of one screenshot (a full-page one, a tall page,
    a failed load) shows in the next."""
    docs = []
    for files, data in [({"pages/p.wxml": '<view class="bar">{{t}}</view><input focus="{{true}}" value="x"/>',
                          "pages/p.wxss": ".bar { height: 3000rpx; background: rgb(0, 0, 255); }"}, {"t": "tall"}),
                        ({"pages/p.wxml": '<view class="bar">{{t}}</view>',
                          "pages/p.wxss": ".bar { height: 100rpx; background: rgb(0, 128, 0); }"}, {"t": "short"})]:
        with ViewRealm(template_bundle(files)) as realm:
            tree = realm.render("pages/p.wxml", data).tree
        docs.append(to_html(tree, collect_styles(template_bundle(files), ["pages/p"], "wx")))
    fresh = []
    for doc in docs:  # each in a camera of its own
        try:
            one = Camera(width=375, height=600, scale=1)
        except ScreenshotUnavailable as exc:
            pytest.skip(str(exc))
        with one:
            fresh.append(one.shoot(doc))
    with Camera(width=375, height=600, scale=1) as cam:
        assert _png_size(cam.shoot(docs[0], full_page=True))[1] > 600
        assert cam.shoot(docs[1]) == fresh[1]
        assert cam.shoot(docs[0]) == fresh[0]
        cam.timeout_ms = 1  # a screenshot that fails leaves no broken tab behind
        from playwright.sync_api import Error as PlaywrightError

        with pytest.raises(PlaywrightError):
            cam.shoot(docs[1])
        cam.timeout_ms = 10_000
        assert cam.shoot(docs[1]) == fresh[1]
