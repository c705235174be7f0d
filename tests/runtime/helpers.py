from __future__ import annotations

from typing import Callable

from mpsandbox.runtime.sandbox import RunLimits, Sandbox
from mpsandbox.trace import Trace

from .bundles import make_bundle


def run_pages(
    pages: dict[str, str],
    *,
    engine: str = "native",
    app_js: str = "App({})",
    extra: dict[str, str] | None = None,
    limits: RunLimits | None = None,
    seed: int = 0,
    steps: Callable[[Sandbox], object] | None = None,
    **bundle_kw,
) -> Trace:
    """Launch a fake bundle, run to idle, apply `steps(sb)` (then run again), finish and close."""
    bundle = make_bundle(pages, app_js=app_js, extra=extra, **bundle_kw)
    with Sandbox(bundle, engine=engine, seed=seed, limits=limits) as sb:
        sb.launch()
        sb.run()
        if steps is not None:
            steps(sb)
            sb.run()
        return sb.finish()


def console_lines(trace: Trace) -> list[str]:
    return [e.text for e in trace.of_kind("console")]
