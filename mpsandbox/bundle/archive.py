"""Read a bundle's files from a directory or a zip, safely, into memory.

Hostile input is the norm: names that climb out (``../``), absolute or drive names, symlinks, device files,
duplicate names (also differing only by case or separator), zip bombs. Every cap is enforced while reading: an
entry is read in chunks and refused as soon as it passes a cap, whatever its header claims. Nothing is written
to disk.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath
from typing import Mapping

from pydantic import BaseModel, Field

from .errors import BundleError

CHUNK = 64 * 1024


class LoadLimits(BaseModel):
    # Bytes are the main caps; the file count only guards against floods of tiny entries (real projects with
    # their npm packages and the official demos have thousands of files).
    max_entries: int = Field(20_000, gt=0)
    max_total_bytes: int = Field(64 * 1024 * 1024, gt=0)
    max_file_bytes: int = Field(16 * 1024 * 1024, gt=0)
    max_ratio: float = Field(100.0, gt=1)  # uncompressed / compressed, per entry and overall
    ratio_floor_bytes: int = Field(1024 * 1024, ge=0)  # the ratio applies once this much has been inflated
    max_depth: int = Field(32, gt=0)


def safe_name(raw: str) -> str:
    """The normalised POSIX path of an archive member, or a BundleError for a name that escapes or cheats."""
    if "\x00" in raw:
        raise BundleError("bad-name", f"entry name contains a NUL byte: {raw!r}")
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or name.startswith("//"):
        raise BundleError("absolute-path", f"entry has an absolute name: {raw!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise BundleError("path-traversal", f"entry climbs out of the bundle: {raw!r}")
    if not parts:
        raise BundleError("bad-name", f"entry has an empty name: {raw!r}")
    return "/".join(parts)


def _identity(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


class _Collector:
    def __init__(self, limits: LoadLimits):
        self.limits = limits
        self.files: dict[str, bytes] = {}
        self.seen: dict[str, str] = {}
        self.total = 0
        self.compressed = 0

    def add_name(self, name: str) -> None:
        ident = _identity(name)
        if ident in self.seen:
            raise BundleError("duplicate-name", f"{name!r} appears twice (as {self.seen[ident]!r})", file=name)
        self.seen[ident] = name
        if len(self.seen) > self.limits.max_entries:
            raise BundleError("too-many-entries", f"more than {self.limits.max_entries} files")
        if name.count("/") >= self.limits.max_depth:
            raise BundleError("too-deep", f"{name!r} is nested more than {self.limits.max_depth} folders deep",
                              file=name)

    def count(self, name: str, n: int, entry_total: int, entry_compressed: int | None) -> None:
        lim = self.limits
        self.total += n
        if entry_total > lim.max_file_bytes:
            raise BundleError("file-too-large", f"{name} is larger than {lim.max_file_bytes} bytes", file=name)
        if self.total > lim.max_total_bytes:
            raise BundleError("too-large", f"the bundle inflates to more than {lim.max_total_bytes} bytes")
        if entry_compressed is not None and entry_total > lim.ratio_floor_bytes:
            if entry_total > lim.max_ratio * max(entry_compressed, 1):
                raise BundleError("compression-ratio", f"{name} inflates more than {lim.max_ratio:.0f}:1 "
                                  "(a zip bomb?)", file=name)
        if self.compressed and self.total > lim.ratio_floor_bytes and self.total > lim.max_ratio * self.compressed:
            raise BundleError("compression-ratio", f"the archive inflates more than {lim.max_ratio:.0f}:1")


def read_zip(path: Path, limits: LoadLimits) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError("bad-archive", f"{path.name} is not a readable zip: {exc}") from None
    col = _Collector(limits)
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise BundleError("too-many-entries", f"{len(infos)} entries (limit {limits.max_entries})")
        col.compressed = sum(max(i.compress_size, 0) for i in infos)
        for info in infos:
            mode = (info.external_attr >> 16) & 0xFFFF
            if info.is_dir():
                safe_name(info.filename)
                continue
            name = safe_name(info.filename)
            if stat.S_ISLNK(mode):
                raise BundleError("symlink", f"entry {info.filename!r} is a symbolic link", file=name)
            if mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode) != 0:
                raise BundleError("special-file", f"entry {info.filename!r} is not a regular file", file=name)
            if info.flag_bits & 0x1:
                raise BundleError("encrypted", f"entry {info.filename!r} is encrypted", file=name)
            col.add_name(name)
            chunks: list[bytes] = []
            size = 0
            try:
                with zf.open(info) as fh:
                    while True:
                        chunk = fh.read(CHUNK)
                        if not chunk:
                            break
                        size += len(chunk)
                        col.count(name, len(chunk), size, info.compress_size)
                        chunks.append(chunk)
            except BundleError:
                raise
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
                raise BundleError("bad-archive", f"cannot read {info.filename!r}: {exc}", file=name) from None
            col.files[name] = b"".join(chunks)
    return col.files


SKIPPED_DIRS = (".git", ".svn", "node_modules", ".DS_Store", "__MACOSX")


def _kept(rel: str, keep: tuple[str, ...]) -> bool:
    """Is ``rel`` one of the ``keep`` folders, inside one, or on the way to one?"""
    return any(rel == k or rel.startswith(k + "/") or k.startswith(rel + "/") for k in keep)


def read_directory(root: Path, limits: LoadLimits, keep: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Read a folder; ``keep`` names folders (relative) read even inside a skipped one (an Alipay package in
    node_modules)."""
    col = _Collector(limits)
    root_fd_stat = os.lstat(root)
    if stat.S_ISLNK(root_fd_stat.st_mode):
        raise BundleError("symlink", f"{root} is a symbolic link")
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise BundleError("unreadable", f"cannot list {folder}: {exc.strerror or exc}") from None
        for entry in entries:
            rel = PurePosixPath(Path(entry.path).relative_to(root).as_posix()).as_posix()
            if any(part in SKIPPED_DIRS for part in rel.split("/")) and not _kept(rel, keep):
                continue
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise BundleError("symlink", f"{rel} is a symbolic link", file=rel)
            if stat.S_ISDIR(st.st_mode):
                stack.append(Path(entry.path))
                continue
            if not stat.S_ISREG(st.st_mode):
                raise BundleError("special-file", f"{rel} is not a regular file", file=rel)
            col.add_name(rel)
            if st.st_size > limits.max_file_bytes:
                raise BundleError("file-too-large", f"{rel} is larger than {limits.max_file_bytes} bytes", file=rel)
            chunks = []
            size = 0
            try:
                with open(entry.path, "rb") as fh:
                    while chunk := fh.read(CHUNK):
                        size += len(chunk)
                        col.count(rel, len(chunk), size, None)
                        chunks.append(chunk)
            except OSError as exc:
                raise BundleError("unreadable", f"cannot read {rel}: {exc.strerror or exc}", file=rel) from None
            col.files[rel] = b"".join(chunks)
    return col.files


def read_memory(files: Mapping[str, bytes], limits: LoadLimits) -> dict[str, bytes]:
    """Files given in memory, held to the same names and caps as a zip's entries."""
    col = _Collector(limits)
    for raw, data in files.items():
        name = safe_name(raw)
        col.add_name(name)
        col.count(name, len(data), len(data), None)
        col.files[name] = data
    return col.files


def read_files(path: Path, limits: LoadLimits, keep: tuple[str, ...] = ()) -> dict[str, bytes]:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise BundleError("not-found", f"{path} does not exist") from None
    except OSError as exc:
        raise BundleError("unreadable", f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        path = path.resolve()  # the bundle path itself may be a link the user made; its content may not
        st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        return read_directory(path, limits, keep)
    if stat.S_ISREG(st.st_mode) and zipfile.is_zipfile(path):
        return read_zip(path, limits)
    raise BundleError("not-a-bundle", f"{path} is neither a directory nor a zip archive")
