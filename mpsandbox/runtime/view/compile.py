"""Compile a parsed template into JavaScript that the view realm runs to build an element tree.

One template file becomes one ``__view.file(path, {...})`` definition: its main body, its named ``<template>``s,
the files it imports and includes, and its script modules (WXS/SJS). Every expression goes through
:mod:`.expr`, so the generated code only ever does what a template can do.

The element tree the code builds: an element is ``{t: tag, a: {attr: value}, c: [children], l: line}`` (plus
``k``: the ``wx:key`` value of a list item), text is a plain string, adjacent texts merge.
"""

from __future__ import annotations

import copy

import json
import posixpath
import re
from dataclasses import dataclass, field

from .expr import ExprError, parse_data, parse_expression, split_mustache, to_js
from .parse import Node, Text, TemplateProblem, parse

HELPERS = "_v,_m,_c,_cm,_str,_truthy,_arr,_obj,_spread,_el,_txt,_for,_tpl,_inc"
PREFIXES = {"wx": "wx:", "tt": "tt:", "my": "a:"}
SCRIPT_EXT = {"wx": ".wxs", "tt": ".sjs", "my": ".sjs"}


@dataclass
class CompiledFile:
    path: str
    js: str
    imports: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)  # module name -> script path ('' for inline)
    templates: list[str] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)


_KEEP_ATTR = re.compile(r"^(data-|bind|catch|capture-|mut-bind|on[A-Z]|generic:)")


def attr_name(name: str) -> str:
    """Attribute names as the platforms' compilers hand them to components: ``hover-class`` -> ``hoverClass``;
    datasets and event bindings keep theirs."""
    if "-" not in name or _KEEP_ATTR.match(name):
        return name
    parts = name.split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def resolve(base_file: str, src: str, ext: str) -> str:
    """A path as the platforms resolve ``src`` attributes: relative to the file, or from the root with '/'."""
    src = src.strip()
    path = src.lstrip("/") if src.startswith("/") else posixpath.join(posixpath.dirname(base_file), src)
    path = posixpath.normpath(path)
    if not posixpath.splitext(path)[1]:
        path += ext
    return path


