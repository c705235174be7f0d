"""The experience score: 0-100 over performance, experience and best practice, like the platforms' own.

WeChat's experience score weighs rules in three groups and warns below 70; Douyin's IDE and Alipay's performance
check have the same spirit. Ours is computed from what the review already has, after the audits ran:

* a **measured** check maps a figure of the walk onto a score between a *good* value (1.0) and a *poor* value
  (0.0), linearly in between (Lighthouse uses log-normal curves; a line is easier to predict and to document);
* an **audit** check scores 1.0 when none of its audits found anything and 0.0 when one did (a check with both
  takes the lower of the two).

A check that does not apply (no page rendered, no request made, another platform) has no score and drops out of
its group's weighted mean. The total is the groups' weighted mean. ``mpsandbox rules --markdown`` documents the
checks (docs/rules.md), from :func:`score_rows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .artifacts import Artifacts
from .audits.layout import laid_out, oversized_images, small_tap_targets, stretched_images
from .model import ExperienceScore, Finding, ScoreCheck, ScoreGroup

GROUPS: dict[str, tuple[str, float]] = {  # id -> (title, weight)
    "performance": ("Performance", 0.5),
    "experience": ("Experience", 0.2),
    "best-practice": ("Best practice", 0.3),
}


Measure = Callable[[Artifacts], "tuple[float, str] | None"]  # the figure and its display; None: not applicable


@dataclass(frozen=True)
class Check:
    id: str
    group: str
    title: str
    weight: float
    audits: tuple[str, ...] = ()
    measure: Measure | None = None
    good: float = 0.0  # a measured figure at or below this scores 1.0
    poor: float = 1.0  # at or above this scores 0.0

    def grade(self, value: float) -> float:
        if value <= self.good:
            return 1.0
        if value >= self.poor:
            return 0.0
        return round((self.poor - value) / (self.poor - self.good), 3)


# ---- measured figures (pure functions over the artifacts) -----------------------------------------------------
def _allow_run(art: Artifacts):
    return next((r for r in art.runs if r.mode == "allow"), art.runs[0] if art.runs else None)


def _launch_ms(art: Artifacts) -> tuple[float, str] | None:
    """Waiting (virtual ms: network, timers) plus CPU from launch to the first page's onReady."""
    run = _allow_run(art)
    if run is None:
        return None
    cpu, ready = run.launch_cpu_ms()
    if not ready:
        return 10_000.0, "the first page never became ready"
    waited = run.launch_to_ready_ms or 0
    return waited + cpu, f"{waited + cpu:.0f} ms to the first page's onReady ({waited} ms waiting, {cpu:.0f} ms CPU)"


def _longest_turn_ms(art: Artifacts) -> tuple[float, str] | None:
    run = _allow_run(art)
    if run is None or not run.trace.turns:
        return None
    worst = max(run.trace.turns, key=lambda t: t.cpu_units)
    ms = run.cpu_ms(worst.cpu_units)
    return ms, f"{ms:.0f} ms ({worst.task}{' ' + worst.detail if worst.detail else ''})"


def _largest_setdata_kb(art: Artifacts) -> tuple[float, str] | None:
    sizes = [e.bytes for r in art.runs for e in r.trace.of_kind("setData")]
    if not sizes:
        return None
    return max(sizes) / 1024, f"{max(sizes) / 1024:.1f} KB in one setData"


def _view_figure(key: str, unit: str) -> Measure:
    def measure(art: Artifacts) -> tuple[float, str] | None:
        views = [(route, v) for r in art.runs for route, v in (r.views or {}).items()]
        if not views:
            return None
        route, view = max(views, key=lambda rv: getattr(rv[1], key, 0))
        n = getattr(view, key, 0)
        return float(n), f"{n} {unit} ({route})"
    return measure


def _app_errors_per_page(art: Artifacts) -> tuple[float, str] | None:
    run = _allow_run(art)
    if run is None:
        return None
    from .coverage import classify_errors

    app_errors = sum(1 for _, cause in classify_errors(art, run) if cause == "app")
    pages = max(1, len(run.pages_visited))
    return app_errors / pages, f"{app_errors} app error(s) over {pages} page(s)"


