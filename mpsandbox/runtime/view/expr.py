"""Template expressions (the inside of ``{{ }}``): parsed into a small AST and emitted as safe JavaScript.

The platforms accept a subset of JavaScript expressions: literals, names looked up in the data, member access,
arithmetic, comparison, logic, the ternary, array and object literals (with spread), and calls of script-module
(WXS/SJS) functions. Nothing else is emitted, so a template can never smuggle a statement or a function into the
view realm: names become scope look-ups, member access is limited to own data properties, and a call of anything
but a script-module function yields ``undefined``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_EXPR_DEPTH = 64
MAX_EXPR_LEN = 20_000


class ExprError(ValueError):
    """The expression is not one the platforms accept."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<name>[A-Za-z_$][\w$]*)
    | (?P<op>\.\.\.|===|!==|>>>|\?\?|\?\.|==|!=|<=|>=|&&|\|\||<<|>>|[-+*/%<>!~?:.,()\[\]{}&|^])
    )""",
    re.X,
)

BINARY_PRECEDENCE = {
    "??": 1, "||": 2, "&&": 3, "|": 4, "^": 5, "&": 6,
    "==": 7, "!=": 7, "===": 7, "!==": 7,
    "<": 8, ">": 8, "<=": 8, ">=": 8,
    "<<": 9, ">>": 9, ">>>": 9,
    "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
}
KEYWORDS = {"true": True, "false": False, "null": None}


@dataclass
class Tok:
    kind: str
    value: str
    pos: int


def tokenize(src: str) -> list[Tok]:
    if len(src) > MAX_EXPR_LEN:
        raise ExprError("expression too long")
    out: list[Tok] = []
    pos = 0
    n = len(src)
    while pos < n:
        if src[pos:].strip() == "":
            break
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise ExprError(f"unexpected character {src[pos:].lstrip()[:1]!r}")
        kind = m.lastgroup or "op"
        out.append(Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    out.append(Tok("eof", "", n))
    return out


class _Parser:
    def __init__(self, src: str):
        self.toks = tokenize(src)
        self.k = 0
        self.depth = 0

    def peek(self, value: str | None = None) -> bool:
        t = self.toks[self.k]
        return t.kind != "eof" and (value is None or (t.kind == "op" and t.value == value))

    def take(self, value: str) -> None:
        t = self.toks[self.k]
        if t.kind != "op" or t.value != value:
            raise ExprError(f"expected {value!r}, got {t.value or 'the end'!r}")
        self.k += 1

    def next(self) -> Tok:
        t = self.toks[self.k]
        self.k += 1
        return t

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_EXPR_DEPTH:
            raise ExprError("expression nested too deeply")

    # expression := conditional
    def expression(self) -> Any:
        self.enter()
        cond = self.binary(0)
        if self.peek("?"):
            self.next()
            yes = self.expression()
            self.take(":")
            no = self.expression()
            cond = ("cond", cond, yes, no)
        self.depth -= 1
        return cond

    def binary(self, min_prec: int) -> Any:
        left = self.unary()
        while True:
            t = self.toks[self.k]
            prec = BINARY_PRECEDENCE.get(t.value) if t.kind == "op" else None
            if prec is None or prec <= min_prec:
                return left
            self.next()
            right = self.binary(prec)
            left = ("bin", t.value, left, right)

    def unary(self) -> Any:
        t = self.toks[self.k]
        if t.kind == "op" and t.value in ("!", "-", "+", "~"):
            self.next()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return ("un", t.value, operand)
        if t.kind == "name" and t.value == "typeof":
            self.next()
            return ("un", "typeof", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Any) -> Any:
        while True:
            if self.peek(".") or self.peek("?."):
                self.next()
                t = self.next()
                if t.kind != "name":
                    raise ExprError("expected a property name after '.'")
                node = ("member", node, ("lit", t.value))
            elif self.peek("["):
                self.next()
                key = self.expression()
                self.take("]")
                node = ("member", node, key)
            elif self.peek("("):
                self.next()
                args = self.list_until(")")
                node = ("call", node, args)
            else:
                return node

    def list_until(self, close: str) -> list[Any]:
        items: list[Any] = []
        while not self.peek(close):
            if self.peek("..."):
                self.next()
                items.append(("spread", self.expression()))
            else:
                items.append(self.expression())
            if not self.peek(close):
                self.take(",")
        self.take(close)
        return items

    def primary(self) -> Any:
        t = self.next()
        if t.kind == "num":
            v = t.value
            return ("lit", int(v, 16) if v[:2] in ("0x", "0X") else (float(v) if any(c in v for c in ".eE") else int(v)))
        if t.kind == "str":
            return ("lit", _js_string(t.value))
        if t.kind == "name":
            if t.value in KEYWORDS:
                return ("lit", KEYWORDS[t.value])
            if t.value == "undefined":
                return ("undef",)
            return ("name", t.value)
        if t.kind == "op":
            if t.value == "(":
                self.enter()
                e = self.expression()
                self.take(")")
                self.depth -= 1
                return e
            if t.value == "[":
                self.enter()
                items = self.list_until("]")
                self.depth -= 1
                return ("array", items)
            if t.value == "{":
                self.enter()
                obj = self.object_body("}")
                self.take("}")
                self.depth -= 1
                return obj
        raise ExprError(f"unexpected {t.value or 'end of expression'!r}")

    def object_body(self, close: str | None) -> Any:
        """``a: 1, 'b': x, c, ...d`` up to ``close`` (None: the end of input)."""
        entries: list[Any] = []
        while not (self.peek(close) if close else not self.peek()):
            if self.peek("..."):
                self.next()
                entries.append(("spread", self.expression()))
            else:
                t = self.next()
                if t.kind == "name":
                    key = t.value
                elif t.kind == "str":
                    key = _js_string(t.value)
                elif t.kind == "num":
                    key = t.value
                else:
                    raise ExprError(f"unexpected {t.value!r} in an object")
                if self.peek(":"):
                    self.next()
                    entries.append(("prop", key, self.expression()))
                elif t.kind == "name":
                    entries.append(("prop", key, ("name", key)))
                else:
                    raise ExprError("expected ':' in an object")
            if close and self.peek(close):
                break
            if not close and not self.peek():
                break
            self.take(",")
        return ("object", entries)


def _js_string(quoted: str) -> str:
    body = quoted[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            d = body[i + 1]
            if d in simple:
                out.append(simple[d])
                i += 2
                continue
            if d == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if d == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2:i + 4]):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append(d)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_expression(src: str) -> Any:
    p = _Parser(src)
    node = p.expression()
    if p.peek(","):  # {{a, b}}: a data shorthand object; anywhere else the platforms take the last value
        p.k = 0
        node = p.object_body(None)
    elif p.peek(":"):  # {{a: 1, b}} in a template's data attribute
        p.k = 0
        node = p.object_body(None)
    if p.peek():
        raise ExprError(f"unexpected {p.toks[p.k].value!r}")
    return node


def parse_data(src: str) -> Any:
    """A template's ``data`` attribute: an object body without braces (``a: 1, ...item``) or one expression."""
    p = _Parser(src)
    if p.peek("...") or (p.toks[0].kind in ("name", "str") and p.toks[1].kind == "op"
                         and p.toks[1].value in (":", ",")) or (p.toks[0].kind == "name" and p.toks[1].kind == "eof"
                                                                 and p.toks[0].value not in KEYWORDS):
        node = p.object_body(None)
    else:
        node = p.expression()
    if p.peek():
        raise ExprError(f"unexpected {p.toks[p.k].value!r}")
    return node


