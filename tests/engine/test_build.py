"""Fetching the pinned QuickJS-NG sources for a build on first use (no engine built at install)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mpsandbox.runtime.engine import qjs_build
from mpsandbox.runtime.engine.base import EngineUnavailable


def _fake_pip(monkeypatch, outcomes: list[bool]) -> list[list[str]]:
    """subprocess.run for `pip download`: each call succeeds or fails as ``outcomes`` say, and is recorded."""
    calls: list[list[str]] = []

    def run(cmd, **kwargs):
        calls.append(cmd)
        ok = outcomes[len(calls) - 1]
        if ok:
            dest = Path(cmd[cmd.index("-d") + 1])
            (dest / f"quickjs_ng-{qjs_build.QUICKJS_NG_VERSION}.tar.gz").write_bytes(b"sdist bytes")
            return subprocess.CompletedProcess(cmd, 0, "", "")
        return subprocess.CompletedProcess(cmd, 1, "", "error: invalid command 'bdist_wheel'")

    monkeypatch.setattr(qjs_build.subprocess, "run", run)
    return calls


def test_sdist_fetch_falls_back_to_an_isolated_build_when_this_environment_cannot_prepare_it(monkeypatch, tmp_path):
    # a plain venv's setuptools 65 has no bdist_wheel: pip download --no-build-isolation fails there
    monkeypatch.setenv("MPSANDBOX_CACHE", str(tmp_path))
    calls = _fake_pip(monkeypatch, [False, True])
    path = qjs_build.sdist_path()
    assert path.read_bytes() == b"sdist bytes"
    assert path.parent == qjs_build.cache_dir()
    assert "--no-build-isolation" in calls[0] and "--no-build-isolation" not in calls[1]
    assert qjs_build.sdist_path() == path and len(calls) == 2, "a cached sdist is not fetched again"


def test_sdist_fetch_that_fails_both_ways_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("MPSANDBOX_CACHE", str(tmp_path))
    calls = _fake_pip(monkeypatch, [False, False])
    with pytest.raises(EngineUnavailable, match="bdist_wheel"):
        qjs_build.sdist_path()
    assert len(calls) == 2
    assert not list(qjs_build.cache_dir().glob("quickjs_ng-*")), "nothing half-written stays in the cache"
