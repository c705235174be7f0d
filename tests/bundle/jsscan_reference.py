"""The static scan as it was before the candidate scan (one tree-sitter query over the whole tree): the oracle that
tests/bundle/test_jsscan.py holds the fast scan to. Kept here, slow and simple, only for that comparison."""

from __future__ import annotations

import functools
from typing import Any

from mpsandbox.bundle.jsscan import (GLOBALS, MAX_FACTS_PER_KIND, TIMERS, ApiUse, DynamicSite, JsFileFacts, _fold,
                                     _only_missing_semicolons, _parser, _text)

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


@functools.lru_cache(maxsize=1)
def _query() -> Any:
    from tree_sitter import Query

    return Query(_parser().language, _QUERY_SOURCE)


def _matches(root: Any) -> list[tuple[int, dict[str, list[Any]]]]:
    try:
        from tree_sitter import QueryCursor
    except ImportError:  # tree-sitter < 0.25: the query runs itself
        return _query().matches(root)
    return QueryCursor(_query()).matches(root)


def _order(node: Any) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def reference_scan_js(path: str, source: str) -> JsFileFacts:
    src = source.encode("utf-8", "replace")
    facts = JsFileFacts(path=path)
    try:
        root = _parser().parse(src).root_node
        matches = _matches(root)
    except Exception:  # noqa: BLE001
        facts.parse_error = True
        return facts
    facts.parse_error = root.has_error and not _only_missing_semicolons(root)
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
