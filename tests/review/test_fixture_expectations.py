"""Review every fixture bundle and compare with its labelled expectation (fixtures/expected/<name>.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mpsandbox.review import ReviewOptions, review

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTED = sorted((ROOT / "expected").glob("*.toml")) if (ROOT / "expected").is_dir() else []


def _target(name: str) -> Path:
    for candidate in (ROOT / "bundles" / name, ROOT / "archives" / f"{name}.zip", ROOT / "bundles" / f"{name}.zip"):
        if candidate.exists():
            return candidate
    raise AssertionError(f"expectation {name}.toml has no bundle in fixtures/bundles or fixtures/archives")


@pytest.mark.skipif(not EXPECTED, reason="no fixture expectations yet")
@pytest.mark.parametrize("expected", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_fixture_review_matches_expectation(expected: Path):
    spec = tomllib.loads(expected.read_text(encoding="utf-8"))
    options = spec.get("review", {})
    policy = options.get("policy")
    if policy and policy.endswith(".toml"):
        policy = str(ROOT.parent / policy)
    report = review(
        _target(expected.stem),
        ReviewOptions(
            platform=options.get("platform"),
            deny=bool(options.get("deny", False)),
            allow_domains=list(options.get("allow_domains", [])),
            policy=policy,
        ),
    )
    rules = {f.rule for f in report.findings}
    summary = "\n".join(f"  {f.severity.value} {f.rule}: {f.message}" for f in report.findings)
    missing = set(spec.get("findings", [])) - rules
    unwanted = set(spec.get("absent", [])) & rules
    assert not missing, f"expected findings missing: {sorted(missing)}; got:\n{summary}"
    assert not unwanted, f"findings that must not appear: {sorted(unwanted)}; got:\n{summary}"
    assert report.verdict.value == spec["verdict"], f"verdict {report.verdict.value}; findings:\n{summary}"
    assert report.error is None, report.error
