"""A rendered page as a self-contained HTML document, the way the platforms' web views show it: every element
becomes a custom element (``<wx-view>``), the bundle's styles (WXSS/TTSS/ACSS) are inlined with ``rpx`` converted
for the screen width and tag selectors renamed, and nothing is ever fetched (remote media become placeholders)."""

from __future__ import annotations

import base64
import html
import io
import posixpath
import re
from typing import TYPE_CHECKING, Any, Callable


from .tree import Element

if TYPE_CHECKING:
    from ...bundle import Bundle

STYLE_EXT = {"tt": ".ttss", "wx": ".wxss", "my": ".acss"}
DESIGN_WIDTH = 750  # rpx across the screen
MAX_CSS_BYTES = 2 * 1024 * 1024
MAX_IMPORTS = 64

INLINE_TAGS = {"text", "icon", "label", "navigator-inline"}
BASE_CSS = """
html, body { margin: 0; padding: 0; }
body { font-family: -apple-system, "Helvetica Neue", "PingFang SC", "Noto Sans CJK SC", sans-serif; font-size: 16px;
       line-height: 1.4; color: #000; background: #fff; }
[class], wx-view, wx-scroll-view, wx-swiper, wx-swiper-item, wx-form, wx-navigator, wx-cover-view, wx-block,
wx-movable-area, wx-movable-view, wx-picker, wx-picker-view, wx-radio-group, wx-checkbox-group, wx-rich-text,
wx-web-view, wx-map, wx-canvas, wx-video, wx-camera, wx-page-meta, wx-root-portal, mp-component { display: block; }
wx-text, wx-label, wx-icon, wx-radio, wx-checkbox, wx-switch { display: inline; }
wx-swiper { overflow: hidden; height: 150px; white-space: nowrap; }
wx-swiper-item { display: inline-block; width: 100%; height: 100%; vertical-align: top; white-space: normal; }
wx-scroll-view { overflow: hidden; }
wx-image { display: inline-block; width: 320px; height: 240px; background: #e5e5e5 center/contain no-repeat;
           overflow: hidden; }
wx-button { display: block; position: relative; margin: 0 auto; padding: 0 14px; box-sizing: border-box;
            font-size: 18px; text-align: center; line-height: 2.55; border-radius: 5px; color: #000;
            background: #f8f8f8; border: 1px solid rgba(0,0,0,.2); }
wx-button[type=primary] { color: #fff; background: #07c160; }
wx-input, wx-textarea { display: block; height: 1.4em; min-height: 1.4em; border-bottom: 1px solid #ddd; }
wx-textarea { height: 150px; width: 300px; }
wx-input[placeholder]:empty::before, wx-textarea[placeholder]:empty::before { content: attr(placeholder);
           color: #999; }
wx-video, wx-web-view, wx-map, wx-canvas, wx-camera, wx-live-player { width: 300px; height: 225px;
           background: #222; }
wx-web-view { width: 100%; height: 100vh; background: #f0f0f0; }
wx-switch::before { content: ""; display: inline-block; width: 52px; height: 32px; border-radius: 16px;
           background: #ddd; vertical-align: middle; }
wx-switch[checked=true]::before { background: #07c160; }
wx-checkbox::before, wx-radio::before { content: ""; display: inline-block; width: 22px; height: 22px;
           border: 1px solid #d1d1d1; border-radius: 3px; vertical-align: middle; margin-right: 4px; }
wx-radio::before { border-radius: 50%; }
wx-icon::before { content: "●"; color: #07c160; }
wx-progress { display: block; height: 6px; background: #ebebeb; }
[hidden]:not([hidden=false]) { display: none !important; }
"""


def rpx_to_px(css: str, width: int) -> str:
    factor = width / DESIGN_WIDTH

    def repl(m: re.Match[str]) -> str:
        value = float(m.group(1)) * factor
        return f"{value:.3f}".rstrip("0").rstrip(".") + "px"

    return re.sub(r"(-?\d*\.?\d+)rpx\b", repl, css)


_TAG_IN_SELECTOR = re.compile(r"(^|[\s>+~,(])([a-z][a-z0-9-]*)(?=$|[\s>+~,.:#\[)])")