_NETWORK = ("request", "uploadFile", "downloadFile")


def _failed_request_share(art: Artifacts) -> tuple[float, str] | None:
    run = _allow_run(art)
    if run is None:
        return None
    calls = [e for e in run.trace.api_calls() if e.api in _NETWORK]
    if not calls:
        return None
    done = {e.call_id: e.outcome for e in run.trace.of_kind("api-complete")}
    failed = sum(1 for e in calls if e.outcome == "fail" or done.get(e.call_id) == "fail")
    return failed / len(calls), f"{failed} of {len(calls)} request(s) failed"


_ACTIVE = re.compile(r":active\b")
_STYLE_EXT = (".wxss", ".ttss", ".acss", ".css")


def _active_pseudo(art: Artifacts) -> tuple[float, str] | None:
    styles = [p for p in art.texts if p.endswith(_STYLE_EXT)]
    if not styles:
        return None
    using = [p for p in styles if _ACTIVE.search(art.texts[p])]
    return float(len(using)), (f"`:active` in {', '.join(using[:3])}" if using else "no `:active` selector")


def _lazy_code_loading(art: Artifacts) -> tuple[float, str] | None:
    if art.platform != "wx" or art.app is None:
        return None
    value = (art.app.model_extra or {}).get("lazyCodeLoading")  # not one of AppConfig's typed fields
    on = value == "requiredComponents"
    return (0.0 if on else 1.0), ("lazyCodeLoading: requiredComponents" if on else "lazyCodeLoading is off")


def _layout_count(find: Callable[[Artifacts], list[Any]], what: str) -> Callable[[Artifacts], tuple[float, str] | None]:
    """How many laid-out elements ``find`` reports, once the pages were laid out (--screenshots); else unscored."""
    def measure(art: Artifacts) -> tuple[float, str] | None:
        if not laid_out(art):
            return None
        n = len(find(art))
        return float(n), f"{n} {what}"
    return measure


CHECKS: tuple[Check, ...] = (
    # performance: WeChat's limits are the poor end; half of them (or the platform's "good") the good end
    Check("launch-time", "performance", "First page ready quickly", 3, ("slow-launch",), _launch_ms, 1_500, 5_000),
    Check("script-run", "performance", "No long script run", 2, ("long-turn", "cpu-budget"), _longest_turn_ms,
          100, 1_000),
    Check("setdata-size", "performance", "Small setData payloads", 2, ("setdata-size",), _largest_setdata_kb,
          64, 256),
    Check("setdata-rate", "performance", "Few setData calls per second", 2, ("setdata-frequency",)),
    Check("view-nodes", "performance", "Fewer than 1,000 rendered nodes", 1, ("view-too-large",),
          _view_figure("nodes", "nodes"), 500, 1_000),
    Check("view-depth", "performance", "Template depth under 30", 1, (), _view_figure("depth", "levels"), 20, 30),
    Check("view-children", "performance", "At most 60 children per node", 1, (),
          _view_figure("max_children", "children"), 40, 61),
    Check("memory", "performance", "Memory within the limit", 1, ("memory-limit", "microtask-flood")),
    Check("timers", "performance", "No runaway or orphan timers", 1, ("runaway-timers", "orphan-timer",
                                                                        "orphan-listener")),
    # experience
    Check("image-size", "performance", "Images no larger than 3x their box", 1, ("oversized-image",),
          _layout_count(oversized_images, "oversized image(s)"), 0, 3),
    Check("pages-load", "experience", "Every page loads", 3, ("page-load-failure", "missing-page")),
    Check("tap-targets", "experience", "Tap targets at least 20 px", 1, ("small-tap-target",),
          _layout_count(small_tap_targets, "tap target(s) under 20 px"), 0, 3),
    Check("image-aspect", "experience", "Images keep their proportions", 1, ("image-aspect",),
          _layout_count(stretched_images, "stretched image(s)"), 0, 3),
    Check("no-active-pseudo", "experience", "Tap feedback with hover-class, not :active", 1, (), _active_pseudo,
          0, 1),
    Check("no-early-prompts", "experience", "No permission prompt before it is needed", 2,
          ("prompt-on-launch", "reprompt-after-denial")),
    # best practice
    Check("no-js-errors", "best-practice", "No JavaScript exceptions", 3, ("uncaught-error", "unhandled-rejection"),
          _app_errors_per_page, 0, 1),
    Check("no-failed-requests", "best-practice", "No failed requests", 1, (), _failed_request_share, 0, 0.5),
    Check("https", "best-practice", "HTTPS everywhere", 2, ("insecure-transport", "ip-or-localhost")),
    Check("no-deprecated-apis", "best-practice", "No deprecated or unknown APIs", 1, ("deprecated-api",
                                                                                      "unknown-api")),
    Check("package-size", "best-practice", "Packages and files within size limits", 1, ("package-size",
                                                                                        "large-file")),
    Check("lazy-code-loading", "best-practice", "Components loaded on demand (lazyCodeLoading)", 1, (),
          _lazy_code_loading, 0, 1),
)


