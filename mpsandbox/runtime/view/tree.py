"""The rendered element tree as the host sees it: elements with evaluated attributes, datasets and bindings, and
CSS-like queries over them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

# bindtap, bind:tap, catchtap, catch:tap, capture-bind:tap, capture-catch:tap, mut-bind:tap; Alipay onTap/catchTap
_BIND = re.compile(r"^(capture-bind|capture-catch|mut-bind|bind|catch)(?::)?([A-Za-z][\w-]*)$")
_ALIPAY = re.compile(r"^(on|catch)([A-Z]\w*)$")


def camel(name: str) -> str:
    parts = name.split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


@dataclass
class Binding:
    event: str  # normalised: 'tap', 'input', 'change'...
    handler: Any  # a name (str); a dynamic binding evaluates to its value
    kind: str  # bind, catch, capture-bind, capture-catch, mut-bind


@dataclass
class Element:
    tag: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list["Element | str"] = field(default_factory=list)
    line: int = 0
    key: Any = None
    parent: "Element | None" = field(default=None, repr=False, compare=False)
    owner: Any = field(default=None, repr=False, compare=False)  # the component instance whose template made it
    shadow: "Element | None" = field(default=None, repr=False, compare=False)  # a component's rendered template
    assigned: "list[Element | str] | None" = field(default=None, repr=False, compare=False)  # a slot's content
    source: str | None = field(default=None, repr=False, compare=False)  # "file#n": the template node it came from

    # ---- attributes ----------------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        v = self.attrs.get("id")
        return "" if v is None else str(v)

    @property
    def classes(self) -> list[str]:
        v = self.attrs.get("class")
        return str(v).split() if v not in (None, "") else []

    @property
    def dataset(self) -> dict[str, Any]:
        return {camel(k[5:]): v for k, v in self.attrs.items() if k.startswith("data-")}

    @property
    def bindings(self) -> list[Binding]:
        out: list[Binding] = []
        for name, value in self.attrs.items():
            am = _ALIPAY.match(name)  # Alipay's onTap / catchLongTap (WeChat and Douyin names are lower case)
            if am:
                ev = am.group(2)[0].lower() + am.group(2)[1:]
                out.append(Binding(event=ev, handler=value, kind="bind" if am.group(1) == "on" else "catch"))
                continue
            m = _BIND.match(name)
            if m:
                out.append(Binding(event=m.group(2).lower() if ":" not in name else m.group(2), handler=value,
                                   kind=m.group(1)))
        return out

    @property
    def hidden(self) -> bool:
        v = self.attrs.get("hidden")
        return v not in (None, False, "false", "", 0)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for node in self.walk_all():
            if isinstance(node, str):
                parts.append(node)
        return "".join(parts)

    # ---- traversal ----------------------------------------------------------------------------------------------------
    def composed(self) -> list["Element | str"]:
        """The children a user sees: a component element shows its shadow tree (``shadow``), a slot the content
        assigned to it; for anything else, its own children."""
        base = self.shadow.children if self.shadow is not None else self.children
        if self.shadow is None and not any(isinstance(n, Element) and n.assigned is not None for n in base):
            return base
        return [node for node, _ in self.composed_slots()]

    def composed_slots(self) -> list[tuple["Element | str", "Element | None"]]:
        """:meth:`composed`, each node with the slot it was assigned through (None when it was not)."""
        out: list[tuple[Element | str, Element | None]] = []
        for node in self.shadow.children if self.shadow is not None else self.children:
            if isinstance(node, Element) and node.tag == "slot" and node.assigned is not None:
                out.extend((a, node) for a in node.assigned)
            else:
                out.append((node, None))
        return out

    def walk_all(self) -> Iterator["Element | str"]:
        """Every descendant (elements and texts) of the composed tree in document order, iteratively."""
        stack: list[Element | str] = list(reversed(self.composed()))
        count = 0
        while stack:
            node = stack.pop()
            count += 1
            if count > 500_000:  # a slot assigned into itself cannot loop forever
                return
            yield node
            if isinstance(node, Element):
                stack.extend(reversed(node.composed()))

    def raw_iter(self) -> Iterator["Element"]:
        """Elements of this tree's own template (light children included, shadows not), in document order."""
        stack: list[Element | str] = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if isinstance(node, Element):
                yield node
                stack.extend(reversed(node.children))

    def iter(self) -> Iterator["Element"]:
        for node in self.walk_all():
            if isinstance(node, Element):
                yield node

    def ancestors(self) -> Iterator["Element"]:
        """Up the tree the element was rendered in; from a component's shadow root on to its host element."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def composed_ancestors(self) -> Iterator["Element"]:
        """Up the composed tree, the way tap and touch events travel: content a parent placed in a component's
        ``<slot>`` goes up through the slot and the component's own elements around it, then to the component's
        element and on (WeChat "component events": bubbling, composed)."""
        node = self
        for _ in range(100_000):  # bounded: a slot assigned into itself cannot loop forever
            parent = node.parent
            if parent is None:
                return
            slot = _slot_holding(parent.shadow, node) if parent.shadow is not None else None
            node = slot if slot is not None else parent
            yield node

    def query_all(self, selector: str) -> list["Element"]:
        return [e for e in self.iter() if matches(e, selector)]

    def query(self, selector: str) -> "Element | None":
        for e in self.iter():
            if matches(e, selector):
                return e
        return None

    # ---- metrics and text form ----------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        count = depth_max = children_max = 0
        stack: list[tuple[Element, int]] = [(self, 0)]
        while stack:
            node, depth = stack.pop()
            elems = [c for c in node.composed() if isinstance(c, Element)]
            children_max = max(children_max, len(elems))
            for c in elems:
                count += 1
                depth_max = max(depth_max, depth + 1)
                stack.append((c, depth + 1))
        return {"nodes": count, "depth": depth_max, "max_children": children_max}

    def pretty(self, indent: str = "  ") -> str:
        """A readable text form for snapshot tests."""
        lines: list[str] = []
        stack: list[tuple[Element | str, int]] = [(c, 0) for c in reversed(self.children)]
        while stack:
            node, depth = stack.pop()
            pad = indent * depth
            if isinstance(node, str):
                text = node.strip()
                if text:
                    lines.append(f"{pad}{text!r}")
                continue
            attrs = "".join(f" {k}={_short(v)}" for k, v in node.attrs.items())
            lines.append(f"{pad}<{node.tag}{attrs}>")
            stack.extend((c, depth + 1) for c in reversed(node.composed()))
        return "\n".join(lines)


def _short(v: Any) -> str:
    return repr(v) if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def from_json(tree: list[Any], tag: str = "#root") -> Element:
    """Build Elements from the view realm's JSON (iteratively)."""
    root = Element(tag)
    stack: list[tuple[Element, list[Any]]] = [(root, tree)]
    while stack:
        parent, items = stack.pop()
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                parent.children.append(item)
            elif isinstance(item, dict):
                attrs = item.get("a") if isinstance(item.get("a"), dict) else {}
                line = item.get("l")
                el = Element(str(item.get("t", "")), dict(attrs), [], line if isinstance(line, int) else 0,
                             item.get("k"), parent)
                if isinstance(item.get("n"), str):
                    el.source = item["n"]
                parent.children.append(el)
                stack.append((el, item.get("c") or []))
    return root


