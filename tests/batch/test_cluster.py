"""Batches on a real Dask LocalCluster of worker processes: killed workers, re-runs, resume, 1 vs 2 workers."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mpsandbox.batch import TIMING_COLUMNS, BatchError, BatchInterrupted, local_cluster, review_many
from mpsandbox.batch import driver
from mpsandbox.batch.worker import TEST_KILL_ENV
from mpsandbox.review import ReviewOptions, review

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
B = ROOT / "fixtures" / "bundles"
FAST = ["douyin-store", "wechat-weather", "network-insecure-transport", "privacy-data-to-clipboard", "broken-json",
        "stability-uncaught-error", "package-size", "api-private-api"]
OPTIONS = ReviewOptions(engine="native")


def _two_workers(state: Path):
    from distributed import Client

    cluster = local_cluster(2)
    c = Client(cluster, set_as_default=False)
    c.wait_for_workers(2, timeout="60s")
    c.kill_state = state
    return cluster, c


@pytest.fixture(scope="module")
def cluster_box(tmp_path_factory):
    """The module's cluster: two single-threaded worker processes. Bundles named `crasher` (or `crasher-in-chunk`)
    kill their worker on every attempt, `flaky` (`flaky-in-chunk`) on its first only (the test hook of
    mpsandbox.batch.worker; the env is read by each worker)."""
    state = tmp_path_factory.mktemp("kill-state")
    os.environ[TEST_KILL_ENV] = json.dumps({"always": ["crasher", "crasher-in-chunk"],
                                            "once": ["flaky", "flaky-in-chunk"], "state": str(state)})
    box = {"state": state}
    try:
        box["cluster"], box["client"] = _two_workers(state)
        yield box
    finally:
        box["client"].close()
        box["cluster"].close()
        os.environ.pop(TEST_KILL_ENV, None)


@pytest.fixture
def client(cluster_box):
    """The module's client, on a new cluster when the last test's left it without both workers: on a loaded machine
    nannies may give up restarting killed workers (a batch then ends with a BatchError after NO_WORKERS_S)."""
    c = cluster_box["client"]
    if len(c.nthreads()) < 2:
        c.close()
        cluster_box["cluster"].close()
        cluster_box["cluster"], cluster_box["client"] = _two_workers(cluster_box["state"])
    return cluster_box["client"]


def sources() -> list[str]:
    return [str(B / name) for name in FAST]


def comparable(table):
    return table.drop_columns(list(TIMING_COLUMNS))


def index_keys(out: Path) -> list[str]:
    return [json.loads(line)["key"] for line in (out / "index.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("chunk", [None, 3])
def test_worker_killed_mid_batch_every_bundle_gets_exactly_one_result(client, tmp_path, monkeypatch, chunk):
    """One bundle a task (the automatic size for a batch this small), and chunks of 3 bundles a task, where a death
    also takes the results of the chunk's bundles that had finished."""
    crasher, flaky = ("crasher", "flaky") if chunk is None else ("crasher-in-chunk", "flaky-in-chunk")
    src = tmp_path / "src"
    shutil.copytree(B / "douyin-feed", src / crasher)
    shutil.copytree(B / "alipay-coupons", src / flaky)
    bundles = [*sources(), str(src / crasher), str(src / flaky)]
    heard: list[str] = []
    task_sizes: list[int] = []
    real_map = client.map

    def counting_map(func, *iterables, **kwargs):
        task_sizes.extend(len(paths) for paths in iterables[0])
        return real_map(func, *iterables, **kwargs)

    monkeypatch.setattr(client, "map", counting_map)

    def kill_a_worker_after_two(done: int, row: dict) -> None:
        heard.append(row["verdict"])
        if done == 2:  # an outside kill too: SIGKILL one worker process while the batch runs
            pids = client.run(os.getpid, on_error="ignore")  # a worker may be dying of `crasher` right now
            os.kill(sorted(pids.values())[0], signal.SIGKILL)

    out = tmp_path / "out"
    table = review_many(bundles, out, options=OPTIONS, client=client, on_result=kill_a_worker_after_two, chunk=chunk)
    assert max(task_sizes) == (chunk or 1) and sum(task_sizes) == len(bundles)
    rows = {Path(r["bundle"]).name: r for r in table.to_pylist()}
    assert table.num_rows == len(bundles) == len(rows) == len(heard)
    assert rows[crasher]["status"] == rows[crasher]["verdict"] == "crashed"
    assert rows[crasher]["exit_code"] == 3 and "died" in rows[crasher]["error"]
    assert (client.kill_state / f"runs-{crasher}").read_text().count("killed") == 2  # tried, retried once, crashed
    assert (client.kill_state / f"killed-{flaky}").exists()  # it did kill its first worker
    expected = {name: review(B / name, OPTIONS).verdict.value for name in [*FAST, "alipay-coupons"]}
    assert rows[flaky]["status"] == "ok" and rows[flaky]["verdict"] == expected["alipay-coupons"]
    for name in FAST:
        assert rows[name]["status"] == "ok" and rows[name]["verdict"] == expected[name], name
    keys = index_keys(out)
    assert sorted(keys) == sorted(set(keys)) == sorted(table.column("key").to_pylist())
    assert len(list((out / "reports").rglob("*.json"))) == len(bundles)
    report = json.loads(Path(out / "reports" / rows[flaky]["key"][:2] / f"{rows[flaky]['key']}.json").read_text())
    assert report["report"]["verdict"] == expected["alipay-coupons"] and report["row"]["verdict"] == report[
        "report"]["verdict"]
    assert pq.read_table(out / "results.parquet").equals(table)
    assert len((out / "results.jsonl").read_text().splitlines()) == len(bundles)
    assert crasher in (out / "summary.html").read_text()


