"""``explore()``: search a bundle, then confirm each failure by replaying it, and write what was found: a replay
file per failure, a ready pytest test per failure, and ``explore.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..apis.mocks import MockConfig
from ..runtime.environment import bundle_digest
from .model import ANSWER_KINDS, EnvChoice, Failure, ReplayFile, Step, step_count
from .replay import classify, describe, digest, run_steps, transcript
from .rules import RuleCheck
from .search import DEFAULT_MAX_STEPS, DEFAULT_RUNS, SearchStats, search

if TYPE_CHECKING:
    from ..bundle import Bundle

DATABASE_DIR = Path(".mpsandbox") / "explore-db"  # hypothesis' example database, in the project


class ExploreOptions(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    runs: int = Field(DEFAULT_RUNS, ge=1)  # generated runs (shrinking runs more)
    seed: int = 0
    engine: str = "native"
    mocks: MockConfig | None = None
    max_steps: int = Field(DEFAULT_MAX_STEPS, ge=1, le=50)
    database: Path | None = None  # hypothesis' example database (None: none)
    seconds: float | None = Field(None, gt=0)  # a time budget besides the runs (results then depend on speed)
    allow_domains: list[str] = Field(default_factory=list)  # the request-domain allow-list the review's rules use


class FoundFailure(BaseModel):
    property: str
    key: str
    message: str
    route: str | None = None
    location: str | None = None
    steps: int  # the sequence's length as exploration counts it (actions and answers, not the launch)
    runs_seen: int = 1  # runs of the search that showed it
    reproduced: bool = True  # its replay showed it again
    replay: ReplayFile
    replay_file: str | None = None
    test_file: str | None = None

    @property
    def name(self) -> str:
        return f"{self.property}-{hashlib.sha256(self.key.encode()).hexdigest()[:8]}"


class ExploreResult(BaseModel):
    bundle: str
    platform: str
    seed: int
    runs: int  # the budget
    seconds: float | None = None  # the time budget, when there was one
    out_of_time: bool = False  # the time budget ended the search before its runs
    runs_executed: int  # every run, shrinking too
    steps_executed: int
    pages: list[str] = Field(default_factory=list)
    elements: int = 0  # distinct elements acted on
    answers: list[str] = Field(default_factory=list)  # "request:timeout", "scope.userLocation:deny"...
    failures: list[FoundFailure] = Field(default_factory=list)
    wall_s: float = 0.0


def explore(path: str | Path, options: ExploreOptions | None = None, *, bundle: Bundle | None = None) -> ExploreResult:
    """Explore the bundle at ``path`` (see the package's docstring)."""
    opts = options or ExploreOptions()
    if bundle is None:
        from ..bundle import load_bundle

        bundle = load_bundle(path)
    stats = SearchStats()
    rules = RuleCheck(bundle, allow_domains=opts.allow_domains)
    found = search(bundle, runs=opts.runs, seed_=opts.seed, engine=opts.engine, mocks=opts.mocks,
                   max_steps=opts.max_steps, database=opts.database, stats=stats, seconds=opts.seconds, rules=rules)
    result = ExploreResult(bundle=bundle.name, platform=bundle.platform, seed=opts.seed, runs=opts.runs,
                           seconds=opts.seconds, out_of_time=stats.out_of_time, runs_executed=stats.runs, steps_executed=stats.steps, pages=sorted(stats.pages),
                           elements=len(stats.elements), answers=sorted(stats.answers), wall_s=stats.wall_s)
    digest_ = bundle_digest(bundle)
    for f in found:
        # the replay of the minimal sequence is the evidence: it runs exactly as a replay file will
        steps, failure = run_steps(bundle, f.steps, seed=opts.seed, env=f.env, mocks=opts.mocks, engine=opts.engine,
                                   rules=rules)
        expected = classify(f.failure, f.steps)
        reproduced = failure is not None and failure.key == expected.key
        shown = failure if reproduced else expected
        lines = transcript(bundle.name, opts.seed, f.env, steps if reproduced else f.steps, shown)
        rp = ReplayFile(bundle=str(Path(str(path)).resolve()), bundle_name=bundle.name, bundle_digest=digest_,
                        platform=bundle.platform, seed=opts.seed,
                        mocks=opts.mocks.model_dump(mode="json") if opts.mocks else None, environment=f.env,
                        steps=steps if reproduced else f.steps, failure=shown, transcript=lines,
                        transcript_digest=digest(lines))
        result.failures.append(FoundFailure(property=shown.property, key=shown.key, message=shown.message,
                                            route=shown.route, location=shown.location,
                                            steps=step_count(rp.steps, f.env), runs_seen=f.seen,
                                            reproduced=reproduced, replay=rp))
    return result


# ---- writing what was found ----------------------------------------------------------------------------------------
def write_results(result: ExploreResult, out: str | Path) -> None:
    """``out/<property>-<hash>.json`` (replay files), ``out/test_explore_<property>_<hash>.py`` (tests) and
    ``out/explore.json`` (the whole result)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for f in result.failures:
        replay_path = out / f"{f.name}.json"
        replay_path.write_text(f.replay.model_dump_json(indent=2) + "\n", encoding="utf-8")
        test_path = out / f"test_explore_{f.name.replace('-', '_')}.py"
        test_path.write_text(pytest_source(f, test_path), encoding="utf-8")
        f.replay_file, f.test_file = str(replay_path), str(test_path)
    (out / "explore.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")


def _literal(value: Any) -> str:
    """A Python literal of a JSON value."""
    return repr(json.loads(json.dumps(value)))


def action_code(step: Any) -> list[str]:
    kind = step.kind
    if kind in ("tap", "event", "input", "choose"):
        el = f"mp.page.query_all({step.target.selector!r})[{step.target.nth}]"
        if kind == "tap":
            return [f"{el}.tap()" if step.event == "tap" else f"{el}.trigger({step.event!r})"]
        if kind == "event":
            return [f"{el}.trigger({step.event!r}, {_literal(step.detail)})"]
        if kind == "input":
            return [f"{el}.input({step.text!r})" if step.event == "input"
                    else f"{el}.trigger({step.event!r}, {{'value': {step.text!r}}})"]
        return [f"{el}.change({_literal(step.value)})"]
    return {
        "launch": ["mp.launch()"],
        "scroll": ["mp.page.trigger('onPageScroll', {'scrollTop': 800})", "mp.page.reach_bottom()"],
        "pull-down": ["mp.page.pull_down()"],
        "back": ["mp.back()"],
        "relaunch": ["mp.relaunch()"],
    }.get(kind) or {
        "tab": lambda: [f"mp.navigate({getattr(step, 'route', '')!r}, op='switchTab')"],
        "background": lambda: ["mp.hide()", f"mp.advance({getattr(step, 'ms', 0)})", "mp.show()"],
        "memory-warning": lambda: [f"mp.memory_warning({getattr(step, 'level', 10)})"],
        "wait": lambda: [f"mp.advance({getattr(step, 'ms', 0)})"],
    }[kind]()


def pytest_source(f: FoundFailure, test_path: Path) -> str:
    rp = f.replay
    try:
        bundle = os.path.relpath(rp.bundle, test_path.resolve().parent)
        bundle_expr = f"Path(__file__).parent / {Path(bundle).as_posix()!r}"
    except ValueError:  # another drive
        bundle_expr = f"Path({rp.bundle!r})"
    answers = [s.model_dump(mode="json", exclude_none=True) for s in rp.steps if s.kind in ANSWER_KINDS]
    env = rp.environment.model_dump(mode="json", exclude_none=True)
    where = f" at {f.location}" if f.location else ""
    lines = [
        f'"""Found by `mpsandbox explore` (seed {rp.seed}): {f.property} on {f.route}.',
        "",
        f"{f.message}{where}",
        "",
        "It fails while the bug is there and passes once it is fixed. The same run, step by step:",
        f"mpsandbox replay {f.name}.json",
        '"""',
        "",
        "from pathlib import Path",
        "",
        "from mpsandbox.explore import Script",
        "",
        f"BUNDLE = {bundle_expr}",
        "",
        "",
        f"def test_{re.sub(r'[^0-9a-zA-Z_]', '_', f.name)}(miniprogram):",
        f"    script = Script(BUNDLE, seed={rp.seed}, environment={_literal(env)}, mocks={_literal(rp.mocks)},",
        "                    answers=[",
    ]
    lines += [f"                        {_literal(a)}," for a in answers]
    lines += ["                    ])",
              "    mp = script.attach(miniprogram(script.bundle, **script.options()))"]
    groups: list[tuple[Any, list[Any]]] = []
    for step in rp.steps:
        if step.kind in ANSWER_KINDS and groups:
            groups[-1][1].append(step)
        elif step.kind not in ANSWER_KINDS:
            groups.append((step, []))
    for action, answers_given in groups:
        lines.append(f"    # {describe(action)}")
        lines += [f"    {code}" for code in action_code(action)]
        lines += [f"    #   then: {describe(a)}" for a in answers_given]
        lines.append("    script.check()")
    lines.append("    script.finish()")
    return "\n".join(lines) + "\n"


