"""Gatherers: load the bundle and walk it (allow, then deny when asked), producing :class:`Artifacts`.

This is the only part of the review that drives the runtime; audits only read what it returns.

Each walk runs on a seed of its own (runtime/environment.py ``walk_seed``): the allow walk on the review's seed
(``ReviewOptions.seed``, ``--seed``), the deny walk on ``sha256("walk:<seed>:deny")``'s first 31 bits. The seed (with
the bundle's digest) chooses the device, the clock, Math.random and the canaries, so the two walks see different
phones and times, and behaviour keyed to one environment shows in the other; the same ``--seed`` repeats them all.
"""

from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING, Callable

from ..apis.catalogue import load_catalogue
from ..apis.mocks import MockConfig
from ..runtime.environment import Environment, bundle_digest, walk_seed
from ..runtime.sandbox import RunLimits
from ..runtime.isolation import WalkHandle, WalkPool, WalkProgress
from ..runtime.walker import WalkBudgets, WalkResult
from .artifacts import Artifacts, LoadFailure, RunArtifacts
from .policy import Policy

if TYPE_CHECKING:
    from ..bundle import Bundle
    from ..bundle.loader import Platform

TEXT_LIMIT = 4 * 1024 * 1024  # larger files are not scanned as text
BINARY_EXT = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".mp3", ".mp4", ".wav", ".ttf", ".otf",
              ".woff", ".woff2", ".zip", ".gz")


def run_limits(policy: Policy) -> RunLimits:
    b = policy.budgets
    return RunLimits(
        memory_bytes=b.memory_bytes,
        stack_bytes=b.stack_bytes,
        cpu_ms_per_turn=b.cpu_ms_per_turn,
        cpu_ms_total=b.cpu_ms_total,
        thread_cpu_ms_per_turn=b.thread_cpu_ms_per_turn,
        wall_ms_per_turn=b.wall_ms_per_turn,
        max_turns=b.max_turns,
        virtual_ms=b.virtual_ms,
        max_jobs_per_turn=b.max_jobs_per_turn,
        max_cpu_breaches=b.max_cpu_breaches,
    )


def walk_budgets(policy: Policy) -> WalkBudgets:
    b = policy.budgets
    return WalkBudgets(step_turns=b.step_turns, step_cpu_ms=b.step_cpu_ms, page_turns=b.page_turns,
                       page_cpu_ms=b.page_cpu_ms, handlers_per_page=b.handlers_per_page,
                       runaway_pages=b.runaway_pages, dwell_ms=b.dwell_ms)


def load(path: str | PathLike[str], platform: Platform | None) -> tuple[Bundle | None, LoadFailure | None]:
    from ..bundle import BundleError, load_bundle

    try:
        return load_bundle(path, platform=platform), None
    except BundleError as exc:
        return None, LoadFailure(code=exc.code, message=exc.message or str(exc), file=exc.file, line=exc.line,
                                 column=exc.column)


def bundle_texts(bundle: Bundle) -> tuple[dict[str, str], dict[str, int]]:
    texts: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for path, f in sorted(bundle.files.items()):
        sizes[path] = f.size
        if f.size > TEXT_LIMIT or path.lower().endswith(BINARY_EXT):
            continue
        texts[path] = bundle.read_text(path)
    return texts, sizes


def gather(
    bundle: Bundle,
    policy: Policy,
    *,
    engine: str = "native",
    seed: int = 0,
    deny: bool = False,
    mocks: MockConfig | None = None,
    platform: str | None = None,
    isolated: bool = True,
    differential: bool = True,
    on_progress: Callable[[str, WalkProgress], None] | None = None,
) -> Artifacts:
    """Walk the bundle (allow, then deny when asked). A walk that read a sensitive source is walked again with
    only the sources' values changed (``differential``; review/audits/flows.py compares the two).
    ``on_progress(walk, progress)`` follows the walks (``walk``: allow, deny, allow (differential)...)."""
    texts, sizes = bundle_texts(bundle)
    art = Artifacts(
        name=bundle.name,
        platform=platform or bundle.platform,
        catalogue=load_catalogue(),
        facts=bundle.facts,
        app=bundle.app,
        texts=texts,
        sizes=sizes,
        problems=list(bundle.problems),
    )
    limits = run_limits(policy)
    # The walks run at the same time, each in a process of its own (isolated: an engine fault ends that walk,
    # not the review), as many as the cores allow. A walk's differential twin starts as soon as the walk has
    # handed out a sensitive source, and is dropped if the walk's result says it read none (it crashed first).
    pool = WalkPool(isolated=isolated)

    def submit(mode: str, canary_variant: int = 0) -> WalkHandle:
        label = f"{mode} (differential)" if canary_variant else mode
        follow = (lambda p: on_progress(label, p)) if on_progress is not None else None
        # the twin of a differential walk runs in the first walk's environment (same device, clock and random
        # sequence): the environment the first walk's seed chooses for this bundle
        environment = (Environment.for_seed(walk_seed(seed, mode), bundle.platform, bundle_digest(bundle))
                       if canary_variant else None)
        on_source = (lambda: start_twin(mode)) if differential and not canary_variant else None
        return pool.submit(bundle, mode=mode, engine=engine, seed=walk_seed(seed, mode),
                           limits=limits, mocks=mocks, allow_domains=policy.allow_domains or None,
                           idle_after_unload_ms=policy.budgets.idle_after_unload_ms, budgets=walk_budgets(policy),
                           canary_variant=canary_variant, environment=environment, on_progress=follow,
                           on_source=on_source)

    def start_twin(mode: str) -> WalkHandle:
        if mode not in twins:
            twins[mode] = submit(mode, canary_variant=1)
        return twins[mode]

    def artifacts(mode: str, result: WalkResult) -> RunArtifacts:
        return RunArtifacts(
            mode=mode,
            trace=result.trace,
            units_per_ms=result.units_per_ms,
            pages_visited=result.log.pages_visited,
            pages_failed=result.log.pages_failed,
            handlers_fired=result.log.handlers_fired,
            handlers_skipped=result.log.handlers_skipped,
            handlers_bound=result.log.handlers_bound,
            pages_skipped=result.log.pages_skipped,
            pages_redirected=result.log.pages_redirected,
            budget_notes=result.log.budget_notes,
            stopped_early=result.log.stopped_early,
            launch_to_ready_ms=result.launch_to_ready_ms,
            wall_ms=result.stats.wall_ms,
            views=result.views,
            sources_read=result.sources_read,
        )

    modes = ("allow", "deny") if deny else ("allow",)
    twins: dict[str, WalkHandle] = {}
    try:
        walks = {mode: submit(mode) for mode in modes}
        for mode in modes:
            run = artifacts(mode, pool.wait(walks[mode]))
            if differential and run.sources_read:  # the same walk again, only the sources' values changed
                run.twin = artifacts(mode, pool.wait(start_twin(mode)))
            elif mode in twins:
                pool.cancel(twins.pop(mode))
            art.runs.append(run)
    finally:
        pool.close()
        # submit and start_twin call each other: a reference cycle holding the bundle (its files, MBs) until the
        # next full collection, which a batch of big bundles reaches only after hundreds of MB (4 MB a review)
        submit = start_twin = None  # type: ignore[assignment]  # noqa: F841
    return art
