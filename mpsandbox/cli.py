"""The `mpsandbox` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import click
from rich.console import Console

from . import __version__

EXIT_OK = 0
EXIT_BUNDLE_ERROR = 2
EXIT_INTERNAL = 3

err_console = Console(stderr=True)


def _parse_query(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected k=v, got {item!r}", param_hint="--query")
        out[key] = value
    return out


def _parse_tap(value: str) -> tuple[str, dict[str, str]]:
    """`handler` or `handler?k=v&k2=v2` (the event's dataset)."""
    handler, _, qs = value.partition("?")
    if not handler:
        raise click.BadParameter(f"expected HANDLER or HANDLER?k=v, got {value!r}", param_hint="--tap")
    return handler, dict(parse_qsl(qs, keep_blank_values=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mpsandbox")
def cli() -> None:
    """Run mini-program bundles in a QuickJS sandbox against a mock open-capability API, and review them."""


def main() -> None:
    """Entry point: an unexpected failure of mpsandbox itself is a clear message and exit code 3."""
    try:
        cli()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("MPSANDBOX_DEBUG"):
            raise
        err_console.print(f"[red]mpsandbox internal error[/red] {type(exc).__name__}: {exc}")
        err_console.print("set MPSANDBOX_DEBUG=1 to see the traceback")
        sys.exit(EXIT_INTERNAL)


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--page", help="Open this page instead of the entry page (e.g. pages/menu/menu).")
@click.option("--query", multiple=True, metavar="K=V", help="Query parameter of the opened page (repeatable).")
@click.option("--tap", "taps", multiple=True, metavar="HANDLER[?K=V&...]",
              help="Fire a handler of the page on top as a user tap, with an optional dataset (repeatable, in order).")
@click.option("--platform", type=click.Choice(["tt", "wx", "my"]), help="Override the detected platform.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of Math.random and the mocks.")
@click.option("--engine", type=click.Choice(["native", "wasm"]), default="native", show_default=True)
@click.option("--trace-out", type=click.Path(path_type=Path), help="Write the full trace as JSON to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON instead of the summary.")
def run(bundle: Path, page: str | None, query: tuple[str, ...], taps: tuple[str, ...], platform: str | None,
        seed: int, engine: str, trace_out: Path | None, as_json: bool) -> None:
    """Launch BUNDLE (a directory or .zip), open a page, fire taps, run until idle and summarise the trace.

    Exit code: 0 the run completed (whatever the bundle did), 2 the bundle could not be loaded,
    3 mpsandbox itself failed.
    """
    from .bundle import BundleError, load_bundle
    from .report.trace_summary import render_summary
    from .runtime.engine import EngineUnavailable
    from .runtime.sandbox import Sandbox

    query_map = _parse_query(query)
    tap_list = [_parse_tap(t) for t in taps]
    try:
        loaded = load_bundle(bundle, platform=platform)
    except BundleError as exc:
        err_console.print(f"[red]bundle error[/red] {exc}")
        sys.exit(EXIT_BUNDLE_ERROR)
    try:
        with Sandbox(loaded, engine=engine, seed=seed) as sb:
            sb.launch(page=page, query=query_map)
            sb.run()
            for handler, dataset in tap_list:
                if sb.router.top is None:
                    break
                sb.tap(handler, dataset=dataset)
                sb.run()
            trace = sb.finish()
            stats = sb.stats
    except EngineUnavailable as exc:
        err_console.print(f"[red]engine unavailable[/red] {exc}")
        sys.exit(EXIT_INTERNAL)
    if trace_out is not None:
        trace_out.parent.mkdir(parents=True, exist_ok=True)
        trace_out.write_text(trace.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        click.echo(trace.model_dump_json(indent=2))
    else:
        console = Console()
        for problem in getattr(loaded, "problems", [])[:20]:
            console.print(f"[yellow]bundle problem[/yellow] {problem}")
        console.print(render_summary(trace, stats))
        if trace_out is not None:
            console.print(f"trace written to {trace_out}")
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
