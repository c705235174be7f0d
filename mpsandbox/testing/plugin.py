"""pytest plugin: the ``miniprogram`` fixture and the ``--mpsandbox-engine`` option."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from . import MiniProgram


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mpsandbox")
    group.addoption("--mpsandbox-engine", default="native", choices=("native", "wasm"),
                    help="engine the miniprogram fixture runs bundles on (default: native)")
    group.addoption("--mpsandbox-seed", type=int, default=0, help="seed of Math.random and the mocks")


@pytest.fixture
def miniprogram(request: pytest.FixtureRequest) -> Callable[..., MiniProgram]:
    """Factory: ``mp = miniprogram("path/to/bundle", mocks={...})``; everything it opened is closed afterwards."""
    opened: list[MiniProgram] = []
    engine = request.config.getoption("--mpsandbox-engine", default="native")
    seed = request.config.getoption("--mpsandbox-seed", default=0)

    def open_(bundle: Any, **kwargs: Any) -> MiniProgram:
        kwargs.setdefault("engine", engine)
        kwargs.setdefault("seed", seed)
        mp = MiniProgram(bundle, **kwargs)
        opened.append(mp)
        return mp

    yield open_
    for mp in opened:
        mp.close()
