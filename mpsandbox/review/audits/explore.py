"""What `review --explore N` found: each failure of property-based exploration (mpsandbox.explore) with its replay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..artifacts import Artifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit

if TYPE_CHECKING:
    from ..policy import Policy

SEVERE = ("crashed", "uncaught-error", "white-screen", "endless-loading", "blocked-after-denial", "reprompt-loop", "run-ended",
          "review-rule")


def _location(where: str | None) -> Location | None:
    if not where or ":" not in where:
        return None
    file, _, line = where.rpartition(":")
    return Location(file=file, line=int(line) if line.isdigit() else None)


@audit(
    "explore-failure",
    title="Exploration found a sequence that breaks the bundle",
    category="stability",
    severity=Severity.WARNING,
    description="""With `--explore N`, hypothesis searched N runs of user actions, permission answers (allow, allow once,
    deny, dismiss), API outcomes (failures with the platform's errMsg/errNo, timeouts, empty or malformed answers),
    lifecycle events (background, relaunch with storage kept, memory warning) and environments, and checked after
    every step that nothing failed: no uncaught error or unhandled rejection, no white screen, no endless loading,
    features still offered after a denial, no re-prompt loop, no navigation past the page-stack limit, and no error
    finding of the review's own rules over the run's trace that the static facts alone do not give. Each failure
    is reported once with the minimal sequence that causes it; the evidence is its replay (`mpsandbox replay`).
    A crash, white screen, endless spinner, blocked feature, prompt loop or review-rule error is an error (the
    platforms reject apps that stop working when a capability is refused); an unhandled rejection or the stack limit
    a warning.""",
    fix="""Replay the sequence (save the evidence's value as a file and run `mpsandbox replay FILE`, or run
    `mpsandbox explore` for the file and a ready pytest test), then handle the case it shows: a fail callback that
    reads fields only a success has, a cache read with the wrong key, a loading indicator hidden only on success, a
    dialog that asks again after every refusal.""",
    example="fail: (err) => this.setData({ error: err.data.message })  // err has no data",
    reads=("exploration",),
)
def explore_failure(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for f in art.exploration or []:
        replay = f.get("replay") or {}
        lines = replay.get("transcript") or []
        evidence = [Evidence(description=f"{f['property']} after {f['steps']} step(s): " + " / ".join(
            line.strip() for line in lines[1:-1]), page=f.get("route"), location=_location(f.get("location")),
            value=replay)]
        yield Hit(message=f"{f['property']} on {f.get('route') or '?'} after {f['steps']} step(s): {f['message']}",
                  key=f["key"], evidence=evidence, location=_location(f.get("location")),
                  severity=Severity.ERROR if f["property"] in SEVERE else None)