def experience_score(art: Artifacts, findings: list[Finding]) -> ExperienceScore | None:
    """The score of a reviewed bundle; None when it was not walked (it could not be loaded)."""
    if not art.loaded or not art.runs:
        return None
    fired: dict[str, int] = {}
    for f in findings:
        fired[f.rule] = fired.get(f.rule, 0) + 1
    checks = [_score_check(c, art, fired) for c in CHECKS]
    groups: list[ScoreGroup] = []
    total = weights = 0.0
    for gid, (title, gweight) in GROUPS.items():
        scored = [c for c in checks if c.group == gid and c.score is not None]
        if not scored:
            groups.append(ScoreGroup(id=gid, title=title, weight=gweight))
            continue
        value = sum(c.score * c.weight for c in scored) / sum(c.weight for c in scored)  # type: ignore[operator]
        groups.append(ScoreGroup(id=gid, title=title, weight=gweight, score=round(value * 100)))
        total += value * gweight
        weights += gweight
    return ExperienceScore(score=round(100 * total / weights) if weights else 100, groups=groups, checks=checks)


def _score_check(check: Check, art: Artifacts, fired: dict[str, int]) -> ScoreCheck:
    out = ScoreCheck(id=check.id, group=check.group, title=check.title, weight=check.weight,
                     audits=list(check.audits), failed_audits=[a for a in check.audits if fired.get(a)])
    scores: list[float] = []
    if check.measure is not None:
        try:
            measured = check.measure(art)
        except Exception:  # noqa: BLE001 - a figure that cannot be taken leaves the check to its audits
            measured = None
        if measured is not None:
            value, out.value = measured
            scores.append(check.grade(value))
    if check.audits and (scores or check.measure is None or out.failed_audits):
        scores.append(0.0 if out.failed_audits else 1.0)
    if out.failed_audits and not out.value:
        out.value = "found by " + ", ".join(out.failed_audits)
    out.score = min(scores) if scores else None
    return out


def apply_score_gate(score: ExperienceScore | None, minimum: int | None, exit_code: int) -> int:
    """The exit code with the ``--min-score`` gate: a score below the minimum makes it at least 1."""
    if score is None or minimum is None:
        return exit_code
    score.minimum = minimum
    score.passed = score.score >= minimum
    return exit_code if score.passed else max(exit_code, 1)


def score_rows() -> list[tuple[str, str, str, str, str]]:
    """The checks as documentation rows: group (weight), check, weight, measured good..poor, audits."""
    rows = []
    for c in CHECKS:
        title, gweight = GROUPS[c.group]
        span = f"{c.good:g} .. {c.poor:g}" if c.measure is not None else ""
        rows.append((f"{title} ({gweight:.0%})", c.title, f"{c.weight:g}", span,
                     ", ".join(f"`{a}`" for a in c.audits)))
    return rows
