"""Static facts of the bundle's JS, from a tree-sitter parse: platform API uses, dynamic code, requires.

The walk sees what runs; this sees what is written, including code the walk never reaches and names built from
pieces (``tt['get' + 'Location']`` is recorded with ``computed=True`` and the joined literal).
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, Field

GLOBALS = ("tt", "wx", "my", "swan", "qq")
TIMERS = ("setTimeout", "setInterval")


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


# One query finds every node the facts come from; the tree is walked in C, not node by node in Python.
_QUERY_SOURCE = f"""
(member_expression object: (identifier) @global property: (_) @name
  (#any-of? @global {" ".join(f'"{g}"' for g in GLOBALS)})) @api
(subscript_expression object: (identifier) @global index: (_) @index
  (#any-of? @global {" ".join(f'"{g}"' for g in GLOBALS)})) @api
(call_expression function: (identifier) @callee
  (#any-of? @callee "eval" "Function" "setTimeout" "setInterval" "require")) @call
(new_expression constructor: (identifier) @callee
  (#any-of? @callee "eval" "Function" "setTimeout" "setInterval" "require")) @call
"""
# Bounds for a hostile file: facts kept per file (a generated table of a million ``wx.x`` is not a million facts).
MAX_FACTS_PER_KIND = 20_000


@functools.lru_cache(maxsize=1)
def _query() -> Any:
    from tree_sitter import Query

    return Query(_parser().language, _QUERY_SOURCE)


def _matches(root: Any) -> list[tuple[int, dict[str, list[Any]]]]:
    query = _query()
    try:
        from tree_sitter import QueryCursor
    except ImportError:  # tree-sitter < 0.25: the query runs itself
        return query.matches(root)
    return QueryCursor(query).matches(root)


def _order(node: Any) -> tuple[int, int]:
    """Pre-order position: by start, an enclosing node before the nodes it contains."""
    return node.start_byte, -node.end_byte


def scan_js(path: str, source: str) -> JsFileFacts:
    src = source.encode("utf-8", "replace")
    facts = JsFileFacts(path=path)
    try:
        root = _parser().parse(src).root_node
        matches = _matches(root)
    except Exception:  # noqa: BLE001 - a file the parser cannot take is a problem, not a crash
        facts.parse_error = True
        return facts
    facts.parse_error = root.has_error
    apis: list[tuple[tuple[int, int], ApiUse]] = []
    dynamic: list[tuple[tuple[int, int], DynamicSite]] = []
    requires: list[tuple[tuple[int, int], str]] = []
    for _, caps in matches:
        if "api" in caps:
            if len(apis) >= MAX_FACTS_PER_KIND:
                continue
            node, obj = caps["api"][0], caps["global"][0]
            where = dict(line=node.start_point[0] + 1, column=node.start_point[1] + 1)
            if "name" in caps:
                apis.append((_order(node), ApiUse(name=_text(caps["name"][0], src), global_name=_text(obj, src),
                                                  **where)))
            else:
                index = caps["index"][0]
                folded = _fold(index, src)
                apis.append((_order(node), ApiUse(name=folded if folded is not None else _text(index, src)[:80],
                                                  global_name=_text(obj, src), computed=True,
                                                  resolved=folded is not None, **where)))
            continue
        node = caps["call"][0]
        name = _text(caps["callee"][0], src)
        where = dict(line=node.start_point[0] + 1, column=node.start_point[1] + 1)
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
