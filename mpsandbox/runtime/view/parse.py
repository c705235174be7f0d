"""A tolerant parser of mini-program templates (WXML, TTML, AXML) into a node tree with line numbers.

Templates are not HTML: any tag may close itself, attribute names keep their case (Alipay's ``onTap``), and
``{{ }}`` expressions may hold ``<``, ``>`` and quotes. Script modules (``<wxs>``, ``<sjs>``) hold raw text. Bad
markup never raises: an unclosed tag closes with its parent, a stray closing tag is dropped, and each repair is a
:class:`TemplateProblem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RAW_TEXT_TAGS = {"wxs", "sjs", "script"}
VOID_TAGS = {"import", "include", "import-sjs", "input", "image", "icon", "br", "img"}
MAX_DEPTH = 180  # deeper markup is flattened into its ancestor at this depth (a problem is recorded)


@dataclass
class Attr:
    name: str
    value: str | None  # None: a bare attribute (``<view hidden>``)
    line: int


@dataclass
class Node:
    tag: str
    attrs: list[Attr] = field(default_factory=list)
    children: list["Node | Text"] = field(default_factory=list)
    line: int = 1

    def get(self, *names: str) -> str | None:
        """The value of the first attribute present among ``names`` ('' for a bare attribute)."""
        for name in names:
            for a in self.attrs:
                if a.name == name:
                    return "" if a.value is None else a.value
        return None

    def has(self, *names: str) -> bool:
        return any(a.name == n for n in names for a in self.attrs)


@dataclass
class Text:
    value: str
    line: int = 1


@dataclass
class TemplateProblem:
    message: str
    line: int


@dataclass
class ParsedTemplate:
    root: Node
    problems: list[TemplateProblem] = field(default_factory=list)


def _skip_mustache(src: str, i: int) -> int:
    """Index just after the ``}}`` closing the expression that opens at ``src[i:i+2] == '{{'``."""
    end = src.find("}}", i + 2)
    if end < 0:
        return len(src)
    # an object literal inside may end in '}}}': the expression closes at the last of a run of braces
    while end + 2 < len(src) and src[end + 2] == "}":
        end += 1
    return end + 2


class _Scanner:
    def __init__(self, src: str):
        self.src = src
        self.i = 0
        self.n = len(src)
        self._line_at = 0
        self._line = 1

    def line(self, pos: int | None = None) -> int:
        pos = self.i if pos is None else pos
        if pos < self._line_at:
            self._line_at, self._line = 0, 1
        self._line += self.src.count("\n", self._line_at, pos)
        self._line_at = pos
        return self._line


def parse(src: str) -> ParsedTemplate:
    """Parse template text into a tree under a synthetic ``#root`` node."""
    sc = _Scanner(src.replace("\r\n", "\n"))
    src = sc.src
    root = Node("#root", line=1)
    stack: list[Node] = [root]
    problems: list[TemplateProblem] = []

    def add(node: Node | Text) -> None:
        stack[-1].children.append(node)

    n = sc.n
    while sc.i < n:
        i = sc.i
        lt = src.find("<", i)
        # text up to the next tag, skipping '<' inside {{ }}
        j = i
        while True:
            lt = src.find("<", j)
            mu = src.find("{{", j)
            if mu != -1 and (lt == -1 or mu < lt):
                j = _skip_mustache(src, mu)
                continue
            break
        if lt == -1:
            lt = n
        if lt > i:
            text = src[i:lt]
            add(Text(text, sc.line(i)))
        if lt >= n:
            sc.i = n
            break
        sc.i = lt
        if src.startswith("<!--", lt):
            end = src.find("-->", lt + 4)
            sc.i = n if end < 0 else end + 3
            continue
        if src.startswith("</", lt):
            end = src.find(">", lt)
            name = src[lt + 2:(n if end < 0 else end)].strip()
            sc.i = n if end < 0 else end + 1
            for k in range(len(stack) - 1, 0, -1):
                if stack[k].tag == name:
                    for unclosed in stack[k + 1:]:
                        problems.append(TemplateProblem(f"<{unclosed.tag}> is not closed", unclosed.line))
                    del stack[k:]
                    break
            else:
                problems.append(TemplateProblem(f"stray closing tag </{name}>", sc.line(lt)))
            continue
        if lt + 1 < n and (src[lt + 1].isalpha() or src[lt + 1] == "_"):
            node, self_closed = _read_tag(sc, lt, problems)
            add(node)
            if node.tag in RAW_TEXT_TAGS and not self_closed:
                close = src.find(f"</{node.tag}", sc.i)
                body_end = n if close < 0 else close
                if body_end > sc.i:
                    node.children.append(Text(src[sc.i:body_end], sc.line(sc.i)))
                end = src.find(">", body_end)
                sc.i = n if close < 0 or end < 0 else end + 1
                continue
            if not self_closed and node.tag not in VOID_TAGS:
                if len(stack) >= MAX_DEPTH:
                    problems.append(TemplateProblem(f"nesting deeper than {MAX_DEPTH}", node.line))
                else:
                    stack.append(node)
            continue
        # a lone '<' is text
        add(Text("<", sc.line(lt)))
        sc.i = lt + 1
    for unclosed in stack[1:]:
        problems.append(TemplateProblem(f"<{unclosed.tag}> is not closed", unclosed.line))
    return ParsedTemplate(root=_merge_text(root), problems=problems)


