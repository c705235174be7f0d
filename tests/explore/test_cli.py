"""`mpsandbox explore`, `mpsandbox replay` and `review --explore N`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mpsandbox.cli import cli

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"


def test_explore_then_replay(tmp_path):
    runner = CliRunner()
    bundle = ROOT / "explore-relaunch-white-screen"
    out = tmp_path / "out"
    first = runner.invoke(cli, ["explore", str(bundle), "--runs", "30", "--out", str(out), "--db", "none"])
    assert first.exit_code == 1, first.stdout
    assert "white-screen on pages/list/list (1 step)" in first.stdout
    again = runner.invoke(cli, ["explore", str(bundle), "--runs", "30", "--out", str(tmp_path / "again"),
                                "--db", "none"])
    assert again.stdout.replace(str(tmp_path / "again"), str(out)) == first.stdout  # same seed, same output
    replay_file = next(out.glob("white-screen-*.json"))
    assert (out / f"test_explore_{replay_file.stem.replace('-', '_')}.py").is_file()
    runs = [runner.invoke(cli, ["replay", str(replay_file)]) for _ in range(2)]
    assert runs[0].exit_code == 1 and runs[0].stdout == runs[1].stdout
    assert "reproduced exactly" in runs[0].stdout and "quit and launch again" in runs[0].stdout
    saved = json.loads(replay_file.read_text())
    assert saved["transcript"] == runs[0].stdout.splitlines()[:len(saved["transcript"])]


def test_replay_of_a_fixed_bug_exits_0(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    runner.invoke(cli, ["explore", str(ROOT / "explore-location-network-crash"), "--runs", "50", "--out", str(out),
                        "--db", "none"])
    replay_file = next(out.glob("uncaught-error-*.json"))
    data = json.loads(replay_file.read_text())
    data["steps"] = [s for s in data["steps"] if s["kind"] != "permission"]  # location allowed: nothing breaks
    replay_file.write_text(json.dumps(data))
    res = runner.invoke(cli, ["replay", str(replay_file)])
    assert res.exit_code == 0 and "not reproduced" in res.stdout


def test_replay_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = CliRunner().invoke(cli, ["replay", str(bad)])
    assert res.exit_code == 3 and "not a replay file" in res.stdout


def test_the_example_database_lives_in_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["explore", str(ROOT / "explore-location-network-crash"), "--runs", "50"])
    assert res.exit_code == 1
    assert any((tmp_path / ".mpsandbox" / "explore-db").iterdir())
    assert (tmp_path / "explore-out").is_dir()


def test_review_explore_adds_stability_findings():
    from mpsandbox.review import ReviewOptions, review

    report = review(ROOT / "explore-location-network-crash",
                    ReviewOptions(explore=30, engine="native", allow_domains=["api.example-nearby.com"]))
    in_process = review(ROOT / "explore-location-network-crash",
                        ReviewOptions(explore=30, engine="native", isolation="none",
                                      allow_domains=["api.example-nearby.com"]))
    found = [f for f in report.findings if f.rule == "explore-failure"]
    # explored in a child process like the walks, with the same result as in the reviewer's process
    assert [(f.fingerprint, f.message) for f in found] == \
        [(f.fingerprint, f.message) for f in in_process.findings if f.rule == "explore-failure"]
    assert found and found[0].category == "stability" and found[0].severity.value == "error"
    assert found[0].evidence[0].value["format"] == "mpsandbox-replay"
    assert report.verdict.value == "reject"
    plain = review(ROOT / "explore-location-network-crash",
                   ReviewOptions(engine="native", isolation="none", allow_domains=["api.example-nearby.com"]))
    assert not [f for f in plain.findings if f.rule == "explore-failure"]


def test_an_exploration_that_kills_its_process_is_a_crashed_finding(monkeypatch):
    import os

    from mpsandbox.bundle import load_bundle
    from mpsandbox.explore import for_review, run

    bundle = load_bundle(ROOT / "explore-clean")
    monkeypatch.setattr(run, "explore", lambda *a, **k: os.abort())  # what an engine fault does to the process
    found = for_review(bundle, ROOT / "explore-clean", runs=5)
    assert [(f["property"], f["steps"]) for f in found] == [("crashed", 0)]
    assert "SIGABRT" in found[0]["message"]
    from mpsandbox.review.audits.explore import SEVERE

    assert "crashed" in SEVERE  # rejects, like a walk that crashed


def test_call_in_child_bounds_time_and_reports_host_faults():
    import time

    from mpsandbox.runtime.isolation import ProcessLimits, call_in_child

    limits = ProcessLimits(stall_s=1, walk_s=1, data_bytes=256 * 1024 * 1024, cpu_s=5)
    t0 = time.monotonic()
    slow = call_in_child(lambda: time.sleep(30) or "[]", limits)
    assert slow.text is None and "wall budget" in slow.failure and time.monotonic() - t0 < 10

    def deep():
        def f(n):
            return f(n + 1)
        return f(0)

    assert "RecursionError" in call_in_child(deep, limits).failure
    assert call_in_child(lambda: '["ok"]', limits).text == '["ok"]'


def test_explore_stops_at_its_time_budget():
    from mpsandbox.explore import ExploreOptions, explore, render_text

    result = explore(ROOT / "explore-clean", ExploreOptions(runs=100_000, seconds=1.0))
    assert result.out_of_time and 0 < result.runs_executed < 100_000
    assert "or 1 s (the time budget ended it first)" in render_text(result)


def test_review_explore_seconds_option(monkeypatch):
    seen = {}

    def fake_review(path, options, **kw):
        seen.update(explore=options.explore, seconds=options.explore_seconds)
        raise SystemExit(0)

    monkeypatch.setattr("mpsandbox.review.review", fake_review)
    CliRunner().invoke(cli, ["review", str(ROOT / "explore-clean"), "--explore-seconds", "2.5"])
    assert seen == {"explore": 0, "seconds": 2.5}
    bad = CliRunner().invoke(cli, ["review", str(ROOT / "explore-clean"), "--explore-seconds", "0"])
    assert bad.exit_code != 0 and "explore-seconds" in bad.output
