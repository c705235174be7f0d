"""One exploration run: a mini-program driven step by step through the developer API (``mpsandbox.testing``), with
every fallible call and permission prompt answered by a chooser, and the properties checked after each step.

The same code runs the exploration (answers drawn by hypothesis), a replay (answers read from a replay file) and
the pytest tests exploration writes (:class:`Script`), so the three agree step for step.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from ..apis.devices import HOST_VERSIONS, PROFILES
from ..apis.mocks import ApiMock, MockConfig
from ..runtime.environment import Environment, bundle_digest
from ..runtime.sandbox import RunLimits
from ..runtime.view.events import interactive
from ..runtime.view.tree import Element
from ..runtime.walker import Binding, element_shape, plausible_detail
from ..testing import MiniProgram, MiniProgramError
from .model import (
    ANSWER_KINDS,
    BackAction,
    BackgroundAction,
    ChooseAction,
    EnvChoice,
    EventAction,
    Failure,
    InputAction,
    LaunchAction,
    MemoryWarningAction,
    OutcomeAnswer,
    PermissionAnswer,
    PullDownAction,
    RelaunchAction,
    ScrollAction,
    TabAction,
    TapAction,
    Target,
    WaitAction,
)
from .outcomes import install
from .properties import Checker

if TYPE_CHECKING:
    from ..bundle import Bundle

EXPLORE_LIMITS = RunLimits(virtual_ms=2 ** 40)  # relaunches and background time: days of virtual time
FINAL_WAIT_MS = 65_000  # at the end of a run: past the default request timeout (60 s)
MAX_SHAPES = 40  # distinct interactive elements offered per page
TAPS = ("tap", "longpress", "longtap")
INPUT_EVENTS = ("input", "confirm", "blur", "change")
CHOICE_TAGS = ("picker", "switch", "slider", "checkbox-group", "radio-group", "picker-view", "checkbox", "radio")
TEXTS = ("hello", "", "12", "-1", "0", "1e309", "   ", "😀👍🏽", "<script>alert(1)</script>", "'; DROP TABLE x;--",
         "x" * 300, "١٢٣", "null", "undefined", "{}", "13800138000")


def environment_for(bundle: Bundle, seed: int, env: EnvChoice) -> Environment | None:
    """The run's environment: the seed's, with the chosen device and client version."""
    if env.device is None and env.client is None:
        return None
    base = Environment.for_seed(seed, bundle.platform, bundle_digest(bundle))
    update: dict[str, Any] = {}
    if env.device is not None:
        update["device"] = env.device
    if env.client is not None:
        versions = dict(HOST_VERSIONS.get(bundle.platform, HOST_VERSIONS["wx"]))
        update.update(host_version=env.client, sdk_version=versions.get(env.client, base.sdk_version))
    return base.model_copy(update=update)


def mocks_for(mocks: MockConfig | None, env: EnvChoice) -> MockConfig | None:
    """The mocks with the chosen theme, network type and launch page."""
    if env.theme is None and env.network is None and env.page is None:
        return mocks
    base = mocks or MockConfig()
    update: dict[str, Any] = {}
    if env.page is not None:
        update["launch"] = base.launch.model_copy(update={"path": env.page})
    if env.theme is not None:
        update["system_info"] = {**base.system_info, "theme": env.theme}
    if env.network is not None:
        update["apis"] = {**base.apis, "getNetworkType": ApiMock(result={"networkType": env.network})}
    return base.model_copy(update=update)


ENV_CHOICES: dict[str, tuple[Any, ...]] = {
    "device": tuple(p.key for p in PROFILES),
    "theme": ("light", "dark"),
    "network": ("wifi", "5g", "4g", "3g", "2g", "none"),
}


def client_choices(platform: str) -> tuple[str, ...]:
    return tuple(v for v, _ in HOST_VERSIONS.get(platform, HOST_VERSIONS["wx"]))


# ---- element targets ------------------------------------------------------------------------------------------------
def _simple(token: str) -> bool:
    return bool(token) and all(ch.isalnum() or ch in "_-" for ch in token)


def selector_of(el: Any) -> str:
    """A selector that picks ``el`` out (with an index among its matches): tag, id or classes, its first binding."""
    sel = el.tag
    if _simple(el.id):
        sel += "#" + el.id
    else:
        sel += "".join("." + c for c in el.classes[:3] if _simple(c))
    for name, value in el.attrs.items():
        if isinstance(value, str) and _simple(value) and any(b.handler == value for b in el.bindings) \
                and all(ch.isalnum() or ch in ":-_" for ch in name):
            sel += f'[{name}="{value}"]'
            break
    return sel


def target_of(tree: Any, el: Any, route: str) -> Target:
    sel = selector_of(el)
    matches = tree.query_all(sel)
    nth = next((i for i, m in enumerate(matches) if m is el), 0)
    text = " ".join(el.text.split())[:24]
    cls = "".join("." + c for c in el.classes[:2])
    return Target(route=route, selector=sel, nth=nth, label=f"<{el.tag}{cls}>" + (f' "{text}"' if text else ""))


def element_actions(tree: Any, route: str) -> list[Any]:
    """What a user can do to the elements of the page: one element of each shape (one item of a list)."""
    out: list[Any] = []
    seen: set[tuple] = set()
    for el in interactive(tree):
        shape = element_shape(el)
        if shape in seen:
            continue
        seen.add(shape)
        if len(seen) > MAX_SHAPES:
            break
        bound: list[str] = []
        for b in el.bindings:
            if b.event.lower() not in bound:
                bound.append(b.event.lower())
        target = None

        def tgt(el: Element = el) -> Target:
            nonlocal target
            target = target or target_of(tree, el, route)
            return target

        tag = el.tag
        if tag in ("input", "textarea"):
            ev = next((e for e in INPUT_EVENTS if e in bound), None)
            if ev is not None:
                out.append(InputAction(target=tgt(), text="", event=ev))
            continue
        if tag in CHOICE_TAGS and "change" in bound:
            out.append(ChooseAction(target=tgt()))
            continue
        for ev in bound:
            if ev in TAPS:
                out.append(TapAction(target=tgt(), event=ev))
            elif ev in ("touchstart", "touchend", "submit", "input", "change", "focus", "blur"):
                continue  # a tap's touches come with the tap; forms submit from their buttons
            else:
                attrs = {k: str(v) for k, v in el.attrs.items() if isinstance(v, (str, int, float))}
                detail = plausible_detail(Binding(handler="", event=ev, tag=tag, attrs=attrs))
                out.append(EventAction(target=tgt(), event=ev, detail=detail))
        if tag == "button" and (el.attrs.get("openType") or el.attrs.get("formType")) and "tap" not in bound:
            out.append(TapAction(target=tgt()))
    return out


def choice_values(action: ChooseAction, tree: Any) -> tuple[Any, ...]:
    """Values a user can choose in the element (the first is the plain choice)."""
    el = None
    matches = tree.query_all(action.target.selector) if tree is not None else []
    if action.target.nth < len(matches):
        el = matches[action.target.nth]
    tag = el.tag if el is not None else ""
    mode = str(el.attrs.get("mode") or "").lower() if el is not None else ""
    if tag in ("switch", "checkbox"):
        return (True, False)
    if tag == "slider":
        return (0, 50, 100)
    if tag == "checkbox-group":
        return (["1"], [])
    if tag == "radio-group":
        return ("1", "")
    if tag == "picker-view" or mode == "multiselector":
        return ([0, 0], [1, 2])
    if mode == "date":
        return ("2025-01-01", "1970-01-01", "2099-12-31")
    if mode == "time":
        return ("12:00", "00:00", "23:59")
    if mode == "region":
        return (["广东省", "广州市", "海珠区"],)
    rng = el.attrs.get("range") if el is not None else None
    n = len(rng) if isinstance(rng, list) else 3
    return tuple(range(max(1, min(n, 4)))) + (-1,) if n else (0,)


class Recorder:
    """Stands between the host and the chooser: gives each answer, and writes the ones that are not the default into
    the run's steps (in the order they happened)."""

    def __init__(self, chooser: Any, steps: list[Any]):
        self.chooser = chooser
        self.steps = steps
        self.tried: set[str] = set()  # api:outcome and scope:answer given in the run (coverage)

    def permission(self, scope: str, api: str | None, nth: int, options: tuple[str, ...]) -> str:
        answer = self.chooser.permission(scope, api, nth, options)
        self.tried.add(f"{scope}:{answer}")
        if answer != options[0]:
            self.steps.append(PermissionAnswer(scope=scope, nth=nth, answer=answer, api=api))
        return answer

    def outcome(self, api: str, nth: int, options: tuple[str, ...], detail: str) -> str:
        outcome = self.chooser.outcome(api, nth, options, detail)
        self.tried.add(f"{api}:{outcome}")
        if outcome != options[0]:
            self.steps.append(OutcomeAnswer(api=api, nth=nth, outcome=outcome, detail=detail[:200]))
        return outcome


