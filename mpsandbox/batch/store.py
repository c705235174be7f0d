"""Where a batch keeps its results: one JSON file per reviewed bundle plus an append-only index.

A result is keyed by the bundle's content hash, the review options (policy included) and the mpsandbox version,
so a re-run finds the work already done and an interrupted batch continues where it stopped.

    OUT/batch.json                 the batch: sources and options (for --resume)
    OUT/reports/ab/<key>.json      {"key", "row", "report"}: the table row and the full JSON report
    OUT/index.jsonl                {"key", "row"} per finished bundle, appended as results arrive
    OUT/.running/<worker>          the bundle each worker process is running (to charge a crash to it)
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from .. import __version__

MAX_HASHED_ENTRIES = 200_000
MAX_HASH_DEPTH = 64
CHUNK = 1 << 20


def content_hash(path: str) -> str:
    """sha256 of what is at ``path``: a file's bytes, or a folder's sorted relative paths with their bytes.

    Symlinks are hashed as their target text, not followed. Bounded in entries and depth; a path that cannot
    be read hashes to its name, so each missing bundle keeps a key of its own.
    """
    h = hashlib.sha256()
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        h.update(b"unreadable\0" + os.fsencode(path))
        return h.hexdigest()
    if stat.S_ISREG(st.st_mode):
        h.update(b"file\0")
        _hash_file(h, path)
        return h.hexdigest()
    if not stat.S_ISDIR(st.st_mode):
        h.update(b"other\0" + os.fsencode(path))
        return h.hexdigest()
    h.update(b"dir\0")
    entries = 0
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel, depth = stack.pop()
        try:
            with os.scandir(os.path.join(path, rel)) as it:
                items = sorted((e.name, e) for e in it)
        except OSError:
            h.update(b"unlistable\0" + os.fsencode(rel) + b"\n")
            continue
        subdirs = []
        for name, e in items:
            entries += 1
            if entries > MAX_HASHED_ENTRIES:
                h.update(b"truncated\n")
                return h.hexdigest()
            child = f"{rel}/{name}" if rel else name
            key = os.fsencode(child)
            if e.is_symlink():
                try:
                    h.update(b"L\0" + key + b"\0" + os.fsencode(os.readlink(e.path)) + b"\n")
                except OSError:
                    h.update(b"L\0" + key + b"\n")
            elif e.is_dir(follow_symlinks=False):
                if depth + 1 <= MAX_HASH_DEPTH:
                    subdirs.append(child)
                h.update(b"D\0" + key + b"\n")
            elif e.is_file(follow_symlinks=False):
                h.update(b"F\0" + key + b"\0")
                _hash_file(h, e.path)
                h.update(b"\n")
        stack.extend((d, depth + 1) for d in reversed(subdirs))
    return h.hexdigest()


def _hash_file(h: Any, path: str) -> None:
    inner = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                inner.update(chunk)
    except OSError:
        h.update(b"unreadable")
        return
    h.update(inner.hexdigest().encode())


def result_key(bundle_hash: str, options_fingerprint: str, version: str = __version__) -> str:
    return hashlib.sha256(f"{bundle_hash}\n{options_fingerprint}\n{version}".encode()).hexdigest()[:32]


class ResultStore:
    """The results of one output folder. Writes are atomic per bundle; the index tolerates a torn last line."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.reports = self.out / "reports"
        self.index_path = self.out / "index.jsonl"
        self.reports.mkdir(parents=True, exist_ok=True)
        self._index = None

    def report_path(self, key: str) -> Path:
        return report_path(self.reports, key)

    def rows(self) -> dict[str, dict[str, Any]]:
        """The row of every finished bundle by key, read from the index, with reports it missed recovered."""
        rows: dict[str, dict[str, Any]] = {}
        if self.index_path.exists():
            with open(self.index_path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                        rows[rec["key"]] = rec["row"]
                    except (ValueError, KeyError, TypeError):
                        continue  # a line torn by an interruption
        for sub in sorted(self.reports.iterdir()) if self.reports.exists() else []:
            if not sub.is_dir():
                continue
            for f in sorted(sub.glob("*.json")):
                if f.stem in rows:
                    continue
                try:  # written but not indexed: the batch stopped between the two
                    rec = json.loads(f.read_text(encoding="utf-8"))
                    rows[rec["key"]] = rec["row"]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
        return {k: r for k, r in rows.items() if self.report_path(k).exists()}

    def save(self, key: str, row: dict[str, Any], report_json: str | None, *, written: bool = False) -> None:
        """Write the bundle's report file (atomically; ``written``: its worker already did), then append its row
        to the index."""
        row_json = json.dumps(row, ensure_ascii=False)
        if not written:
            write_report(self.reports, key, row_json, report_json)
        if self._index is None:
            self._index = open(self.index_path, "a", encoding="utf-8")
        self._index.write('{"key": "%s", "row": %s}\n' % (key, row_json))
        self._index.flush()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def write_job(self, job: dict[str, Any]) -> None:
        _atomic_write(self.out / "batch.json", json.dumps(job, indent=2, ensure_ascii=False))

    def read_job(self) -> dict[str, Any]:
        path = self.out / "batch.json"
        try:
            job = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{self.out} holds no batch to resume (no batch.json)") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        if not isinstance(job, dict) or not isinstance(job.get("sources"), list):
            raise ValueError(f"{path} is not a batch description")
        return job


def report_path(reports: Path, key: str) -> Path:
    return reports / key[:2] / f"{key}.json"


def write_report(reports: Path, key: str, row_json: str, report_json: str | None) -> None:
    """OUT/reports/ab/<key>.json, atomically (by the driver, or by a worker sharing OUT's file system)."""
    path = report_path(reports, key)
    body = '{"key": "%s", "row": %s, "report": %s}\n' % (key, row_json, report_json if report_json else "null")
    tmp = path.with_name(f".tmp-{os.getpid()}-{key}.json")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(body)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(body)
    os.replace(tmp, path)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
