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
        rv = cli.main(standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except SystemExit:
        raise
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(EXIT_INTERNAL)
    except click.ClickException as exc:  # bad usage: exit 3, so that 1 and 2 keep meaning flag and reject
        exc.show()
        sys.exit(EXIT_INTERNAL)
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
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--trace-out", type=click.Path(path_type=Path), help="Write the full trace as JSON to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON instead of the summary.")
def run(bundle: Path, page: str | None, query: tuple[str, ...], taps: tuple[str, ...], platform: str | None,
        seed: int, engine: str, mock_file: Path | None, trace_out: Path | None, as_json: bool) -> None:
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
    mocks = _load_mocks(mock_file)
    try:
        loaded = load_bundle(bundle, platform=platform)
    except BundleError as exc:
        err_console.print(f"[red]bundle error[/red] {exc}")
        sys.exit(EXIT_BUNDLE_ERROR)
    try:
        with Sandbox(loaded, engine=engine, seed=seed, mocks=mocks) as sb:
            sb.launch(page=page, query=query_map or None)
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


def _resolve_engine(name: str) -> str:
    """``auto`` picks the isolated wasm engine when it can run here, else native (said on stderr)."""
    from .review.runner import resolve_engine

    return resolve_engine(name, lambda why: err_console.print(f"[yellow]note[/yellow] {why}; reviewing on native"))


def _load_mocks(path: Path | None):
    if path is None:
        return None
    from .apis.mocks import MockError, load_mock_file

    try:
        return load_mock_file(path)
    except MockError as exc:
        raise click.BadParameter(str(exc), param_hint="--mock") from None


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--policy", metavar="NAME|FILE",
              help="Built-in policy (douyin, wechat, alipay) or a TOML policy file. Default: the bundle's platform.")
@click.option("--allow-domain", "allow_domains", multiple=True, metavar="DOMAIN",
              help="Request domain the bundle may use (repeatable; *.example.com for subdomains).")
@click.option("--deny", is_flag=True, help="Also walk the bundle with every permission denied.")
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "html"]), default="text",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write the report to this file instead of stdout.")
@click.option("--fail-on", type=click.Choice(["flag", "reject"]), default="flag", show_default=True,
              help="Lowest verdict that makes the exit code non-zero.")
@click.option("--platform", type=click.Choice(["tt", "wx", "my"]), help="Override the detected platform.")
@click.option("--engine", type=click.Choice(["auto", "native", "wasm"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def review(bundle: Path, policy: str | None, allow_domains: tuple[str, ...], deny: bool, mock_file: Path | None,
           fmt: str, out: Path | None, fail_on: str, platform: str | None, engine: str, seed: int) -> None:
    """Walk BUNDLE without help, audit what it did, and decide: approve, flag or reject.

    Exit code: 0 approve, 1 flag, 2 reject, 3 mpsandbox could not run (bad option, policy or mock file too).
    With --fail-on reject, a flag exits 0.
    """
    from .report.render import render
    from .review import PolicyError, ReviewOptions
    from .review import review as run_review

    mocks = _load_mocks(mock_file)
    options = ReviewOptions(policy=policy, platform=platform, engine=_resolve_engine(engine), seed=seed, deny=deny,
                            allow_domains=list(allow_domains), fail_on=fail_on, mocks=mocks)
    try:
        report = run_review(bundle, options)
    except PolicyError as exc:
        err_console.print(f"[red]policy error[/red] {exc}")
        sys.exit(EXIT_INTERNAL)
    text = render(report, fmt, color=out is None and fmt == "text" and sys.stdout.isatty(), fail_on=fail_on)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err_console.print(f"{report.verdict.value}: {len(report.findings)} finding(s); report written to {out}")
    else:
        click.echo(text)
    sys.exit(report.exit_code)


@cli.command()
@click.option("--policy", metavar="NAME|FILE", help="Show severities and switches as this policy sets them.")
@click.option("--json", "as_json", is_flag=True, help="Print the rule catalogue as JSON.")
@click.argument("rule_id", required=False)
def rules(policy: str | None, as_json: bool, rule_id: str | None) -> None:
    """List every audit with its id, category, severity and description (or explain RULE_ID)."""
    import json as _json

    from rich.table import Table

    from .review import PolicyError
    from .review.audits import REGISTRY
    from .review.policy import resolve_policy

    try:
        pol = resolve_policy(policy, None) if policy else None
    except PolicyError as exc:
        err_console.print(f"[red]policy error[/red] {exc}")
        sys.exit(EXIT_INTERNAL)
    from .review.model import CATEGORIES

    infos = sorted((a.info(pol) for a in REGISTRY.values()), key=lambda i: (CATEGORIES.index(i.category), i.id))
    if rule_id:
        infos = [i for i in infos if i.id == rule_id]
        if not infos:
            err_console.print(f"[red]no such rule[/red] {rule_id}; `mpsandbox rules` lists them")
            sys.exit(EXIT_INTERNAL)
    if as_json:
        click.echo(_json.dumps([i.model_dump(mode="json") for i in infos], indent=2, ensure_ascii=False))
        return
    console = Console()
    if rule_id:
        i = infos[0]
        console.print(f"[bold]{i.id}[/bold] ({i.category}, {i.severity.value}) {i.title}\n")
        console.print(f"[bold]What and why[/bold]\n{i.description}\n\n[bold]Fix[/bold]\n{i.fix}")
        if i.example:
            console.print("\n[bold]Example[/bold]")
            console.print(i.example, markup=False)
        return
    table = Table(show_lines=False)
    for col in ("id", "category", "severity", "title"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.id, i.category, i.severity.value + ("" if i.enabled else " (off)"), i.title)
    console.print(table)
    console.print("`mpsandbox rules RULE_ID` explains one rule.")


@cli.command()
def schema() -> None:
    """Print the JSON schema of the review report (--format json)."""
    import json as _json

    from .report.json_report import report_json_schema

    click.echo(_json.dumps(report_json_schema(), indent=2))


from .batch.command import batch  # noqa: E402 - `mpsandbox batch` lives with the batch package

cli.add_command(batch)

if __name__ == "__main__":  # pragma: no cover
    main()
