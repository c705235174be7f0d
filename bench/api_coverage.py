"""API coverage of real bundles against the catalogue: printed, never asserted.

    python bench/api_coverage.py DIR [DIR...] [--runtime] [--engine native|wasm] [--names] [--json OUT]

DIR is a bundle, or a folder of bundles (every folder holding an app.json or game.json, not inside another bundle
and not under node_modules). For each bundle:

- static: every `tt.X` / `wx.X` / `my.X` member use (and `wx.cloud.X`-style second levels for namespaces) in its
  JavaScript, with the bundle's own platform prefix, checked against the catalogue: names used, known, unknown;
- --runtime: one walk of the review (allow mode) counting the unknown-API events (reads of names the platform
  global lacks, but not names the bundle then defines itself, as the unknown-api audit) and the errors whose message says `is not a function` / `not extensible` / `of undefined`.

--names lists the unknown names with the bundles using them (the to-do list for the catalogue).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.apis.catalogue import Catalogue, load_catalogue  # noqa: E402

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FILES = 20_000
SKIP_DIRS = {"node_modules", ".git", "cloudfunctions"}
# `wx.X` and `wx.X.Y`, not inside a URL or host name (`//wx.qlogo.cn`) nor glued to other identifier characters
MEMBER = re.compile(r"(?<![A-Za-z0-9_$./])(tt|wx|my)\s*\.\s*([A-Za-z_$][A-Za-z0-9_$]*)(?![A-Za-z0-9_$\u0080-\uffff])"
                    r"(?:\s*\.\s*([A-Za-z_$][A-Za-z0-9_$]*))?")
ASSIGNED = re.compile(r"\s*(?:=(?!=)|\|\|=|\?\?=)")  # `wx.X = ...`: a name the bundle defines itself
ERROR_KINDS = {"not-a-function": re.compile(r"not a function"),
               "not-extensible": re.compile(r"not extensible|read-only|read only"),
               "of-undefined": re.compile(r"of undefined|of null|cannot read property", re.I)}


def bundle_roots(path: Path) -> list[Path]:
    """Folders holding app.json or game.json, shallowest first, none inside another."""
    if (path / "app.json").is_file() or (path / "game.json").is_file():
        return [path]
    roots: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d != "miniprogram_npm")
        if "app.json" in filenames or "game.json" in filenames:
            roots.append(Path(dirpath))
            dirnames[:] = []
    return roots


def platform_of(root: Path) -> str:
    for _, _, files in os.walk(root):
        for f in files:
            if f.endswith(".ttml"):
                return "tt"
            if f.endswith(".axml"):
                return "my"
    return "wx"


def js_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            if f.endswith((".js", ".mjs", ".sjs")) and len(out) < MAX_FILES:
                out.append(Path(dirpath) / f)
    return out


def known(cat: Catalogue, platform: str, name: str, sub: str | None) -> tuple[str, bool]:
    """(the name as reported, whether the catalogue has it). Namespaces (cloud, ap) are checked one level
    deeper: `wx.cloud.callFunction` is known when the catalogue has `cloud.callFunction`."""
    if name in cat.namespaces(platform):  # type: ignore[arg-type]
        if not sub:
            return name, True
        dotted = f"{name}.{sub}"
        return dotted, cat.resolve(platform, dotted) is not None  # type: ignore[arg-type]
    return name, cat.resolve(platform, name) is not None  # type: ignore[arg-type]


def static_scan(cat: Catalogue, root: Path, platform: str) -> Counter[tuple[str, bool]]:
    """(name, known) -> number of uses. Names the bundle assigns itself (`wx.webpackJsonp = ...`) count as known:
    they are its own, and the platform global accepts them."""
    uses: Counter[tuple[str, bool]] = Counter()
    defined: set[str] = set()
    found: list[tuple[str, str | None]] = []
    for f in js_files(root):
        try:
            if f.stat().st_size > MAX_FILE_BYTES:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for m in MEMBER.finditer(text):
            if m.group(1) != platform:
                continue
            if m.group(3) is None and ASSIGNED.match(text, m.end()):
                defined.add(m.group(2))
            found.append((m.group(2), m.group(3)))
    for name, sub in found:
        reported, ok = known(cat, platform, name, sub)
        uses[(reported, ok or name in defined)] += 1
    return uses


def runtime_scan(root: Path, platform: str, engine: str) -> dict[str, object]:
    from mpsandbox.review.gather import gather, load
    from mpsandbox.review.policy import resolve_policy

    bundle, failure = load(root, None)
    if bundle is None:
        return {"load_failure": getattr(failure, "message", str(failure))[:200]}
    art = gather(bundle, resolve_policy(None, bundle.platform), engine=engine, seed=0, deny=False, mocks=None,
                 platform=None)
    unknown: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    samples: dict[str, list[str]] = defaultdict(list)
    for run in art.runs:
        added = {n.data.get("name") for n in run.trace.of_kind("note")
                 if n.code == "platform-global-extended" and isinstance(n.data, dict)}
        for e in run.trace.api_calls():
            if e.outcome == "unknown" and e.called_as not in added:  # as the unknown-api audit counts them
                unknown[e.called_as] += 1
        for e in run.trace.of_kind("error"):
            for kind, rx in ERROR_KINDS.items():
                if rx.search(e.message):
                    errors[kind] += 1
                    if len(samples[kind]) < 3:
                        samples[kind].append(e.message[:160])
    return {"unknown_events": sum(unknown.values()), "unknown_names": sorted(unknown), "errors": dict(errors),
            "error_samples": dict(samples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--runtime", action="store_true", help="also walk each bundle once and count runtime misses")
    ap.add_argument("--engine", default="native", choices=["native", "wasm"])
    ap.add_argument("--names", action="store_true", help="list every unknown name with the bundles using it")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()
    cat = load_catalogue()
    roots = [r for d in args.dirs for r in bundle_roots(d)]
    total_used: set[tuple[str, str]] = set()
    total_unknown: dict[tuple[str, str], set[str]] = defaultdict(set)
    runtime_totals: Counter[str] = Counter()
    rows = []
    print(f"{'bundle':58} {'pf':2} {'used':>5} {'known':>5} {'unkn':>5}" + ("  rt-unkn  not-fn  not-ext" if args.runtime else ""))
    for root in roots:
        platform = platform_of(root)
        uses = static_scan(cat, root, platform)
        names = {n for n, _ in uses}
        unknown_names = sorted({n for n, ok in uses if not ok})
        for n in names:
            total_used.add((platform, n))
        for n in unknown_names:
            total_unknown[(platform, n)].add(root.name)
        row: dict[str, object] = {"bundle": str(root), "platform": platform, "used": len(names),
                                  "known": len(names) - len(unknown_names), "unknown": unknown_names}
        line = f"{str(root)[-58:]:58} {platform:2} {len(names):5} {len(names) - len(unknown_names):5} {len(unknown_names):5}"
        if args.runtime:
            try:
                rt = runtime_scan(root, platform, args.engine)
            except Exception as exc:  # noqa: BLE001 - a figure, not a verdict
                rt = {"crash": f"{type(exc).__name__}: {exc}"[:200]}
            row["runtime"] = rt
            errs = rt.get("errors", {}) if isinstance(rt.get("errors"), dict) else {}
            runtime_totals["unknown_events"] += int(rt.get("unknown_events", 0) or 0)  # type: ignore[arg-type]
            for k, v in errs.items():  # type: ignore[union-attr]
                runtime_totals[k] += v
            line += f"  {rt.get('unknown_events', '-')!s:>7} {errs.get('not-a-function', 0):7} {errs.get('not-extensible', 0):8}"
            if "crash" in rt or "load_failure" in rt:
                line += f"  ({rt.get('crash') or rt.get('load_failure')})"
        rows.append(row)
        print(line)
    print(f"\n{len(roots)} bundles; distinct API names used {len(total_used)}, unknown {len(total_unknown)}")
    if args.runtime:
        print("runtime: " + ", ".join(f"{k} {v}" for k, v in sorted(runtime_totals.items())))
    if args.names and total_unknown:
        print("\nunknown names:")
        for (platform, n), where in sorted(total_unknown.items()):
            print(f"  {platform}.{n}  ({len(where)}: {', '.join(sorted(where)[:4])})")
    if args.json:
        args.json.write_text(json.dumps({"bundles": rows, "unknown": {f"{p}.{n}": sorted(w) for (p, n), w in
                                                                       total_unknown.items()},
                                         "runtime": dict(runtime_totals)}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
