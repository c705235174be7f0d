"""The search: hypothesis draws runs (an environment, then actions chosen among those possible in the current
rendered state, with permission answers and API outcomes drawn when the app asks), the properties are checked after
every step, coverage guides the search (``hypothesis.target``), and each distinct failure is shrunk to its minimal
sequence.

Hypothesis tells failures apart by the exception's type and place, so each failure key raises an exception class of
its own. Of all the runs that showed a failure, the shortest sequence is kept (ties: the first in the canonical JSON
order), so the result does not depend on the order in which the runs came.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings, target
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from ..apis.mocks import MockConfig
from .driver import ENV_CHOICES, ChooseAction, InputAction, Session, TEXTS, choice_values, client_choices, steps_json
from .model import EnvChoice, Failure, LaunchAction, step_count

if TYPE_CHECKING:
    from ..bundle import Bundle

DEFAULT_RUNS = 100
DEFAULT_MAX_STEPS = 8


class _OutOfTime(KeyboardInterrupt):
    """The seconds budget is spent. Hypothesis stops at once on an interrupt (anything else it would shrink); it
    never leaves :func:`search`."""


class ExploreFailure(Exception):
    """A property failed in a run (one subclass per failure key, see the module's docstring)."""


_CLASSES: dict[str, type[ExploreFailure]] = {}


def failure_class(key: str) -> type[ExploreFailure]:
    cls = _CLASSES.get(key)
    if cls is None:
        name = "ExploreFailure_" + hashlib.sha256(key.encode()).hexdigest()[:12]
        cls = _CLASSES[key] = type(name, (ExploreFailure,), {"__module__": __name__})
    return cls


class DrawChooser:
    """Answers prompts and calls with hypothesis draws; the default answer shrinks first.

    The draws happen inside the app's API calls, in the middle of a JS turn: what hypothesis raises there (its
    StopTest when a shrunk run has no choices left) must not become an error of the app. It is kept, the default
    answer given, and it is raised again once the step is over (:meth:`raise_stop`)."""

    def __init__(self, data: Any):
        self.data = data
        self.stopped: BaseException | None = None

    def _draw(self, upper: int, label: str) -> int:
        if self.stopped is not None:
            return 0
        try:
            return self.data.draw(st.integers(0, upper), label=label)
        except BaseException as exc:  # noqa: BLE001 - raised again after the step
            self.stopped = exc
            return 0

    def raise_stop(self) -> None:
        if self.stopped is not None:
            raise self.stopped

    def permission(self, scope: str, api: str | None, nth: int, options: tuple[str, ...]) -> str:
        return options[self._draw(len(options) - 1, f"prompt {scope}")]

    def outcome(self, api: str, nth: int, options: tuple[str, ...], detail: str) -> str:
        # half of the draws keep the default (success), the rest spread over the failures
        i = self._draw(2 * len(options) - 2, f"outcome {api}")
        return options[i] if i < len(options) else options[0]


@dataclass
class Found:
    failure: Failure
    env: EnvChoice
    steps: list[Any]
    seen: int = 1  # runs that showed it

    def rank(self) -> tuple[int, int, str]:
        return (step_count(self.steps, self.env), len(self.steps), self.env.model_dump_json() + steps_json(self.steps))


@dataclass
class SearchStats:
    runs: int = 0  # every run hypothesis asked for (generation, targeting, shrinking)
    steps: int = 0
    wall_s: float = 0.0
    out_of_time: bool = False  # the seconds budget ended the search (the runs asked after it did nothing)
    pages: set[str] = field(default_factory=set)
    elements: set[str] = field(default_factory=set)
    answers: set[str] = field(default_factory=set)


def draw_env(data: Any, bundle: Bundle) -> EnvChoice:
    """An environment: each part is the seed's (index 0) or one of the choices; and the page the app opens on,
    the entry page (index 0) or any other declared page, as from a shared card."""
    def pick(name: str, choices: tuple[Any, ...]) -> Any:
        i = data.draw(st.integers(0, len(choices)), label=f"env {name}")
        return None if i == 0 else choices[i - 1]

    platform = bundle.platform
    entry = bundle.entry_page
    pages = tuple(p.route for p in bundle.pages if p.route != entry)
    return EnvChoice(device=pick("device", ENV_CHOICES["device"]), client=pick("client", client_choices(platform)),
                     theme=pick("theme", ENV_CHOICES["theme"]), network=pick("network", ENV_CHOICES["network"]),
                     page=pick("page", pages))


def parametrize(action: Any, data: Any, session: Session) -> Any:
    """Draw what an action needs besides its target: the text typed, the value chosen."""
    if isinstance(action, InputAction):
        return action.model_copy(update={"text": TEXTS[data.draw(st.integers(0, len(TEXTS) - 1), label="text")]})
    if isinstance(action, ChooseAction):
        values = choice_values(action, session.mp.sandbox.view_tree())
        return action.model_copy(update={"value": values[data.draw(st.integers(0, len(values) - 1), label="value")]})
    return action


def search(bundle: Bundle, *, runs: int = DEFAULT_RUNS, seed_: int = 0, engine: str = "native",
           mocks: MockConfig | None = None, max_steps: int = DEFAULT_MAX_STEPS, database: Path | None = None,
           stats: SearchStats | None = None, seconds: float | None = None, rules: Any = None) -> list[Found]:
    """Explore ``bundle`` for ``runs`` generated runs (plus those shrinking takes), or until ``seconds`` have
    passed; returns each distinct failure once, with its minimal sequence so far, sorted by key. Only a budget in
    runs gives the same result on any machine. ``rules`` (a RuleCheck) has the review's rules read each run."""
    found: dict[str, Found] = {}
    stats = stats if stats is not None else SearchStats()
    t0 = time.perf_counter()
    deadline = t0 + seconds if seconds is not None else None

    def one_run(data: Any) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise _OutOfTime  # through hypothesis: the search ends, keeping the shortest sequences seen so far
        stats.runs += 1
        env = draw_env(data, bundle)
        chooser = DrawChooser(data)
        session = Session.open(bundle, chooser, engine=engine, seed=seed_, mocks=mocks, env=env, rules=rules)
        try:
            failure = session.do(LaunchAction())
            chooser.raise_stop()
            for _ in range(max_steps):
                if failure is not None:
                    break
                actions = session.available()
                i = data.draw(st.integers(0, len(actions)), label="action")  # 0: the run ends here
                if i == 0:
                    break
                failure = session.do(parametrize(actions[i - 1], data, session))
                chooser.raise_stop()
                stats.steps += 1
            failure = failure or session.finish()
            chooser.raise_stop()
        finally:
            session.close()
        stats.pages |= session.checker.pages
        stats.elements |= session.acted
        stats.answers |= session.recorder.tried
        target(session.coverage(), label="coverage")
        if failure is not None:
            candidate = Found(failure, env, list(session.steps))
            best = found.get(failure.key)
            if best is None or candidate.rank() < best.rank():
                if best is not None:
                    candidate.seen += best.seen
                found[failure.key] = candidate
            else:
                best.seen += 1
            raise failure_class(failure.key)(failure.key)

    db = DirectoryBasedExampleDatabase(str(database)) if database is not None else None
    test = settings(max_examples=max(1, runs), database=db, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=True, print_blob=False,
                    verbosity=Verbosity.quiet, stateful_step_count=max_steps,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink))(
        seed(seed_)(given(st.data())(one_run)))
    key = f"mpsandbox-explore:{bundle.name}:{engine}:{max_steps}:{mocks.model_dump_json() if mocks else ''}"
    test.hypothesis.inner_test._hypothesis_internal_add_digest = key.encode()  # type: ignore[attr-defined]
    try:
        test()
    except _OutOfTime:
        stats.out_of_time = True
    except BaseException as exc:  # noqa: BLE001 - only our own failures are expected here
        _reraise_unexpected(exc)
    stats.wall_s += time.perf_counter() - t0
    return [found[k] for k in sorted(found)]


def _reraise_unexpected(exc: BaseException) -> None:
    if isinstance(exc, ExploreFailure):
        return
    if isinstance(exc, BaseExceptionGroup):
        others = [e for e in exc.exceptions if not isinstance(e, ExploreFailure)]
        for e in others:
            _reraise_unexpected(e)
        return
    raise exc
