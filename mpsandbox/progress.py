"""What a review shows while its walks run: a spinner line on a terminal, a line per page elsewhere."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape


class ReviewProgress:
    """Follows ``review(on_progress=...)``. On a terminal, one live line (walk, page, step, time); otherwise
    (``--progress`` on a pipe or a CI log) a plain line each time a walk reaches another page."""

    def __init__(self, console: Console, name: str):
        self.console = console
        self.name = name
        self.live = console.is_terminal
        self._status: Any = None
        self._last: tuple[str, str | None] | None = None
        self._t0 = time.monotonic()

    def __enter__(self) -> ReviewProgress:
        if self.live:
            self._status = self.console.status(f"reviewing {escape(self.name)}", spinner="dots")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)
            self._status = None

    def __call__(self, walk: str, progress: Any) -> None:
        page = progress.page or "(launch)"
        elapsed = time.monotonic() - self._t0
        if self._status is not None:
            self._status.update(f"reviewing {escape(self.name)} · {escape(walk)} walk · {escape(page)} · "
                                f"{escape(progress.step[:60])} · turn {progress.turn} · {elapsed:.1f} s")
            return
        key = (walk, progress.page)
        if key != self._last:
            self._last = key
            self.console.print(f"{walk} walk: {page} (turn {progress.turn}, {elapsed:.1f} s)",
                               markup=False, highlight=False)
