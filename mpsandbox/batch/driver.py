"""Drive a batch on Dask: expand the sources, skip what the store already holds, review the rest on the
cluster's worker processes, record each result as it arrives, then write the table and the summary."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import __version__
from ..review.runner import ReviewOptions
from .rows import build_table, failure_row, write_outputs
from .sources import SourceError, expand_sources
from .store import ResultStore, content_hash, result_key
from .worker import marker_name, review_bundle, review_chunk, token_name, warm_up

log = logging.getLogger(__name__)

CRASHED_MESSAGE = "the worker process reviewing it died on the first attempt and on the retry"


class BatchError(ValueError):
    """The batch cannot run: a bad source, option or output folder, or the cluster was lost."""


class BatchInterrupted(Exception):
    """Raised by an ``on_result`` callback to stop a batch; what finished is kept for the next run."""


# A cluster that has lost every worker (their nannies gave up restarting them, or a remote cluster's workers went
# away) never runs the tasks left: with none for this long the batch ends, keeping what finished, instead of waiting.
NO_WORKERS_S = float(os.environ.get("MPSANDBOX_BATCH_NO_WORKERS_S", "120"))


class _ClusterWatch:
    """A thread that checks the cluster still has workers. A local cluster of the batch's own (``restore``) left
    without any gets new ones after a tenth of ``limit_s``; with none for ``limit_s`` the watch cancels the tasks in
    flight (which wakes the batch's waits) and :meth:`check` raises :class:`BatchError`."""

    def __init__(self, client: Any, inflight: dict[Any, Any], limit_s: float | None = None,
                 restore: Callable[[], None] | None = None):
        self.client, self.inflight, self.restore = client, inflight, restore
        self.limit_s = NO_WORKERS_S if limit_s is None else limit_s
        self.lost = False
        self.restored = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="mpsandbox-cluster-watch", daemon=True)
        self._thread.start()

    def _workers(self) -> int:
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 - the scheduler is gone too: no workers
            return 0

    def _watch(self) -> None:
        since: float | None = None
        asked = False
        while not self._stop.wait(min(5.0, self.limit_s / 20)):
            if self._workers():
                since, asked = None, False
                continue
            now = time.monotonic()
            since = now if since is None else since
            if self.restore is not None and not asked and now - since >= self.limit_s / 10:
                asked = True  # once for each time the workers are all gone
                try:
                    self.restore()
                    self.restored += 1
                    log.warning("the local cluster had no workers left (their nannies gave up): new ones started")
                except Exception as exc:  # noqa: BLE001 - the limit below still ends the batch
                    log.warning("could not start new workers: %s", exc)
            if now - since >= self.limit_s:
                self.lost = True  # and every task in flight is cancelled from now on, those submitted later too
                for _ in range(10):  # the batch's thread changes the dict meanwhile: try again
                    try:
                        self.client.cancel(list(self.inflight))
                        break
                    except RuntimeError:
                        continue
                    except Exception:  # noqa: BLE001 - a scheduler that is gone has nothing left to cancel
                        break

    def check(self) -> None:
        if self.lost:
            raise BatchError(f"the cluster had no workers for {self.limit_s:.0f} s; what finished is kept: run the "
                             "batch again to continue")

    def stop(self) -> None:
        self._stop.set()


def options_fingerprint(opts: ReviewOptions) -> str:
    """What of the options changes a review's result: the policy by content when it is a file."""
    data = opts.model_dump(mode="json", exclude={"mocks", "policy"})
    data["allow_domains"] = sorted(data.get("allow_domains") or [])
    policy = opts.policy
    if policy and os.path.isfile(policy):
        data["policy"] = "file:" + hashlib.sha256(Path(policy).read_bytes()).hexdigest()
    else:
        data["policy"] = policy
    mocks = opts.mocks
    data["mocks"] = (hashlib.sha256(mocks.model_dump_json().encode()).hexdigest()
                     if hasattr(mocks, "model_dump_json") else None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def local_cluster(workers: int | None = None, **kwargs: Any):
    """A LocalCluster of single-threaded worker processes (one per core by default) set up for reviews: a
    worker's death fails its tasks at once (the batch retries them alone, after the others), each worker
    holds the next task while it reviews one, so that it never waits for the scheduler, and no profiler runs."""
    import dask
    from distributed import LocalCluster

    n = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 2.0,
                          # the statistical profiler samples the review thread's stack every 10 ms: a third slower
                          "distributed.worker.profile.enabled": False,
                          # fewer wake-ups of the event loops that share the cores with the reviews
                          "distributed.admin.tick.interval": "500ms",
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.memory.monitor-interval": "1s"}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:0",  # a free port: no clash with another cluster
                            silence_logs=kwargs.pop("silence_logs", logging.CRITICAL), **kwargs)