class _Compiler:
    def __init__(self, path: str, platform: str, template_ext: str):
        self.path = path
        self.platform = platform
        self.p = PREFIXES.get(platform, "wx:")
        self.ext = template_ext
        self.script_ext = SCRIPT_EXT.get(platform, ".wxs")
        self.out = CompiledFile(path=path, js="")
        self.n = 0
        self.inline_scripts: dict[str, str] = {}
        self.node_ids = 0
        self.loops = 0

    def var(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def problem(self, message: str, line: int) -> None:
        self.out.problems.append(TemplateProblem(message, line))

    # ---- expressions ------------------------------------------------------------------------------------------------
    def expr(self, source: str, line: int, scope: str, data: bool = False) -> str:
        try:
            return to_js(parse_data(source) if data else parse_expression(source), scope)
        except (ExprError, RecursionError) as exc:
            self.problem(f"bad expression {{{{{source.strip()[:60]}}}}}: {exc}", line)
            return "void 0"

    def value(self, raw: str | None, line: int, scope: str) -> str:
        """An attribute value: one ``{{expr}}`` keeps its type; text with expressions becomes a string."""
        if raw is None:
            return "true"
        parts = split_mustache(raw)
        if len(parts) == 1 and isinstance(parts[0], tuple):
            return self.expr(parts[0][1], line, scope)
        if all(isinstance(p, str) for p in parts):
            return json.dumps(raw)
        pieces = [json.dumps(p) if isinstance(p, str) else f"_str({self.expr(p[1], line, scope)})" for p in parts]
        return "(" + "+".join(pieces) + ")"

    # ---- structure ----------------------------------------------------------------------------------------------------
    def directive(self, node: Node, name: str) -> str | None:
        return node.get(self.p + name)

    def children(self, nodes: list[Node | Text], out: str, scope: str) -> list[str]:
        code: list[str] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, Text):
                if node.value.strip() or "{{" in node.value:
                    code.append(f"_txt({out},{self.value(node.value, node.line, scope)});")
                elif node.value and code:
                    pass  # whitespace between tags is not content
                i += 1
                continue
            if self.directive(node, "if") is not None and not self.is_loop(node):
                chain = [node]
                j = i + 1
                while j < len(nodes):
                    nxt = nodes[j]
                    if isinstance(nxt, Text) and not nxt.value.strip():
                        j += 1
                        continue
                    if isinstance(nxt, Node) and (self.directive(nxt, "elif") is not None
                                                  or self.directive(nxt, "else") is not None):
                        chain.append(nxt)
                        j += 1
                        if self.directive(nxt, "else") is not None:
                            break
                        continue
                    break
                code += self.if_chain(chain, out, scope)
                i = j
                continue
            if self.directive(node, "elif") is not None or self.directive(node, "else") is not None:
                self.problem(f"<{node.tag}> has {self.p}elif/else without a {self.p}if before it", node.line)
                i += 1
                continue
            code += self.node(node, out, scope)
            i += 1
        return code

    def is_loop(self, node: Node) -> bool:
        return self.directive(node, "for") is not None or self.directive(node, "for-items") is not None

    def if_chain(self, chain: list[Node], out: str, scope: str) -> list[str]:
        code: list[str] = []
        for k, node in enumerate(chain):
            body = self.node(node, out, scope, skip_if=True)
            if k == 0:
                cond = self.value(self.directive(node, "if"), node.line, scope)
                code.append(f"if(_truthy({cond})){{")
            elif self.directive(node, "elif") is not None:
                cond = self.value(self.directive(node, "elif"), node.line, scope)
                code.append(f"}}else if(_truthy({cond})){{")
            else:
                code.append("}else{")
            code += body
        code.append("}")
        return code

    def node(self, node: Node, out: str, scope: str, skip_if: bool = False) -> list[str]:
        p = self.p
        items = self.directive(node, "for")
        if items is None:
            items = self.directive(node, "for-items")
        if items is not None:
            return self.for_loop(node, items, out, scope)
        tag = node.tag
        if tag == "block":
            return self.children(node.children, out, scope)
        if tag == "template":
            name = node.get("name")
            if name is not None and node.get("is") is None:
                return []  # definitions are compiled separately
            is_ = node.get("is")
            if is_ is None:
                self.problem("<template> without name or is", node.line)
                return []
            data = node.get("data")
            data_js = "{}"
            if data is not None:
                parts = split_mustache(data)
                if len(parts) == 1 and isinstance(parts[0], tuple):
                    data_js = self.expr(parts[0][1], node.line, scope, data=True)
            return [f"_tpl(o,{json.dumps(self.path)},{self.value(is_, node.line, scope)},{data_js},{out},{node.line});"]
        if tag in ("import", "include"):
            src = node.get("src")
            if not src:
                self.problem(f"<{tag}> without src", node.line)
                return []
            target = resolve(self.path, src, self.ext)
            if tag == "import":
                self.out.imports.append(target)
                return []
            self.out.includes.append(target)
            return [f"_inc(o,{json.dumps(target)},{scope},{out});"]
        if tag in ("wxs", "sjs", "import-sjs"):
            return []
        el = self.var("e")
        self.node_ids += 1  # which template node an element comes from: the items of a list share it
        code = [f"var {el}=_el({json.dumps(tag)},{node.line},{json.dumps(f'{self.path}#{self.node_ids}')});"]
        for attr in node.attrs:
            name = attr.name
            if name.startswith(p) or (self.platform == "my" and name == "key"):
                if name in (p + "key",) or (self.platform == "my" and name == "key"):
                    pass
                continue
            code.append(f"{el}.a[{json.dumps(attr_name(name))}]={self.value(attr.value, attr.line, scope)};")
        code += self.children(node.children, f"{el}.c", scope)
        code.append(f"{out}.push({el});")
        return code

    def for_loop(self, node: Node, items: str, out: str, scope: str) -> list[str]:
        item = (self.directive(node, "for-item") or "item").strip() or "item"
        index = (self.directive(node, "for-index") or "index").strip() or "index"
        key = self.directive(node, "key")
        if key is None and self.platform == "my":
            key = node.get("key")
        inner = self.var("s")
        k = self.var("k")
        items_js = self.value(items, node.line, scope)
        body_node = Node(node.tag, [a for a in node.attrs if a.name not in {
            self.p + "for", self.p + "for-items", self.p + "for-item", self.p + "for-index"}],
            node.children, node.line)
        fn_code = self.node(body_node, f"{k}", inner) if node.tag != "block" else self.children(node.children, k,
                                                                                               inner)
        cond = self.directive(node, "if")
        if cond is not None:  # with a loop, the condition is evaluated for each item
            fn_code = [f"if(_truthy({self.value(cond, node.line, inner)})){{", *fn_code, "}"]
        key_js = "void 0"
        if key:
            key = key.strip()
            if key == "*this":
                key_js = "item"
            elif "{{" in key:
                key_js = self.value(key, node.line, inner)
            else:
                key_js = f"_m(item,{json.dumps(key)})"
        self.loops += 1  # a list's items are units of reuse between renders (view.js unit)
        site = json.dumps(f"{self.path}@{self.loops}")
        return [
            f"_for({out},{site},{items_js},{scope},{json.dumps(item)},{json.dumps(index)},"
            f"function({inner},{k},item){{",
            *fn_code,
            f"return {key_js};}});",
        ]

    # ---- whole file ------------------------------------------------------------------------------------------------
    def compile(self, root: Node) -> CompiledFile:
        templates: dict[str, str] = {}
        scripts: list[str] = []
        self.collect(root, templates, scripts)
        main = self.children(root.children, "out", "s0")
        tpl_js = ",".join(f"{json.dumps(name)}:function(s0,o,out){{{''.join(body)}}}"
                          for name, body in templates.items())
        self.out.templates = list(templates)
        inline = ",".join(f"{json.dumps(k)}:function(require,module,exports,getRegExp,getDate,__ctor){{{v}\n}}"
                          for k, v in self.inline_scripts.items())
        self.out.js = (
            f"__view.file({json.dumps(self.path)},function({HELPERS}){{return {{"
            f"main:function(s0,o,out){{{''.join(main)}}},"
            f"templates:{{{tpl_js}}},"
            f"imports:{json.dumps(self.out.imports)},"
            f"scripts:{json.dumps(self.out.scripts)},"
            f"inline:{{{inline}}}}};}});"
        )
        return self.out

    def collect(self, root: Node, templates: dict[str, str], scripts: list[str]) -> None:
        """Named templates and script modules anywhere in the file (iteratively: markup can be deep)."""
        todo: list[Node] = [root]
        while todo:
            node = todo.pop()
            for child in node.children:
                if not isinstance(child, Node):
                    continue
                tag = child.tag
                if tag == "template" and child.get("name") is not None and child.get("is") is None:
                    name = child.get("name") or ""
                    templates[name] = self.children(child.children, "out", "s0")  # type: ignore[assignment]
                    continue
                if tag in ("wxs", "sjs", "import-sjs"):
                    self.script(child)
                    continue
                todo.append(child)

    def script(self, node: Node) -> None:
        name = node.get("module") or node.get("name")
        if not name:
            self.problem(f"<{node.tag}> without a module name", node.line)
            return
        src = node.get("src") or node.get("from")
        if src:
            self.out.scripts[name] = resolve(self.path, src, self.script_ext)
        else:
            body = "".join(c.value for c in node.children if isinstance(c, Text))
            key = f"{self.path}#{name}"
            self.out.scripts[name] = key
            self.inline_scripts[key] = script_to_cjs(body)


