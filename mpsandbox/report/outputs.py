"""Several report formats from one review: ``--format json,sarif`` with ``--out-dir DIR``, or ``--out FILE`` (repeatable,
format from the extension or ``FMT=FILE``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .render import FORMATS

EXTENSIONS = {".json": "json", ".sarif": "sarif", ".xml": "junit", ".junit": "junit", ".html": "html",
              ".htm": "html", ".txt": "text", ".text": "text"}
FILE_NAMES = {"text": "review.txt", "json": "review.json", "sarif": "review.sarif", "junit": "review.junit.xml",
              "html": "review.html"}


class OutputError(ValueError):
    """An output request that cannot be met (unknown format, no way to tell the format of a file)."""


@dataclass(frozen=True)
class Output:
    fmt: str
    path: Path | None  # None: standard output


def parse_formats(value: str) -> list[str]:
    """``json,sarif`` → ``["json", "sarif"]`` (each known, no repeats)."""
    out: list[str] = []
    for part in (p.strip().lower() for p in value.split(",")):
        if not part:
            continue
        if part not in FORMATS:
            from ..friendly import did_you_mean

            raise OutputError(f"unknown format {part!r}{did_you_mean(part, FORMATS)}; choose from {', '.join(FORMATS)}")
        if part not in out:
            out.append(part)
    return out or ["text"]


def format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".sarif.json"):
        return "sarif"
    if name.endswith(".junit.xml"):
        return "junit"
    return EXTENSIONS.get(path.suffix.lower())


def plan_outputs(formats: str | None, outs: tuple[str, ...], out_dir: Path | None) -> list[Output]:
    """Where each format goes. ``--format X --out FILE`` (one of each) writes X to FILE whatever its extension;
    otherwise each ``--out`` is ``FMT=FILE`` or a file whose extension names the format; ``--out-dir`` takes every
    format of ``--format`` not written elsewhere; with neither, the one format goes to standard output."""
    fmts = parse_formats(formats) if formats else []
    plan: list[Output] = []
    if len(outs) == 1 and len(fmts) == 1 and out_dir is None and "=" not in outs[0].split("/")[0]:
        return [Output(fmts[0], Path(outs[0]))]
    for spec in outs:
        head, sep, tail = spec.partition("=")
        if sep and head.lower() in FORMATS and tail:
            plan.append(Output(head.lower(), Path(tail)))
            continue
        fmt = format_of(Path(spec))
        if fmt is None:
            raise OutputError(f"cannot tell the format of {spec!r} from its extension; write FMT=FILE "
                              f"(FMT one of {', '.join(FORMATS)}) or use .json .sarif .xml .html .txt")
        plan.append(Output(fmt, Path(spec)))
    written = {o.fmt for o in plan}
    if out_dir is not None:
        for fmt in fmts or ["json"]:
            if fmt not in written:
                plan.append(Output(fmt, out_dir / FILE_NAMES[fmt]))
    elif not plan:
        if len(fmts) > 1:
            raise OutputError("several formats need --out-dir DIR or one --out FILE per format")
        plan.append(Output(fmts[0] if fmts else "text", None))
    else:
        missing = [f for f in fmts if f not in written]
        if missing:
            raise OutputError(f"no --out for format(s) {', '.join(missing)}; add --out FMT=FILE or --out-dir DIR")
    return plan