def test_a_second_run_reviews_nothing_and_same_content_is_reviewed_once(client, tmp_path):
    copy = tmp_path / "store-copy"
    shutil.copytree(B / "douyin-store", copy)
    bundles = [*sources(), str(copy)]
    out = tmp_path / "out"
    first: list[dict] = []
    table = review_many(bundles, out, options=OPTIONS, client=client, on_result=lambda n, r: first.append(r))
    assert len(first) == len(FAST)  # the copy shares douyin-store's content hash
    rows = table.to_pylist()
    assert rows[-1]["key"] == rows[0]["key"] and rows[-1]["name"] == "store-copy"
    again: list[dict] = []
    table2 = review_many(bundles, out, options=OPTIONS, client=client, on_result=lambda n, r: again.append(r))
    assert again == [] and table2.equals(table)
    other: list[dict] = []  # other options are other results
    review_many(bundles[:2], out, options=ReviewOptions(engine="native", deny=True), client=client,
                on_result=lambda n, r: other.append(r))
    assert len(other) == 2


def test_tables_are_identical_on_one_or_two_workers_and_after_interrupt_and_resume(client, tmp_path):
    from distributed import Client

    two = review_many(sources(), tmp_path / "two", options=OPTIONS, client=client)
    one_cluster = local_cluster(1)
    try:
        with Client(one_cluster, set_as_default=False) as one_client:
            one = review_many(sources(), tmp_path / "one", options=OPTIONS, client=one_client)
    finally:
        one_cluster.close()
    assert len({r for r in one.column("worker").to_pylist()}) == 1
    assert comparable(one).equals(comparable(two))
    chunked = review_many(sources(), tmp_path / "chunked", options=OPTIONS, client=client, chunk=3)
    assert comparable(chunked).equals(comparable(two))

    def stop_after_three(done: int, row: dict) -> None:
        if done == 3:
            raise BatchInterrupted("stop")

    out = tmp_path / "resumed"
    with pytest.raises(BatchInterrupted):
        review_many(sources(), out, options=OPTIONS, client=client, on_result=stop_after_three)
    assert len(index_keys(out)) == 3 and not (out / "results.parquet").exists()
    rest: list[dict] = []
    resumed = review_many(sources(), out, options=OPTIONS, client=client, on_result=lambda n, r: rest.append(r))
    assert len(rest) == len(FAST) - 3
    assert comparable(resumed).equals(comparable(two))
    assert sorted(index_keys(out)) == sorted(set(index_keys(out)))


