"""One review end to end: load, walk, audit, decide. Always returns a :class:`Report`."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field

from .. import __version__
from ..apis.mocks import MockConfig
from .artifacts import Artifacts, RunArtifacts
from .audits import REGISTRY, run_audits
from .coverage import run_coverage
from .gather import gather, load
from .layout import gather_layout
from .insights import add_snippets, domains_contacted, permissions_used, timeline
from .model import (
    ApiCallCount,
    BundleSummary,
    Report,
    RunFigures,
    Screen,
    Severity,
    exit_code_for,
    verdict_for,
)
from .policy import Policy, resolve_policy
from .score import apply_score_gate, experience_score


class ReviewOptions(BaseModel):
    policy: str | None = None  # built-in name or TOML path; default: the bundle's platform profile
    platform: Literal["tt", "wx", "my"] | None = None
    engine: str = "auto"  # auto: the isolated wasm engine when it can run here, else native
    seed: int = 0
    deny: bool = False
    allow_domains: list[str] = Field(default_factory=list)
    fail_on: Literal["flag", "reject"] = "flag"
    mocks: Any = None  # a MockConfig
    screenshots: bool = False  # screenshots of the visited pages (headless Chromium), shown in the HTML report
    min_score: int | None = Field(None, ge=0, le=100)  # experience-score gate: below it, the exit code is at least 1
    # process: each walk in a child process with memory and CPU limits, killed past its wall budget, so that an
    # engine fault is a finding against the bundle; none: in this process (debugging)
    isolation: Literal["process", "none"] = "process"
    explore: int = Field(0, ge=0)  # runs of property-based exploration (mpsandbox.explore); 0: none
    # a time budget for exploration (with no runs given: 100 runs); its findings then depend on the machine's speed
    explore_seconds: float | None = Field(None, gt=0)


def review(path: str | Path, options: ReviewOptions | None = None,
           on_runs: Callable[[list[RunArtifacts]], None] | None = None,
           on_progress: Callable[[str, Any], None] | None = None) -> Report:
    """Review the bundle at ``path``. Raises PolicyError/MockError for bad options, nothing for bad bundles.
    ``on_runs`` receives the walks (their traces), e.g. to export them; ``on_progress(walk, WalkProgress)``
    follows the walks while they run (a few times a second)."""
    opts = options or ReviewOptions()
    bundle, failure = load(path, opts.platform)
    platform = opts.platform or (bundle.platform if bundle is not None else "tt")
    policy = resolve_policy(opts.policy, platform).with_allow_domains(opts.allow_domains)
    if bundle is None:
        art = Artifacts(name=Path(str(path)).name, platform=platform, catalogue=_catalogue(), load_failure=failure)
        return build_report(art, policy, opts)
    art = gather(bundle, policy, engine=resolve_engine(opts.engine), seed=opts.seed, deny=opts.deny,
                 mocks=opts.mocks if isinstance(opts.mocks, MockConfig) else None, platform=opts.platform,
                 isolated=opts.isolation == "process", on_progress=on_progress)
    if on_runs is not None:
        on_runs(art.runs)
    if opts.explore or opts.explore_seconds:  # what it finds becomes `explore-failure` findings (audits/explore.py)
        from ..explore import DEFAULT_RUNS, for_review

        art.exploration = for_review(bundle, path, runs=opts.explore or DEFAULT_RUNS, seed=opts.seed, engine=resolve_engine(opts.engine),
                                     mocks=opts.mocks if isinstance(opts.mocks, MockConfig) else None,
                                     seconds=opts.explore_seconds, allow_domains=list(policy.allow_domains),
                                     isolated=opts.isolation == "process")
    why = gather_layout(art) if opts.screenshots else None
    report = build_report(art, policy, opts)
    if opts.screenshots:
        add_screenshots(report, art)
        report.problems += art.layout_problems
        if why:
            report.problems.append(f"screenshots: {why}")
    return report


def add_screenshots(report: Report, art: Artifacts) -> None:
    """The layout gatherer's screenshots, into the report's walks."""
    import base64

    by_mode = {r.mode: r for r in report.runs}
    for run in art.runs:
        for shot in run.shots:
            if run.mode in by_mode:
                by_mode[run.mode].screens.append(Screen(route=shot.route, caption="",
                                                        png_base64=base64.b64encode(shot.png).decode()))



def resolve_engine(name: str, on_fallback: Callable[[str], None] | None = None) -> str:
    """``auto`` is the wasm engine when it can run on this machine (built on first use), else native;
    ``on_fallback`` hears why wasm was not used."""
    if name != "auto":
        return name
    from ..runtime.engine import EngineUnavailable, create_engine

    try:
        create_engine("wasm").close()
        return "wasm"
    except EngineUnavailable as exc:
        why = f"the wasm engine is unavailable ({exc})"
    except Exception as exc:  # noqa: BLE001 - a broken wasm setup must not stop a review
        why = f"the wasm engine failed to start ({exc})"
    if on_fallback is not None:
        on_fallback(why)
    return "native"


def _catalogue():
    from ..apis.catalogue import load_catalogue

    return load_catalogue()


def build_report(art: Artifacts, policy: Policy, opts: ReviewOptions) -> Report:
    findings, broken = run_audits(art, policy)
    add_snippets(findings, art)
    verdict = verdict_for(findings)
    counts = Counter(f.severity.value for f in findings)
    facts = art.facts
    files = facts.files if facts is not None else []
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\x00{f.sha256}\n".encode())
    report = Report(
        tool_version=__version__,
        bundle=BundleSummary(
            name=art.name,
            platform=art.platform,
            files=len(files),
            total_bytes=facts.total_size if facts is not None else 0,
            main_bytes=facts.main_size if facts is not None else 0,
            subpackage_bytes=dict(facts.subpackage_sizes) if facts is not None else {},
            pages=len(facts.pages) if facts is not None else 0,
            sha256=digest.hexdigest() if files else None,
        ),
        policy=policy.name,
        verdict=verdict,
        exit_code=exit_code_for(verdict, opts.fail_on),
        findings=findings,
        counts={s.value: counts.get(s.value, 0) for s in Severity},
        runs=[run_figures(art, run, policy) for run in art.runs],
        rules=[a.info(policy) for a in REGISTRY.values()],
        problems=[str(p) for p in art.problems],
        allow_domains=list(policy.allow_domains),
        error="; ".join(f"audit failed: {b}" for b in broken) or None,
        score=experience_score(art, findings),
    )
    report.exit_code = apply_score_gate(report.score, opts.min_score, report.exit_code)
    return report


def run_figures(art: Artifacts, run: RunArtifacts, policy: Policy) -> RunFigures:
    trace = run.trace
    by_group: Counter[str] = Counter()
    by_api: Counter[str] = Counter()
    groups: dict[str, str] = {}
    calls = 0
    for e in trace.api_calls():
        if e.call_id == 0 and e.outcome == "unknown":
            group = "unknown"
        else:
            spec = art.catalogue.by_name.get(e.api)
            group = spec.group.value if spec is not None else ("object" if "." in e.api else "unknown")
        calls += 1
        by_group[group] += 1
        by_api[e.api] += 1
        groups[e.api] = group
    setdata = trace.of_kind("setData")
    end = trace.end
    cpu_units = end.cpu_units if end else sum(t.cpu_units for t in trace.turns)
    return RunFigures(
        mode=run.mode,
        engine=trace.engine,
        cpu_unit=trace.cpu_unit,
        pages_visited=run.pages_visited,
        pages_failed=run.pages_failed,
        handlers_fired=run.handlers_fired,
        handlers_missing=len({(e.page, e.handler) for e in trace.of_kind("user") if not e.found and e.action != e.handler}),
        api_calls=calls,
        api_calls_by_group=dict(sorted(by_group.items())),
        api_calls_by_api=[ApiCallCount(api=a, group=groups[a], count=n) for a, n in sorted(by_api.items())],
        turns=len(trace.turns),
        virtual_ms=end.t if end else 0,
        cpu_units=cpu_units,
        cpu_ms=round(run.cpu_ms(cpu_units), 2),
        peak_memory_bytes=end.peak_memory_bytes if end else 0,
        setdata_calls=sum(e.times for e in setdata),
        setdata_bytes=sum(e.bytes * e.times for e in setdata),
        end_reason=end.reason if end else "idle",
        end_detail=end.detail if end else "",
        launch_to_ready_ms=run.launch_to_ready_ms,
        wall_ms=round(run.wall_ms, 2),
        coverage=run_coverage(art, run),
        domains=domains_contacted(run, policy),
        permissions=permissions_used(run),
        timeline=timeline(run),
    )
