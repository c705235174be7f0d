"""pytest plugin: the ``miniprogram`` fixture and the ``--mpsandbox-engine`` option."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pytest

from . import MiniProgram

if TYPE_CHECKING:
    from ..bundle import Bundle


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mpsandbox")
    group.addoption("--mpsandbox-engine", default="native", choices=("native", "wasm"),
                    help="engine the miniprogram fixture runs bundles on (default: native)")
    group.addoption("--mpsandbox-seed", type=int, default=0, help="seed of Math.random and the mocks")
    parser.addini("mpsandbox_bundle", "the bundle the miniprogram fixture opens when given none (relative to the "
                  "rootdir)", default="")


@pytest.fixture
def miniprogram(request: pytest.FixtureRequest) -> Callable[..., MiniProgram]:
    """Factory: ``mp = miniprogram("path/to/bundle", mocks={...})``; everything it opened is closed afterwards."""
    opened: list[MiniProgram] = []
    engine = request.config.getoption("--mpsandbox-engine", default="native")
    seed = request.config.getoption("--mpsandbox-seed", default=0)

    root = Path(str(request.config.rootpath))

    def open_(bundle: Bundle | str | Path | None = None, **kwargs: Any) -> MiniProgram:
        __tracebackhide__ = True
        if bundle is None:
            bundle = request.config.getini("mpsandbox_bundle")
            if not bundle:
                raise pytest.UsageError("miniprogram() needs a bundle, or the ini option mpsandbox_bundle")
        if isinstance(bundle, (str, Path)) and not Path(bundle).is_absolute():
            bundle = root / bundle  # paths are the project's, wherever pytest was started
        kwargs.setdefault("engine", engine)
        kwargs.setdefault("seed", seed)
        mp = MiniProgram(bundle, **kwargs)
        opened.append(mp)
        return mp

    yield open_
    for mp in opened:
        mp.close()
