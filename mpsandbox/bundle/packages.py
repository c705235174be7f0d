"""Find and read compiled WeChat packages: a .wxapkg file, or a folder of them (main package plus subpackages)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .archive import LoadLimits
from .errors import BundleError, BundleProblem
from .wxapkg import HEADER, looks_like_wxapkg, read_wxapkg


def _read_file(path: Path, limits: LoadLimits) -> bytes:
    try:
        st = os.stat(path)
        if st.st_size > limits.max_total_bytes:
            raise BundleError("too-large", f"{path.name} is larger than {limits.max_total_bytes} bytes")
        with open(path, "rb") as fh:
            return fh.read(limits.max_total_bytes + 1)
    except OSError as exc:
        raise BundleError("unreadable", f"cannot read {path.name}: {exc.strerror or exc}") from None


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(HEADER.size)
    except OSError:
        return b""


def _is_main(files: dict[str, bytes]) -> bool:
    return "app-config.json" in files or "game.json" in files


def read_packages(path: Path, limits: LoadLimits,
                  problems: list[BundleProblem]) -> tuple[dict[str, bytes] | None, list[str]]:
    """The merged files of the package(s) at ``path`` and their names, or (None, []) when it holds none."""
    try:
        st = os.stat(path)
    except OSError:
        return None, []
    if stat.S_ISREG(st.st_mode):
        if path.suffix.lower() != ".wxapkg" and not looks_like_wxapkg(_head(path)):
            return None, []
        files = read_wxapkg(_read_file(path, limits), limits, path.name)
        if not _is_main(files):
            raise BundleError("wxapkg-subpackage", f"{path.name} is a subpackage (no app-config.json): load the "
                              "folder that holds it together with its main package")
        return files, [path.name]
    if not stat.S_ISDIR(st.st_mode):
        return None, []
    try:
        names = sorted(e.name for e in os.scandir(path) if e.name.lower().endswith(".wxapkg") and e.is_file(
            follow_symlinks=False))
    except OSError:
        return None, []
    if not names or (path / "app.json").exists() or (path / "app-config.json").exists():
        return None, []
    if len(names) > limits.max_entries:
        raise BundleError("too-many-entries", f"{len(names)} packages in {path.name}")
    packages: list[tuple[str, dict[str, bytes]]] = []
    encrypted: list[str] = []
    for name in names:
        try:
            packages.append((name, read_wxapkg(_read_file(path / name, limits), limits, name)))
        except BundleError as exc:
            if exc.code != "wxapkg-encrypted":
                raise
            encrypted.append(name)
    if not packages:
        raise BundleError("wxapkg-encrypted", f"every package in {path.name} is encrypted (V1MMWX): "
                          + ", ".join(encrypted))
    for name in encrypted:
        problems.append(BundleProblem(code="wxapkg-encrypted", file=name, message="an encrypted PC package "
                                      "(V1MMWX) was skipped; its decrypted copy, if any, was read"))
    mains = [(n, f) for n, f in packages if _is_main(f)]
    if len(mains) > 1:
        raise BundleError("wxapkg-several-mains", "more than one main package (with app-config.json): "
                          + ", ".join(n for n, _ in mains))
    if not mains:
        raise BundleError("wxapkg-no-main", f"no main package (with app-config.json) among {', '.join(names)}")
    ordered = mains + [(n, f) for n, f in packages if not _is_main(f)]
    merged: dict[str, bytes] = {}
    total = 0
    for name, files in ordered:
        for rel, data in files.items():
            if rel in merged:
                problems.append(BundleProblem(code="duplicate-name", file=rel,
                                              message=f"{name} repeats {rel}; the first package's copy is used"))
                continue
            merged[rel] = data
            total += len(data)
            if total > limits.max_total_bytes or len(merged) > limits.max_entries:
                raise BundleError("too-large", f"the packages in {path.name} hold more than the limits allow")
    return merged, [n for n, _ in ordered]
