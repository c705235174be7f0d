"""Static facts of the bundle's JS, from a tree-sitter parse: platform API uses, dynamic code, requires.

The walk sees what runs; this sees what is written, including code the walk never reaches and names built from
pieces (``tt['get' + 'Location']`` is recorded with ``computed=True`` and the joined literal).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import BaseModel, Field
from tree_sitter import QueryCursor

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


_NAMES = " ".join(f'"{g}"' for g in GLOBALS)
QUERY = f"""
(member_expression object: (identifier) @obj property: (_) @prop (#any-of? @obj {_NAMES})) @member
(subscript_expression object: (identifier) @obj index: (_) @index (#any-of? @obj {_NAMES})) @subscript
(call_expression function: (identifier) @fn arguments: (_) @args
  (#any-of? @fn "eval" "Function" "setTimeout" "setInterval" "require")) @call
(new_expression constructor: (identifier) @fn (#any-of? @fn "eval" "Function")) @new
"""


def _outer(match: Any) -> Any:
    caps = match[1]
    return next(caps[k][0] for k in ("member", "subscript", "call", "new") if k in caps)


@functools.lru_cache(maxsize=1)
def _query() -> Any:
    from tree_sitter import Query

    return Query(_parser().language, QUERY)


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_javascript as tsj
    from tree_sitter import Language, Parser

    return Parser(Language(tsj.language()))


def _fold(node: Any, src: bytes) -> str | None:
    """The string a constant expression of string literals and + evaluates to, else None."""
    if node is None:
        return None
    t = node.type
    if t == "string":
        return src[node.start_byte + 1:node.end_byte - 1].decode("utf-8", "replace")
    if t == "template_string" and not any(c.type == "template_substitution" for c in node.children):
        return src[node.start_byte + 1:node.end_byte - 1].decode("utf-8", "replace")
    if t == "parenthesized_expression" and node.named_child_count == 1:
        return _fold(node.named_children[0], src)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            left = _fold(node.child_by_field_name("left"), src)
            right = _fold(node.child_by_field_name("right"), src)
            if left is not None and right is not None:
                return left + right
    return None


def _text(node: Any, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


# Files above this size (generated data, bundled libraries) get a quick regex scan: a full parse walks millions
# of nodes in Python for a data table.
FULL_SCAN_LIMIT = 256 * 1024
_QUICK_API = re.compile(r"\b(tt|wx|my|swan|qq)\s*\.\s*([A-Za-z_$][\w$]*)")
_QUICK_DYNAMIC = re.compile(r"\b(eval|Function)\s*\(|\bnew\s+Function\b|\b(setTimeout|setInterval)\s*\(\s*['\"`]")


def _quick_scan(path: str, source: str) -> JsFileFacts:
    facts = JsFileFacts(path=path)

    def where(pos: int) -> dict:
        return {"line": source.count("\n", 0, pos) + 1, "column": pos - source.rfind("\n", 0, pos)}

    for m in _QUICK_API.finditer(source):
        facts.api_uses.append(ApiUse.model_construct(name=m.group(2), global_name=m.group(1), **where(m.start())))
    for m in _QUICK_DYNAMIC.finditer(source):
        text = m.group(0)
        what = ("new Function" if text.startswith("new") else f"{m.group(2)}(string)" if m.group(2)
                else m.group(1))
        facts.dynamic_code.append(DynamicSite.model_construct(what=what, **where(m.start())))
    return facts


def scan_js(path: str, source: str) -> JsFileFacts:
    if len(source) > FULL_SCAN_LIMIT:
        return _quick_scan(path, source)
    src = source.encode("utf-8", "replace")
    facts = JsFileFacts(path=path)
    try:
        tree = _parser().parse(src)
    except Exception:  # noqa: BLE001 - a file the parser cannot take is a problem, not a crash
        facts.parse_error = True
        return facts
    root = tree.root_node
    facts.parse_error = root.has_error
    # the query runs in tree-sitter's C code: walking every node in Python took seconds on a minified library
    matches = sorted(QueryCursor(_query()).matches(root), key=lambda m: _outer(m).start_byte)
    for _, caps in matches:
        if "member" in caps:
            node, obj, prop = caps["member"][0], caps["obj"][0], caps["prop"][0]
            facts.api_uses.append(ApiUse.model_construct(name=_text(prop, src), global_name=_text(obj, src),
                                                         line=node.start_point[0] + 1, column=node.start_point[1] + 1))
        elif "subscript" in caps:
            node, obj, index = caps["subscript"][0], caps["obj"][0], caps["index"][0]
            folded = _fold(index, src)
            facts.api_uses.append(ApiUse.model_construct(
                name=folded if folded is not None else _text(index, src)[:80], global_name=_text(obj, src),
                line=node.start_point[0] + 1, column=node.start_point[1] + 1, computed=True,
                resolved=folded is not None))
        else:
            is_new = "new" in caps
            node = caps["new" if is_new else "call"][0]
            name = _text(caps["fn"][0], src)
            args = caps.get("args", [None])[0]
            where = dict(line=node.start_point[0] + 1, column=node.start_point[1] + 1)
            if name == "eval":
                facts.dynamic_code.append(DynamicSite.model_construct(what="eval", **where))
            elif name == "Function":
                facts.dynamic_code.append(DynamicSite.model_construct(what="new Function" if is_new else "Function",
                                                                      **where))
            elif name in TIMERS and args is not None and args.named_child_count:
                first = args.named_children[0]
                if first.type in ("string", "template_string", "binary_expression") and _fold(first, src) is not None:
                    facts.dynamic_code.append(DynamicSite.model_construct(what=f"{name}(string)", **where))
            elif name == "require" and args is not None and args.named_child_count:
                target = _fold(args.named_children[0], src)
                if target is not None:
                    facts.requires.append(target)
    return facts