class Session:
    """One run of a bundle (see the module's docstring)."""

    def __init__(self, mp: MiniProgram, chooser: Any, rules: Any = None):
        self.mp = mp
        self.rules = rules  # a RuleCheck: the review's rules read the run at its end
        self.steps: list[Any] = []
        self.recorder = Recorder(chooser, self.steps)
        install(mp.sandbox.api_host, self.recorder)
        self.checker = Checker(mp)
        self.acted: set[str] = set()  # route + selector of elements acted on (coverage)
        self.failure: Failure | None = None

    @classmethod
    def open(cls, bundle: Bundle, chooser: Any, *, engine: str = "native", seed: int = 0,
             mocks: MockConfig | None = None, env: EnvChoice | None = None, rules: Any = None) -> "Session":
        env = env or EnvChoice()
        mp = MiniProgram(bundle, engine=engine, seed=seed, mocks=mocks_for(mocks, env), limits=EXPLORE_LIMITS,
                         environment=environment_for(bundle, seed, env))
        return cls(mp, chooser, rules)

    def close(self) -> None:
        self.mp.close()

    # ---- what can be done now -------------------------------------------------------------------------------------
    def available(self) -> list[Any]:
        """The actions possible in the current state: waiting first (the simplest thing a user does: shrinking
        prefers it), then the rendered elements of the page on top, then the page's and the app's own."""
        sb = self.mp.sandbox
        if sb.trace.end is not None or not sb.pages:
            return []
        route = sb.pages[-1]
        tree = sb.view_tree()
        out: list[Any] = [WaitAction()]
        out += element_actions(tree, route) if tree is not None else []
        out += [ScrollAction(), PullDownAction()]
        if len(sb.pages) > 1:
            out.append(BackAction())
        out += [TabAction(route=r) for r in (self.mp.bundle.tab_pages or []) if r != route]
        out += [BackgroundAction(), RelaunchAction(), MemoryWarningAction()]
        return out

    # ---- doing it -----------------------------------------------------------------------------------------------
    def _element(self, target: Target) -> Any:
        page = self.mp.page
        if page.route != target.route:
            raise ReplayDiverged(f"page {target.route} is not on top ({page.route} is)")
        matches = page.query_all(target.selector)
        if target.nth >= len(matches):
            raise ReplayDiverged(f"no element {target.selector} #{target.nth} on {target.route} "
                                 f"({len(matches)} match)")
        return matches[target.nth]

    def do(self, action: Any) -> Failure | None:
        """Perform ``action`` and let it settle; returns the failure it revealed, if any."""
        self.steps.append(action)
        index = len([s for s in self.steps if s.kind not in ANSWER_KINDS]) - 1
        mp = self.mp
        try:
            kind = action.kind
            if kind == "launch":
                mp.launch()
            elif kind == "tap":
                self._element(action.target).trigger(action.event)
            elif kind == "event":
                self._element(action.target).trigger(action.event, action.detail)
            elif kind == "input":
                el = self._element(action.target)
                if action.event == "input":
                    el.input(action.text)
                else:
                    el.trigger(action.event, {"value": action.text})
            elif kind == "choose":
                self._element(action.target).change(action.value)
            elif kind == "scroll":
                mp.page.trigger("onPageScroll", {"scrollTop": 800})
                mp.page.reach_bottom()
            elif kind == "pull-down":
                mp.page.pull_down()
            elif kind == "back":
                mp.back()
            elif kind == "tab":
                mp.navigate(action.route, op="switchTab")
            elif kind == "background":
                mp.hide()
                mp.advance(action.ms)
                mp.show()
            elif kind == "relaunch":
                mp.relaunch()
            elif kind == "memory-warning":
                mp.memory_warning(action.level)
            elif kind == "wait":
                mp.advance(action.ms)
            else:  # pragma: no cover - the model has no other kind
                raise ValueError(f"unknown action {kind}")
        except MiniProgramError as exc:
            failure = self.checker.check(index)
            if failure is None and mp.sandbox.trace.end is not None:
                end = mp.sandbox.trace.end
                failure = Failure(property="run-ended", key=f"run-ended|{end.reason}", route=mp.sandbox.page,
                                  step=index, message=f"the run ended: {end.reason} ({end.detail})")
            elif failure is None:
                raise ReplayDiverged(str(exc)) from None
            self.failure = failure
            return failure
        if kind in ("tap", "event", "input", "choose"):
            self.acted.add(f"{action.target.route} {action.target.selector}")
        self.failure = self.checker.check(index)
        return self.failure

    def finish(self) -> Failure | None:
        """The end of a run: while calls are in flight (or a loading indicator is shown), time passes until the slow
        answers and timeouts arrive, then a last check, and the review's rules read the whole run."""
        pending = self.checker.pending or self.checker.loading
        if self.failure is None and pending and self.mp.sandbox.trace.end is None and self.mp.sandbox.pages:
            wait = WaitAction(ms=FINAL_WAIT_MS)
            self.failure = self.do(wait)
            if self.failure is None:
                self.steps.remove(wait)  # the final wait is part of every run, not a step of the sequence
        if self.failure is None and self.rules is not None:
            sb = self.mp.sandbox
            actions = len([s for s in self.steps if s.kind not in ANSWER_KINDS])
            self.failure = self.rules.check(sb.trace, sb.engine.info.units_per_ms, max(0, actions - 1))
        return self.failure

    def coverage(self) -> float:
        """What hypothesis.target maximises: pages seen, elements acted on, answers tried."""
        return float(len(self.checker.pages) * 3 + len(self.acted) + len(self.recorder.tried))


class ReplayDiverged(RuntimeError):
    """A replay could not perform a step: the app is not in the state the steps expect (the bundle changed)."""


def steps_json(steps: list[Any]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in steps], ensure_ascii=False, sort_keys=True)


def launch_steps() -> list[Any]:
    return [LaunchAction()]


Draw = Callable[[Any], Any]
