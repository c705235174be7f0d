"""Batch sources: directories of bundles, single bundles (folder, .zip, .wxapkg) and manifests listing them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_BUNDLES = 1_000_000
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".wxapkg")
# A folder holding one of these is itself a bundle (__APP__.wxapkg: a compiled main package beside its
# subpackages), else a folder of bundles.
BUNDLE_MARKERS = ("app.json", "app-config.json", "project.config.json", "mini.project.json", "game.json",
                  "__APP__.wxapkg")


class SourceError(ValueError):
    """A source that cannot be read as a bundle, a folder of bundles or a manifest."""


def is_bundle_dir(path: Path) -> bool:
    return any((path / m).is_file() for m in BUNDLE_MARKERS)


def _children(folder: Path) -> list[str]:
    out: list[str] = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.name.startswith("."):
                    continue
                if e.is_dir(follow_symlinks=False) or (
                        e.is_file(follow_symlinks=False) and e.name.lower().endswith(ARCHIVE_SUFFIXES)):
                    out.append(os.path.abspath(e.path))
                if len(out) > MAX_BUNDLES:
                    raise SourceError(f"{folder} holds more than {MAX_BUNDLES} bundles")
    except OSError as exc:
        raise SourceError(f"cannot list {folder}: {exc.strerror or exc}") from None
    return sorted(out)


def read_manifest(path: Path) -> list[str]:
    """One bundle path a line (relative to the manifest's folder); blank lines and `#` comments skipped."""
    try:
        if os.stat(path).st_size > MAX_MANIFEST_BYTES:
            raise SourceError(f"manifest {path} is larger than {MAX_MANIFEST_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    if b"\x00" in data[:4096]:
        raise SourceError(f"{path} is neither a bundle (.zip, .wxapkg) nor a text manifest")
    text = data.decode("utf-8", errors="replace")
    base = path.parent
    out: list[str] = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        out.append(os.path.abspath(base / entry))
        if len(out) > MAX_BUNDLES:
            raise SourceError(f"manifest {path} lists more than {MAX_BUNDLES} bundles")
    return out


def expand_sources(sources: list[str | Path] | tuple[str | Path, ...]) -> list[str]:
    """The bundles of ``sources`` as absolute paths, in order, each once.

    A folder that is a bundle (app.json, project.config.json, __APP__.wxapkg...) is one bundle; any other
    folder is a folder of bundles (each subfolder, .zip and .wxapkg in it). A .zip or .wxapkg file is a bundle;
    any other file is a manifest. A path a manifest lists is taken as a bundle even when missing: the review
    then records why it could not load it.
    """
    seen: set[str] = set()
    out: list[str] = []

    def add(paths: list[str]) -> None:
        for p in paths:
            if p not in seen:
                seen.add(p)
                out.append(p)
        if len(out) > MAX_BUNDLES:
            raise SourceError(f"more than {MAX_BUNDLES} bundles")

    for src in sources:
        path = Path(src)
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise SourceError(f"cannot read source {src}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(mode):
            add([os.path.abspath(path)] if is_bundle_dir(path) else _children(path))
        elif path.suffix.lower() in ARCHIVE_SUFFIXES:
            add([os.path.abspath(path)])
        elif stat.S_ISREG(mode):
            add(read_manifest(path))
        else:
            raise SourceError(f"{src} is not a folder, a bundle or a manifest")
    return out
