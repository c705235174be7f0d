"""Compare a review with an earlier one (``--baseline old.json``): each finding is new or unchanged, the findings
gone are fixed, and the verdict and exit code count the new findings only."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..review.model import BaselineInfo, Finding, Report, Severity, exit_code_for, verdict_for

MAX_FIXED = 200
MAX_BASELINE_BYTES = 64 * 1024 * 1024


class BaselineError(ValueError):
    """A baseline file that cannot be read as a JSON report."""


def _key(f: Finding) -> str:
    return f.fingerprint or f"{f.rule}\x00{f.location.file if f.location else ''}\x00{f.message}"


def load_report(path: str | Path) -> Report:
    """A saved JSON report (``--format json``)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BASELINE_BYTES:
            raise BaselineError(f"{p}: larger than {MAX_BASELINE_BYTES // (1024 * 1024)} MB")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{p}: cannot read it: {exc}") from None
    try:
        return Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())) or "(top level)"
        kind = "not JSON" if first.get("type") == "json_invalid" else f"not an mpsandbox JSON report (at {where})"
        raise BaselineError(f"{p}: {kind}; write one with `mpsandbox review BUNDLE --format json`") from None


def apply_baseline(report: Report, baseline: Report, source: str, fail_on: str | None = None) -> Report:
    """``report`` with every finding marked new or unchanged against ``baseline``; verdict and exit code from the
    new findings alone."""
    old = {_key(f): f for f in baseline.findings}
    findings = [f.model_copy(update={"baseline": "unchanged" if _key(f) in old else "new"}) for f in report.findings]
    now = {_key(f) for f in findings}
    fixed = [f for k, f in old.items() if k not in now][:MAX_FIXED]
    new = [f for f in findings if f.baseline == "new"]
    verdict = verdict_for(new)
    info = BaselineInfo(source=source, new=len(new), unchanged=len(findings) - len(new), fixed=fixed,
                        verdict_without_baseline=report.verdict)
    counts = {s.value: sum(1 for f in new if f.severity is s) for s in Severity}
    code = exit_code_for(verdict, "reject" if fail_on == "reject" else None)
    return report.model_copy(update={"findings": findings, "baseline": info, "verdict": verdict, "counts": counts,
                                     "exit_code": code})
