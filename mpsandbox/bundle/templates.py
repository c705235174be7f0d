"""Event bindings and component uses found in templates (.ttml/.wxml/.axml), with the stdlib HTML parser.

Templates are not HTML: custom tags close themselves, attribute values hold ``{{ }}`` expressions that may contain
``<`` and ``>``. Expressions are masked before parsing and restored in the values afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_MUSTACHE = re.compile(r"\{\{.*?\}\}", re.S)
# bind:tap, bindtap, catch:tap, catchtap, capture-bind:tap, capture-catch:tap, mut-bind:tap
_BIND = re.compile(r"^(capture-bind|capture-catch|mut-bind|bind|catch)(?::)?([a-z][\w-]*)$")
_ALIPAY = re.compile(r"^(on|catch)([A-Z]\w*)$")
# attributes that shape an event's detail (picker mode, input type, slider range...), kept on each binding
DETAIL_ATTRS = ("mode", "type", "range-key", "start", "end", "min", "max", "step", "fields", "checked", "value",
                "name", "current")
VOID_TAGS = {"input", "image", "icon", "import", "include", "wxs", "sjs", "import-sjs", "br", "img"}


@dataclass
class TemplateBinding:
    handler: str
    event: str
    kind: str
    tag: str
    line: int
    open_type: str | None = None
    dataset: dict[str, str] = field(default_factory=dict)
    id: str = ""
    dynamic: bool = False
    attrs: dict[str, str] = field(default_factory=dict)  # DETAIL_ATTRS present on the tag


@dataclass
class TagUse:
    tag: str
    line: int
    attrs: dict[str, str]
    bindings: list[TemplateBinding]
    # inside a <template name="..."> definition: it exists only where <template is="..."> renders it, with data
    in_template: bool = False


@dataclass
class TemplateFacts:
    tags: list[TagUse] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)


def _camel(name: str) -> str:
    parts = name.split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class _Parser(HTMLParser):
    def __init__(self, restore: Any, platform: str):
        super().__init__(convert_charrefs=True)
        self.restore = restore
        self.platform = platform
        self.facts = TemplateFacts()
        self.definitions = 0  # open <template name="..."> elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)
        if tag == "template" and any(name == "name" for name, _ in attrs):
            self.definitions += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template" and self.definitions:
            self.definitions -= 1

    def _tag(self, tag: str, raw_attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        attrs: dict[str, str] = {}
        # HTMLParser lower-cases attribute names; Alipay's onTap needs the original case
        text = self.get_starttag_text() or ""
        original_names = {m.group(1).lower(): m.group(1) for m in re.finditer(r"([A-Za-z_:@][\w:.\-]*)\s*=", text)}
        for name, value in raw_attrs:
            if self.platform == "wx":
                name = attr_name(original_names.get(name, name))
            attrs[name] = self.restore(value or "")
        if tag in ("import", "include") and attrs.get("src"):
            self.facts.includes.append(attrs["src"])
        # the tag as written: usingComponents keys are case-sensitive (<mp-indexList> is "mp-indexList")
        m = re.match(r"<\s*([^\s/>]+)", text)
        if m and m.group(1).lower() == tag:
            tag = m.group(1)
        use = tag_use(tag, line, attrs, self.platform, original_names)
        use.in_template = self.definitions > 0
        self.facts.tags.append(use)


def attr_name(name: str) -> str:
    """A WXML attribute's name as the platform reads it: a property written in camel case (activeClass) is the
    kebab-case attribute (active-class) that sets it; event bindings keep their case (bind:sceneReady), data-*
    names are lower case (data-userId is dataset.userid, WeChat's docs)."""
    if name.startswith(("bind", "catch", "capture-", "mut-bind")) or ":" in name:
        return name
    if name.startswith("data-"):
        return name.lower()
    if name.islower() or not any(c.isupper() for c in name):
        return name
    return re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name)


def tag_use(tag: str, line: int, attrs: dict[str, str], platform: str,
            original_names: dict[str, str] | None = None) -> TagUse:
    """A tag's event bindings and dataset from its attributes (shared by source and compiled templates)."""
    original_names = original_names or {}
    if tag == "block":  # a <block> is not rendered: wcc drops its attributes and nothing it binds ever fires
        return TagUse(tag=tag, line=line, attrs=attrs, bindings=[])
    dataset = {_camel(k[5:]): v for k, v in attrs.items() if k.startswith("data-")}
    bindings = []
    for name, value in attrs.items():
        original = original_names.get(name, name)
        kind = event = None
        am = _ALIPAY.match(original) if platform == "my" else None
        m = _BIND.match(name.lower())
        if am:
            kind = "alipay-on" if am.group(1) == "on" else "alipay-catch"
            event = am.group(2)[0].lower() + am.group(2)[1:]
        elif m:
            # the event's name as written (WeChat's attribute names keep their case: bind:sceneReady hears
            # triggerEvent('sceneReady'), and wcc keeps the case)
            kind = m.group(1)
            event = name[m.start(2):m.end(2)] if len(name) == len(name.lower()) else m.group(2)
        if kind is None or not value.strip():
            continue
        handler = value.strip()
        dynamic = "{{" in handler
        if dynamic:
            inner = handler.strip("{} ")
            if re.fullmatch(r"'[\w$]+'|\"[\w$]+\"", inner):
                handler, dynamic = inner.strip("'\""), False
        bindings.append(TemplateBinding(handler=handler, event=event, kind=kind, tag=tag, line=line,
                                        open_type=attrs.get("open-type") or attrs.get("opentype") or None,
                                        dataset=dataset, id=attrs.get("id", ""), dynamic=dynamic,
                                        attrs={k: attrs[k][:200] for k in DETAIL_ATTRS if k in attrs}))
    return TagUse(tag=tag, line=line, attrs=attrs, bindings=bindings)


def parse_template(text: str, platform: str) -> TemplateFacts:
    masked: list[str] = []

    def mask(m: re.Match[str]) -> str:
        masked.append(m.group(0))
        return f"\x02{len(masked) - 1}\x03"

    body = _MUSTACHE.sub(mask, text)

    def restore(value: str) -> str:
        return re.sub(r"\x02(\d+)\x03", lambda m: masked[int(m.group(1))], value)

    parser = _Parser(restore, platform)
    try:
        parser.feed(body)
        parser.close()
    except Exception:  # noqa: BLE001 - a template the parser chokes on yields what was found so far
        pass
    return parser.facts
