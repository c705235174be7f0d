"""ES modules to CommonJS, as the platforms' build tools do it (WeChat devtools and the Douyin IDE run babel's
ES6 -> CommonJS transform), line for line.

Every replacement stays on the lines it replaces, so errors and evidence point at the developer's lines. What
babel does and this does too:

- imports become ``require`` calls where they stand; a default import goes through the interop (a CommonJS
  module's ``module.exports`` unless it has ``__esModule``), a namespace import through the wildcard interop;
- references to imported bindings are rewritten to ``_mod.name`` (live bindings: a read after an import cycle
  completes sees the value), shadowing declarations respected;
- exports become getters on ``exports`` defined at the top (on line 1, before the developer's code), so they
  are live and hoisted like babel's; ``export default <expr>`` assigns ``exports.default`` where it stands;
- ``export * from`` copies the other module's names as getters; dynamic ``import()`` is a Promise of the
  require.

Only files with import/export syntax change; a regex decides before anything is parsed.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, NamedTuple

_HINT = re.compile(rb"(?m)(?:^|[;}])[ \t]*(?:import|export)\b|\bimport\s*\(")
_DYNAMIC = re.compile(rb"\bimport\s*\(")

FUNCTION_SCOPES = frozenset({
    "function_declaration", "function_expression", "function", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "class_static_block",
})
BLOCK_SCOPES = frozenset({"statement_block", "for_statement", "for_in_statement", "switch_body",
                          "catch_clause", "class_body", "program"})
PATTERNS = frozenset({"object_pattern", "array_pattern", "assignment_pattern", "object_assignment_pattern",
                      "rest_pattern", "pair_pattern"})

PREFIX = "__mpsb_"
HELPERS = {
    "d": "function __mpsb_esm_d(o){return o&&o.__esModule?o:{default:o}}",
    "ns": ("function __mpsb_esm_ns(o){if(o&&o.__esModule)return o;var n={};"
           "if(o!=null&&(typeof o==='object'||typeof o==='function'))for(var k in o)"
           "if(Object.prototype.hasOwnProperty.call(o,k))n[k]=o[k];n.default=o;return n}"),
    "import": ("function __mpsb_esm_import(s){return Promise.resolve().then(function(){"
               "return __mpsb_esm_ns(require(s))})}"),
    "star": ("function __mpsb_esm_star(m){if(m==null)return;Object.keys(m).forEach(function(k){"
             "if(k==='default'||k==='__esModule'||Object.prototype.hasOwnProperty.call(exports,k))return;"
             "Object.defineProperty(exports,k,{enumerable:true,configurable:true,"
             "get:function(){return m[k]}})})}"),
}
HELPER_NEEDS = {"import": ("ns",)}


class Transformed(NamedTuple):
    code: str
    line1_shift: int  # characters added in front of line 1 (stack columns on line 1 move by this much)
    changed: bool


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter_javascript as tsj
    from tree_sitter import Language, Parser

    return Parser(Language(tsj.language()))


def has_module_syntax(source: str) -> bool:
    """Cheap pre-check: could the file use import/export at all?"""
    if "import" not in source and "export" not in source:
        return False
    return _HINT.search(source.encode("utf-8", "surrogatepass")) is not None


@functools.lru_cache(maxsize=2048)
def to_commonjs(source: str) -> Transformed:
    """The CommonJS form of ``source``; ``source`` itself when it has no module syntax or does not parse."""
    if not has_module_syntax(source):
        return Transformed(source, 0, False)
    src = source.encode("utf-8", "surrogatepass")
    try:
        tree = _parser().parse(src)
    except Exception:  # noqa: BLE001 - a file the parser cannot take runs as it is; the engine reports it
        return Transformed(source, 0, False)
    out = _Transform(src, tree.root_node).run()
    if out is None:
        return Transformed(source, 0, False)
    code, header = out
    return Transformed(header + code, len(header), True)


def _text(src: bytes, node: Any) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _spec_name(src: bytes, node: Any) -> str:
    """An import/export specifier's name: an identifier, `default`, or a string."""
    if node.type == "string":
        return src[node.start_byte + 1:node.end_byte - 1].decode("utf-8", "replace")
    return _text(src, node)