def render_text(result: ExploreResult) -> str:
    """The result for a terminal (deterministic: no timings)."""
    budget = f"{result.runs} runs" + (f" or {result.seconds:g} s" if result.seconds else "")
    lines = [f"explored {result.bundle} ({result.platform}): seed {result.seed}, {budget}"
             + (" (the time budget ended it first)" if result.out_of_time else ""),
             f"coverage: {len(result.pages)} page(s), {result.elements} element(s) acted on, "
             f"{len(result.answers)} answer(s) tried"]
    if not result.failures:
        lines.append("no property failed")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(result.failures)} failure(s), each shrunk to its minimal sequence:")
    for i, f in enumerate(result.failures, 1):
        lines.append("")
        lines.append(f"{i}. {f.property} on {f.route or '?'} ({f.steps} step{'s' if f.steps != 1 else ''})"
                     + ("" if f.reproduced else " [did not reproduce on replay]"))
        lines += [f"   {line}" for line in f.replay.transcript[1:]]
        if f.replay_file:
            lines.append(f"   replay: mpsandbox replay {f.replay_file}")
            lines.append(f"   test:   {f.test_file}")
    return "\n".join(lines) + "\n"


EXPLORE_RUN_WALL_S = 2.0  # wall time one run may take in an isolated exploration (shrinking included), generously