def _read_tag(sc: _Scanner, lt: int, problems: list[TemplateProblem]) -> tuple[Node, bool]:
    src, n = sc.src, sc.n
    i = lt + 1
    start = i
    while i < n and not src[i].isspace() and src[i] not in "/>":
        i += 1
    node = Node(src[start:i], line=sc.line(lt))
    self_closed = False
    while i < n:
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            break
        c = src[i]
        if c == ">":
            i += 1
            break
        if c == "/":
            if src.startswith("/>", i):
                self_closed = True
                i += 2
                break
            i += 1
            continue
        name_start = i
        while i < n and not src[i].isspace() and src[i] not in "=/>":
            if src.startswith("{{", i):
                i = _skip_mustache(src, i)
                continue
            i += 1
        name = src[name_start:i]
        attr_line = sc.line(name_start)
        j = i
        while j < n and src[j].isspace():
            j += 1
        if j < n and src[j] == "=":
            j += 1
            while j < n and src[j].isspace():
                j += 1
            if j < n and src[j] in "\"'":
                quote = src[j]
                k = j + 1
                while k < n and src[k] != quote:
                    if src.startswith("{{", k):
                        k = _skip_mustache(src, k)
                        continue
                    k += 1
                if k >= n:
                    problems.append(TemplateProblem(f"unterminated value of {name!r}", attr_line))
                value = src[j + 1:k]
                i = k + 1
            else:
                k = j
                while k < n and not src[k].isspace() and src[k] != ">" and not src.startswith("/>", k):
                    if src.startswith("{{", k):
                        k = _skip_mustache(src, k)
                        continue
                    k += 1
                value = src[j:k]
                i = k
            node.attrs.append(Attr(name, _unescape(value), attr_line))
        else:
            if name:
                node.attrs.append(Attr(name, None, attr_line))
            else:
                i += 1
    sc.i = min(i, n)
    return node, self_closed


_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'", "&nbsp;": "\u00a0"}


def _unescape(value: str) -> str:
    if "&" not in value:
        return value
    for k, v in _ENTITIES.items():
        value = value.replace(k, v)
    return value


def _merge_text(node: Node) -> Node:
    todo = [node]
    while todo:
        cur = todo.pop()
        merged: list[Node | Text] = []
        for child in cur.children:
            if isinstance(child, Text) and merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].value + child.value, merged[-1].line)
            else:
                merged.append(child)
                if isinstance(child, Node):
                    todo.append(child)
        cur.children = merged
    return node