def _rename_selector(selector: str) -> str:
    """``view.a > text`` -> ``wx-view.a > wx-text``; ``page`` is the body."""
    def repl(m: re.Match[str]) -> str:
        tag = m.group(2)
        if tag == "page":
            return m.group(1) + "body"
        if tag in ("html", "body", "from", "to") or tag.startswith("wx-"):
            return m.group(0)
        return m.group(1) + "wx-" + tag

    return _TAG_IN_SELECTOR.sub(repl, selector)


def rewrite_css(css: str) -> str:
    """Rename tag selectors in every rule (also inside @media/@supports); keyframes and declarations untouched."""
    out: list[str] = []
    i, n = 0, len(css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    n = len(css)
    depth_stack: list[bool] = []  # per open block: does it hold rules (True) or declarations (False)?
    while i < n:
        brace = css.find("{", i)
        close = css.find("}", i)
        if brace == -1 and close == -1:
            out.append(css[i:])
            break
        if close != -1 and (brace == -1 or close < brace):
            out.append(css[i:close + 1])
            if depth_stack:
                depth_stack.pop()
            i = close + 1
            continue
        head = css[i:brace]
        in_rules = not depth_stack or depth_stack[-1]
        stripped = head.strip()
        if in_rules and stripped and not stripped.startswith("@"):
            out.append(_rename_selector(head))
            depth_stack.append(False)
        else:
            out.append(head)
            lower = stripped.lower()
            depth_stack.append(lower.startswith(("@media", "@supports", "@document", "@layer"))
                               if in_rules else False)
        out.append("{")
        i = brace + 1
    return "".join(out)


def collect_styles(bundle: Bundle, module_paths: list[str], platform: str) -> str:
    """app style + the given modules' styles (page, components), ``@import`` inlined once each, from the bundle."""
    ext = STYLE_EXT.get(platform, ".wxss")
    files = bundle.files
    seen: set[str] = set()
    parts: list[str] = []
    total = 0

    def read(path: str, depth: int) -> str:
        nonlocal total
        if path in seen or path not in files or depth > 16 or len(seen) > MAX_IMPORTS or total > MAX_CSS_BYTES:
            return ""
        seen.add(path)
        text = bundle.read_text(path)
        total += len(text)

        def imp(m: re.Match[str]) -> str:
            target = m.group(2).strip()
            resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                          else posixpath.join(posixpath.dirname(path), target))
            return read(resolved, depth + 1)

        return re.sub(r"@import\s+(['\"])(.*?)\1\s*;?", imp, text)

    for module in ["app", *module_paths]:
        parts.append(read(module + ext, 0))
    return "\n".join(p for p in parts if p)


def _attr_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return ""
    return "" if v is None else str(v)


TAP_EVENTS = ("tap", "longpress", "longtap")
IMAGE_TAGS = ("image", "cover-image")
# how an image component's ``mode`` scales its picture, as a CSS background
IMAGE_MODES = {"scaleToFill": "100% 100%", "aspectFit": "contain", "aspectFill": "cover", "widthFix": "100% 100%",
               "heightFix": "100% 100%"}

# A local image of the bundle for the document: (data: URL or None when too big to inline, width, height)
ImageLookup = Callable[[str], "tuple[str | None, int, int] | None"]


IMAGE_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".webp": "image/webp", ".svg": "image/svg+xml", ".bmp": "image/bmp"}
MAX_INLINE_IMAGE = 256 * 1024  # bytes of one image inlined into a document
MAX_INLINE_TOTAL = 1024 * 1024  # of all images in one document


class BundleImages:
    """The bundle's own images as a page's template names them (``/img/a.png`` from the root, ``../a.png`` from
    the page's folder): their pixel size from the file's header, and a data: URL while within the inline budget."""

    def __init__(self, bundle: Bundle, route: str):
        self.bundle, self.route = bundle, route
        self.files = bundle.files
        self.inlined = 0
        self._seen: dict[str, tuple[str | None, int, int] | None] = {}

    def path_of(self, src: str) -> str | None:
        if not src or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith("//"):
            return None  # remote, data: or a platform path (wxfile://): not the bundle's
        src = src.split("?", 1)[0].split("#", 1)[0]
        base = "" if src.startswith("/") else posixpath.dirname(self.route)
        path = posixpath.normpath(posixpath.join(base, src.lstrip("/")))
        return path if path in self.files and not path.startswith("..") else None

    def __call__(self, src: str) -> tuple[str | None, int, int] | None:
        if src in self._seen:
            return self._seen[src]
        found = None
        path = self.path_of(src)
        if path is not None:
            try:
                data = self.bundle.read_bytes(path)
                import imagesize  # only for screenshots: not on a review's start-up path

                w, h = imagesize.get(io.BytesIO(data))
            except Exception:  # noqa: BLE001 - a broken image is shown as the platform shows it: empty
                w, h = -1, -1
            if w > 0 and h > 0:
                url = None
                mime = IMAGE_MIME.get(posixpath.splitext(path)[1].lower())
                if mime and len(data) <= MAX_INLINE_IMAGE and self.inlined + len(data) <= MAX_INLINE_TOTAL:
                    self.inlined += len(data)
                    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
                found = (url, w, h)
        self._seen[src] = found
        return found