def _node(item: Any, parent: Element) -> "Element | str":
    if isinstance(item, str):
        return item
    sub = from_json([item])
    el = sub.children[0] if sub.children else ""
    if isinstance(el, Element):
        el.parent = parent
    return el


@dataclass
class Changes:
    """What patches changed in a tree, for whoever scans it again: the elements whose attributes changed or that
    are new (``deep``: with everything under them), in document order, and whether elements were added, removed,
    replaced or re-keyed (``structure``: child indexes, keys and the set of elements may differ)."""

    elements: list[tuple["Element", bool]] = field(default_factory=list)
    structure: bool = False

    def iter(self) -> Iterator["Element"]:
        """The changed elements, each once, new subtrees whole (composed, as ``Element.iter``)."""
        seen: set[int] = set()
        for el, deep in self.elements:
            for node in (el, *el.iter()) if deep else (el,):
                if id(node) not in seen:
                    seen.add(id(node))
                    yield node


def apply_patches(root: Element, patches: list[Any], changes: Changes | None = None) -> int:
    """Apply the view realm's patches (see view.js ``diffNode``) to ``root``; returns how many applied. ``changes``
    (when given) gathers what they changed."""
    done = 0
    for patch in patches:
        if not isinstance(patch, list) or len(patch) < 3:
            continue
        op, path = patch[0], patch[1]
        target: Element | str = root
        parent: Element | None = None
        ok = True
        for i in path if isinstance(path, list) else []:
            if not isinstance(target, Element) or not isinstance(i, int) or not 0 <= i < len(target.children):
                ok = False
                break
            parent, target = target, target.children[i]
        if not ok:
            continue
        if op == "node" and parent is not None:
            new = parent.children[path[-1]] = _node(patch[2], parent)
            if changes is not None and (isinstance(new, Element) or isinstance(target, Element)):
                changes.structure = True
                if isinstance(new, Element):
                    changes.elements.append((new, True))
        elif op == "node" and parent is None and isinstance(patch[2], list):
            root.children = from_json(patch[2]).children
            for child in root.children:
                if isinstance(child, Element):
                    child.parent = root
                    if changes is not None:
                        changes.elements.append((child, True))
            if changes is not None:
                changes.structure = True
        elif not isinstance(target, Element):
            continue
        elif op == "set" and len(patch) >= 4:
            target.attrs[str(patch[2])] = patch[3]
            if changes is not None:
                changes.elements.append((target, False))
        elif op == "del":
            target.attrs.pop(str(patch[2]), None)
        elif op == "key":
            target.key = patch[2]
            if changes is not None:
                changes.structure = True
        elif op == "add":
            child = _node(patch[2], target)
            if isinstance(child, str) and target.children and isinstance(target.children[-1], str):
                target.children[-1] += child
            else:
                target.children.append(child)
            if changes is not None and isinstance(child, Element):
                changes.structure = True
                changes.elements.append((child, True))
        elif op == "trunc" and isinstance(patch[2], int):
            if changes is not None and any(isinstance(c, Element) for c in target.children[patch[2]:]):
                changes.structure = True
            del target.children[patch[2]:]
        else:
            continue
        done += 1
    return done


