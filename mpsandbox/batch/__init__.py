"""Store-scale batch review on Dask: `mpsandbox batch` and :func:`review_many`.

Imported lazily, so that `mpsandbox` commands that do not batch pay nothing for it.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "BatchError": "driver",
    "BatchInterrupted": "driver",
    "local_cluster": "driver",
    "options_fingerprint": "driver",
    "review_many": "driver",
    "TIMING_COLUMNS": "rows",
    "expand_sources": "sources",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
