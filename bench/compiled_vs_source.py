"""Review a WeChat source project and its compiled form (.wxapkg packages) and print every difference (issue 9:
"compiled and source forms of the same app give the same pages, handlers and findings").

    python bench/compiled_vs_source.py SRC [--compiled DIR] [--only PREFIX ...] [--max-pages N]
                                       [--static-only] [--isolation none|process] [--json OUT]

Without --compiled the compiled form is built first with bench/compile_wxapkg.py (the real wcc) into a temporary
folder. --only/--max-pages walk a subset of the pages (the static comparison always covers the whole app). Prints,
per form: pages visited/declared, handlers fired/bound, findings by rule, errors; then each difference: pages and
their packages, event bindings and component usages per page, JS modules, review findings (rule, file, line),
the pages each walk visited, the handlers it fired (page, handler, component), API calls and errors by class.
Exit status 1 when the forms differ.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compile_wxapkg import build  # noqa: E402

from mpsandbox.review import ReviewOptions  # noqa: E402
from mpsandbox.review.gather import gather, load  # noqa: E402
from mpsandbox.review.policy import resolve_policy  # noqa: E402
from mpsandbox.review.runner import build_report  # noqa: E402
from mpsandbox.runtime.view.expr import ExprError, parse_expression  # noqa: E402
from mpsandbox.runtime.walker import page_bindings  # noqa: E402


def _canonical(mustache: str) -> str:
    """An expression as its syntax tree: wcc prints expressions again from their tree, without the source's spaces
    and redundant parentheses ({{ a || (b && c) }} is {{a || b && c}})."""
    body = mustache[2:-2]
    try:
        return "{{" + repr(parse_expression(body)) + "}}"
    except ExprError:
        return re.sub(r"\s+", "", mustache)


def _expr_text(text: str, dynamic: bool = True) -> str:
    """Expressions by meaning: the compiled form keeps an expression's meaning only."""
    if not dynamic or "{{" not in text:
        return text
    return re.sub(r"\{\{.*?\}\}", lambda m: _canonical(m.group(0)), text, flags=re.S)


def _usage(u: dict) -> str:
    u = {**u, "bindings": sorted(({**b, "handler": _expr_text(b["handler"])} for b in u.get("bindings", [])),
                                  key=repr), "dataset": {k: _expr_text(v) for k, v in
                                                                              u.get("dataset", {}).items()}}
    return json.dumps(u, sort_keys=True)


def static_facts(bundle) -> dict[str, Any]:
    routes = [p.route for p in bundle.pages]
    return {
        "pages": {p.route: (p.package, p.exists, p.tab) for p in bundle.pages},
        # a dynamic handler's expression is compared without spaces: the compiled form only keeps its meaning
        "bindings": {p.route: sorted({(_expr_text(b.handler), b.event, b.kind, b.tag, tuple(sorted((k, _expr_text(v)) for k, v in b.dataset.items())), _expr_text(b.id),
                                       _expr_text(b.open_type or ""), b.component, b.owner, b.dynamic) for b in p.bindings}, key=repr)
                     for p in bundle.facts.pages},
        "walk bindings": {r: sorted({(_expr_text(b.handler), b.event, b.component, _expr_text(b.open_type or ""), b.tag,
                                      tuple(sorted((k, _expr_text(v) if isinstance(v, str) else v)
                                                   for k, v in b.attrs.items())))
                                     for b in page_bindings(bundle, r)}, key=repr)
                          for r in routes},
        "components": {r: sorted(_usage(u) for u in bundle.component_usages(r)) for r in routes},
        "modules": {p: bundle.read_text(p).rstrip() for p in bundle.files if p.endswith(".js")},
        "app": {"permission": bundle.app.permission, "requiredPrivateInfos": bundle.app.required_private_infos,
                "tabs": bundle.tab_pages, "entry": bundle.entry_page},
        "problems": sorted({(p.code, p.file or "") for p in bundle.problems}),
    }


def run_review(path: Path, args) -> dict[str, Any]:
    t0 = time.perf_counter()
    bundle, failure = load(path, None)
    if bundle is None:
        return {"error": str(failure)}
    facts = static_facts(bundle)
    t_load = time.perf_counter() - t0
    out: dict[str, Any] = {"static": facts, "load_s": t_load}
    if args.static_only:
        return out
    keep = [p for p in bundle.pages if not args.only or p.route.startswith(tuple(args.only))]
    if args.max_pages:
        keep = keep[:args.max_pages]
    bundle.pages[:] = keep
    opts = ReviewOptions(engine=args.engine, isolation=args.isolation)
    policy = resolve_policy(None, bundle.platform)
    art = gather(bundle, policy, engine=args.engine, isolated=args.isolation == "process")
    report = build_report(art, policy, opts)
    run = art.runs[0] if art.runs else None
    users = Counter()
    errors = Counter()
    apis = Counter()
    if run is not None:
        for e in run.trace.events:
            if e.kind == "user" and e.handler:
                users[(e.page or "", e.handler, e.target or "")] += 1
            elif e.kind == "error":
                top = e.stack[0].file if e.stack else ""
                errors[(e.error, e.page or "", top, e.message[:120])] += 1
            elif e.kind == "api":
                apis[(e.called_as, e.page or "")] += 1
    figures = report.runs[0] if report.runs else None
    cov = figures.coverage if figures else None
    out.update(
        seconds=time.perf_counter() - t0,
        pages=(cov.pages_visited, cov.pages_declared) if cov else None,
        handlers=(cov.handlers_fired, cov.handlers_bound) if cov else None,
        errors_app=cov.errors_app if cov else None,
        errors_sandbox=cov.errors_sandbox if cov else None,
        visited=sorted(run.pages_visited) if run else [],
        failed=sorted(run.pages_failed) if run else [],
        redirected=dict(run.pages_redirected) if run else {},
        users=users, errors=errors, apis=apis,
        by_rule=Counter(f.rule for f in report.findings),
        # lines in JSON files are not compared: the compiled form's app.json and page JSON are rebuilt from
        # app-config.json, so their layout is not the developer's
        findings=Counter((f.rule, f.location.file if f.location else "",
                          (f.location.line or 0) if f.location and not f.location.file.endswith(".json") else 0,
                          f.message[:160]) for f in report.findings),
        evidence_files=Counter((f.rule, ev.location.file) for f in report.findings for ev in f.evidence
                               if ev.location is not None),
        verdict=report.verdict.value,
    )
    return out