def _is_tap_target(node: Element) -> bool:
    for k in node.attrs:
        name = k.split(":", 1)[1] if ":" in k else k
        for prefix in ("capture-catch", "capture-bind", "mut-bind", "catch", "bind"):
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        else:
            continue
        if name in TAP_EVENTS:
            return True
    return node.tag in ("button", "navigator") or (node.tag or "").endswith("-button")


def _describe(node: Element) -> str:
    cls = _attr_text(node.attrs.get("class")).split()
    handler = next((_attr_text(v) for k, v in node.attrs.items() if k.startswith(("bind", "catch")) and v), "")
    text = node.tag + "".join(f".{c}" for c in cls[:3])
    return f"{text} ({handler})" if handler else text


def to_html(tree: Element, css: str = "", width: int = 375, title: str = "",
            images: ImageLookup | None = None) -> str:
    """A standalone HTML document of the tree; remote images show as grey placeholders, nothing is fetched; the
    bundle's own images are inlined when ``images`` finds them. Tap targets and images carry ``data-audit-*``
    attributes, so that a browser can measure their boxes (review/layout.py)."""
    body: list[str] = []
    stack: list[Any] = [(c, False) for c in reversed(tree.children)]
    while stack:
        node, closing = stack.pop()
        if closing:
            body.append(f"</{node}>")
            continue
        if isinstance(node, str):
            body.append(html.escape(node))
            continue
        tag = "wx-" + re.sub(r"[^a-z0-9-]", "", node.tag.lower()) if node.tag else "wx-view"
        attrs = []
        extra_style = ""
        for k, v in node.attrs.items():
            if k.startswith(("bind", "catch", "capture-", "mut-bind", "data-audit-")) \
                    or not re.fullmatch(r"[A-Za-z_:][\w:.-]*", k):
                continue
            if k == "src":
                continue  # never fetched
            if k == "style":
                continue  # after the image's own
            attrs.append(f' {k}="{html.escape(_attr_text(v), quote=True)}"')
        if _is_tap_target(node):
            attrs.append(f' data-audit-tap="{html.escape(_describe(node), quote=True)}"')
        src = _attr_text(node.attrs.get("src")) if node.tag in IMAGE_TAGS else ""
        found = images(src) if images is not None and src else None
        if found is not None:
            data_url, w, h = found
            mode = _attr_text(node.attrs.get("mode")) or "scaleToFill"
            attrs.append(f' data-audit-image="{html.escape(src, quote=True)}" data-audit-size="{w}x{h}"'
                         f' data-audit-mode="{html.escape(mode, quote=True)}"')
            if data_url is not None:
                extra_style += f"background-image:url({data_url});"
            extra_style += f"background-size:{IMAGE_MODES.get(mode, '100% 100%')};"
            if mode == "widthFix" and w and h:
                extra_style += f"height:auto;aspect-ratio:{w}/{h};"
            elif mode == "heightFix" and w and h:
                extra_style += f"width:auto;aspect-ratio:{w}/{h};"
        style = extra_style + rpx_to_px(_attr_text(node.attrs.get("style")), width)
        if style:
            attrs.append(f' style="{html.escape(style, quote=True)}"')
        text_value = node.attrs.get("value") if node.tag in ("input", "textarea") else None
        body.append(f"<{tag}{''.join(attrs)}>")
        stack.append((tag, True))
        if text_value not in (None, ""):
            stack.append((_attr_text(text_value), False))
        stack.extend((c, False) for c in reversed(node.children))
    page_css = rewrite_css(rpx_to_px(css, width)).replace("</", "<\\/")
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width={width}\"><title>{html.escape(title)}</title>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:\">"
        f"<style>{BASE_CSS}</style><style>{page_css}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )
