"""Custom components in the view: each component element of a rendered tree gets a shadow tree rendered from the
component's own template and data, with the parent's children distributed into its ``<slot>``s.

The logic realm owns component instances; the composer tells it, after every render, which instances the tree
now holds (identity, component path, properties from the parent's attributes) through an
:class:`InstanceProvider`, and renders each instance's template with the data the provider answers. Instances
that vanished from the tree are released. Trees are never mutated for composition: an element's ``shadow`` holds
the component's rendered root and :func:`composed_children` gives the flat tree that queries and screenshots see.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from .tree import Element

if TYPE_CHECKING:
    from ...bundle import Bundle
    from .realm import RenderResult

MAX_COMPONENT_DEPTH = 32
MAX_INSTANCES = 2_000
NOT_PROPS = ("bind", "catch", "capture-", "mut-bind", "data-", "mark:", "generic:")
PLAIN_ATTRS = {"id", "class", "style", "slot", "hidden"}


@dataclass
class Instance:
    identity: str
    component: str  # module path of the component (without extension)
    props: dict[str, Any]
    element: Element


class InstanceProvider(Protocol):
    def sync(self, owner: str, instances: list[Instance]) -> dict[str, Any]:
        """Make the logic realm hold exactly these instances under ``owner`` (a page or component slot): create
        new ones, update properties of existing ones, release the rest. Returns each identity's data."""


def props_of(el: Element) -> dict[str, Any]:
    return {k: v for k, v in el.attrs.items() if not k.startswith(NOT_PROPS) and k not in PLAIN_ATTRS}


def element_path(el: Element) -> str:
    """A structural identity of ``el`` within its owner's tree: child indexes (with list keys where given)."""
    parts = []
    node = el
    while node.parent is not None:
        idx = next((i for i, c in enumerate(node.parent.children) if c is node), 0)
        parts.append(f"{idx}" if node.key is None else f"{idx}:{node.key}")
        node = node.parent
    return "/".join(reversed(parts))


def component_elements(tree: Element, owner_slot: str, owner_module: str,
                       resolve: Callable[[str, str], str | None],
                       limit: int = MAX_INSTANCES) -> list[tuple[str, str, Element]]:
    """(identity, component path, element) of each custom-component element of ``tree``, the template of
    ``owner_module`` rendered into ``owner_slot``; at most ``limit``."""
    out: list[tuple[str, str, Element]] = []
    for el in tree.raw_iter():
        if len(out) >= limit:
            break
        component = resolve(owner_module, el.tag)
        if component is not None:
            out.append((f"{owner_slot}/{element_path(el)}:{el.tag}", component, el))
    return out


@dataclass
class Composer:
    """Compose component shadows under a rendered tree."""

    render: Callable[[str, str, Any], RenderResult]  # (slot, component module, data)
    resolve: Callable[[str, str], str | None]  # (owner module, tag) -> component module or None
    provider: InstanceProvider
    problems: list[str] = field(default_factory=list)

    def compose(self, tree: Element, owner_slot: str, owner_module: str, depth: int = 0) -> int:
        """Attach shadows to every component element of ``tree``; returns how many instances it holds."""
        if depth > MAX_COMPONENT_DEPTH:
            self.problems.append(f"components nested deeper than {MAX_COMPONENT_DEPTH} under {owner_module}")
            return 0
        found = [Instance(identity, component, props_of(el), el)
                 for identity, component, el in component_elements(tree, owner_slot, owner_module, self.resolve)]
        if len(found) >= MAX_INSTANCES:
            self.problems.append(f"more than {MAX_INSTANCES} component instances under {owner_module}")
        data = self.provider.sync(owner_slot, found) if found or depth == 0 else {}
        total = len(found)
        for inst in found:
            res = self.render(inst.identity, inst.component, data.get(inst.identity) or {})
            shadow = res.tree
            shadow.parent = inst.element  # events bubble out of a shadow to its host
            for node in shadow.raw_iter():
                node.owner = inst.identity
            inst.element.shadow = shadow
            _distribute(inst.element, shadow)
            if res.error:
                self.problems.append(f"{inst.component}: {res.error}")
            total += self.compose(shadow, inst.identity, inst.component, depth + 1)
        return total


def _distribute(host: Element, shadow: Element) -> None:
    """Assign the host's children (from the parent's template) to the shadow's slots by ``slot`` name."""
    light_by_slot: dict[str, list[Element | str]] = {}
    for child in host.children:
        name = str(child.attrs.get("slot", "")) if isinstance(child, Element) else ""
        light_by_slot.setdefault(name, []).append(child)
    for node in shadow.raw_iter():
        if node.tag == "slot":
            node.assigned = light_by_slot.get(str(node.attrs.get("name", "")), [])


def component_resolver(bundle: Bundle) -> Callable[[str, str], str | None]:
    """usingComponents of the app and of each module, resolved to module paths present in the bundle."""
    files = bundle.files
    global_uses = dict(bundle.app.using_components)
    cache: dict[str, dict[str, str | None]] = {}

    def own_uses(owner: str) -> dict[str, Any]:
        path = owner + ".json"
        if path not in files:
            return {}
        try:
            data = json.loads(bundle.read_text(path))
        except (ValueError, RecursionError):
            return {}
        uses = data.get("usingComponents") if isinstance(data, dict) else None
        return uses if isinstance(uses, dict) else {}

    def table(owner: str) -> dict[str, str | None]:
        if owner not in cache:
            uses = {**global_uses, **own_uses(owner)}
            out: dict[str, str | None] = {}
            base = posixpath.dirname(owner)
            for tag, spec in uses.items():
                spec = str(spec).strip()
                if spec.startswith(("plugin://", "dynamicLib://", "ext://")):
                    out[tag] = None
                    continue
                path = posixpath.normpath(spec.lstrip("/") if spec.startswith("/") else posixpath.join(base, spec))
                for candidate in (path, path + "/index", f"miniprogram_npm/{spec}/index", f"miniprogram_npm/{spec}"):
                    if candidate + ".js" in files:
                        out[tag] = candidate
                        break
                else:
                    out[tag] = None
            cache[owner] = out
        return cache[owner]

    return lambda owner, tag: table(owner).get(tag)
