"""Replays: a failure's steps run again, exactly (same seed, same answers, same environment), with a transcript
that is the same line for line each time; and :class:`Script`, the same thing inside a pytest test that uses the
``miniprogram`` fixture (what exploration writes as a ready test).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ..apis.mocks import MockConfig
from ..testing import MiniProgram, MiniProgramError
from .driver import EXPLORE_LIMITS, FINAL_WAIT_MS, Session, environment_for, mocks_for
from .rules import RuleCheck
from .model import (
    ANSWER_KINDS,
    Answer,
    EnvChoice,
    Failure,
    OutcomeAnswer,
    PermissionAnswer,
    ReplayFile,
)

if TYPE_CHECKING:
    from ..bundle import Bundle


class ReplayError(ValueError):
    """A replay file that cannot be used (the message says why)."""


class ReplayChooser:
    """Answers from a sequence's answers (by scope and prompt number, by API and call number); the default else."""

    def __init__(self, steps: list[Any]):
        self.permissions = {(s.scope, s.nth): s.answer for s in steps if isinstance(s, PermissionAnswer)}
        self.outcomes = {(s.api, s.nth): s.outcome for s in steps if isinstance(s, OutcomeAnswer)}
        self.used: set[tuple[str, str, int]] = set()

    def permission(self, scope: str, api: str | None, nth: int, options: tuple[str, ...]) -> str:
        answer = self.permissions.get((scope, nth))
        if answer in options:
            self.used.add(("permission", scope, nth))
            return answer  # type: ignore[return-value]
        return options[0]

    def outcome(self, api: str, nth: int, options: tuple[str, ...], detail: str) -> str:
        outcome = self.outcomes.get((api, nth))
        if outcome in options:
            self.used.add(("outcome", api, nth))
            return outcome  # type: ignore[return-value]
        return options[0]


def classify(failure: Failure, steps: list[Any]) -> Failure:
    """A white screen that needs a refused permission is the "basic features after a denial" property."""
    refused = [s for s in steps if isinstance(s, PermissionAnswer) and s.answer in ("deny", "dismiss")]
    if failure.property == "white-screen" and refused:
        scopes = ", ".join(sorted({s.scope for s in refused}))
        return failure.model_copy(update={"property": "blocked-after-denial",
                                          "message": f"after {scopes} was refused the page renders nothing"})
    return failure


# ---- the transcript -------------------------------------------------------------------------------------------------
def describe(step: Any) -> str:
    kind = step.kind
    if kind == "permission":
        return f"prompt {step.scope}" + (f" ({step.api})" if step.api else "") + f" #{step.nth} → {step.answer}"
    if kind == "outcome":
        return f"{step.api} #{step.nth}" + (f" {step.detail}" if step.detail else "") + f" → {step.outcome}"
    if kind == "launch":
        return "launch"
    if kind == "tap":
        return f"{step.event} {step.target.label} ({step.target.selector} #{step.target.nth})"
    if kind == "event":
        return f"{step.event} on {step.target.label} ({step.target.selector} #{step.target.nth})"
    if kind == "input":
        return f"type {json.dumps(step.text, ensure_ascii=False)[:60]} into {step.target.label} " \
               f"({step.target.selector} #{step.target.nth})"
    if kind == "choose":
        return f"choose {json.dumps(step.value, ensure_ascii=False)} in {step.target.label} " \
               f"({step.target.selector} #{step.target.nth})"
    if kind == "tab":
        return f"switch to tab {step.route}"
    if kind == "background":
        return f"app to the background for {step.ms // 1000} s and back"
    if kind == "memory-warning":
        return f"memory warning (level {step.level})"
    if kind == "wait":
        return f"wait {step.ms // 1000} s"
    return {"scroll": "scroll to the bottom", "pull-down": "pull down to refresh", "back": "back",
            "relaunch": "quit and launch again (storage kept)"}.get(kind, kind)


def describe_env(env: EnvChoice) -> str:
    parts = [f"{k} {v}" for k, v in env.model_dump().items() if v is not None]
    return ", ".join(parts) if parts else "the seed's"


def transcript(name: str, seed: int, env: EnvChoice, steps: list[Any], failure: Failure | None) -> list[str]:
    lines = [f"{name}: seed {seed}, environment: {describe_env(env)}"]
    n = 0
    for step in steps:
        if step.kind in ANSWER_KINDS:
            lines.append(f"      {describe(step)}")
        else:
            n += 1
            lines.append(f"{n:>3}. {describe(step)}")
    if failure is None:
        lines.append("  ✓ no property failed")
    else:
        where = f" at {failure.location}" if failure.location else ""
        lines.append(f"  ✗ {failure.property} on {failure.route or '?'}: {failure.message}{where}")
    return lines


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# ---- running a sequence ---------------------------------------------------------------------------------------------
def run_steps(bundle: Bundle, steps: list[Any], *, seed: int = 0, env: EnvChoice | None = None,
              mocks: MockConfig | None = None, engine: str = "native",
              rules: Any = None) -> tuple[list[Any], Failure | None]:
    """Run a sequence's actions with its answers; returns the steps as run (actions and the answers given) and the
    failure seen, if any. Stops at the first failure, as exploration does."""
    env = env or EnvChoice()
    session = Session.open(bundle, ReplayChooser(steps), engine=engine, seed=seed, mocks=mocks, env=env,
                           rules=rules if rules is not None else RuleCheck(bundle))
    try:
        failure = None
        for step in steps:
            if step.kind in ANSWER_KINDS:
                continue
            failure = session.do(step)
            if failure is not None:
                break
        failure = failure or session.finish()
        done = list(session.steps)
    finally:
        session.close()
    return done, classify(failure, done) if failure is not None else None


