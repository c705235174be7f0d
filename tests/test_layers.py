"""The house's floors (see the README's architecture): the trace is the ground floor; apis never import the
runtime, the review or the report; the runtime never imports the review or the report; audits and reports read
traces, never the engine. Checked over every module's imports (also those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mpsandbox"


def imports_of(path: Path) -> set[str]:
    """The mpsandbox modules ``path`` imports, as dotted names under ``mpsandbox``."""
    module = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("mpsandbox")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("mpsandbox"):
                out.add(name)
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
