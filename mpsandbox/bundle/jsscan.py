"""Static facts of the bundle's JS, from a tree-sitter parse: platform API uses, dynamic code, requires.

The walk sees what runs; this sees what is written, including code the walk never reaches and names built from
pieces (``tt['get' + 'Location']`` is recorded with ``computed=True`` and the joined literal).
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections import OrderedDict
from typing import Any, Iterator, Mapping

from pydantic import BaseModel, Field

from .errors import BundleProblem

GLOBALS = ("tt", "wx", "my", "swan", "qq")
TIMERS = ("setTimeout", "setInterval")
CALLEES = ("eval", "Function", *TIMERS, "require")


class ApiUse(BaseModel):
    name: str
    global_name: str
    line: int
    column: int
    computed: bool = False
    resolved: bool = True  # False when a computed name could not be folded to a string


class DynamicSite(BaseModel):
    what: str  # eval, Function, new Function, setTimeout(string), setInterval(string)
    line: int
    column: int


class JsFileFacts(BaseModel):
    path: str
    api_uses: list[ApiUse] = Field(default_factory=list)
    dynamic_code: list[DynamicSite] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    parse_error: bool = False
    cut: str | None = None  # why the file was not scanned (too large, parse too slow): its facts are missing


def _only_missing_semicolons(root: Any) -> bool:
    """Whether every error in the tree is a semicolon the parser had to assume: automatic semicolon insertion that
    tree-sitter's grammar does not follow (``let a, b`` then a line opening with ``(``), which engines accept."""
    todo = [root]
    while todo:
        node = todo.pop()
        if node.is_missing:
            if node.type != ";":
                return False
        elif node.type == "ERROR":
            return False
        else:
            todo.extend(c for c in node.children if c.has_error or c.is_missing)
    return True


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_javascript as tsj
    from tree_sitter import Language, Parser

    return Parser(Language(tsj.language()))


# A concatenation deeper than this is not folded (it stays an unresolved computed name): no unbounded work.
FOLD_MAX_NODES = 512


def _fold(node: Any, src: bytes) -> str | None:
    """The string a constant expression of string literals and + evaluates to, else None (iterative: a hostile
    chain of a million ``+`` cannot exhaust Python's stack)."""
    if node is None:
        return None
    parts: list[str] = []
    stack = [node]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > FOLD_MAX_NODES:
            return None
        t = node.type
        if t == "string" or (t == "template_string"
                             and not any(c.type == "template_substitution" for c in node.children)):
            parts.append(src[node.start_byte + 1:node.end_byte - 1].decode("utf-8", "replace"))
        elif t == "parenthesized_expression" and node.named_child_count == 1:
            stack.append(node.named_children[0])
        elif t == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is None or op.type != "+" or left is None or right is None:
                return None
            stack.append(right)  # popped after the left side: parts stay in source order
            stack.append(left)
        else:
            return None
    return "".join(parts)


