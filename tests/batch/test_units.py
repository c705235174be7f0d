"""Batch pieces without a cluster: sources, content hashes and keys, the store, rows, the table, the summary."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mpsandbox.batch.driver import options_fingerprint
from mpsandbox.batch.rows import TIMING_COLUMNS, build_table, failure_row, report_row
from mpsandbox.batch.sources import SourceError, expand_sources
from mpsandbox.batch.store import ResultStore, content_hash, result_key
from mpsandbox.batch.summary import render_summary
from mpsandbox.review import ReviewOptions, review
from mpsandbox.review.model import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
B = ROOT / "fixtures" / "bundles"
A = ROOT / "fixtures" / "archives"


def test_a_folder_of_bundles_is_each_subfolder_and_archive(tmp_path):
    shutil.copytree(B / "douyin-store", tmp_path / "store")
    shutil.copytree(B / "wechat-weather", tmp_path / "weather")
    shutil.copy(A / "zip-slip.zip", tmp_path / "slip.zip")
    (tmp_path / "app.wxapkg").write_bytes(b"\xbe junk")
    (tmp_path / "notes.txt").write_text("not a bundle")
    (tmp_path / ".hidden").mkdir()
    got = expand_sources([tmp_path])
    assert [Path(p).name for p in got] == ["app.wxapkg", "slip.zip", "store", "weather"]
    assert all(os.path.isabs(p) for p in got)
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    for name in ("__APP__.wxapkg", "_sub_.wxapkg"):
        (compiled / name).write_bytes(b"\xbe junk")
    assert expand_sources([compiled]) == [str(compiled)]  # main package and subpackages: one bundle


def test_a_bundle_folder_an_archive_and_a_manifest(tmp_path):
    manifest = tmp_path / "list.txt"
    manifest.write_text(f"# bundles\n{B / 'douyin-store'}\n\n  ../missing-bundle  \n{B / 'douyin-store'}\n")
    got = expand_sources([B / "wechat-weather", A / "zip-slip.zip", manifest, B / "wechat-weather"])
    assert got == [str(B / "wechat-weather"), str(A / "zip-slip.zip"), str(B / "douyin-store"),
                   os.path.abspath(tmp_path.parent / "missing-bundle")]


def test_bad_sources_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="cannot read source"):
        expand_sources([tmp_path / "nope"])
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(SourceError, match="nor a text manifest"):
        expand_sources([binary])


def test_content_hash_follows_content_not_location(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(B / "douyin-store", a)
    shutil.copytree(B / "douyin-store", b)
    assert content_hash(str(a)) == content_hash(str(b))
    (b / "pages" / "extra.js").write_text("x")
    assert content_hash(str(a)) != content_hash(str(b))
    (b / "pages" / "extra.js").unlink()
    assert content_hash(str(a)) == content_hash(str(b))
    first = next(p for p in sorted(b.rglob("*.js")))
    first.write_text(first.read_text() + " ")
    assert content_hash(str(a)) != content_hash(str(b))
    assert content_hash(str(tmp_path / "x")) != content_hash(str(tmp_path / "y"))  # missing: one key each


def test_content_hash_does_not_follow_symlinks(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(B / "douyin-store", bundle)
    before = content_hash(str(bundle))
    (bundle / "loop").symlink_to(bundle)  # would recurse forever if followed
    (bundle / "secret").symlink_to("/etc/hostname")
    after = content_hash(str(bundle))
    assert after != before
    (bundle / "secret").unlink()
    (bundle / "secret").symlink_to("/etc/hosts")
    assert content_hash(str(bundle)) != after  # the link target text counts, not the target's bytes


def test_keys_follow_options_policy_file_and_version(tmp_path):
    base = options_fingerprint(ReviewOptions(engine="native"))
    assert base == options_fingerprint(ReviewOptions(engine="native"))
    assert options_fingerprint(ReviewOptions(engine="native", allow_domains=["a.com", "b.com"])) == \
        options_fingerprint(ReviewOptions(engine="native", allow_domains=["b.com", "a.com"]))
    assert base != options_fingerprint(ReviewOptions(engine="native", deny=True))
    assert base != options_fingerprint(ReviewOptions(engine="native", policy="wechat"))
    policy = tmp_path / "p.toml"
    policy.write_text('name = "mine"\n')
    one = options_fingerprint(ReviewOptions(engine="native", policy=str(policy)))
    policy.write_text('name = "mine"\n# changed\n')
    assert one != options_fingerprint(ReviewOptions(engine="native", policy=str(policy)))
    assert result_key("h", base, "0.1.0") != result_key("h", base, "0.2.0")
    assert result_key("h", base) != result_key("h2", base)


def test_store_survives_a_torn_index_and_an_unindexed_report(tmp_path):
    store = ResultStore(tmp_path)
    store.save("k1" * 16, {"status": "ok", "verdict": "approve"}, '{"x": 1}')
    store.save("k2" * 16, {"status": "crashed", "verdict": "crashed"}, None)
    store.close()
    with open(tmp_path / "index.jsonl", "a") as fh:
        fh.write('{"key": "k3k3", "row": {"sta')  # interrupted mid-line
    # a report written just before an interruption, its index line never appended
    path = store.report_path("k4" * 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": "k4" * 16, "row": {"status": "ok", "verdict": "flag"}, "report": None}))
    rows = ResultStore(tmp_path).rows()
    assert {k: r["verdict"] for k, r in rows.items()} == {"k1" * 16: "approve", "k2" * 16: "crashed",
                                                          "k4" * 16: "flag"}
    assert json.loads(store.report_path("k1" * 16).read_text())["report"] == {"x": 1}
    store.report_path("k1" * 16).unlink()  # a deleted report is work to do again
    assert "k1" * 16 not in ResultStore(tmp_path).rows()


def test_row_of_a_real_report():
    report = review(B / "network-insecure-transport", ReviewOptions(engine="native")).model_dump(mode="json")
    row = report_row(report)
    assert row["status"] == "ok" and row["verdict"] == report["verdict"] == "reject"
    assert row["findings"] == len(report["findings"]) and row["rules"] == {"insecure-transport": 1}
    assert row["categories"]["network"] == 1 and set(row["categories"]) == set(CATEGORIES)
    assert row["pages_declared"] == report["bundle"]["pages"] and row["pages_visited"] >= 1
    unloadable = report_row(review(B / "broken-json", ReviewOptions(engine="native")).model_dump(mode="json"))
    assert unloadable["load_error"] and "json" in unloadable["load_error"].lower()


def test_row_reads_missing_and_newer_sections_with_defaults():
    row = report_row({"verdict": "approve", "runs": [{"mode": "allow", "coverage": {
        "pages_declared": 4, "pages_visited": 3, "ratio": 0.75, "unknown_apis": ["a", "b"], "nested": {"x": 1}}}]})
    assert row["findings"] == 0 and row["pages_visited"] == 0 and row["end_reason"] is None
    assert row["coverage"] == {"pages_declared": 4, "pages_visited": 3, "ratio": 0.75, "unknown_apis_count": 2,
                               "nested_count": 1}
    assert report_row({"coverage": {"handlers_bound": 7}, "runs": "garbage"})["coverage"] == {"handlers_bound": 7}
    assert report_row({})["verdict"] is None


def _rows():
    ok = report_row(review(B / "network-insecure-transport", ReviewOptions(engine="native")).model_dump(mode="json"))
    ok.update(bundle="/b/one", name="one", content_hash="h1", key="k1", seconds=0.5, worker="w:1")
    ok["coverage"] = {"ratio": 0.5}
    crashed = failure_row("crashed", "died twice")
    crashed.update(bundle="/b/two<script>", name="two", content_hash="h2", key="k2", seconds=None)
    return [ok, crashed]


def test_table_has_a_column_per_count_and_null_counts_without_a_review():
    table = build_table(_rows(), ["insecure-transport", "zz-other-rule"])
    cols = table.column_names
    assert cols[:2] == ["bundle", "name"] and cols[-len(TIMING_COLUMNS):] == list(TIMING_COLUMNS)
    assert {"cat_network", "rule_insecure-transport", "rule_zz-other-rule", "coverage_ratio"} <= set(cols)
    ok, crashed = table.to_pylist()
    assert ok["rule_insecure-transport"] == 1 and ok["rule_zz-other-rule"] == 0 and ok["cat_network"] == 1
    assert crashed["verdict"] == "crashed" and crashed["exit_code"] == 3 and crashed["rule_insecure-transport"] is None
    pd = pytest.importorskip("pandas")
    assert isinstance(table.to_pandas(), pd.DataFrame)


def test_summary_is_self_contained_html():
    page = render_summary(build_table(_rows(), []))
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "<script" not in page.lower() and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "/b/two&lt;script&gt;" in page  # bundle names are escaped
    assert "insecure-transport" in page and "died twice" in page


def test_an_empty_batch_writes_empty_results_and_bad_options_are_clear(tmp_path):
    from mpsandbox.batch import BatchError, review_many

    (tmp_path / "none").mkdir()
    table = review_many([tmp_path / "none"], tmp_path / "out", options=ReviewOptions(engine="native"))
    assert table.num_rows == 0 and "verdict" in table.column_names
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"results.parquet", "results.jsonl", "summary.html"}
    with pytest.raises(BatchError, match="policy"):
        review_many([tmp_path / "none"], tmp_path / "out", options=ReviewOptions(engine="native", policy="nope.toml"))
    with pytest.raises(BatchError, match="cannot read source"):
        review_many([tmp_path / "missing"], tmp_path / "out", options=ReviewOptions(engine="native"))


def test_a_worker_that_shares_out_writes_the_report_and_sends_the_row_only(tmp_path):
    import json

    from mpsandbox.batch.store import ResultStore
    from mpsandbox.batch.worker import review_bundle, token_name
    from mpsandbox.review import ReviewOptions

    store = ResultStore(tmp_path / "out")
    running = store.out / ".running"
    running.mkdir()
    bundle = str(Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "douyin-store")
    opts = ReviewOptions(engine="native")
    row, report_json, written = review_bundle(bundle, opts, str(running), "k1", "abc")  # no token file here
    assert not written and report_json is not None and not store.report_path("k1").exists()
    (running / token_name("abc")).write_text("abc")
    row, report_json, written = review_bundle(bundle, opts, str(running), "k2", "abc")
    assert written and report_json is None
    saved = json.loads(store.report_path("k2").read_text())
    assert saved["key"] == "k2" and saved["row"]["verdict"] == row["verdict"] and saved["report"]["verdict"]
    store.save("k2", row, None, written=True)  # the driver indexes it without writing it again
    store.close()
    assert set(ResultStore(tmp_path / "out").rows()) == {"k2"}


def test_tasks_review_chunks_that_shrink_as_the_batch_ends():
    from mpsandbox.batch.driver import MAX_CHUNK, chunk_size

    assert chunk_size(620, 2) == MAX_CHUNK  # the bulk of a store-sized batch: the scheduler's cost shared by 8
    sizes, left = [], 100
    while left:
        sizes.append(chunk_size(left, 2))
        left -= sizes[-1]
    assert sizes == sorted(sizes, reverse=True) and sizes[-16:] == [1] * 16  # the last chunks are single bundles
    assert chunk_size(8, 2) == chunk_size(1, 4) == 1


def test_a_chunk_below_one_is_a_clear_error(tmp_path):
    from mpsandbox.batch import review_many
    from mpsandbox.batch.driver import BatchError

    with pytest.raises(BatchError, match="chunk"):
        review_many([str(ROOT / "fixtures" / "bundles" / "douyin-store")], tmp_path / "out", chunk=0)


def test_a_review_leaves_no_cycle_holding_its_bundle():
    # a reference cycle holding the bundle kept its files until the next full collection: a batch worker's memory
    # grew 4 MB a review of a big bundle (issue 13: flat memory over a batch)
    import gc

    from mpsandbox.bundle.loader import Bundle
    from mpsandbox.review import ReviewOptions, review

    gc.collect()
    gc.disable()
    try:
        review(ROOT / "fixtures" / "bundles" / "douyin-store", ReviewOptions(engine="native"))
        alive = [o for o in gc.get_objects() if isinstance(o, Bundle)]
    finally:
        gc.enable()
    assert alive == []