def script_to_cjs(source: str) -> str:
    """A script module (WXS/SJS) as the view realm runs it: CommonJS (Alipay/Douyin SJS may use ``export default``
    and ``import x from``), with the script language's ``constructor`` (see ``script_constructors``)."""
    source = re.sub(r"^(\s*)export\s+default\s+", r"\1module.exports = ", source, flags=re.M)
    source = re.sub(r"^(\s*)import\s+([A-Za-z_$][\w$]*)\s+from\s+(['\"][^'\"]+['\"])\s*;?",
                    r"\1var \2 = require(\3);", source, flags=re.M)
    return script_constructors(source)


def script_constructors(source: str) -> str:
    """In WXS and SJS a value's ``constructor`` is its type's name as a string (``[].constructor === 'Array'``, the
    way Vant's ``array.wxs`` tests for an array), not a function: each read of it becomes ``__ctor(value)``, which the
    view realm answers with that name. Lines and columns before the reads stay where they were."""
    if "constructor" not in source:
        return source
    from ..modules.esm import _parser

    data = source.encode("utf-8")
    tree = _parser().parse(data)

    def is_read(node) -> bool:
        parent = node.parent
        if parent is None:
            return True
        if parent.type in ("assignment_expression", "augmented_assignment_expression") and \
                parent.child_by_field_name("left") == node:
            return False
        return not (parent.type == "update_expression" or (parent.type == "unary_expression" and
                                                          parent.children[0].type == "delete"))

    def rewrite(node) -> bytes:
        """The node's text with its constructor reads rewritten."""
        out, pos = [], node.start_byte
        stack = [node]
        inner = []
        while stack:
            n = stack.pop()
            if n is not node and _constructor_read(n) and is_read(n):
                inner.append(n)
                continue
            stack.extend(n.children)
        if _constructor_read(node) and is_read(node):
            obj = node.child_by_field_name("object")
            return b"__ctor(" + rewrite(obj) + b")"
        for n in sorted(inner, key=lambda n: n.start_byte):
            out.append(data[pos:n.start_byte])
            out.append(rewrite(n))
            pos = n.end_byte
        out.append(data[pos:node.end_byte])
        return b"".join(out)

    try:
        return rewrite(tree.root_node).decode("utf-8")
    except RecursionError:
        return source


