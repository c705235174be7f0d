"""Exploration: the seeded fixtures' bugs are found within the default budget and shrunk to a few steps, the clean
app gives nothing, every replay reproduces its failure exactly, the same seed gives the same result, and the test
exploration writes fails on the bug."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mpsandbox.bundle import load_bundle
from mpsandbox.explore import ExploreOptions, explore, load_replay, replay, write_results
from mpsandbox.explore.search import DEFAULT_RUNS

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
EXPLORE = sorted(p.stem for p in (ROOT / "expected").glob("explore-*.toml"))
SEEDED = [n for n in EXPLORE if n != "explore-clean"]


def _spec(name: str) -> dict:
    return tomllib.loads((ROOT / "expected" / f"{name}.toml").read_text(encoding="utf-8"))["explore"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """Each fixture explored once, with the default budget, its results written."""
    out = {}
    for name in EXPLORE:
        result = explore(ROOT / "bundles" / name, ExploreOptions(runs=DEFAULT_RUNS))
        write_results(result, tmp_path_factory.mktemp(name))
        out[name] = result
    return out


def test_the_fixtures_are_there():
    assert "explore-clean" in EXPLORE and len(SEEDED) >= 3


@pytest.mark.parametrize("name", SEEDED)
def test_seeded_bug_is_found_and_shrunk(results, name):
    spec = _spec(name)
    result = results[name]
    found = {f.property: f for f in result.failures}
    for prop in spec["failures"]:
        assert prop in found, f"{prop} not found; found: {sorted(found)}"
        f = found[prop]
        assert f.steps <= spec.get("max_steps", 5), f.replay.transcript
        assert f.reproduced


def test_clean_app_gives_nothing(results):
    result = results["explore-clean"]
    assert result.failures == [], [f.replay.transcript for f in result.failures]
    assert result.runs_executed >= DEFAULT_RUNS
    assert len(result.answers) >= 8  # failures, refusals and cancels were tried


@pytest.mark.parametrize("name", SEEDED)
def test_each_replay_reproduces_its_failure_exactly(results, name):
    for f in results[name].failures:
        rp = load_replay(f.replay_file)
        outcome = replay(rp, load_bundle(rp.bundle))
        assert outcome.reproduced and outcome.identical, "\n".join(outcome.lines)
        assert outcome.lines == rp.transcript


def test_same_seed_same_result(results):
    name = "explore-reprompt-loop"
    again = explore(ROOT / "bundles" / name, ExploreOptions(runs=DEFAULT_RUNS))
    first = results[name]
    assert again.model_dump(exclude={"wall_s"}) == \
        first.model_copy(update={"failures": [f.model_copy(update={"replay_file": None, "test_file": None})
                                              for f in first.failures]}).model_dump(exclude={"wall_s"})


def test_the_written_test_fails_on_the_bug_and_passes_without_it(results, pytester):
    f = results["explore-location-network-crash"].failures[0]
    source = Path(f.test_file).read_text(encoding="utf-8")
    compile(source, f.test_file, "exec")
    bundle = Path(f.replay.bundle)
    source = source.replace(source.split("BUNDLE = ", 1)[1].split("\n", 1)[0], repr(str(bundle)))
    pytester.makepyfile(test_found=source)
    run = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    run.assert_outcomes(failed=1)
    assert "uncaught-error" in run.stdout.str()
    # the same test without the refusal: the fallback is never taken, nothing fails
    fixed = source.replace("'answer': 'deny'", "'answer': 'allow'")
    pytester.makepyfile(test_found=fixed)
    pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)
