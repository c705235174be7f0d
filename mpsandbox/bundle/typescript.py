"""TypeScript source projects: each ``x.ts`` without an ``x.js`` becomes ``x.js``, as the platforms' developer tools
compile them (WeChat's ``useCompilerPlugins: ["typescript"]``, Douyin's and Alipay's TypeScript templates).

The compile is a type strip, line for line: annotations, interfaces, type aliases, ``declare``, generics, ``as`` and
``satisfies``, non-null ``!``, access modifiers, overload signatures and ``import type`` are blanked with spaces (so
every line and column of the JavaScript is the TypeScript's, and findings point at the line the developer wrote);
``enum`` declarations become the object TypeScript emits, on the enum's own lines. Constructor parameter properties
(``constructor(private x)``) also assign ``this.x``. The parser is tree-sitter's TypeScript grammar; a file it cannot
parse cleanly is still stripped where it parsed, and its errors surface when the module runs, as the app's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

# nodes that are types only: blanked whole
_TYPE_ONLY = {
    "type_annotation", "type_parameters", "type_arguments", "interface_declaration", "type_alias_declaration",
    "ambient_declaration", "abstract_method_signature", "function_signature", "implements_clause",
    "index_signature", "asserts_annotation", "type_predicate_annotation", "omitting_type_annotation",
    "opting_type_annotation", "accessibility_modifier", "override_modifier", "method_signature",
}
# keywords blanked where they are a child of these nodes
_MODIFIERS = {"readonly", "abstract", "declare"}


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_typescript as tst
    from tree_sitter import Language, Parser

    return Parser(Language(tst.language_typescript()))


def is_typescript_module(path: str) -> bool:
    return path.endswith((".ts", ".mts", ".cts")) and not path.endswith((".d.ts", ".d.mts", ".d.cts"))


def js_name(path: str) -> str:
    return path.rsplit(".", 1)[0] + ".js"


def compile_typescript_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """The ``.js`` files a TypeScript project's ``.ts`` files compile to (only where no ``.js`` is already there)."""
    out: dict[str, bytes] = {}
    for path in sorted(files):
        if is_typescript_module(path) and js_name(path) not in files:
            out[js_name(path)] = strip_types(files[path].decode("utf-8", "replace")).encode("utf-8")
    return out


def strip_types(source: str) -> str:
    """The JavaScript of a TypeScript module, with every line and column where it was."""
    data = source.encode("utf-8")
    tree = _parser().parse(data)
    edits: list[tuple[int, int, str | None]] = []  # (start, end, replacement or None: blank)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in _TYPE_ONLY:
            edits.append((node.start_byte, node.end_byte, None))
            continue
        if kind == "export_statement" and _exports_types_only(node):
            edits.append((node.start_byte, node.end_byte, None))
            continue
        if kind == "import_statement" and any(c.type == "type" for c in node.children):
            edits.append((node.start_byte, node.end_byte, None))
            continue
        if kind in ("import_specifier", "export_specifier") and any(c.type == "type" for c in node.children):
            edits.append(_with_comma(node))
            continue
        if kind == "public_field_definition" and any(c.type == "declare" for c in node.children):
            edits.append((node.start_byte, node.end_byte, None))
            continue
        if kind == "required_parameter" and node.child_count and node.children[0].type == "this":
            edits.append(_with_comma(node))
            continue
        if kind == "method_definition" and not any(c.type == "statement_block" for c in node.children):
            edits.append((node.start_byte, node.end_byte, None))  # an overload signature inside a class
            continue
        if kind == "enum_declaration":
            edits.append((node.start_byte, node.end_byte, _enum_code(node, data)))
            continue
        if kind in ("as_expression", "satisfies_expression"):
            kw = next((c for c in node.children if c.type in ("as", "satisfies")), None)
            if kw is not None:
                edits.append((kw.start_byte, node.end_byte, None))
                stack.extend(c for c in node.children if c.end_byte <= kw.start_byte)
                continue
        if kind == "type_assertion" and node.child_count:
            edits.append((node.children[0].start_byte, node.children[0].end_byte, None))
            stack.extend(node.children[1:])
            continue
        if kind == "non_null_expression" and node.child_count:
            last = node.children[-1]
            if last.type == "!":
                edits.append((last.start_byte, last.end_byte, None))
        if kind in ("optional_parameter", "public_field_definition", "method_definition", "property_signature"):
            for c in node.children:
                if c.type in ("?", "!"):  # optional x?: T, definite x!: T
                    edits.append((c.start_byte, c.end_byte, None))
        if kind == "method_definition" and _is_constructor(node, data):
            _parameter_properties(node, data, edits)
        for c in node.children:
            if c.type in _MODIFIERS and kind not in ("ambient_declaration",):
                edits.append((c.start_byte, c.end_byte, None))
        stack.extend(node.children)
    return _apply(data, edits).decode("utf-8")