def _constructor_read(node) -> bool:
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop is not None and prop.type == "property_identifier" and prop.text == b"constructor"
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return index is not None and index.type == "string" and index.text[1:-1] == b"constructor"
    return False


_COMPILED: dict[tuple[str, str, str, str], CompiledFile] = {}  # the same template compiles to the same code
_COMPILED_BYTES = [0]
_COMPILED_BUDGET = 8 * 1024 * 1024  # characters of template and compiled code kept, at most
_COMPILED_ONE = 64 * 1024  # a larger template is not kept


def compile_template(path: str, source: str, platform: str, template_ext: str) -> CompiledFile:
    """The template compiled (a copy of the compilation of the same text, when it was compiled before)."""
    key = (path, source, platform, template_ext)
    done = _COMPILED.get(key)
    if done is None:
        done = _compile_template(path, source, platform, template_ext)
        size = len(source) + len(done.js)
        if size > _COMPILED_ONE:
            return done
        while _COMPILED and _COMPILED_BYTES[0] + size > _COMPILED_BUDGET:
            old_key, old = next(iter(_COMPILED.items()))
            del _COMPILED[old_key]
            _COMPILED_BYTES[0] -= len(old_key[1]) + len(old.js)
        _COMPILED[key] = done
        _COMPILED_BYTES[0] += size
    return copy.deepcopy(done)


def _compile_template(path: str, source: str, platform: str, template_ext: str) -> CompiledFile:
    parsed = parse(source)
    compiler = _Compiler(path, platform, template_ext)
    try:
        out = compiler.compile(parsed.root)
    except RecursionError:
        out = CompiledFile(path=path, js=f"__view.file({json.dumps(path)},function(){{return {{main:function(){{}},"
                                         f"templates:{{}},imports:[],scripts:{{}},inline:{{}}}};}});")
        out.problems.append(TemplateProblem("the template is nested too deeply to compile", 1))
    out.problems[:0] = parsed.problems
    return out

