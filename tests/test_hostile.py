"""Issue 11: nothing a bundle does can stop, crash or fool the review.

Every attack of tests/hostile/attacks.py is reviewed on both engines and must end with the right verdict in
bounded time. Attacks that can take the reviewer down (``isolated``) run only in a child process through the CLI,
with a wall timeout and memory limits; the others run here through ``review()``. Attacks that do not end right
yet are listed in ``attacks.XFAIL`` (strict: a fixed attack still listed fails the suite).
A hypothesis property composes hostile page code and asserts a report, a verdict, bounded time and memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from .conftest import engine_unavailable_reason
from .hostile.attacks import ATTACKS, BY_ID, XFAIL, expected_to_fail, markdown, write
from .hostile.harness import HOST_RSS_LIMIT, SMALL_POLICY, WALL_LIMIT_S, Outcome, judge, review_in_process, review_isolated
from .hostile.strategies import describe, hostile_program, program_bundle

ENGINES = ("native", "wasm")
README = Path(__file__).parent / "hostile" / "README.md"
PROPERTY = "property"  # the XFAIL id of the hypothesis property

settings.register_profile("hostile-ci", max_examples=6, deadline=None, derandomize=True, print_blob=True,
                          phases=[Phase.explicit, Phase.generate],  # no shrinking: each example is a child process
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("hostile-dev", max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile(os.environ.get("MPSANDBOX_HOSTILE_PROFILE", "hostile-ci"))


def cases(attacks, engines=ENGINES):
    for a in attacks:
        for e in engines:
            why = XFAIL.get(f"{a.id}@{e}") or XFAIL.get(a.id)
            marks = [pytest.mark.xfail(strict=True, reason=f"issue 11: {why}")] if why else []
            yield pytest.param(a, e, id=f"{a.id}@{e}", marks=marks)


def need(engine: str) -> None:
    reason = engine_unavailable_reason(engine)
    if reason:
        pytest.skip(f"{engine} engine unavailable: {reason}")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for a in ATTACKS:
        write(a, root)
    return root


def assert_right(attack, outcome: Outcome) -> None:
    assert outcome.status == "ok", f"no report: {outcome.status} {outcome.detail}"
    assert outcome.verdict in ("approve", "flag", "reject")
    assert outcome.wall_s <= WALL_LIMIT_S, f"review took {outcome.wall_s:.0f} s"
    if outcome.rss_mib is not None:
        assert outcome.rss_mib * 2**20 <= HOST_RSS_LIMIT, f"reviewer peaked at {outcome.rss_mib:.0f} MiB"
    ok, why = judge(attack, outcome)
    assert ok, why


@pytest.mark.parametrize("attack,engine", list(cases([a for a in ATTACKS if not a.isolated and not a.slow])))
def test_attack_in_process(attack, engine, corpus):
    need(engine)
    assert_right(attack, review_in_process(corpus / attack.id, attack, engine))


@pytest.mark.parametrize("attack,engine", list(cases([a for a in ATTACKS if a.isolated and not a.slow])))
def test_attack_isolated(attack, engine, corpus):
    """Attacks on the reviewer itself: the CLI in a child process, killed at the wall limit."""
    need(engine)
    assert_right(attack, review_isolated(corpus / attack.id, attack, engine))


CLI_SAMPLE = ("ctl-benign", "ctl-plain-leak", "enc-split", "fe-newline-name", "sr-tojson-self")


@pytest.mark.parametrize("attack_id", CLI_SAMPLE)
def test_cli_always_reports(attack_id, corpus):
    """Whatever its verdict, `mpsandbox review` of an attack exits 0-2 with the report's own exit code."""
    need("native")
    out = review_isolated(corpus / attack_id, BY_ID[attack_id], "native")
    assert out.status == "ok", f"{out.status}: {out.detail}"
    assert not out.detail, out.detail  # the exit code is the report's


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.flip and not a.isolated and not a.slow], ids=lambda a: a.id)
def test_flipped_attack_is_caught(attack, tmp_path):
    """Without its attack (Attack.flip) the leak is caught today: the leak is real and only the attack hides it."""
    need("native")
    flipped = attack.flipped()
    ok, why = judge(flipped, review_in_process(write(flipped, tmp_path), flipped, "native"))
    assert ok, why


def test_corpus_is_small_and_documented():
    for a in ATTACKS:
        size = sum(len(t.encode()) for t in a.files.values())
        assert size <= 8192, f"{a.id}: {size} bytes (big data is made at run time, inside the bundle)"
        assert a.expect in (("approve", "flag", "reject") if a.cls == "control" else ("flag", "reject")), a.id
    known = {a.id for a in ATTACKS} | {PROPERTY}
    for entry in XFAIL:
        name, _, engine = entry.partition("@")
        assert name in known and engine in ("", *ENGINES), f"XFAIL names no attack: {entry}"
    assert not any(expected_to_fail(a.id, e) for a in ATTACKS if a.cls == "control" for e in ENGINES)
    assert all(a.isolated or a.slow for a in ATTACKS if a.rlimit_as)
    assert README.read_text(encoding="utf-8") == markdown(), \
        "tests/hostile/README.md is stale: python -m tests.hostile.attacks --markdown > tests/hostile/README.md"


@pytest.mark.parametrize("engine", [pytest.param(e, marks=[pytest.mark.xfail(strict=True, reason="issue 11: no-verdict")]
                                                  if expected_to_fail(PROPERTY, e) else []) for e in ENGINES])
def test_any_hostile_program_gets_a_verdict(engine, tmp_path_factory):
    need(engine)
    policy = tmp_path_factory.mktemp("policy") / "small.toml"
    policy.write_text(SMALL_POLICY, encoding="utf-8")

    @settings(PROFILE)
    @given(program=hostile_program())
    def check(program):
        root = tmp_path_factory.mktemp("program")
        files = program_bundle(program)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        out = review_isolated(root, BY_ID["ctl-benign"], engine, policy=policy)
        assert out.status == "ok", f"{out.status}: {out.detail}\n{describe(program)}"
        assert out.verdict in ("approve", "flag", "reject")
        assert out.wall_s <= WALL_LIMIT_S, f"{out.wall_s:.0f} s\n{describe(program)}"
        assert out.rss_mib is not None and out.rss_mib * 2**20 <= HOST_RSS_LIMIT, \
            f"{out.rss_mib:.0f} MiB\n{describe(program)}"

    check()