@contextlib.contextmanager
def _open_client(client: Any, scheduler: str | None, workers: int | None
                 ) -> Iterator[tuple[Any, Callable[[], None] | None]]:
    from distributed import Client

    if client is not None:
        yield client, None
        return
    if scheduler:
        try:
            c = Client(scheduler, set_as_default=False, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with c:
            yield c, None
        return
    cluster = local_cluster(workers)
    try:
        with Client(cluster, set_as_default=False) as c:
            c.wait_for_workers(len(cluster.workers), timeout="120s")
            yield c, functools.partial(replace_workers, cluster, len(cluster.workers))
    finally:
        cluster.close()


def replace_workers(cluster: Any, n: int) -> None:
    """Give a local cluster ``n`` new workers in place of its workers (whose nannies may have given up restarting
    them: a nanny that closed stays in the cluster's records and is never started again). Runs on the cluster's
    event loop, whichever thread asks."""
    cluster.loop.add_callback(lambda: (cluster.scale(0), cluster.scale(n)))


class _Progress:
    """done/total, reviews per minute, ETA and verdict counts so far (rich, on stderr)."""

    def __init__(self, enabled: bool, total: int, cached: int) -> None:
        self.verdicts: Counter[str] = Counter()
        self.started = time.monotonic()
        self.reviewed = 0
        self.cached = cached
        self._progress = None
        if enabled and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("reviewing"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.fields[verdicts]}"),
                console=Console(stderr=True), transient=False)
            self._task = self._progress.add_task("batch", total=total, rate="", verdicts=self._text())
            self._progress.start()

    def _text(self) -> str:
        parts = [f"{v} {n}" for v, n in sorted(self.verdicts.items())]
        if self.cached:
            parts.append(f"({self.cached} already done)")
        return " · ".join(parts)

    def add_cached(self, verdict: str | None) -> None:
        self.verdicts[verdict or "?"] += 1

    def advance(self, verdict: str | None) -> None:
        self.reviewed += 1
        self.verdicts[verdict or "?"] += 1
        if self._progress is not None:
            minutes = max(time.monotonic() - self.started, 1e-6) / 60
            self._progress.update(self._task, advance=1, rate=f"{self.reviewed / minutes:,.0f}/min",
                                  verdicts=self._text())

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def review_many(
    sources: list[str | Path] | tuple[str | Path, ...] | str | Path,
    out: str | Path | None = None,
    *,
    options: ReviewOptions | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    retry_failed: bool = False,
    progress: bool = False,
    max_in_flight: int | None = None,
    on_result: Callable[[int, dict[str, Any]], None] | None = None,
    summary: bool = True,
    job_extra: dict[str, Any] | None = None,
    chunk: int | None = None,
):
    """Review every bundle of ``sources`` on Dask and return the results as a pyarrow table (one row a bundle).

    ``out`` keeps each bundle's report, the index, results.parquet, results.jsonl and summary.html; bundles
    whose result it already holds (same content, options and mpsandbox version) are not reviewed again.
    Without ``out`` a temporary folder is used and removed. The cluster is ``client``, else the scheduler at
    ``scheduler``, else a local cluster of ``workers`` processes (one per core). ``on_result(done, row)`` hears
    each finished review; raising :class:`BatchInterrupted` (or Ctrl-C) stops the batch, keeping what finished.
    ``chunk`` fixes how many bundles one Dask task reviews (default: chosen from what is left, see chunk_size).
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    if out is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="mpsandbox-batch-") as tmp:
            return review_many(sources, tmp, options=options, workers=workers, scheduler=scheduler, client=client,
                               retry_failed=retry_failed, progress=progress, max_in_flight=max_in_flight,
                               on_result=on_result, summary=False, job_extra=job_extra, chunk=chunk)
    opts = _checked_options(options or ReviewOptions())
    if chunk is not None and chunk < 1:
        raise BatchError(f"chunk must be at least 1 bundle a task, not {chunk}")
    try:
        bundles = expand_sources(list(sources))
    except SourceError as exc:
        raise BatchError(str(exc)) from None
    out = Path(out)
    try:
        store = ResultStore(out)
    except OSError as exc:
        raise BatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
    store.write_job({
        "tool_version": __version__,
        "sources": [os.path.abspath(s) for s in sources],
        "options": opts.model_dump(mode="json", exclude={"mocks"}),
        **(job_extra or {}),
    })
    fingerprint = options_fingerprint(opts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = list(pool.map(content_hash, bundles))
    keys = [result_key(h, fingerprint) for h in hashes]
    done = store.rows()
    todo: list[tuple[str, str]] = []
    queued: set[str] = set()
    for path, key in zip(bundles, keys):
        row = done.get(key)
        if key in queued or (row is not None and (row.get("status") == "ok" or not retry_failed)):
            continue
        queued.add(key)
        todo.append((key, path))
    bar = _Progress(progress, len(todo), len(set(keys)) - len(todo))
    for key in set(keys) - queued:
        bar.add_cached(done[key].get("verdict"))
    try:
        if todo:
            with _open_client(client, scheduler, workers) as (c, restore):
                _run(c, todo, opts, store, done, bar, on_result, max_in_flight, chunk, restore)
    finally:
        bar.stop()
        store.close()
    rows = []
    for path, h, key in zip(bundles, hashes, keys):
        row = dict(done[key])
        row.update(bundle=path, name=Path(path).name, content_hash=h, key=key)
        rows.append(row)
    table = build_table(rows, _rule_ids())
    write_outputs(table, out)
    if summary:
        from .summary import write_summary

        write_summary(table, out / "summary.html")
    return table


def _checked_options(opts: ReviewOptions) -> ReviewOptions:
    from ..review.policy import PolicyError, resolve_policy
    from ..review.runner import resolve_engine

    try:
        resolve_policy(opts.policy, opts.platform or "tt")
    except PolicyError as exc:
        raise BatchError(f"policy error: {exc}") from None
    if opts.engine == "auto":  # resolved once here, so that every worker reviews on the same engine
        opts = opts.model_copy(update={"engine": resolve_engine("auto")})
    return opts


def _rule_ids() -> list[str]:
    from ..review.audits import REGISTRY

    return sorted(REGISTRY)


# A task reviews a chunk of bundles one after another: the scheduler's cost (a few ms a task on each side) is
# shared by the chunk. Chunks shrink as the batch ends, so that no worker waits long for another's last chunk.
MAX_CHUNK = 8


def chunk_size(pending: int, threads: int) -> int:
    """Bundles in the next task: about an eighth of each worker thread's share of what is left, 1 to MAX_CHUNK."""
    return max(1, min(MAX_CHUNK, pending // (8 * threads)))


def _run(client: Any, todo: list[tuple[str, str]], opts: ReviewOptions, store: ResultStore,
         done: dict[str, dict[str, Any]], bar: _Progress,
         on_result: Callable[[int, dict[str, Any]], None] | None, max_in_flight: int | None,
         chunk: int | None = None, restore: Callable[[], None] | None = None) -> None:
    """Review ``todo`` on the cluster; every bundle gets exactly one recorded result.

    A task reviews a chunk of bundles. A worker's death fails every task it held, the one it was running and
    those queued behind it, and so every bundle of those chunks (one that finished before the death too). They are
    retried after the others, one at a time, alone on the cluster. A bundle that was running when its worker
    died (each worker notes its running bundle in OUT/.running) and dies again alone is ``crashed``; one that was
    only queued gets a second solo attempt. Without the note (a remote worker that cannot write OUT) a death
    counts as not running, so a bundle may be tried three times before it is ``crashed``.
    """
    from distributed import CancelledError, as_completed
    from distributed.scheduler import KilledWorker

    threads = sum(client.nthreads().values()) or 1
    window = max_in_flight or max(8, 4 * threads)  # tasks (chunks) submitted and not yet back
    with contextlib.suppress(Exception):
        client.run(warm_up)
    token = uuid.uuid4().hex[:8]
    running_dir = store.out / ".running"
    running_dir.mkdir(exist_ok=True)
    # workers that find this file share OUT's file system: they write each report there and send back the row only
    token_file = running_dir / token_name(token)
    token_file.write_text(token, encoding="ascii")
    pending = deque(todo)
    inflight: dict[Any, list[tuple[str, str]]] = {}  # a task -> its chunk of bundles
    suspects: list[tuple[str, str, bool]] = []  # key, path, whether it was running when its worker died
    finished = 0

    def record(key: str, row: dict[str, Any], report_json: str | None, written: bool = False) -> None:
        nonlocal finished
        store.save(key, row, report_json, written=written)
        done[key] = row
        finished += 1
        bar.advance(row.get("verdict"))
        if on_result is not None:
            on_result(finished, row)

    def was_running(key: str, exc: BaseException) -> bool:
        worker = getattr(getattr(exc, "last_worker", None), "address", None)
        if not isinstance(worker, str):
            return False
        try:
            return (running_dir / marker_name(worker)).read_text(encoding="ascii") == key
        except OSError:
            return False

    def refill() -> None:
        chunks = []
        while pending and len(inflight) + len(chunks) < window:
            size = min(chunk, len(pending)) if chunk else chunk_size(len(pending), threads)
            chunks.append([pending.popleft() for _ in range(size)])
        if not chunks:
            return
        n = len(chunks)
        futs = client.map(review_chunk, [[p for _, p in c] for c in chunks], [opts] * n, [str(running_dir)] * n,
                          [[k for k, _ in c] for c in chunks], [token] * n,
                          key=[f"mpsandbox-review-{token}-{c[0][0]}-1" for c in chunks], pure=False, retries=0)
        for fut, items in zip(futs, chunks):
            inflight[fut] = items
        ac.update(futs)

    ac = as_completed(loop=client.loop)
    watch = _ClusterWatch(client, inflight, restore=restore)
    try:
        refill()
        for batch in ac.batches():  # results fetched a batch at a time: fewer round trips than one by one
            watch.check()
            finished_ok = [f for f in batch if f.status == "finished"]
            try:
                results = client.gather(finished_ok) if finished_ok else []
            except Exception:  # noqa: BLE001 - a holder died meanwhile: sort them out one by one below
                finished_ok, results = [], []
            got = dict(zip(finished_ok, results))
            for fut in batch:
                items = inflight.pop(fut)
                if fut not in got:
                    try:
                        got[fut] = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker (KilledWorker) or the cluster
                        if not isinstance(exc, KilledWorker):
                            log.warning("review of %s failed on the cluster: %s", items[0][1], exc)
                        # every bundle of the chunk is retried alone (those that finished before the death too:
                        # their results died with the worker)
                        suspects.extend((key, path, was_running(key, exc)) for key, path in items)
                if fut in got:
                    for (key, _), result in zip(items, got[fut]):
                        record(key, *result)
                fut.release()
            refill()
        for key, path, ran in suspects:
            deaths = 1 if ran else 0  # deaths while it was the running bundle
            for attempt in (2, 3):
                fut = client.submit(review_bundle, path, opts, str(running_dir), key, token,
                                    key=f"mpsandbox-review-{token}-{key}-{attempt}", pure=False, retries=0)
                inflight[fut] = [(key, path)]
                try:
                    row, report_json, written = fut.result()
                    break
                except CancelledError:
                    watch.check()
                    raise
                except KilledWorker as exc:
                    # alone on the cluster, it is the one running, unless the worker died before it began (the
                    # death of an earlier task's worker, reported late): only a death its marker names counts
                    if was_running(key, exc):
                        deaths += 1
                    row, report_json, written = failure_row("crashed", CRASHED_MESSAGE), None, False
                    if deaths >= 2:
                        break
                except Exception as exc:  # noqa: BLE001
                    raise BatchError(f"the cluster failed while retrying {path}: {type(exc).__name__}: {exc}; "
                                     "run the batch again to continue") from None
                finally:
                    inflight.pop(fut, None)
                    fut.release()
            record(key, row, report_json, written)
        watch.check()
    finally:
        watch.stop()
        token_file.unlink(missing_ok=True)
        if inflight:
            with contextlib.suppress(Exception):
                client.cancel(list(inflight))