def for_review(bundle: Bundle, path: str | Path, *, runs: int, seed: int = 0, engine: str = "native",
               mocks: MockConfig | None = None, seconds: float | None = None, allow_domains: list[str] | None = None,
               isolated: bool = True) -> list[dict[str, Any]]:
    """What ``review --explore N`` adds: each failure with its replay (no database, no files). ``isolated``: in a
    child process with the walks' limits, so that what the bundle does to the engine there cannot stop the review;
    if that process dies, one ``crashed`` failure says why."""
    options = ExploreOptions(runs=runs, seed=seed, engine=engine, mocks=mocks, seconds=seconds,
                             allow_domains=list(allow_domains or []))

    def failures() -> str:
        result = explore(path, options, bundle=bundle)
        return json.dumps([f.model_dump(mode="json") for f in result.failures])

    if not isolated:
        return json.loads(failures())
    from ..runtime.isolation import ProcessLimits, call_in_child, process_limits

    wall_s = (1.5 * seconds if seconds else runs * EXPLORE_RUN_WALL_S) + 60.0
    data = process_limits(None, None, len(bundle.pages)).data_bytes
    outcome = call_in_child(failures, ProcessLimits(stall_s=wall_s, walk_s=wall_s, data_bytes=data,
                                                    cpu_s=int(wall_s) + 1))
    if outcome.text is None:
        return [{"property": "crashed", "key": "crashed|exploration", "steps": 0, "route": None, "location": None,
                 "message": f"exploration did not finish: {outcome.failure}", "replay": None}]
    # the child ran the bundle: what it sends back is data to check
    return [f.model_dump(mode="json") for f in TypeAdapter(list[FoundFailure]).validate_json(outcome.text)]


__all__ = ["ExploreOptions", "ExploreResult", "FoundFailure", "explore", "write_results", "render_text",
           "for_review", "DATABASE_DIR", "Failure", "EnvChoice", "Step"]
