"""`mpsandbox batch`: review many bundles on Dask (the click command; the work is in driver.py)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from rich.console import Console

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output folder: reports/, index.jsonl, results.parquet, results.jsonl, summary.html.")
@click.option("--resume", is_flag=True, help="Continue the batch recorded in --out, with its sources and options.")
@click.option("--scheduler", metavar="ADDRESS", help="Use the Dask cluster at this scheduler (tcp://host:8786). "
              "Its workers must see the bundle paths. Default: a local cluster.")
@click.option("--workers", type=click.IntRange(1, 1024), help="Worker processes of the local cluster [one per core].")
@click.option("--retry-failed", is_flag=True, help="Review again the bundles recorded as crashed or error.")
@click.option("--policy", metavar="NAME|FILE", help="Built-in policy or a TOML policy file (as `mpsandbox review`).")
@click.option("--allow-domain", "allow_domains", multiple=True, metavar="DOMAIN", help="Allowed request domain.")
@click.option("--deny", is_flag=True, help="Also walk each bundle with every permission denied.")
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--fail-on", type=click.Choice(["flag", "reject"]), default="flag", show_default=True)
@click.option("--platform", type=click.Choice(["tt", "wx", "my"]), help="Override the detected platform.")
@click.option("--engine", type=click.Choice(["auto", "native", "wasm"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [when it is a terminal].")
def batch(sources: tuple[Path, ...], out: Path, resume: bool, scheduler: str | None, workers: int | None,
          retry_failed: bool, policy: str | None, allow_domains: tuple[str, ...], deny: bool, mock_file: Path | None,
          fail_on: str, platform: str | None, engine: str, seed: int, progress: bool | None) -> None:
    """Review every bundle of SOURCES on Dask: folders of bundles, bundles (folder, .zip, .wxapkg) or manifests
    (a text file, one bundle path a line).

    Results already in --out (same bundle content, options and mpsandbox version) are not reviewed again.
    Exit code: the highest of the bundles' (0 approve, 1 flag, 2 reject, 3 crashed or error); 3 when the batch
    cannot run, 130 when interrupted (run it again, or with --resume, to continue).
    """
    from ..apis.mocks import MockError, load_mock_file
    from ..review import ReviewOptions
    from .driver import BatchError, review_many

    err = Console(stderr=True)
    if resume:
        if sources:
            raise click.UsageError("give SOURCES or --resume, not both")
        from .store import ResultStore

        try:
            job = ResultStore(out).read_job()
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        sources = tuple(Path(s) for s in job["sources"])
        opts = dict(job.get("options") or {})
        mock_file = Path(job["mock_file"]) if job.get("mock_file") else None
    else:
        if not sources:
            raise click.UsageError("give at least one SOURCE (or --resume)")
        opts = dict(policy=policy, platform=platform, engine=engine, seed=seed, deny=deny,
                    allow_domains=list(allow_domains), fail_on=fail_on)
    try:
        mocks = load_mock_file(mock_file) if mock_file is not None else None
    except MockError as exc:
        raise click.BadParameter(str(exc), param_hint="--mock") from None
    try:
        options = ReviewOptions(**opts, mocks=mocks)
    except Exception as exc:  # noqa: BLE001 - a hand-edited batch.json
        raise click.UsageError(f"bad options in {out / 'batch.json'}: {exc}") from None
    show = sys.stderr.isatty() if progress is None else progress
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped job is an interruption too: finished work is kept
    try:
        table = review_many(list(sources), out, options=options, workers=workers, scheduler=scheduler,
                            retry_failed=retry_failed, progress=show,
                            job_extra={"mock_file": str(mock_file.resolve()) if mock_file else None})
    except BatchError as exc:
        err.print(f"[red]batch error[/red] {exc}")
        sys.exit(EXIT_INTERNAL)
    except KeyboardInterrupt:
        err.print(f"interrupted: finished reviews are kept in {out}; `mpsandbox batch --resume --out {out}` "
                  "continues")
        sys.exit(EXIT_INTERRUPTED)
    verdicts: dict[str, int] = {}
    for v in table.column("verdict").to_pylist():
        verdicts[v] = verdicts.get(v, 0) + 1
    counts = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
    err.print(f"{table.num_rows} bundle(s): {counts or 'none'}; results in {out / 'results.parquet'}, "
              f"summary in {out / 'summary.html'}")
    codes = [c for c in table.column("exit_code").to_pylist() if c is not None]
    sys.exit(max(codes, default=0))