# ---- selectors: tag, #id, .class, [attr], [attr=value], descendant (space) and child (>) combinators -------------
_SIMPLE = re.compile(r"""([\w-]+|\*)?((?:[#.][\w-]+|\[[\w:-]+(?:=(?:"[^"]*"|'[^']*'|[^\]]*))?\])*)""")
_PART = re.compile(r"""([#.])([\w-]+)|\[([\w:-]+)(?:=("[^"]*"|'[^']*'|[^\]]*))?\]""")


def _simple_match(e: Element, simple: str) -> bool:
    m = _SIMPLE.fullmatch(simple)
    if not m:
        raise ValueError(f"unsupported selector part {simple!r}")
    tag, rest = m.group(1), m.group(2)
    if tag and tag != "*" and e.tag != tag:
        return False
    for pm in _PART.finditer(rest or ""):
        if pm.group(1) == "#" and e.id != pm.group(2):
            return False
        if pm.group(1) == "." and pm.group(2) not in e.classes:
            return False
        if pm.group(3):
            name = pm.group(3)
            if name not in e.attrs:
                return False
            if pm.group(4) is not None:
                want = pm.group(4).strip("\"'")
                if str(e.attrs[name]) != want:
                    return False
    return True


def matches(e: Element, selector: str) -> bool:
    for alternative in selector.split(","):
        tokens = alternative.replace(">", " > ").split()
        if tokens and _match_chain(e, tokens):
            return True
    return False


def _slot_holding(shadow: Element, light_child: Element) -> Element | None:
    """The slot of ``shadow`` that ``light_child`` (a child of the component's element) is assigned to."""
    for node in shadow.raw_iter():
        if node.tag == "slot" and node.assigned and any(a is light_child for a in node.assigned):
            return node
    return None


def _match_chain(e: Element, tokens: list[str]) -> bool:
    if not _simple_match(e, tokens[-1]):
        return False
    rest = tokens[:-1]
    if not rest:
        return True
    if rest[-1] == ">":
        parent = e.parent
        return parent is not None and parent.tag != "#root" and _match_chain(parent, rest[:-1])
    for anc in e.ancestors():
        if anc.tag != "#root" and _match_chain(anc, rest):
            return True
    return False
