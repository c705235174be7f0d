"""Event bindings and datasets of compiled WeChat templates (``$gwx`` code from wcc), by a static scan.

Why static and not by running the code: rendering needs each page's data, and without it every ``wx:if`` and
``wx:for`` body stays empty, so most handlers would be missed; the bundle layer must not run an engine either.
The compiled code is regular: per template file a constants array ``z`` (``Z([3,'onTap'])`` lines in a
``gz$gwx..._N`` function) and a render function whose elements are ``_n('tag')`` / ``_mz(z,'tag',[attr, index,
...])`` with attributes ``_rz(z, el, 'attr', index)``; ``d_[x[K]]={}`` opens file K, ``e_[x[K]]={f:..., ti:[...],
ic:[...]}`` closes it with its imports and includes. A constant is static text (``[3,'s']``, ``[1,'s']``), a
concatenation (``[a, ...]``) or an expression, shown as ``{{...}}`` like in the source (so a handler that is an
expression is marked dynamic). Plugin templates (``$gwx_wx<appid>``) are left out: their paths are the plugin's.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from .templates import TagUse, TemplateFacts, attr_name, tag_use

MAX_DEPTH = 64
MAX_ENTRIES = 200_000
_GROUP = re.compile(r"function (gz\$gwx[\w$]*)\(\)\{")
_Z_OPEN = "(function(z){var a=11;function Z(ops){z.push(ops)}"
_TOKEN = re.compile(r"""\s*(?:(\[)|(\])|(,)|(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|"""
                    r"""(z(?:\[\d+\])+)|([A-Za-z_$][\w$]*))""")
_EVENTS = re.compile(
    r"""var x=\[([^\]]*)\]"""
    r"""|d_\[x\[(\d+)\]\]=\{\}"""
    r"""|var z=(gz\$gwx[\w$]*)\(\)"""
    r"""|var ([\w$]+)=_n\('([^'\\]+)'\)"""
    r"""|var ([\w$]+)=_mz?\((?:z,)?'([^'\\]+)',\[([^\]]*)\]"""
    r"""|_rz?\((?:z,)?([\w$]+),'([^'\\]+)',(-?\d+)"""
    r"""|cs\.push\("[^":]*:[^":]*:(\d+):\d+"\)"""
    r"""|e_\[x\[(\d+)\]\]=(?:e_\[x\[\d+\]\]\|\|)?\{f:[\w$]+,j:\[[^\]]*\],i:\[[^\]]*\],ti:\[((?:x\[\d+\],?)*)\],"""
    r"""ic:\[((?:x\[\d+\],?)*)\]"""
    r"""|d_\[x\[\d+\]\]\[("[^"\\]*"|'[^'\\]*')\]=function|var m\d+=function"""
    # an include or import made in the render code (_ic / _ai), where the file's ic/ti lists stay empty
    r"""|_(?:ic|ai)\((?:[\w$]+,)?x\[(\d+)\],e_,x\[(\d+)\]"""
    # a valueless attribute (<van-grid-item use-slot>) is set to true on the element
    r"""|([\w$]+)\.attr\['([^'\\]+)'\]=true""")
_PLUGIN_GROUP = re.compile(r"gz\$gwx_wx[0-9a-f]{16}_")
_UNESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_WORDS = {"a": 11, "true": True, "false": False, "null": None}
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        if s[0] in "ux" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _SIMPLE.get(s, s)
    return _UNESCAPE.sub(one, raw) if "\\" in raw else raw


def _parse_entry(text: str, z: list[Any]) -> Any:
    """One ``Z(...)`` argument: nested arrays of numbers, strings, ``a`` (11) and ``z[i][j]`` references."""
    stack: list[list[Any]] = []
    result: Any = None
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            return None
        pos = m.end()
        if m.group(1):
            if len(stack) >= MAX_DEPTH:
                return None
            stack.append([])
            continue
        if m.group(3):
            continue
        if m.group(2):
            if not stack:
                return None
            value: Any = stack.pop()
        elif m.group(4) is not None:
            value = float(m.group(4)) if "." in m.group(4) or "e" in m.group(4) else int(m.group(4))
        elif m.group(5) is not None or m.group(6) is not None:
            value = _unescape(m.group(5) if m.group(5) is not None else m.group(6))
        elif m.group(7):
            value = z
            for i in re.findall(r"\d+", m.group(7)):
                value = value[int(i)] if isinstance(value, list) and int(i) < len(value) else None
        else:
            value = _WORDS.get(m.group(8))
        if stack:
            stack[-1].append(value)
        else:
            result = value
    return result


