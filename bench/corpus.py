"""Review every bundle in a directory and print one row per bundle, then totals (issue 9).

    python bench/corpus.py DIR [DIR...] [--engine native] [--mock FILE] [--json OUT]

A bundle is a subfolder, a .zip or a .wxapkg of DIR (a DIR that is itself a bundle, with an app.json, a
project config or an __APP__.wxapkg, counts as one). Bundles that do not load get a row with the load error. Columns: loaded, pages visited/declared, handlers
fired/bound, errors by class (uncaught, unhandled-rejection, module, framework...) and by cause (app / sandbox),
unknown APIs, wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpsandbox.apis.mocks import load_mock_file  # noqa: E402
from mpsandbox.batch.sources import is_bundle_dir  # noqa: E402
from mpsandbox.review import ReviewOptions, review  # noqa: E402

BUNDLE_SUFFIXES = (".zip", ".wxapkg")


def bundles_in(directory: Path) -> list[Path]:
    if is_bundle_dir(directory) or directory.suffix.lower() in BUNDLE_SUFFIXES:
        return [directory]
    return sorted(p for p in directory.iterdir()
                  if (p.is_dir() and not p.name.startswith((".", "_"))) or p.suffix.lower() in BUNDLE_SUFFIXES)


def review_row(path: Path, engine: str, mocks) -> dict:
    t0 = time.perf_counter()
    row: dict = {"bundle": path.name}
    try:
        report = review(path, ReviewOptions(engine=engine, mocks=mocks))
    except Exception as exc:  # noqa: BLE001 - one broken bundle must not stop the bench
        row.update(loaded=False, load_error=f"{type(exc).__name__}: {exc}"[:200], seconds=time.perf_counter() - t0)
        return row
    row["seconds"] = time.perf_counter() - t0
    if not report.runs:
        unloadable = next((f for f in report.findings if f.rule == "bundle-unloadable"), None)
        row.update(loaded=False, load_error=(unloadable.message if unloadable else report.error or "?")[:200])
        return row
    run = report.runs[0]
    cov = run.coverage
    row.update(
        loaded=True,
        pages=(cov.pages_visited, cov.pages_declared),
        handlers=(cov.handlers_fired, cov.handlers_bound),
        errors_app=cov.errors_app,
        errors_sandbox=cov.errors_sandbox,
        causes={c.cause: c.count for c in cov.error_causes},
        unknown_apis=len(cov.unknown_apis),
        unknown_api_names=list(cov.unknown_apis)[:50],
        cause_examples={c.cause: c.example for c in cov.error_causes if c.origin == "sandbox"},
        budget_notes=len(cov.budget_notes),
        end=run.end_reason,
        findings=len(report.findings),
        verdict=report.verdict.value,
    )
    row["error_classes"] = dict(cov.errors_by_class)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--engine", default="native", choices=["native", "wasm"])
    ap.add_argument("--mock", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    mocks = load_mock_file(args.mock) if args.mock else None
    rows = []
    paths = [p for d in args.dirs for p in bundles_in(d)]
    print(f"{'bundle':44} {'pages':>9} {'handlers':>11} {'err app':>7} {'err sbx':>7} {'unk':>4} {'notes':>5} "
          f"{'time':>7}  app errors by class")
    for path in paths:
        row = review_row(path, args.engine, mocks)
        rows.append(row)
        name = row["bundle"][:44]
        if not row["loaded"]:
            print(f"{name:44} not loaded: {row['load_error']}")
            continue
        pv, pd = row["pages"]
        hf, hb = row["handlers"]
        classes = ", ".join(f"{k} {v}" for k, v in sorted(row["error_classes"].items()))
        print(f"{name:44} {pv:>4}/{pd:<4} {hf:>5}/{hb:<5} {row['errors_app']:>7} {row['errors_sandbox']:>7} "
              f"{row['unknown_apis']:>4} {row['budget_notes']:>5} {row['seconds']:>6.1f}s  {classes}")
    loaded = [r for r in rows if r["loaded"]]
    total = Counter()
    causes: Counter = Counter()
    for r in loaded:
        total["pages_visited"] += r["pages"][0]
        total["pages_declared"] += r["pages"][1]
        total["handlers_fired"] += r["handlers"][0]
        total["handlers_bound"] += r["handlers"][1]
        total["errors_app"] += r["errors_app"]
        total["errors_sandbox"] += r["errors_sandbox"]
        total["unknown_apis"] += r["unknown_apis"]
        causes.update(r["causes"])
    seconds = sum(r["seconds"] for r in rows)
    per_page = total["errors_app"] / total["pages_visited"] if total["pages_visited"] else 0.0
    print(f"\ntotals: {len(loaded)}/{len(rows)} loaded; pages {total['pages_visited']}/{total['pages_declared']}; "
          f"handlers {total['handlers_fired']}/{total['handlers_bound']}; errors app {total['errors_app']} "
          f"({per_page:.2f} per visited page), sandbox {total['errors_sandbox']}; unknown APIs "
          f"{total['unknown_apis']}; {seconds:.1f} s")
    print("errors by cause: " + ", ".join(f"{k} {v}" for k, v in causes.most_common()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
