"""Progress while a review runs: the walks report where they are, in a child process or in this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.runtime.isolation import ISOLATION_AVAILABLE, WalkProgress, run_walk

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "fixtures" / "bundles" / "douyin-store"


@pytest.mark.parametrize("isolated", [True, False], ids=["child-process", "in-process"])
def test_a_walk_reports_its_pages_and_steps_while_it_runs(isolated, monkeypatch):
    if isolated and not ISOLATION_AVAILABLE:
        pytest.skip("walks run in child processes on Linux only")
    monkeypatch.setattr("mpsandbox.runtime.isolation.PROGRESS_EVERY_S", 0.0)  # every chance, not a few per second
    bundle = load_bundle(STORE)
    seen: list[WalkProgress] = []
    result = run_walk(bundle, isolated=isolated, mode="allow", on_progress=seen.append)
    assert seen, "no progress reported"
    routes = {p.route for p in bundle.pages}
    assert {p.page for p in seen} & routes
    assert all(isinstance(p.step, str) and p.turn >= 0 and p.elapsed_s >= 0 for p in seen)
    assert [p.elapsed_s for p in seen] == sorted(p.elapsed_s for p in seen)
    ran = sum(t.times for t in result.trace.turns)  # ordinary timer turns fold into one record
    assert max(p.turn for p in seen) < ran == result.trace.end.turns


def _review(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mpsandbox", "review", str(STORE), "--format", "json", *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ})


def test_review_progress_is_a_line_per_page_off_a_terminal_and_off_by_default():
    shown = _review("--progress")
    assert shown.returncode in (0, 1, 2), shown.stderr
    lines = [line for line in shown.stderr.splitlines() if " walk: " in line]
    assert lines and lines[0].startswith("allow walk: "), shown.stderr  # sampled a few times a second
    routes = {p.route for p in load_bundle(STORE).pages} | {"(launch)"}
    assert all(line.split(": ", 1)[1].split(" (turn")[0] in routes for line in lines), lines
    assert all(a != b for a, b in zip(lines, lines[1:]))  # a line when the page changes, not per turn
    quiet = _review()
    assert "walk: " not in quiet.stderr
    a, b = json.loads(quiet.stdout), json.loads(shown.stdout)  # progress never reaches the report
    assert (a["verdict"], a["findings"]) == (b["verdict"], b["findings"])
