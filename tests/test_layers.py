"""The house's floors (see the README's architecture): the trace is the ground floor; apis never import the
runtime, the review or the report; the runtime never imports the review or the report; audits and reports read
traces, never the engine. Checked over every module's imports (also those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mpsandbox"


def module_of(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_of(p): p for p in PKG.rglob("*.py")}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The nodes under ``if TYPE_CHECKING:``: imports for annotations, never run."""
    return {id(d) for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
            for c in n.body for d in ast.walk(c)}


def imports_of(path: Path, *, annotations: bool = True) -> set[str]:
    """The mpsandbox modules ``path`` imports, as dotted names under ``mpsandbox`` (``from . import x`` names the
    submodule ``x``); without ``annotations``, imports made only for type checking are left out."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set() if annotations else _type_checking_only(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("mpsandbox")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("mpsandbox"):
                subs = {f"{name}.{a.name}" for a in node.names} & MODULES.keys()
                out |= subs or {name}
    return out


FORBIDDEN = {  # modules under the key never import modules under any of the values
    "mpsandbox.trace": ("mpsandbox.",),
    "mpsandbox.apis": ("mpsandbox.runtime", "mpsandbox.review", "mpsandbox.report", "mpsandbox.batch"),
    "mpsandbox.runtime": ("mpsandbox.review", "mpsandbox.report", "mpsandbox.batch"),
    "mpsandbox.review.audits": ("mpsandbox.runtime",),
    "mpsandbox.report": ("mpsandbox.runtime.engine", "mpsandbox.runtime.sandbox", "mpsandbox.runtime.walker"),
}


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_no_module_imports_upstairs(floor: str) -> None:
    parts = floor.split(".")[1:]
    target = PKG.joinpath(*parts)
    files = [target.with_suffix(".py")] if target.with_suffix(".py").exists() else sorted(target.rglob("*.py"))
    assert files
    bad = [f"{f.relative_to(PKG.parent)} imports {name}" for f in files for name in sorted(imports_of(f))
           if any(name == p.rstrip(".") or name.startswith(p if p.endswith(".") else p + ".") or name == p
                  for p in FORBIDDEN[floor])]
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    """No two modules need each other, at import time or inside functions (imports for annotations only aside):
    each floor and each room stands on the ones below it."""
    graph = {m: {d for d in imports_of(p, annotations=False) if d in MODULES and d != m} for m, p in MODULES.items()}
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == node:
                        break
                found.append(comp)
    return found


def test_the_cycle_check_sees_a_cycle() -> None:
    assert [c for c in strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) if len(c) > 1] == \
        [{"a", "b", "c"}]
