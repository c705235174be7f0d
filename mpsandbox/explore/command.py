"""The `mpsandbox explore` and `mpsandbox replay` commands (cli.py only declares their options)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from .replay import ReplayError, bundle_path, load_replay, replay
from .run import DATABASE_DIR, ExploreOptions, explore, render_text, write_results

EXIT_FOUND = 1
EXIT_ERROR = 3


def explore_command(bundle: Path, *, runs: int, seed: int, mocks: Any, out: Path | None, engine: str,
                    max_steps: int, db: str | None, seconds: float | None = None,
                    allow_domains: list[str] | None = None, echo: Any = print, note: Any = None) -> int:
    """Explore; print the result (deterministic) on stdout and the timing on stderr. Exit 1 when something failed."""
    note = note or (lambda text: print(text, file=sys.stderr))
    database = None if db == "none" else Path(db) if db else Path.cwd() / DATABASE_DIR
    options = ExploreOptions(runs=runs, seed=seed, engine=engine, mocks=mocks, max_steps=max_steps,
                             database=database, seconds=seconds, allow_domains=list(allow_domains or []))
    t0 = time.perf_counter()
    result = explore(bundle, options)
    out = out if out is not None else Path("explore-out")
    if result.failures:
        write_results(result, out)
    echo(render_text(result).rstrip("\n"))
    took = time.perf_counter() - t0
    note(f"{result.runs_executed} runs ({result.steps_executed} steps) in {took:.1f} s, "
         f"{result.runs_executed / took if took else 0:.1f} runs/s"
         + (f"; example database: {database}" if database else ""))
    return EXIT_FOUND if result.failures else 0


def replay_command(file: Path, *, bundle: Path | None, engine: str, echo: Any = print) -> int:
    """Replay FILE: print its transcript; exit 1 when the failure happens again (exactly or not), 0 when it does
    not any more, 3 when the file or the bundle cannot be used."""
    from ..bundle import BundleError, load_bundle

    try:
        rp = load_replay(file)
        path = bundle if bundle is not None else bundle_path(rp, file)
        loaded = load_bundle(path)
    except (ReplayError, BundleError) as exc:
        echo(f"error: {exc}")
        return EXIT_ERROR
    outcome = replay(rp, loaded, engine=engine)
    for line in outcome.lines:
        echo(line)
    if outcome.identical:
        echo(f"reproduced exactly (transcript sha256 {rp.transcript_digest[:16]})")
    elif outcome.reproduced:
        echo("reproduced, but the run differs from the recorded one (the bundle changed?)")
    else:
        echo(f"not reproduced: {rp.failure.property} no longer happens"
             + ("" if outcome.failure is None else f" (another failure did: {outcome.failure.property})"))
    return EXIT_FOUND if outcome.reproduced or outcome.failure is not None else 0