def test_a_cluster_that_loses_every_worker_ends_the_batch_with_an_error(tmp_path, monkeypatch):
    """A worker retired with its nanny is never replaced: with no worker left for NO_WORKERS_S the batch stops with
    a BatchError, keeping what finished, instead of waiting for ever (a loaded machine once left a run so)."""
    from distributed import Client

    monkeypatch.setattr(driver, "NO_WORKERS_S", 2.0)
    cluster = local_cluster(1)
    try:
        with Client(cluster, set_as_default=False) as c:
            c.wait_for_workers(1, timeout="60s")

            def lose_the_workers(done: int, row: dict) -> None:
                if done == 1:
                    cluster.scale(0)

            started = time.monotonic()
            with pytest.raises(BatchError, match="no workers for 2 s"):
                review_many(sources()[:4], tmp_path / "out", options=OPTIONS, client=c, on_result=lose_the_workers,
                            chunk=1)
            assert time.monotonic() - started < 60
            assert 1 <= len(index_keys(tmp_path / "out")) < 4  # what finished is kept for the next run
    finally:
        cluster.close()


def test_a_local_cluster_left_without_workers_gets_new_ones_and_the_batch_goes_on(tmp_path, monkeypatch):
    """The batch's own local cluster: when every worker is gone (nannies that gave up stay in the cluster's records
    and are never started again), new workers replace them after a tenth of NO_WORKERS_S and the batch finishes."""
    from distributed import Client

    monkeypatch.setattr(driver, "NO_WORKERS_S", 20.0)
    cluster = local_cluster(1)
    watches: list = []
    real_watch = driver._ClusterWatch

    def kept_watch(*args, **kwargs):
        watches.append(real_watch(*args, **kwargs))
        return watches[-1]

    monkeypatch.setattr(driver, "_ClusterWatch", kept_watch)

    @contextlib.contextmanager
    def own_cluster(client, scheduler, workers):  # the local branch of _open_client, on a cluster the test can see
        with Client(cluster, set_as_default=False) as c:
            c.wait_for_workers(1, timeout="60s")
            yield c, functools.partial(driver.replace_workers, cluster, 1)

    monkeypatch.setattr(driver, "_open_client", own_cluster)

    def lose_the_workers(done: int, row: dict) -> None:
        if done == 1:
            cluster.scale(0)

    try:
        table = review_many(sources()[:3], tmp_path / "out", options=OPTIONS, on_result=lose_the_workers, chunk=1)
        assert table.num_rows == 3 and set(table.column("status").to_pylist()) == {"ok"}
        assert watches and watches[0].restored == 1 and not watches[0].lost
    finally:
        cluster.close()


def test_cli_batch_then_resume(tmp_path):
    manifest = tmp_path / "bundles.txt"
    manifest.write_text("\n".join(str(B / n) for n in ("douyin-store", "network-insecure-transport")) + "\n")
    out = tmp_path / "out"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mpsandbox", "batch", *args], capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)

    r = cli(str(manifest), "--out", str(out), "--workers", "1", "--engine", "native", "--no-progress")
    assert r.returncode == 2, r.stderr  # the highest exit code: network-insecure-transport is rejected
    assert "2 bundle(s)" in r.stderr and "Traceback" not in r.stderr
    assert {p.name for p in out.iterdir()} >= {"batch.json", "index.jsonl", "reports", "results.parquet",
                                               "results.jsonl", "summary.html"}
    r2 = cli("--resume", "--out", str(out), "--workers", "1")
    assert r2.returncode == 2, r2.stderr
    assert len(index_keys(out)) == 2  # nothing reviewed again
    r3 = cli("--resume", "--out", str(tmp_path / "nothing-here"))
    assert r3.returncode == 3 and "no batch to resume" in r3.stderr