def _text(node: Any, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


# Where facts can start: every identifier the facts come from, found in the bytes (one literal search per name,
# which runs at memchr speed). Each hit is checked against the tree (the node there must be exactly that identifier,
# in the right field of the right parent), so names in strings, comments and longer identifiers drop out; the rest
# of the tree is never walked.
_NAME_AT = [re.compile(re.escape(name.encode()) + rb"(?![\w$])") for name in (*GLOBALS, *CALLEES)]
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_GLOBALS_B = frozenset(g.encode() for g in GLOBALS)
_PLACES = {  # parent type -> (field the identifier must fill, field the fact reads)
    "member_expression": ("object", "property"),
    "subscript_expression": ("object", "index"),
    "call_expression": ("function", None),
    "new_expression": ("constructor", None),
}
# Bounds for a hostile file: facts kept per file (a generated table of a million ``wx.x`` is not a million facts).
MAX_FACTS_PER_KIND = 20_000
# Bounds on the parse: tree-sitter takes up to ~160 bytes of memory per source byte on hostile input and about
# 1 s per MB at worst, so a file over MAX_SCAN_FILE_BYTES is not parsed, and one parse stops after
# PARSE_CPU_SECONDS (real code parses at 3+ MB/s). Either way the file's facts say so (``cut``).
MAX_SCAN_FILE_BYTES = 8 * 1024 * 1024
PARSE_CPU_SECONDS = 10.0
_READ_CHUNK = 256 * 1024


def _order(node: Any) -> tuple[int, int]:
    """Pre-order position: by start, an enclosing node before the nodes it contains."""
    return node.start_byte, -node.end_byte


def _parse(src: bytes, cpu_seconds: float) -> Any:
    """The tree, or None when the parse ran out of CPU time (checked as the parser goes, in its progress callback)."""
    parser = _parser()
    deadline = time.thread_time() + cpu_seconds
    expired: list[bool] = []

    def progress(*_: Any) -> bool:
        if time.thread_time() > deadline:
            expired.append(True)
        return bool(expired)

    try:
        return parser.parse(lambda at, _point: src[at:at + _READ_CHUNK], progress_callback=progress)
    except TypeError:  # tree-sitter < 0.25: no progress callback, only the size bound holds
        return parser.parse(src)
    except ValueError:  # what the parser raises when the callback stops it
        if not expired:
            raise
        parser.reset()
        return None


def _candidate_nodes(root: Any, src: bytes) -> Iterator[tuple[Any, str, Any]]:
    """(the fact's node, the identifier's name, the node the fact reads or None), in source order."""
    spans = sorted(m.span() for pattern in _NAME_AT for m in pattern.finditer(src)
                   if m.start() == 0 or src[m.start() - 1] not in _IDENTIFIER_BYTES)
    for start, end in spans:
        node = root.descendant_for_byte_range(start, end)
        if node is None or node.type != "identifier" or node.start_byte != start or node.end_byte != end:
            continue
        parent = node.parent
        place = _PLACES.get(parent.type) if parent is not None else None
        if place is None:
            continue
        name = src[start:end]
        if (name in _GLOBALS_B) != (place[1] is not None) or parent.child_by_field_name(place[0]) != node:
            continue
        read = None
        if place[1] is not None:
            read = parent.child_by_field_name(place[1])
            if read is None or not read.is_named:
                continue
        yield parent, name.decode(), read


def _scan(path: str, src: bytes) -> JsFileFacts:
    facts = JsFileFacts(path=path)
    if len(src) > MAX_SCAN_FILE_BYTES:
        facts.cut = f"over {MAX_SCAN_FILE_BYTES // (1024 * 1024)} MB: not parsed"
        return facts
    try:
        tree = _parse(src, PARSE_CPU_SECONDS)
        if tree is None:
            facts.cut = f"parse stopped after {PARSE_CPU_SECONDS:.0f} s of CPU"
            return facts
        root = tree.root_node
        found = list(_candidate_nodes(root, src))
    except Exception:  # noqa: BLE001 - a file the parser cannot take is a problem, not a crash
        facts.parse_error = True
        return facts
    facts.parse_error = root.has_error and not _only_missing_semicolons(root)
    apis: list[tuple[tuple[int, int], ApiUse]] = []
    dynamic: list[tuple[tuple[int, int], DynamicSite]] = []
    requires: list[tuple[tuple[int, int], str]] = []
    for node, name, read in found:
        where = dict(line=node.start_point[0] + 1, column=node.start_point[1] + 1)
        if read is not None:
            if len(apis) >= MAX_FACTS_PER_KIND:
                continue
            if node.type == "member_expression":
                apis.append((_order(node), ApiUse(name=_text(read, src), global_name=name, **where)))
            else:
                folded = _fold(read, src)
                apis.append((_order(node), ApiUse(name=folded if folded is not None else _text(read, src)[:80],
                                                  global_name=name, computed=True, resolved=folded is not None,
                                                  **where)))
            continue
        args = node.child_by_field_name("arguments")
        if name == "eval":
            dynamic.append((_order(node), DynamicSite(what="eval", **where)))
        elif name == "Function":
            dynamic.append((_order(node), DynamicSite(
                what="new Function" if node.type == "new_expression" else "Function", **where)))
        elif name in TIMERS and args is not None and args.named_child_count:
            first = args.named_children[0]
            if first.type in ("string", "template_string", "binary_expression") and _fold(first, src) is not None:
                dynamic.append((_order(node), DynamicSite(what=f"{name}(string)", **where)))
        elif name == "require" and args is not None and args.named_child_count:
            target = _fold(args.named_children[0], src)
            if target is not None:
                requires.append((_order(node), target))
    facts.api_uses = [fact for _, fact in sorted(apis, key=lambda pair: pair[0])]
    facts.dynamic_code = [fact for _, fact in sorted(dynamic, key=lambda pair: pair[0])][:MAX_FACTS_PER_KIND]
    facts.requires = [fact for _, fact in sorted(requires, key=lambda pair: pair[0])][:MAX_FACTS_PER_KIND]
    return facts


# Facts by content (sha256 of the bytes): the same vendor module in several packages or bundles is scanned once per
# process. Entries carry no path; a scan cut by the clock is not kept (another try may finish).
MAX_CACHED_SCANS = 4096
_SCANS: OrderedDict[bytes, JsFileFacts] = OrderedDict()


def clear_scan_cache() -> None:
    _SCANS.clear()


def scan_js(path: str, source: str) -> JsFileFacts:
    src = source.encode("utf-8", "replace")
    return _scan_cached(path, src, hashlib.sha256(src).digest())


def _scan_cached(path: str, src: bytes, key: bytes) -> JsFileFacts:
    facts = _SCANS.get(key)
    if facts is None:
        facts = _scan("", src)
        if facts.cut is None or len(src) > MAX_SCAN_FILE_BYTES:
            _SCANS[key] = facts
            while len(_SCANS) > MAX_CACHED_SCANS:
                _SCANS.popitem(last=False)
    else:
        _SCANS.move_to_end(key)
    return facts.model_copy(update={"path": path, "api_uses": list(facts.api_uses),
                                    "dynamic_code": list(facts.dynamic_code), "requires": list(facts.requires)})


# The JS of one bundle scanned past this many bytes (distinct contents, in file order) is not scanned further.
MAX_SCAN_BUNDLE_BYTES = 48 * 1024 * 1024


class JsScan:
    """The static facts of a bundle's JS files, scanned on first use: loading a bundle only reads and splits it,
    and the scan's cost (``seconds``) falls on the first reader of the facts or of the bundle's problems."""

    def __init__(self, texts: Mapping[str, str], paths: list[str]):
        self._texts = texts
        self._paths = paths
        self._facts: dict[str, JsFileFacts] | None = None
        self._problems: list[BundleProblem] = []
        self.seconds = 0.0

    @property
    def facts(self) -> dict[str, JsFileFacts]:
        if self._facts is None:
            self._run()
        return self._facts  # type: ignore[return-value]

    @property
    def problems(self) -> list[BundleProblem]:
        """``js-syntax`` for a file that does not parse, ``js-scan-cut`` for one the bounds kept from the scan."""
        if self._facts is None:
            self._run()
        return self._problems

    def _run(self) -> None:
        started = time.perf_counter()
        facts: dict[str, JsFileFacts] = {}
        problems: list[BundleProblem] = []
        seen: set[bytes] = set()
        scanned = 0
        for path in self._paths:
            src = self._texts.get(path, "").encode("utf-8", "replace")
            digest = hashlib.sha256(src).digest()
            if digest not in seen:
                seen.add(digest)
                scanned += len(src)
            if scanned > MAX_SCAN_BUNDLE_BYTES:
                found = JsFileFacts(path=path, cut=f"the bundle's JS is over {MAX_SCAN_BUNDLE_BYTES // 2**20} MB: "
                                                  "not scanned")
            else:
                found = _scan_cached(path, src, digest)
            facts[path] = found
            if found.parse_error:
                problems.append(BundleProblem(code="js-syntax", file=path,
                                              message="the file does not parse as JavaScript"))
            if found.cut is not None:
                problems.append(BundleProblem(code="js-scan-cut", file=path, message=(
                    f"static scan cut ({found.cut}): API uses and dynamic code in this file are not listed")))
        self._facts, self._problems = facts, problems
        self.seconds = time.perf_counter() - started