def _specifiers(clause: Any, kind: str) -> Any:
    """(name, alias) nodes of each ``name as alias`` of an import or export clause (the alias is the name when
    absent)."""
    for spec in clause.named_children:
        if spec.type != kind:
            continue
        name = spec.child_by_field_name("name")
        if name is not None:
            yield name, spec.child_by_field_name("alias") or name


def _enclosing(node: Any, kinds: frozenset[str]) -> Any:
    while node is not None and node.type not in kinds:
        node = node.parent
    return node


def _binding_scope(node: Any) -> Any:
    """The scope node ``node`` (an identifier) declares its name in, or None when it is no declaration."""
    child, parent = node, node.parent
    while parent is not None and parent.type in PATTERNS:
        if parent.type in ("assignment_pattern", "object_assignment_pattern"):
            left = parent.child_by_field_name("left")
            if left is None or left.id != child.id:
                return None  # a default value: a reference
        if parent.type == "pair_pattern":
            value = parent.child_by_field_name("value")
            if value is None or value.id != child.id:
                return None
        child, parent = parent, parent.parent
    if parent is None:
        return None
    t = parent.type

    def is_field(name: str) -> bool:
        f = parent.child_by_field_name(name)
        return f is not None and f.id == child.id

    if t == "variable_declarator" and is_field("name"):
        decl = parent.parent
        if decl is not None and decl.type == "variable_declaration":
            return _enclosing(decl.parent, FUNCTION_SCOPES | {"program"})
        return _enclosing(decl.parent if decl is not None else None, BLOCK_SCOPES)
    if t == "formal_parameters":
        return parent.parent
    if t == "arrow_function" and is_field("parameter"):
        return parent
    if t in ("function_declaration", "generator_function_declaration") and is_field("name"):
        return _enclosing(parent.parent, FUNCTION_SCOPES | {"program"})
    if t in ("function_expression", "function", "generator_function", "class") and is_field("name"):
        return parent
    if t == "class_declaration" and is_field("name"):
        return _enclosing(parent.parent, BLOCK_SCOPES)
    if t == "catch_clause" and is_field("parameter"):
        return parent
    if t == "for_in_statement" and is_field("left"):
        kind = parent.child_by_field_name("kind")
        if kind is None:
            return None
        return _enclosing(parent.parent, FUNCTION_SCOPES | {"program"}) if kind.type == "var" else parent
    return None


def _pattern_names(src: bytes, node: Any) -> list[str]:
    """Names bound by a declarator's pattern (``{a, b: [c], ...d} = ...`` -> a, c, d)."""
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            out.append(_text(src, n))
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            left = n.child_by_field_name("left")
            if left is not None:
                stack.append(left)
        elif t == "pair_pattern":
            value = n.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        elif t in ("object_pattern", "array_pattern", "rest_pattern"):
            stack.extend(reversed(n.named_children))
    return out


