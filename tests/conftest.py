"""Shared fixtures: every runtime test runs on each engine that can run here."""

from __future__ import annotations

import functools

import pytest

from mpsandbox.runtime.engine import EngineUnavailable, create_engine

ENGINE_NAMES = ("native", "wasm")
pytest_plugins = ["pytester"]  # the plugin's own tests run pytest in a scratch project


@functools.lru_cache(maxsize=None)
def engine_unavailable_reason(name: str) -> str | None:
    try:
        create_engine(name).close()
    except EngineUnavailable as exc:
        return str(exc)
    return None


@pytest.fixture(params=ENGINE_NAMES)
def engine_name(request) -> str:
    reason = engine_unavailable_reason(request.param)
    if reason:
        pytest.skip(f"{request.param} engine unavailable: {reason}")
    return request.param