def _groups(text: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    total = 0
    for g in _GROUP.finditer(text):
        start = text.find(_Z_OPEN, g.end(), g.end() + 600)
        if start == -1:
            continue
        end = text.find("\n})(", start)
        if end == -1:
            continue
        z: list[Any] = []
        for line in text[start + len(_Z_OPEN):end].split("\n"):
            line = line.strip()
            if line.startswith("Z(") and line.endswith(")"):
                z.append(_parse_entry(line[2:-1], z))
                total += 1
                if total > MAX_ENTRIES:
                    return out
        out[g.group(1)] = z
    return out


def _literal(op: Any) -> str:
    if isinstance(op, str):
        return "'" + op.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(op, bool):
        return str(op).lower()
    if op is None:
        return "null"
    if isinstance(op, float) and op.is_integer():
        return str(int(op))
    return str(op)


def _expr(op: Any, depth: int = 0) -> str:
    """A readable approximation of a compiled expression (names, members, operators, literals)."""
    if depth > 20 or not isinstance(op, list) or not op:
        return "…"
    head = op[0]
    if head in (1, 3) and len(op) > 1:
        return _literal(op[1])
    if head == 11:
        return " + ".join(_expr(p, depth + 1) for p in op[1:])
    if isinstance(head, list) and head:
        kind = head[0]
        if kind == 7 and len(op) > 1 and isinstance(op[1], list) and len(op[1]) > 1:
            return str(op[1][1])
        if kind == 6 and len(op) > 2:
            prop = op[2]
            if isinstance(prop, list) and len(prop) > 1 and prop[0] == 3 and isinstance(prop[1], str):
                return f"{_expr(op[1], depth + 1)}.{prop[1]}"
            return f"{_expr(op[1], depth + 1)}[{_expr(prop, depth + 1)}]"
        if kind == 2 and len(head) > 1:
            sym = str(head[1])
            args = [_expr(a, depth + 1) for a in op[1:]]
            if sym == "?:" and len(args) == 3:
                return f"{args[0]} ? {args[1]} : {args[2]}"
            if len(args) == 1:
                return sym + args[0]
            if len(args) == 2:
                return f"{args[0]} {sym} {args[1]}"
    return "…"


def attr_value(op: Any) -> str:
    """The attribute as the source wrote it: static text, or text with ``{{ }}`` around expressions."""
    if isinstance(op, list) and len(op) == 2 and op[0] == 3 and not isinstance(op[1], list):
        return op[1] if isinstance(op[1], str) else _literal(op[1])
    if isinstance(op, list) and len(op) == 2 and op[0] == 1 and not isinstance(op[1], list):
        return "{{" + _literal(op[1]) + "}}"  # a constant expression: {{true}}, {{5}}, {{'s'}}
    if isinstance(op, list) and op and op[0] == 11:
        return "".join(attr_value(p) if isinstance(p, list) and len(p) == 2 and p[0] == 3
                       else "{{" + _expr(p) + "}}" for p in op[1:])
    return "{{" + _expr(op) + "}}"


def _norm(path: str) -> str:
    path = path.strip().strip("'\"")
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    return path


def _resolve(current: str, ref: str) -> str:
    """x entries are './root/relative.wxml' or '../relative/to/the/file.wxml'."""
    ref = ref.strip()
    if ref.startswith("../"):
        return posixpath.normpath(posixpath.join(posixpath.dirname(current), ref)).lstrip("/")
    return _norm(ref)


def _x_list(raw: str) -> list[str]:
    return [_unescape(m) for m in re.findall(r"'((?:[^'\\]|\\.)*)'", raw)]


def scan_gwx(text: str) -> dict[str, TemplateFacts]:
    """TemplateFacts of every template file compiled into ``text`` (keyed 'pages/x/x.wxml')."""
    if "$gwx" not in text:
        return {}
    groups = _groups(text)
    out: dict[str, TemplateFacts] = {}
    x: list[str] = []
    current: str | None = None
    z: list[Any] = []
    plugin = False
    elements: list[tuple[str, int, dict[str, str], bool]] = []
    in_template = False  # in a named template's function (d_[x[K]]["name"]=function), not the file's own render
    by_var: dict[str, dict[str, str]] = {}  # an element's attributes by its variable (names repeat per template)
    line = 0

    def close() -> None:
        if current is not None and not plugin:
            facts = out.setdefault(current, TemplateFacts())
            for tag, tline, attrs, defined in elements:
                use = tag_use(tag, tline, attrs, "wx")
                use.in_template = defined
                facts.tags.append(use)
        elements.clear()
        by_var.clear()

    def value(index: int) -> str:
        if index < 0:
            return ""
        return attr_value(z[index]) if index < len(z) else "{{…}}"

    for m in _EVENTS.finditer(text):
        if m.group(1) is not None:
            close()
            current, x = None, _x_list(m.group(1))
        elif m.group(2) is not None:
            close()
            k = int(m.group(2))
            current = _norm(x[k]) if k < len(x) else None
            plugin = in_template = False
        elif m.group(3):
            z = groups.get(m.group(3), [])
            plugin = plugin or bool(_PLUGIN_GROUP.match(m.group(3)))
        elif m.group(4):
            by_var[m.group(4)] = {}
            elements.append((m.group(5), line, by_var[m.group(4)], in_template))
        elif m.group(6):
            attrs: dict[str, str] = {}
            items = [p.strip() for p in m.group(8).split(",")] if m.group(8).strip() else []
            base = 0
            for name, num in zip(items[0::2], items[1::2]):
                try:
                    delta = int(num)
                except ValueError:
                    continue
                if base + delta < 0:
                    attrs[attr_name(name.strip("'\""))] = ""  # a valueless attribute
                    continue
                attrs[attr_name(name.strip("'\""))] = value(base + delta)
                if base == 0:
                    base = delta
            by_var[m.group(6)] = attrs
            elements.append((m.group(7), line, attrs, in_template))
        elif m.group(9):
            el = by_var.get(m.group(9))
            if el is not None:
                el[attr_name(m.group(10))] = value(int(m.group(11)))
        elif m.group(12):
            line = int(m.group(12))
        elif m.group(13) is not None:
            k = int(m.group(13))
            if current is not None and k < len(x) and _norm(x[k]) == current and not plugin:
                facts = out.setdefault(current, TemplateFacts())
                for ref in re.findall(r"x\[(\d+)\]", (m.group(14) or "") + "," + (m.group(15) or "")):
                    if int(ref) < len(x):
                        facts.includes.append("/" + _resolve(current, x[int(ref)]))
            close()
            current = None
        elif m.group(17) is not None:
            into, ref = int(m.group(18)), int(m.group(17))
            if current is not None and into < len(x) and _norm(x[into]) == current and ref < len(x) and not plugin:
                facts = out.setdefault(current, TemplateFacts())
                # wcc versions differ: './input.wxml' is root-relative in one, relative to the including file in
                # another; both are kept (the loader follows the one that is a template)
                near = posixpath.normpath(posixpath.join(posixpath.dirname(current), _norm(x[ref])))
                for target in ("/" + _resolve(current, x[ref]), "/" + near):
                    if target not in facts.includes:
                        facts.includes.append(target)
        elif m.group(19) is not None:
            el = by_var.get(m.group(19))
            if el is not None:
                el[attr_name(m.group(20))] = ""
        else:  # a function: a named template's (its first group is the name), or a file's own render
            in_template = m.group(16) is not None
    close()
    return out


__all__ = ["TagUse", "TemplateFacts", "attr_value", "scan_gwx"]
