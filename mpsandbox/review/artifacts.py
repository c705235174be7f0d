"""Artifacts: what the gatherers collected, the only input of the audits.

In the manner of Lighthouse, audits never drive the bundle; they read these facts: the bundle's static facts and
files, and one trace per walk (allow, and deny when asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..apis.catalogue import Catalogue
from ..trace import Trace

if TYPE_CHECKING:
    from ..bundle import AppConfig, BundleFacts, BundleProblem


@dataclass
class LoadFailure:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass
class RunArtifacts:
    mode: Literal["allow", "deny"]
    trace: Trace
    units_per_ms: float  # engine CPU units per nominal millisecond
    pages_visited: list[str] = field(default_factory=list)
    pages_failed: list[str] = field(default_factory=list)
    handlers_fired: int = 0
    handlers_skipped: list[str] = field(default_factory=list)
    handlers_bound: int = 0
    pages_skipped: list[str] = field(default_factory=list)
    pages_redirected: dict[str, str] = field(default_factory=dict)
    budget_notes: list[str] = field(default_factory=list)
    stopped_early: str | None = None
    launch_to_ready_ms: int | None = None
    wall_ms: float = 0.0
    views: dict[str, Any] = field(default_factory=dict)  # route -> PageView (element metrics, HTML)
    sources_read: list[str] = field(default_factory=list)  # sensitive sources the walk handed out
    twin: "RunArtifacts | None" = None  # the differential walk: the same walk, only the sources' values changed
    shots: list[Any] = field(default_factory=list)  # layout.PageShot: screenshot and boxes of rendered pages

    def cpu_ms(self, units: int) -> float:
        return units / self.units_per_ms if self.units_per_ms else 0.0

    def launch_cpu_ms(self) -> tuple[float, bool]:
        """CPU ms from launch to the first page's onReady, and whether that page became ready at all."""
        units = 0
        for turn in self.trace.turns:
            units += turn.cpu_units
            if turn.detail and turn.detail.startswith("ready "):
                return self.cpu_ms(units), True
        return self.cpu_ms(units), False


@dataclass
class Artifacts:
    name: str
    platform: str
    catalogue: Catalogue
    facts: BundleFacts | None = None  # the loader's static facts (None when the bundle could not be loaded)
    app: AppConfig | None = None  # the bundle's parsed app.json
    texts: dict[str, str] = field(default_factory=dict)  # text files of the bundle, for static audits
    sizes: dict[str, int] = field(default_factory=dict)
    problems: list[BundleProblem] = field(default_factory=list)
    runs: list[RunArtifacts] = field(default_factory=list)
    load_failure: LoadFailure | None = None
    layout_problems: list[str] = field(default_factory=list)  # pages the layout gatherer could not show
    exploration: list[dict[str, Any]] | None = None  # failures `review --explore N` found (mpsandbox.explore)

    @property
    def loaded(self) -> bool:
        return self.load_failure is None

