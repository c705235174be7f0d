"""The `mpsandbox` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

# pydantic looks for plugins in every installed distribution's entry points when it builds its first model (~60 ms
# of a command's start-up); the command line uses none. Set the variable (to "") to let plugins load.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import click  # noqa: E402
from rich.console import Console  # noqa: E402

from . import __version__  # noqa: E402
from .friendly import did_you_mean  # noqa: E402

if TYPE_CHECKING:
    from .bundle import Bundle
    from .runtime.sandbox import Sandbox

EXIT_OK = 0
EXIT_BUNDLE_ERROR = 2
EXIT_INTERNAL = 3

err_console = Console(stderr=True, soft_wrap=True)
COLOR_CHOICES = ("auto", "always", "never")


def _esc(value: object) -> str:
    """Text for a rich message: brackets in it (a TOML table, a bundle's text) are shown, not read as markup."""
    from rich.markup import escape

    return escape(str(value))


def _use_color(setting: str | None, stream) -> bool:
    """``--color`` wins; else NO_COLOR (any non-empty value) turns colour off; else colour on a terminal."""
    if setting == "always":
        return True
    if setting == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _console(setting: str | None = None, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    color = _use_color(setting, stream)
    return Console(stderr=stderr, soft_wrap=stderr, no_color=not color, force_terminal=True if setting == "always" else None,
                   color_system="auto" if color else None, highlight=color)


def _set_color(setting: str | None) -> None:
    global err_console
    err_console = _console(setting, stderr=True)


def _color_option(f):
    return click.option("--color", type=click.Choice(COLOR_CHOICES), default=None,
                        help="Colour the output: auto (a terminal, unless NO_COLOR is set), always, never.")(f)


def _bundle_argument(f):
    return click.argument("bundle", type=click.Path(exists=True, path_type=Path))(f)


def _allow_domains(ctx, param, values: tuple[str, ...]) -> list[str]:
    from .review.policy import normalise_domain

    out = []
    for v in values:
        try:
            out.append(normalise_domain(v))
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return out


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
        err_console.print(f"[red]mpsandbox internal error[/red] {type(exc).__name__}: {_esc(exc)}")
        err_console.print("set MPSANDBOX_DEBUG=1 to see the traceback")
        sys.exit(EXIT_INTERNAL)


@cli.command()
@_bundle_argument
@click.option("--page", help="Open this page instead of the entry page (e.g. pages/menu/menu).")
@click.option("--query", multiple=True, metavar="K=V", help="Query parameter of the opened page (repeatable).")
@click.option("--tap", "taps", multiple=True, metavar="HANDLER[?K=V&...]",
              help="Fire a handler of the page on top as a user tap, with an optional dataset (repeatable, in order).")
@click.option("--platform", type=click.Choice(["tt", "wx", "my"]), help="Override the detected platform.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the environment (device, clock, Math.random) and the mocks.")
@click.option("--engine", type=click.Choice(["native", "wasm"]), default="native", show_default=True)
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--trace-out", type=click.Path(path_type=Path), help="Write the full trace to this file.")
@click.option("--trace-format", type=click.Choice(["mpsandbox", "chrome"]), default="mpsandbox", show_default=True,
              help="--trace-out as mpsandbox's JSON trace, or Chrome Trace Event JSON (Perfetto, chrome://tracing).")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON instead of the summary.")
@_color_option
def run(bundle: Path, page: str | None, query: tuple[str, ...], taps: tuple[str, ...], platform: str | None,
        seed: int, engine: str, mock_file: Path | None, trace_out: Path | None, trace_format: str, as_json: bool,
        color: str | None) -> None:
    """Launch BUNDLE (a directory or .zip), open a page, fire taps, run until idle and summarise the trace.

    Exit code: 0 the run completed (whatever the bundle did), 2 the bundle could not be loaded,
    3 mpsandbox itself failed.
    """
    from .bundle import BundleError, load_bundle
    from .report.trace_summary import render_summary
    from .runtime.engine import EngineUnavailable
    from .runtime.sandbox import Sandbox

    _set_color(color)
    query_map = _parse_query(query)
    tap_list = [_parse_tap(t) for t in taps]
    mocks = _load_mocks(mock_file)
    try:
        loaded = load_bundle(bundle, platform=platform)
    except BundleError as exc:
        err_console.print(f"[red]bundle error[/red] {_esc(exc)}")
        sys.exit(EXIT_BUNDLE_ERROR)
    routes = [p.route for p in loaded.pages]
    if page is not None and page.strip("/").split("?")[0] not in routes:
        raise click.BadParameter(f"no page {page!r} in the bundle{did_you_mean(page.strip('/'), routes)}; its pages: "
                                 + ", ".join(routes[:30]) + (" …" if len(routes) > 30 else ""), param_hint="--page")
    console = _console(color)
    tap_notes: list[str] = []
    try:
        with Sandbox(loaded, engine=engine, seed=seed, mocks=mocks) as sb:
            sb.launch(page=page, query=query_map or None)
            sb.run()
            for handler, dataset in tap_list:
                if sb.router.top is None:
                    break
                route = sb.router.top.route
                sb.tap(handler, dataset=dataset)
                sb.run()
                tap_notes.append(_after_tap(loaded, sb, route, handler))
            trace = sb.finish()
            stats = sb.stats
    except EngineUnavailable as exc:
        err_console.print(f"[red]engine unavailable[/red] {_esc(exc)}")
        sys.exit(EXIT_INTERNAL)
    if trace_out is not None:
        trace_out.parent.mkdir(parents=True, exist_ok=True)
        if trace_format == "chrome":
            from .report.chrome_trace import to_chrome_trace_json

            trace_out.write_text(to_chrome_trace_json([("run", trace)]), encoding="utf-8")
        else:
            trace_out.write_text(trace.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        click.echo(trace.model_dump_json(indent=2))
    else:
        for problem in loaded.problems[:20]:
            console.print(f"[yellow]bundle problem[/yellow] {problem}")
        console.print(render_summary(trace, stats))
        for note in tap_notes:
            console.print(note, markup=False, highlight=False)
        if trace_out is not None:
            console.print(f"trace written to {trace_out}")
    sys.exit(EXIT_OK)


def _after_tap(bundle: Bundle, sb: Sandbox, route: str, handler: str) -> str:
    """What a tap did: the page data after it, or why it did nothing (with the handlers the page binds)."""
    import json as _json

    bound = sorted({b.handler for p in bundle.facts.pages if p.route == route for b in p.bindings if b.handler})
    fired = [e for e in sb.trace.of_kind("user") if e.handler == handler]
    lines = [f"after tap {handler} on {route}:"]
    if fired and not fired[-1].found:
        lines.append(f"  no handler {handler!r} on the page{did_you_mean(handler, bound)}")
    if bound:
        lines.append("  handlers bound in the template: " + ", ".join(bound[:40]))
    try:
        data = sb.page_data() if sb.router.top is not None else None
    except Exception:  # noqa: BLE001 - the page may have gone; the summary says what happened
        data = None
    if data is not None:
        text = _json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        lines.append("  page data: " + (text if len(text) <= 600 else text[:600] + f"… (+{len(text) - 600} chars)"))
    return "\n".join(lines)


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
        from pydantic import ValidationError

        from .apis.mocks import MockConfig
        from .friendly import explain

        cause = exc.__cause__
        if isinstance(cause, ValidationError):  # in mpsandbox's words, not pydantic's
            message = f"{path}: invalid mock file\n" + "\n".join("  " + line for line in explain(cause, MockConfig))
        else:
            message = str(exc)
        raise click.BadParameter(message, param_hint="--mock") from None


@cli.command()
@_bundle_argument
@click.option("--policy", metavar="NAME|FILE",
              help="Built-in policy (douyin, wechat, alipay) or a TOML policy file. Default: the bundle's platform.")
@click.option("--allow-domain", "allow_domains", multiple=True, metavar="DOMAIN", callback=_allow_domains,
              help="Request domain the bundle may use (repeatable; *.example.com for subdomains; a URL is cut to its "
                   "host).")
@click.option("--deny", is_flag=True, help="Also walk the bundle with every permission denied.")
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--screenshots", is_flag=True,
              help="Screenshots of the visited pages in the HTML report (needs Chromium and Playwright).")
@click.option("--format", "fmt", default=None, metavar="FMT[,FMT...]",
              help="text, json, sarif, junit, html; several separated by commas (with --out-dir). Default: text.")
@click.option("--out", "outs", multiple=True, metavar="FILE|FMT=FILE",
              help="Write a report to FILE (repeatable; the format from the extension: .json .sarif .xml .html .txt, "
                   "or FMT=FILE).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write every --format to DIR (review.json, review.sarif, review.junit.xml, review.html, review.txt).")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An earlier JSON report: findings are marked new or unchanged, and only new ones count.")
@click.option("--trace-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the walks as Chrome Trace Event JSON (open in Perfetto or chrome://tracing).")
@click.option("--fail-on", type=click.Choice(["flag", "reject"]), default="flag", show_default=True,
              help="Lowest verdict that makes the exit code non-zero.")
@click.option("--source-root", metavar="DIR",
              help="Where the bundle's files live in your repository (e.g. miniprogram): SARIF paths start there.")
@click.option("--min-score", type=click.IntRange(0, 100), default=None, metavar="N",
              help="Experience score gate (0-100): a score below N makes the exit code at least 1.")
@click.option("--platform", type=click.Choice(["tt", "wx", "my"]), help="Override the detected platform.")
@click.option("--engine", type=click.Choice(["auto", "native", "wasm"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the walks: the allow walk runs on it, the deny walk on a seed derived from it.")
@click.option("--progress/--no-progress", default=None,
              help="Show where the walks are while they run: a live line on a terminal (the default there), a line "
                   "per page elsewhere.")
@click.option("--isolation", type=click.Choice(["process", "none"]), default="process", show_default=True,
              help="process: each walk in a child process with memory and CPU limits, so that a crash or hang of the "
                   "engine is a finding against the bundle; none: in this process (debugging).")
@click.option("--explore", "explore_runs", type=click.IntRange(0), default=0, metavar="N",
              help="Also explore N runs (mpsandbox explore): what breaks the bundle becomes stability findings.")
@click.option("--explore-seconds", type=click.FloatRange(0, min_open=True), metavar="S",
              help="A time budget for --explore (100 runs when --explore is not given); the findings then depend on "
                   "the machine's speed.")
@_color_option
def review(bundle: Path, policy: str | None, allow_domains: list[str], deny: bool, mock_file: Path | None,
           screenshots: bool, fmt: str | None, outs: tuple[str, ...], out_dir: Path | None, baseline: Path | None, trace_out: Path | None,
           fail_on: str, source_root: str | None, min_score: int | None, platform: str | None, engine: str,
           seed: int, progress: bool | None, isolation: str, explore_runs: int, explore_seconds: float | None,
           color: str | None) -> None:
    """Walk BUNDLE without help, audit what it did, and decide: approve, flag or reject.

    Exit code: 0 approve, 1 flag, 2 reject, 3 mpsandbox could not run (a missing bundle, a bad option, policy,
    mock or baseline file too). With --fail-on reject, a flag exits 0. With --baseline, only new findings count.
    With --min-score N, an experience score below N exits at least 1.
    """
    from .report.baseline import BaselineError, apply_baseline, load_report
    from .report.outputs import OutputError, plan_outputs
    from .review import PolicyError, ReviewOptions
    from .review.score import apply_score_gate
    from .review import review as run_review

    _set_color(color)
    try:
        plan = plan_outputs(fmt, outs, out_dir)
    except OutputError as exc:
        raise click.UsageError(str(exc)) from None
    old = None
    if baseline is not None:
        try:
            old = load_report(baseline)
        except BaselineError as exc:
            raise click.BadParameter(str(exc), param_hint="--baseline") from None
    mocks = _load_mocks(mock_file)
    options = ReviewOptions(policy=policy, platform=platform, engine=_resolve_engine(engine), seed=seed, deny=deny,
                            allow_domains=list(allow_domains), fail_on=fail_on, mocks=mocks, screenshots=screenshots,
                            min_score=min_score, isolation=isolation,
                            explore=explore_runs, explore_seconds=explore_seconds)
    walks: list = []
    show = err_console.is_terminal if progress is None else progress
    try:
        if show:
            from .progress import ReviewProgress

            with ReviewProgress(err_console, bundle.name) as follow:
                report = run_review(bundle, options, on_runs=walks.extend, on_progress=follow)
        else:
            report = run_review(bundle, options, on_runs=walks.extend)
    except PolicyError as exc:
        err_console.print(f"[red]policy error[/red] {_esc(exc)}", highlight=False)
        sys.exit(EXIT_INTERNAL)
    if screenshots and not any(r.screens for r in report.runs):
        why = next((p for p in report.problems if p.startswith("screenshots:")), "none were taken")
        err_console.print(f"no screenshots: {_esc(why)}", highlight=False)
    if old is not None:
        report = apply_baseline(report, old, str(baseline), fail_on)
        report.exit_code = apply_score_gate(report.score, min_score, report.exit_code)
    if trace_out is not None:
        from .report.chrome_trace import to_chrome_trace_json

        trace_out.parent.mkdir(parents=True, exist_ok=True)
        trace_out.write_text(to_chrome_trace_json([(w.mode, w.trace) for w in walks], units_per_ms={
            w.mode: w.units_per_ms for w in walks}), encoding="utf-8")
        err_console.print(f"walk trace written to {trace_out} (open it in https://ui.perfetto.dev)")
    _write_outputs(report, plan, color, fail_on, source_root)
    sys.exit(report.exit_code)


def _write_outputs(report, plan, color: str | None, fail_on: str, source_root: str | None = None) -> None:
    from .report.render import render

    for out in plan:
        colored = out.path is None and out.fmt == "text" and _use_color(color, sys.stdout)
        text = render(report, out.fmt, color=colored, fail_on=fail_on, source_root=source_root)
        if out.path is None:
            click.echo(text, color=colored)  # click strips styles off a pipe unless told
            continue
        out.path.parent.mkdir(parents=True, exist_ok=True)
        out.path.write_text(text, encoding="utf-8")
        err_console.print(f"{report.verdict.value}: {len(report.shown_findings)} finding(s); {out.fmt} report "
                          f"written to {out.path}", markup=False, highlight=False)
    if report.allow_domains == [] and any(r.domains for r in report.runs) and all(o.path is not None for o in plan):
        err_console.print("note: no allow-list was given (--allow-domain or allow_domains in a policy); the network "
                          "audits could not tell allowed hosts from others", markup=False, highlight=False)


@cli.command("report")
@click.argument("saved", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default=None, metavar="FMT[,FMT...]",
              help="text, json, sarif, junit, html; several separated by commas (with --out-dir). Default: text.")
@click.option("--out", "outs", multiple=True, metavar="FILE|FMT=FILE", help="As for `review`.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), help="As for `review`.")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An earlier JSON report: findings are marked new or unchanged, and only new ones count.")
@click.option("--fail-on", type=click.Choice(["flag", "reject"]), default="flag", show_default=True)
@click.option("--source-root", metavar="DIR", help="As for `review`.")
@_color_option
def report_command(saved: Path, fmt: str | None, outs: tuple[str, ...], out_dir: Path | None, baseline: Path | None,
                   fail_on: str, source_root: str | None, color: str | None) -> None:
    """Render SAVED (a JSON report of `mpsandbox review --format json`) again, in any format.

    Exit code: the saved verdict's (0 approve, 1 flag, 2 reject; with --baseline, of the new findings), 3 when
    SAVED is not a report.
    """
    from .report.baseline import BaselineError, apply_baseline, load_report
    from .report.outputs import OutputError, plan_outputs
    from .review.model import exit_code_for

    _set_color(color)
    try:
        plan = plan_outputs(fmt, outs, out_dir)
    except OutputError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        report = load_report(saved)
        old = load_report(baseline) if baseline is not None else None
    except BaselineError as exc:
        raise click.BadParameter(str(exc)) from None
    report = report.model_copy(update={"exit_code": exit_code_for(report.verdict, fail_on)})  # type: ignore[arg-type]
    if old is not None:
        report = apply_baseline(report, old, str(baseline), fail_on)
    _write_outputs(report, plan, color, fail_on, source_root)
    sys.exit(report.exit_code)


@cli.command()
@click.option("--policy", metavar="NAME|FILE", help="Show severities and switches as this policy sets them.")
@click.option("--json", "as_json", is_flag=True, help="Print the rule catalogue as JSON.")
@click.option("--markdown", is_flag=True, help="Print the rule catalogue as Markdown (docs/rules.md).")
@click.argument("rule_id", required=False)
def rules(policy: str | None, as_json: bool, markdown: bool, rule_id: str | None) -> None:
    """List every audit with its id, category, severity and description (or explain RULE_ID)."""
    import json as _json

    from rich.table import Table

    from .review import PolicyError
    from .review.audits import REGISTRY
    from .review.policy import resolve_policy

    try:
        pol = resolve_policy(policy, None) if policy else None
    except PolicyError as exc:
        err_console.print(f"[red]policy error[/red] {_esc(exc)}")
        sys.exit(EXIT_INTERNAL)
    from .review.model import CATEGORIES

    infos = sorted((a.info(pol) for a in REGISTRY.values()), key=lambda i: (CATEGORIES.index(i.category), i.id))
    if rule_id:
        infos = [i for i in infos if i.id == rule_id]
        if not infos:
            err_console.print(f"[red]no such rule[/red] {rule_id}{did_you_mean(rule_id, REGISTRY)}; "
                              "`mpsandbox rules` lists them", highlight=False)
            sys.exit(EXIT_INTERNAL)
    if as_json:
        click.echo(_json.dumps([i.model_dump(mode="json") for i in infos], indent=2, ensure_ascii=False))
        return
    if markdown:
        from .report.rules_doc import rules_markdown

        click.echo(rules_markdown(infos), nl=False)
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
@_bundle_argument
@click.option("--runs", type=click.IntRange(1), default=100, show_default=True, help="Runs to generate (shrinking runs more).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search and of the runs.")
@click.option("--mock", "mock_file", type=click.Path(path_type=Path), help="Mock file (TOML, YAML or JSON).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Replay files and tests. [default: explore-out]")
@click.option("--engine", type=click.Choice(["native", "wasm"]), default="native", show_default=True)
@click.option("--max-steps", type=click.IntRange(1, 50), default=8, show_default=True, help="Actions per run.")
@click.option("--db", metavar="DIR|none", help="Hypothesis example database. [default: .mpsandbox/explore-db]")
@click.option("--seconds", type=click.FloatRange(0, min_open=True), metavar="S",
              help="Stop after S seconds even if runs are left (results then depend on the machine's speed).")
@click.option("--allow-domain", "allow_domains", multiple=True, metavar="DOMAIN", callback=_allow_domains,
              help="Request-domain allow-list for the review's rules that read each run (repeatable).")
def explore(bundle: Path, runs: int, seed: int, mock_file: Path | None, out: Path | None, engine: str, max_steps: int,
            db: str | None, seconds: float | None, allow_domains: list[str]) -> None:
    """Search BUNDLE for what breaks it (user actions, permission answers, API outcomes, lifecycle, environment);
    each failure shrunk, saved as a replay file and a pytest test. Exit 1 when something failed."""
    from .explore.command import explore_command

    sys.exit(explore_command(bundle, runs=runs, seed=seed, mocks=_load_mocks(mock_file), out=out, engine=engine,
                             max_steps=max_steps, db=db, seconds=seconds, allow_domains=list(allow_domains),
                             echo=click.echo, note=lambda t: err_console.print(t)))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bundle", type=click.Path(exists=True, path_type=Path), help="The bundle, if it moved.")
@click.option("--engine", type=click.Choice(["native", "wasm"]), default="native", show_default=True)
def replay(file: Path, bundle: Path | None, engine: str) -> None:
    """Run a failure's steps again, exactly. Exit 1 when it happens again, 0 when it does not any more."""
    from .explore.command import replay_command

    sys.exit(replay_command(file, bundle=bundle, engine=engine, echo=click.echo))


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