def load_replay(path: str | Path) -> ReplayFile:
    p = Path(path)
    try:
        return ReplayFile.model_validate_json(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReplayError(f"{p}: no such replay file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{p}: cannot read the replay file: {exc}") from exc
    except ValueError as exc:
        raise ReplayError(f"{p}: not a replay file: {str(exc).splitlines()[0]}") from exc


def bundle_path(replay: ReplayFile, where: Path | None = None) -> Path:
    """The bundle of a replay: as recorded, or next to the replay file when it moved with it."""
    stored = Path(replay.bundle)
    if stored.exists():
        return stored
    if where is not None and replay.bundle_name and (where.parent / replay.bundle_name).exists():
        return where.parent / replay.bundle_name
    raise ReplayError(f"the bundle {replay.bundle} is not there any more (pass it with --bundle)")


class ReplayOutcome:
    def __init__(self, replay: ReplayFile, lines: list[str], failure: Failure | None):
        self.replay = replay
        self.lines = lines
        self.failure = failure

    @property
    def reproduced(self) -> bool:
        return self.failure is not None and self.failure.key == self.replay.failure.key

    @property
    def identical(self) -> bool:
        return self.reproduced and digest(self.lines) == self.replay.transcript_digest


def replay(replay_: ReplayFile, bundle: Bundle, *, engine: str = "native") -> ReplayOutcome:
    mocks = MockConfig.model_validate(replay_.mocks) if replay_.mocks else None
    steps, failure = run_steps(bundle, list(replay_.steps), seed=replay_.seed, env=replay_.environment, mocks=mocks,
                               engine=engine)
    lines = transcript(replay_.bundle_name or bundle.name, replay_.seed, replay_.environment, steps, failure)
    return ReplayOutcome(replay_, lines, failure)


# ---- inside a pytest test -------------------------------------------------------------------------------------------
class Script:
    """A failure's answers and environment for a test that drives the app with the ``miniprogram`` fixture::

        script = Script(BUNDLE, seed=0, answers=[{"kind": "permission", "scope": "scope.userLocation", "nth": 1,
                                                  "answer": "deny"}])
        mp = script.attach(miniprogram(script.bundle, **script.options()))
        mp.launch()
        script.check()          # raises when a property fails (see explore/properties.py)
        script.finish()         # let slow answers arrive, then a last check
    """

    def __init__(self, bundle: Bundle | str | Path, *, seed: int = 0, environment: dict[str, Any] | None = None,
                 mocks: dict[str, Any] | None = None, answers: list[dict[str, Any]] | None = None):
        if isinstance(bundle, (str, Path)):
            from ..bundle import load_bundle

            bundle = load_bundle(Path(bundle).resolve())
        self.bundle = bundle
        self.seed = seed
        self.env = EnvChoice.model_validate(environment or {})
        self.mocks = MockConfig.model_validate(mocks) if mocks else None
        self.answers = [TypeAdapter(Answer).validate_python(a) for a in answers or []]
        self.session: Session | None = None
        self.checks = 0

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``miniprogram()``: the seed, the mocks with the environment's theme and network, the
        environment's device and client, and the exploration's limits."""
        mocks = mocks_for(self.mocks, self.env)
        return {"seed": self.seed, "mocks": mocks, "limits": EXPLORE_LIMITS,
                "environment": environment_for(self.bundle, self.seed, self.env)}

    def attach(self, mp: MiniProgram) -> MiniProgram:
        self.session = Session(mp, ReplayChooser(self.answers), RuleCheck(self.bundle))
        return mp

    def check(self) -> None:
        __tracebackhide__ = True
        assert self.session is not None, "call script.attach(mp) first"
        failure = self.session.checker.check(self.checks)
        self.checks += 1
        if failure is not None:
            failure = classify(failure, self.session.steps)
            where = f" at {failure.location}" if failure.location else ""
            raise MiniProgramError(f"{failure.property} on {failure.route}: {failure.message}{where}")

    def finish(self) -> None:
        __tracebackhide__ = True
        assert self.session is not None, "call script.attach(mp) first"
        if self.session.checker.pending or self.session.checker.loading:
            self.session.mp.advance(FINAL_WAIT_MS)
        self.check()
        sb = self.session.mp.sandbox
        failure = self.session.rules.check(sb.trace, sb.engine.info.units_per_ms, self.checks)
        if failure is not None:
            where = f" at {failure.location}" if failure.location else ""
            raise MiniProgramError(f"{failure.property} on {failure.route}: {failure.message}{where}")