# ---- JavaScript emission ------------------------------------------------------------------------------------------
def to_js(node: Any, scope: str = "s") -> str:
    """Safe JavaScript for an expression AST; ``scope`` names the variable holding the scope chain."""
    kind = node[0]
    if kind == "lit":
        v = node[1]
        if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
            return json.dumps(v)
        return json.dumps(v)
    if kind == "undef":
        return "void 0"
    if kind == "name":
        return f"_v({scope},{json.dumps(node[1])})"
    if kind == "member":
        return f"_m({to_js(node[1], scope)},{to_js(node[2], scope)})"
    if kind == "call":
        callee = node[1]
        args = "[" + ",".join(_item(a, scope) for a in node[2]) + "]"
        if callee[0] == "member":
            return f"_cm({to_js(callee[1], scope)},{to_js(callee[2], scope)},{args})"
        return f"_c({to_js(callee, scope)},{args})"
    if kind == "un":
        op = node[1]
        if op == "typeof":
            return f"(typeof {to_js(node[2], scope)})"
        return f"({op}{to_js(node[2], scope)})"
    if kind == "bin":
        op = node[1]
        return f"({to_js(node[2], scope)}{op}{to_js(node[3], scope)})"
    if kind == "cond":
        return f"({to_js(node[1], scope)}?{to_js(node[2], scope)}:{to_js(node[3], scope)})"
    if kind == "array":
        return "_arr([" + ",".join(_item(a, scope) for a in node[1]) + "])"
    if kind == "object":
        parts = []
        for e in node[1]:
            if e[0] == "spread":
                parts.append(f"[1,{to_js(e[1], scope)}]")
            else:
                parts.append(f"[0,{json.dumps(e[1])},{to_js(e[2], scope)}]")
        return "_obj([" + ",".join(parts) + "])"
    raise ExprError(f"cannot emit {kind}")


def _item(node: Any, scope: str) -> str:
    if node[0] == "spread":
        return f"_spread({to_js(node[1], scope)})"
    return to_js(node, scope)


_MUSTACHE = re.compile(r"\{\{(.*?)\}\}(?!\})", re.S)


def split_mustache(text: str) -> list[str | tuple[str, str]]:
    """``'a {{b}} c'`` -> ``['a ', ('expr', 'b'), ' c']``."""
    parts: list[str | tuple[str, str]] = []
    pos = 0
    for m in _MUSTACHE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
        parts.append(("expr", m.group(1)))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return parts


class NotConstant(ValueError):
    """The expression depends on data."""


def constant_value(source: str) -> Any:
    """The value of a template expression made of literals only (``[['tap', [['go', ['$event']]]]]``, ``'a'``,
    ``-1``, ``{a: 1}``); raises NotConstant for one that reads data or calls functions."""
    return _const(parse_expression(source))


def _const(node: Any) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "undef":
        return None
    if kind == "un" and node[1] in ("-", "+"):
        v = _const(node[2])
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if node[1] == "-" else v
    if kind == "array":
        return [_const(x) for x in node[1] if x[0] != "spread"] if all(x[0] != "spread" for x in node[1]) \
            else _fail()
    if kind == "object" and all(e[0] == "prop" for e in node[1]):
        return {str(e[1]): _const(e[2]) for e in node[1]}
    if kind == "bin" and node[1] == "+":
        a, b = _const(node[2]), _const(node[3])
        if isinstance(a, str) and isinstance(b, str):
            return a + b
    return _fail()


def _fail() -> Any:
    raise NotConstant("not a constant expression")
