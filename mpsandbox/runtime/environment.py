"""The environment a run shows the bundle: the device, the clock, the host version. Chosen by the run's seed.

A bundle must not be able to tell the review from a phone, so nothing here is round or fixed: the clock starts at a
plausible local time of a recent date with non-round milliseconds, ``performance.now()`` starts where an app's
would after its launch, the device is one of the real profiles of apis/devices.py. Everything is derived from the
seed and the bundle's content (never the wall clock), so the same seed gives the same environment and the same trace
byte for byte; another seed gives another environment. The bundle's content is mixed in so that nothing a bundle
reads (the first Math.random value, the start time, the device) is one constant of every review at the default
seed: a bundle cannot hold the values it would see, since holding them changes them. An :class:`Environment` is plain data: a second walk that must see the same
environment (the differential walk) passes the first walk's environment on.

The review's walks each get a seed of their own (:func:`walk_seed`), so behaviour keyed to one environment is
exposed by the other.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from ..apis.devices import choose

if TYPE_CHECKING:
    from ..bundle import Bundle

DAY_MS = 86_400_000
WINDOW_START_MS = 1_767_888_000_000  # 2026-01-09T00:00:00+08:00: the first day the clock may start on
WINDOW_DAYS = 150
RELAUNCH_GAPS_MS = ((4 * 60_000, 50 * 60_000), (2 * 3_600_000, 9 * 3_600_000), (25 * 3_600_000, 40 * 3_600_000))


class Environment(BaseModel):
    """What one run shows the bundle (see the module's docstring)."""

    model_config = ConfigDict(frozen=True)
    seed: int
    bundle: str = ""  # digest of the bundle's files (see bundle_digest)
    random_seed: int = 0  # Math.random's seed
    device: str  # a key of apis/devices.PROFILES
    host_version: str
    sdk_version: str
    epoch_ms: int  # Date.now() at virtual time 0
    perf_origin_ms: float  # performance.now() at virtual time 0 (the app's launch came after the JS context's start)
    relaunch_gap_ms: int  # virtual time between the first launch's end and the second launch

    @classmethod
    def for_seed(cls, seed: int, platform: str, bundle: str = "") -> "Environment":
        """The environment of seed ``seed`` for a bundle of digest ``bundle`` (:func:`bundle_digest`)."""
        seed = int(seed)
        device, (host_version, sdk_version) = choose(seed, platform, bundle)
        h = hashlib.sha256(f"environment:{seed}:{bundle}".encode()).digest()

        def draw(i: int, n: int) -> int:  # a number in [0, n) from four bytes of the digest
            return int.from_bytes(h[4 * i:4 * i + 4], "big") % n

        local_ms = (8 * 3_600_000 + draw(1, 15 * 3_600_000))  # 08:00 to 23:00 China time
        epoch = WINDOW_START_MS + draw(0, WINDOW_DAYS) * DAY_MS + local_ms
        if epoch % 1000 == 0 or epoch % 1000 == 500:
            epoch += 1 + draw(2, 498)
        low, high = RELAUNCH_GAPS_MS[draw(3, len(RELAUNCH_GAPS_MS))]
        return cls(seed=seed, bundle=bundle, random_seed=draw(6, 2**31), device=device.key, host_version=host_version, sdk_version=sdk_version,
                   epoch_ms=epoch, perf_origin_ms=round(350 + draw(4, 2_000_000) / 1000, 3),
                   relaunch_gap_ms=low + draw(5, high - low))


def bundle_digest(bundle: Bundle) -> str:
    """A short digest of a bundle's files (paths and contents)."""
    rows = [(f.path, f.sha256) for f in bundle.facts.files]
    h = hashlib.sha256()
    for path, digest in sorted(rows):
        h.update(f"{path}\0{digest}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def walk_seed(review_seed: int, mode: str) -> int:
    """The seed of one walk of a review: the allow walk runs on the review's seed (``--seed``), every other walk on
    a seed derived from it and its mode, so one review's walks see different devices and clocks while the same
    ``--seed`` repeats them all."""
    if mode == "allow":
        return int(review_seed)
    digest = hashlib.sha256(f"walk:{int(review_seed)}:{mode}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


class TurnClock:
    """The time a run's work takes: after each turn the bundle's clock moves on by what the turn did (a base cost,
    a seeded jitter, and a cost per event recorded and per microtask run), on top of the virtual clock. Counted from
    the trace, never measured, so the same seed gives the same clock on both engines (their CPU units differ)."""

    def __init__(self, seed: int):
        self._rng = random.Random(f"clock:{int(seed)}")
        self._us = 0

    @property
    def drift_ms(self) -> float:
        return self._us / 1000

    def after_turn(self, events: int, jobs: int) -> None:
        self._us += 150 + self._rng.randrange(900) + 40 * max(0, events) + 3 * max(0, jobs)