class _Transform:
    def __init__(self, src: bytes, root: Any):
        self.src = src
        self.root = root
        self.edits: list[tuple[int, int, str]] = []
        self.helpers: set[str] = set()
        self.getters: list[tuple[str, str, bool]] = []  # export name, expression, may be in its TDZ
        self.has_exports = False
        self.imports: dict[str, str] = {}  # local name -> expression reading the binding
        self.removed: list[tuple[int, int]] = []  # statements replaced whole (no reference rewriting inside)
        self.count = 0

    def _var(self, kind: str) -> str:
        self.count += 1
        return f"{PREFIX}{kind}{self.count}"

    def _replace(self, node: Any, text: str, whole: bool = True) -> None:
        """Replace ``node`` by ``text``, keeping its line breaks after it."""
        original = self.src[node.start_byte:node.end_byte]
        self.edits.append((node.start_byte, node.end_byte, text + "\n" * original.count(b"\n")))
        if whole:
            self.removed.append((node.start_byte, node.end_byte))

    def _cut(self, start: int, end: int, text: str = "") -> None:
        self.edits.append((start, end, text + "\n" * self.src[start:end].count(b"\n")))

    def _require(self, source: Any) -> str:
        return f"require({_text(self.src, source)})"

    # ---- statements ---------------------------------------------------------------------------------------
    def run(self) -> tuple[str, str] | None:
        found = False
        for node in self.root.children:
            if node.type == "import_statement":
                self._import(node)
                found = True
            elif node.type == "export_statement":
                self._export(node)
                found = True
        found = self._dynamic_imports() or found
        if not found:
            return None
        self._rewrite_references()
        return self._apply(), self._header()

    def _import(self, node: Any) -> None:
        source = node.child_by_field_name("source")
        if source is None:
            return
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:  # import 'side-effect'
            self._replace(node, self._require(source) + ";")
            return
        mod = self._var("m")
        parts = [f"var {mod} = {self._require(source)}"]
        interop: str | None = None

        def default_of() -> str:
            nonlocal interop
            if interop is None:
                interop = self._var("d")
                self.helpers.add("d")
                parts.append(f"{interop} = __mpsb_esm_d({mod})")
            return f"{interop}.default"

        for part in clause.named_children:
            if part.type == "identifier":
                self.imports[_text(self.src, part)] = default_of()
            elif part.type == "namespace_import":
                ident = next((c for c in part.named_children if c.type == "identifier"), None)
                if ident is not None:
                    self.helpers.add("ns")
                    parts.append(f"{_text(self.src, ident)} = __mpsb_esm_ns({mod})")
            elif part.type == "named_imports":
                for name, alias in _specifiers(part, "import_specifier"):
                    imported = _spec_name(self.src, name)
                    if imported == "default":
                        read = default_of()
                    else:
                        read = f"{mod}.{imported}" if imported.isidentifier() else f"{mod}[{_key(imported)}]"
                    self.imports[_text(self.src, alias)] = read
        self._replace(node, ", ".join(parts) + ";")

    def _export(self, node: Any) -> None:
        self.has_exports = True
        src = self.src
        source = node.child_by_field_name("source")
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        is_default = any(c.type == "default" for c in node.children)
        if source is not None:  # export ... from '...'
            mod = self._var("m")
            parts = [f"var {mod} = {self._require(source)};"]
            clause = next((c for c in node.named_children if c.type == "export_clause"), None)
            ns = next((c for c in node.named_children if c.type == "namespace_export"), None)
            if clause is not None:
                for name, alias in _specifiers(clause, "export_specifier"):
                    imported = _spec_name(src, name)
                    if imported == "default":
                        self.helpers.add("d")
                        expr = f"__mpsb_esm_d({mod}).default"
                    else:
                        expr = f"{mod}[{_key(imported)}]"
                    parts.append(self._getter_stmt(_spec_name(src, alias), expr, False))
            elif ns is not None:
                ident = next((c for c in ns.named_children if c.type in ("identifier", "string")), None)
                if ident is not None:
                    self.helpers.add("ns")
                    parts.append(self._getter_stmt(_spec_name(src, ident), f"__mpsb_esm_ns({mod})", False))
            else:  # export * from
                self.helpers.add("star")
                parts.append(f"__mpsb_esm_star({mod});")
            self._replace(node, "".join(parts))
            return
        if declaration is not None:
            self._cut(node.start_byte, declaration.start_byte)
            t = declaration.type
            if t in ("lexical_declaration", "variable_declaration"):
                tdz = t == "lexical_declaration"
                for decl in declaration.named_children:
                    if decl.type == "variable_declarator" and decl.child_by_field_name("name") is not None:
                        for name in _pattern_names(src, decl.child_by_field_name("name")):
                            self.getters.append((name, name, tdz))
            else:
                ident = declaration.child_by_field_name("name")
                if ident is not None:
                    name = _text(src, ident)
                    self.getters.append(("default" if is_default else name, name, t.startswith("class")))
            return
        if value is not None and is_default:
            if value.type in ("function_expression", "function", "generator_function") and \
                    value.child_by_field_name("name") is None:
                # an anonymous default function is hoisted like a declaration: give it a name
                self._cut(node.start_byte, value.start_byte)
                anchor = next((c for c in value.children if c.type == "*"), None) or \
                    next((c for c in value.children if c.type == "function"), None)
                if anchor is not None:
                    self.edits.append((anchor.end_byte, anchor.end_byte, " __mpsb_default"))
                    self.getters.append(("default", "__mpsb_default", False))
                    return
            self._cut(node.start_byte, value.start_byte, "exports.default = ")
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:  # export {a as b}
            for name, alias in _specifiers(clause, "export_specifier"):
                self.getters.append((_spec_name(src, alias), _text(src, name), True))
            self._replace(node, "")

    def _dynamic_imports(self) -> bool:
        found = False
        for m in _DYNAMIC.finditer(self.src):
            node = self.root.descendant_for_byte_range(m.start(), m.start() + 6)
            if node is None or node.type != "import" or node.parent is None:
                continue
            call = node.parent if node.parent.type == "call_expression" else node.parent.parent
            if call is None or call.type != "call_expression":
                continue
            self.edits.append((node.start_byte, node.end_byte, "__mpsb_esm_import"))
            self.helpers.update(("import", "ns"))
            found = True
        return found

    # ---- references ---------------------------------------------------------------------------------------
    def _rewrite_references(self) -> None:
        if not self.imports:
            return
        removed = sorted(self.removed)
        for name, expr in self.imports.items():
            pattern = re.compile(rb"(?<![\w$])" + re.escape(name.encode("utf-8")) + rb"(?![\w$])")
            refs: list[Any] = []
            shadows: set[int] = set()
            for m in pattern.finditer(self.src):
                start, end = m.start(), m.end()
                if any(a <= start < b for a, b in removed):
                    continue
                node = self.root.descendant_for_byte_range(start, end)
                if node is None or node.start_byte != start or node.end_byte != end:
                    continue
                if node.type == "shorthand_property_identifier_pattern":
                    scope = _binding_scope(node)
                    if scope is not None:
                        shadows.add(scope.id)
                    continue
                if node.type not in ("identifier", "shorthand_property_identifier"):
                    continue
                scope = _binding_scope(node) if node.type == "identifier" else None
                if scope is not None:
                    if scope.type != "program":
                        shadows.add(scope.id)
                    continue
                refs.append(node)
            for node in refs:
                up = node.parent
                shadowed = False
                while up is not None:
                    if up.id in shadows:
                        shadowed = True
                        break
                    up = up.parent
                if shadowed:
                    continue
                text = f"{name}: {expr}" if node.type == "shorthand_property_identifier" else expr
                self.edits.append((node.start_byte, node.end_byte, text))
        # export {x} of an imported x reads the import
        self.getters = [(n, self.imports.get(e, e), tdz and e not in self.imports)
                        for n, e, tdz in self.getters]

    # ---- output -------------------------------------------------------------------------------------------
    def _getter_stmt(self, name: str, expr: str, tdz: bool) -> str:
        body = f"try{{return {expr}}}catch(e){{}}" if tdz else f"return {expr}"
        return (f"Object.defineProperty(exports,{_key(name)},{{enumerable:true,configurable:true,"
                f"get:function(){{{body}}}}});")

    def _header(self) -> str:
        parts: list[str] = []
        needed = set(self.helpers)
        for h in list(needed):
            needed.update(HELPER_NEEDS.get(h, ()))
        for h in ("d", "ns", "import", "star"):
            if h in needed:
                parts.append(HELPERS[h] + ";")
        if self.has_exports:
            parts.append('Object.defineProperty(exports,"__esModule",{value:true});')
        seen: set[str] = set()
        for name, expr, tdz in self.getters:
            if name not in seen:
                seen.add(name)
                parts.append(self._getter_stmt(name, expr, tdz))
        return "".join(parts)

    def _apply(self) -> str:
        edits = sorted(self.edits, key=lambda e: (e[0], e[1]))
        out: list[bytes] = []
        pos = 0
        for start, end, text in edits:
            if start < pos:
                continue  # overlaps an earlier edit (cannot happen for valid input); keep the first
            out.append(self.src[pos:start])
            out.append(text.encode("utf-8"))
            pos = end
        out.append(self.src[pos:])
        return b"".join(out).decode("utf-8", "surrogatepass")
