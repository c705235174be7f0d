"""What runs in a batch worker process: one review, its row and its JSON report.

Imported by the Dask workers; the process is reused from bundle to bundle (catalogue, compiled framework and
engine set-up stay warm), while each review builds its own sandbox exactly as `mpsandbox review` does.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import time
from pathlib import Path
from typing import Any

from ..review import ReviewOptions, review
from ..runtime.isolation import WALK_PROCESSES_ENV
from .rows import failure_row, report_row
from .store import write_report

# Test-only: JSON {"always": [names], "once": [names], "state": dir}. A bundle whose folder or file name is
# listed SIGKILLs the worker reviewing it (always, or on its first attempt only), as a crashing engine would.
TEST_KILL_ENV = "MPSANDBOX_BATCH_TEST_KILL"

_reviews_done = 0  # in this worker process: orders its rows, to see its memory over the batch
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # kB on Linux


def _test_kill_hook(path: str) -> None:
    spec = os.environ.get(TEST_KILL_ENV)
    if not spec:
        return
    try:
        conf = json.loads(spec)
    except ValueError:
        return
    name = Path(path).name
    if name in conf.get("always", []):
        if conf.get("state"):
            with open(Path(conf["state"]) / f"runs-{name}", "a", encoding="ascii") as fh:
                fh.write("killed\n")
        os.kill(os.getpid(), signal.SIGKILL)
    if name in conf.get("once", []) and conf.get("state"):
        marker = Path(conf["state"]) / f"killed-{name}"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def marker_name(worker_address: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in worker_address)[:200]


def _mark_running(running_dir: str | None, key: str | None) -> None:
    """Note which bundle this worker process is running, so that if the process dies the batch knows it was
    this one and not one merely queued behind it. Best effort: the folder may not be shared with the driver."""
    if not running_dir or not key:
        return
    try:
        from distributed import get_worker

        address = get_worker().address
        with open(os.path.join(running_dir, marker_name(address)), "w", encoding="ascii") as fh:
            fh.write(key)
    except Exception:  # noqa: BLE001 - not in a Dask worker, or no such folder here
        pass


def shares_out(running_dir: str | None, token: str | None) -> bool:
    """Whether this process sees the batch's own OUT folder (its token file is there): then it writes each report
    itself and only the row travels back."""
    return bool(running_dir and token) and os.path.isfile(os.path.join(running_dir, token_name(token)))


def token_name(token: str) -> str:
    return f".batch-{token}"


def review_bundle(path: str, options: ReviewOptions, running_dir: str | None = None, key: str | None = None,
                  token: str | None = None) -> tuple[dict[str, Any], str | None, bool]:
    """Review ``path``; returns its row, its report JSON, and whether the report was written to OUT here (then the
    JSON is None: a worker that shares OUT's file system writes it, see :func:`shares_out`). mpsandbox failing is an
    ``error`` row, not a raise."""
    global _reviews_done
    # the batch reviews bundles side by side, one a core: a review's own walks run one at a time
    os.environ.setdefault(WALK_PROCESSES_ENV, "1")
    _mark_running(running_dir, key)
    _test_kill_hook(path)
    started_at = time.time()
    t0 = time.perf_counter()
    c0 = time.thread_time()
    report_json: str | None = None
    try:
        report = review(path, options).model_dump(mode="json")
        report_json = json.dumps(report, ensure_ascii=False)
        row = report_row(report)
    except Exception as exc:  # noqa: BLE001 - a bad option or an mpsandbox bug is recorded for this bundle
        row = failure_row("error", f"{type(exc).__name__}: {exc}")
    row["started_at"] = round(started_at, 4)
    row["seconds"] = round(time.perf_counter() - t0, 4)
    row["cpu_seconds"] = round(time.thread_time() - c0, 4)
    row["worker_rss_bytes"] = rss_bytes()
    row["worker_peak_rss_bytes"] = peak_rss_bytes()
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    _reviews_done += 1
    row["worker_reviews"] = _reviews_done
    if key and report_json is not None and shares_out(running_dir, token):
        try:
            write_report(Path(running_dir).parent / "reports", key, json.dumps(row, ensure_ascii=False), report_json)
            return row, None, True
        except OSError:  # not writable from here after all: the driver writes it
            pass
    return row, report_json, False


def review_chunk(paths: list[str], options: ReviewOptions, running_dir: str | None, keys: list[str],
                 token: str | None) -> list[tuple[dict[str, Any], str | None, bool]]:
    """:func:`review_bundle` for each bundle of a chunk, in order (one Dask task for several reviews)."""
    return [review_bundle(path, options, running_dir, key, token) for path, key in zip(paths, keys)]


def warm_up() -> int:
    """Load what every review needs (catalogue, rules) once per worker process; returns its pid."""
    from ..apis.catalogue import load_catalogue
    from ..review.audits import REGISTRY

    load_catalogue()
    _ = len(REGISTRY)
    return os.getpid()