def _exports_types_only(node: Any) -> bool:
    for c in node.children:
        if c.type == "type":  # export type { A } / export type * from
            return True
        if c.type in ("interface_declaration", "type_alias_declaration", "ambient_declaration", "function_signature"):
            return True
    return False


def _with_comma(node: Any) -> tuple[int, int, None]:
    """A list item and the comma that separates it from the next (or the previous) item."""
    nxt = node.next_sibling
    if nxt is not None and nxt.type == ",":
        return node.start_byte, nxt.end_byte, None
    prev = node.prev_sibling
    if prev is not None and prev.type == ",":
        return prev.start_byte, node.end_byte, None
    return node.start_byte, node.end_byte, None


def _is_constructor(node: Any, data: bytes) -> bool:
    name = node.child_by_field_name("name")
    return name is not None and data[name.start_byte:name.end_byte] == b"constructor"


def _parameter_properties(node: Any, data: bytes, edits: list[tuple[int, int, str | None]]) -> None:
    """constructor(private x: T) { ... } also assigns this.x = x, first thing in the body (after super())."""
    params = node.child_by_field_name("parameters")
    body = node.child_by_field_name("body")
    if params is None or body is None:
        return
    names = []
    for p in params.children:
        if p.type in ("required_parameter", "optional_parameter") and any(
                c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in p.children):
            pattern = p.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier":
                names.append(data[pattern.start_byte:pattern.end_byte].decode("utf-8"))
    if not names:
        return
    assign = " ".join(f"this.{n} = {n};" for n in names)
    at = body.start_byte + 1  # after "{", or after a leading super(...) call
    for stmt in body.children:
        if stmt.type == "expression_statement" and data[stmt.start_byte:stmt.end_byte].lstrip().startswith(b"super"):
            at = stmt.end_byte
            break
    edits.append((at, at, " " + assign))


def _enum_code(node: Any, data: bytes) -> str:
    name_node = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    name = data[name_node.start_byte:name_node.end_byte].decode("utf-8") if name_node is not None else "_enum"
    parts = []
    prev: str | None = None  # the previous member's value expression (for auto-increment)
    prev_key: str | None = None
    for m in (body.children if body is not None else []):
        if m.type in ("property_identifier", "string"):
            key, value = _member_key(m, data), None
        elif m.type == "enum_assignment":
            key = _member_key(m.children[0], data)
            expr = m.child_by_field_name("value") or m.children[-1]
            value = data[expr.start_byte:expr.end_byte].decode("utf-8")
        else:
            continue
        k = json.dumps(key, ensure_ascii=False)
        if value is None:
            value = "0" if prev is None else f"{name}[{json.dumps(prev_key, ensure_ascii=False)}] + 1"
        if value.startswith(("'", '"', "`")):
            parts.append(f"{name}[{k}] = {value};")
        else:
            parts.append(f"{name}[{name}[{k}] = {value}] = {k};")
        prev, prev_key = value, key
    code = f"var {name}; (function ({name}) {{ {' '.join(parts)} }})({name} || ({name} = {{}}));"
    return code


def _member_key(node: Any, data: bytes) -> str:
    text = data[node.start_byte:node.end_byte].decode("utf-8")
    if node.type == "string" and len(text) >= 2:
        return text[1:-1]
    return text


def _apply(data: bytes, edits: list[tuple[int, int, str | None]]) -> bytes:
    """Blank (spaces, newlines kept) or replace the edited ranges; nested ranges inside a blanked one are dropped."""
    out = bytearray()
    pos = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < pos:
            continue  # inside an edit already applied
        out += data[pos:start]
        original = data[start:end]
        if text is None:
            out += bytes(b if b in b"\r\n" else 0x20 for b in original)
        else:
            out += text.encode("utf-8") + b"\n" * original.count(b"\n")
        pos = end
    out += data[pos:]
    return bytes(out)