def _diff_dict(name: str, a: dict, b: dict, out: list[str], limit: int) -> int:
    n = 0
    for k in sorted(set(a) | set(b), key=repr):
        if a.get(k) != b.get(k):
            n += 1
            if n <= limit:
                out.append(f"{name} {k!r}:\n    source:   {_short(a.get(k))}\n    compiled: {_short(b.get(k))}")
    return n


def _diff_counter(name: str, a: Counter, b: Counter, out: list[str], limit: int) -> int:
    n = 0
    for k in sorted(set(a) | set(b), key=repr):
        if a.get(k, 0) != b.get(k, 0):
            n += 1
            if n <= limit:
                out.append(f"{name} {k!r}: source {a.get(k, 0)}, compiled {b.get(k, 0)}")
    return n


def _short(v: Any, width: int = 400) -> str:
    s = repr(v)
    return s if len(s) <= width else s[:width] + f"... ({len(s)} chars)"


def compare(a: dict[str, Any], b: dict[str, Any], limit: int) -> tuple[dict[str, int], list[str]]:
    lines: list[str] = []
    counts: dict[str, int] = {}
    sa, sb = a["static"], b["static"]
    for key in ("pages", "bindings", "walk bindings", "components", "modules", "app"):
        counts[key] = _diff_dict(key, sa[key], sb[key], lines, limit)
    counts["problems"] = _diff_dict("problem", dict.fromkeys(sa["problems"], 1), dict.fromkeys(sb["problems"], 1),
                                    lines, limit)
    if "visited" in a and "visited" in b:
        counts["pages visited"] = _diff_counter("visited", Counter(a["visited"]), Counter(b["visited"]), lines,
                                                limit)
        counts["pages failed"] = _diff_counter("failed", Counter(a["failed"]), Counter(b["failed"]), lines, limit)
        counts["redirected"] = _diff_dict("redirected", a["redirected"], b["redirected"], lines, limit)
        counts["handlers fired"] = _diff_counter("handler", a["users"], b["users"], lines, limit)
        counts["findings"] = _diff_counter("finding", a["findings"], b["findings"], lines, limit)
        counts["evidence files"] = _diff_counter("evidence", a["evidence_files"], b["evidence_files"], lines,
                                                 limit)
        counts["api calls"] = _diff_counter("api", a["apis"], b["apis"], lines, limit)
        counts["errors"] = _diff_counter("error", a["errors"], b["errors"], lines, limit)
    return counts, lines


def summary(label: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{label}: not loaded: {r['error']}"
    s = r["static"]
    bound = sum(len(v) for v in s["bindings"].values())
    head = (f"{label:9} load {r['load_s']:.1f}s  pages {len(s['pages'])}  bindings {bound}  "
            f"modules {len(s['modules'])}")
    if "pages" not in r:
        return head
    rules = ", ".join(f"{k} {v}" for k, v in sorted(r["by_rule"].items()))
    return (f"{head}\n          review {r['seconds']:.0f}s  pages visited {r['pages'][0]}/{r['pages'][1]}  "
            f"handlers fired {r['handlers'][0]}/{r['handlers'][1]}  errors app {r['errors_app']} sandbox "
            f"{r['errors_sandbox']}  verdict {r['verdict']}\n          findings by rule: {rules}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("--compiled", type=Path, default=None, help="a folder of .wxapkg files (default: build one)")
    ap.add_argument("--only", nargs="*", default=None, help="walk only pages whose route starts with these")
    ap.add_argument("--max-pages", type=int, default=0)
    ap.add_argument("--static-only", action="store_true")
    ap.add_argument("--engine", default="native", choices=["native", "wasm"])
    ap.add_argument("--isolation", default="none", choices=["none", "process"])
    ap.add_argument("--limit", type=int, default=40, help="differences printed per kind")
    ap.add_argument("--json", type=Path, default=None, help="write the difference counts here")
    args = ap.parse_args()
    tmp = None
    compiled = args.compiled
    if compiled is None:
        tmp = tempfile.TemporaryDirectory()
        compiled = Path(tmp.name) / "packages"
        t0 = time.perf_counter()
        sizes = build(args.src, compiled)
        print(f"compiled form: {len(sizes)} packages, {sum(sizes.values())} bytes, "
              f"{time.perf_counter() - t0:.1f}s")
    a = run_review(args.src, args)
    b = run_review(compiled, args)
    print(summary("source", a))
    print(summary("compiled", b))
    if "error" in a or "error" in b:
        sys.exit(2)
    counts, lines = compare(a, b, args.limit)
    print("\ndifferences:")
    for line in lines:
        print("  " + line)
    print("\ndifference counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; total "
          f"{sum(counts.values())}")
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1))
    if tmp is not None:
        tmp.cleanup()
    sys.exit(1 if sum(counts.values()) else 0)


if __name__ == "__main__":
    main()
