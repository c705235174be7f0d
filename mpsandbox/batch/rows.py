"""One table row per bundle, made from its JSON report (read defensively: sections may be absent or newer)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..review.model import CATEGORIES

BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bundle", "string"),
    ("name", "string"),
    ("content_hash", "string"),
    ("key", "string"),
    ("status", "string"),  # ok: reviewed (a bundle that failed to load too), crashed, error
    ("verdict", "string"),  # approve, flag, reject; crashed or error when there is no review
    ("exit_code", "int"),
    ("platform", "string"),
    ("policy", "string"),
    ("load_error", "string"),
    ("error", "string"),
    ("findings", "int"),
    ("errors", "int"),
    ("warnings", "int"),
    ("infos", "int"),
    ("score", "int"),  # the experience score, 0-100 (none when the bundle was not walked)
)
FIGURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("pages_declared", "int"),
    ("pages_visited", "int"),
    ("pages_failed", "int"),
    ("handlers_fired", "int"),
    ("handlers_missing", "int"),
    ("api_calls", "int"),
    ("turns", "int"),
    ("virtual_ms", "int"),
    ("cpu_units", "int"),
    ("js_peak_memory_bytes", "int"),
    ("end_reason", "string"),
)
# Measured, so they differ from run to run: leave them out when comparing tables.
# seconds: wall time of the review; cpu_seconds: CPU time of the thread that ran it; worker_reviews: how many
# reviews its worker process had done with this one; started_at: when the review started (Unix time, seconds).
TIMING_COLUMNS: tuple[str, ...] = ("seconds", "cpu_seconds", "worker_rss_bytes", "worker_peak_rss_bytes", "worker",
                                   "worker_reviews", "started_at")
TIMING_TYPES = {"seconds": "float", "cpu_seconds": "float", "worker_rss_bytes": "int", "worker_peak_rss_bytes": "int",
                "worker": "string", "worker_reviews": "int", "started_at": "float"}
UNLOADABLE_RULE = "bundle-unloadable"
MAX_COVERAGE_FIELDS = 64


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _allow_run(report: dict[str, Any]) -> dict[str, Any]:
    runs = [r for r in report.get("runs") or [] if isinstance(r, dict)]
    for r in runs:
        if r.get("mode") == "allow":
            return r
    return runs[0] if runs else {}


def _coverage(report: dict[str, Any], run: dict[str, Any]) -> dict[str, int | float]:
    """Numbers of the coverage section (the report's or the walk's), lists as their length."""
    cov = report.get("coverage")
    if not isinstance(cov, dict):
        cov = run.get("coverage")
    if not isinstance(cov, dict):
        return {}
    out: dict[str, int | float] = {}
    for k, v in list(cov.items())[:MAX_COVERAGE_FIELDS]:
        if isinstance(v, bool):
            out[k] = int(v)
        elif isinstance(v, (int, float)):
            out[k] = v
        elif isinstance(v, (list, dict)):
            out[f"{k}_count"] = len(v)
    return out


def report_row(report: dict[str, Any]) -> dict[str, Any]:
    """The row of one review (the bundle-independent part: path, hash and timing are added by the caller)."""
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    counts = report.get("counts") if isinstance(report.get("counts"), dict) else {}
    bundle = report.get("bundle") if isinstance(report.get("bundle"), dict) else {}
    run = _allow_run(report)
    runs = [r for r in report.get("runs") or [] if isinstance(r, dict)]
    unloadable = next((f for f in findings if f.get("rule") == UNLOADABLE_RULE), None)
    by_category = Counter(str(f.get("category")) for f in findings)
    by_rule = Counter(str(f.get("rule")) for f in findings)
    verdict = report.get("verdict")
    return {
        "status": "ok",
        "verdict": str(verdict) if verdict is not None else None,
        "exit_code": _int(report.get("exit_code")),
        "platform": bundle.get("platform"),
        "policy": report.get("policy"),
        "load_error": str(unloadable.get("message")) if unloadable else None,
        "error": report.get("error"),
        "findings": len(findings),
        "errors": _int(counts.get("error")) or 0,
        "warnings": _int(counts.get("warning")) or 0,
        "infos": _int(counts.get("info")) or 0,
        "score": _int((report.get("score") or {}).get("score")) if isinstance(report.get("score"), dict) else None,
        "categories": {c: by_category.get(c, 0) for c in CATEGORIES},
        "rules": dict(sorted(by_rule.items())),
        "pages_declared": _int(bundle.get("pages")) or 0,
        "pages_visited": len(set(run.get("pages_visited") or [])),
        "pages_failed": len(set(run.get("pages_failed") or [])),
        "handlers_fired": _int(run.get("handlers_fired")) or 0,
        "handlers_missing": _int(run.get("handlers_missing")) or 0,
        "api_calls": _int(run.get("api_calls")) or 0,
        "turns": _int(run.get("turns")) or 0,
        "virtual_ms": _int(run.get("virtual_ms")) or 0,
        "cpu_units": _int(run.get("cpu_units")) or 0,
        "js_peak_memory_bytes": max((_int(r.get("peak_memory_bytes")) or 0 for r in runs), default=0),
        "end_reason": run.get("end_reason") if run else None,
        "coverage": _coverage(report, run),
    }


def failure_row(status: str, message: str) -> dict[str, Any]:
    """The row of a bundle with no review: its worker died twice (crashed) or mpsandbox failed (error)."""
    return {"status": status, "verdict": status, "exit_code": 3, "error": message}


def _arrow_type(kind: str):
    import pyarrow as pa

    return {"string": pa.string(), "int": pa.int64(), "float": pa.float64()}[kind]


def table_columns(rows: list[dict[str, Any]], rule_ids: list[str]) -> list[tuple[str, str]]:
    rules = sorted(set(rule_ids).union(*(r.get("rules") or {} for r in rows)))
    coverage_kinds: dict[str, str] = {}
    for r in rows:
        for k, v in (r.get("coverage") or {}).items():
            if isinstance(v, float) or coverage_kinds.get(k) == "float":
                coverage_kinds[k] = "float"
            else:
                coverage_kinds[k] = "int"
    return [
        *BASE_COLUMNS,
        *((f"cat_{c}", "int") for c in CATEGORIES),
        *((f"rule_{r}", "int") for r in rules),
        *FIGURE_COLUMNS,
        *((f"coverage_{k}", kind) for k, kind in sorted(coverage_kinds.items())),
        *((t, TIMING_TYPES[t]) for t in TIMING_COLUMNS),
    ]


def flat_row(row: dict[str, Any], columns: list[tuple[str, str]]) -> dict[str, Any]:
    reviewed = row.get("status") == "ok"
    cats = row.get("categories") or {}
    rules = row.get("rules") or {}
    cov = row.get("coverage") or {}
    out: dict[str, Any] = {}
    for name, _kind in columns:
        if name.startswith("cat_"):
            out[name] = cats.get(name[4:], 0) if reviewed else None
        elif name.startswith("rule_"):
            out[name] = rules.get(name[5:], 0) if reviewed else None
        elif name.startswith("coverage_"):
            out[name] = cov.get(name[9:])
        else:
            out[name] = row.get(name)
    return out


def build_table(rows: list[dict[str, Any]], rule_ids: list[str]):
    """The pyarrow table of ``rows`` (in the given order), one flat column per count."""
    import pyarrow as pa

    columns = table_columns(rows, rule_ids)
    schema = pa.schema([pa.field(n, _arrow_type(k)) for n, k in columns])
    return pa.Table.from_pylist([flat_row(r, columns) for r in rows], schema=schema)


def write_outputs(table, out: Path) -> None:
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".results.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(out / "results.parquet")
    tmp = out / ".results.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in table.to_pylist():
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.replace(out / "results.jsonl")
