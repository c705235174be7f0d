"""The official WeChat template compiler (npm ``miniprogram-compiler``) as an oracle, where Node and the package
are installed (``npm install --prefix $MPSANDBOX_NPM miniprogram-compiler``; .ci/run does it). Tests skip without."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

NPM_PREFIX = Path(os.environ.get("MPSANDBOX_NPM", Path.home() / ".cache" / "mpsandbox" / "npm"))
RUNNER = r"""
const c = require(process.argv[2]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const code = c.wxmlToJs(process.argv[4]);
globalThis.window = globalThis;
globalThis.__wxAppCode__ = {};
const $gwx = new Function('global', code + '; return $gwx;')({});
const out = cases.map(([path, data]) => {
  try { return {tree: $gwx(path)(data, {}, {})}; } catch (e) { return {error: String(e)}; }
});
process.stdout.write(JSON.stringify(out));
"""


def compiler_dir() -> Path | None:
    pkg = NPM_PREFIX / "node_modules" / "miniprogram-compiler"
    if shutil.which("node") and (pkg / "package.json").exists():
        return pkg
    return None


def _write_project(tmp: Path, templates: dict[str, str]) -> Path:
    root = tmp / "proj"
    for path, text in templates.items():
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return root


def render_with_wcc(templates: dict[str, str], cases: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    pkg = compiler_dir()
    assert pkg is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = _write_project(Path(tmp), templates)
        (Path(tmp) / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
        (Path(tmp) / "run.js").write_text(RUNNER, encoding="utf-8")
        out = subprocess.run(["node", str(Path(tmp) / "run.js"), str(pkg), str(Path(tmp) / "cases.json"), str(root)],
                             capture_output=True, text=True, timeout=60)
        if out.returncode:
            return [{"error": out.stderr[-2000:]} for _ in cases]
        return json.loads(out.stdout)


def normalise_wcc(node: Any) -> Any:
    """wcc's virtual DOM in the shape of our trees: tags without 'wx-', texts merged, no empty texts."""
    if isinstance(node, str):
        return node
    children: list[Any] = []
    for c in node.get("children", []):
        c = normalise_wcc(c)
        if isinstance(c, list):  # virtual wrappers (wx-page, wx-block)
            for x in c:
                _append(children, x)
        else:
            _append(children, c)
    tag = node.get("tag", "")
    if tag in ("wx-page", "virtual", "wx-block", "block") or not tag:
        return children
    return {"t": tag.removeprefix("wx-"), "a": node.get("attr", {}), "c": children}


def _append(out: list[Any], x: Any) -> None:
    if isinstance(x, str):
        if x == "":
            return
        if out and isinstance(out[-1], str):
            out[-1] += x
            return
    out.append(x)


def ours_as_plain(el: Any) -> Any:
    """Our Element tree as plain data comparable with :func:`normalise_wcc`."""
    from mpsandbox.runtime.view.tree import Element

    out = []
    for c in el.children:
        if isinstance(c, Element):
            out.append({"t": c.tag, "a": c.attrs, "c": ours_as_plain(c)})
        else:
            _append(out, c)
    return out


def compile_with_wcc(templates: dict[str, str]) -> str:
    """The $gwx code wcc generates for these templates (what a .wxapkg carries)."""
    pkg = compiler_dir()
    assert pkg is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = _write_project(Path(tmp), templates)
        script = "process.stdout.write(require(process.argv[1]).wxmlToJs(process.argv[2]))"
        out = subprocess.run(["node", "-e", script, str(pkg), str(root)], capture_output=True, text=True, timeout=60)
        return out.stdout if out.returncode == 0 else ""
