"""API outcomes and permission answers as the platforms give them; the actions a page offers."""

from __future__ import annotations

from pathlib import Path

from mpsandbox.explore.driver import Session
from mpsandbox.explore.model import LaunchAction, RelaunchAction, TapAction

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"


class Fixed:
    def __init__(self, permission="allow", outcome="ok"):
        self.p, self.o = permission, outcome

    def permission(self, scope, api, nth, options):
        return self.p

    def outcome(self, api, nth, options, detail):
        return self.o if self.o in options else options[0]


def _open(name, chooser):
    from mpsandbox.bundle import load_bundle

    return Session.open(load_bundle(ROOT / name), chooser)


def test_failures_carry_the_platforms_fields():
    s = _open("explore-location-network-crash", Fixed(outcome="timeout"))
    try:
        s.do(LaunchAction())
        done = [e for e in s.mp.trace.events if e.kind == "api-complete" and e.api == "getLocation"]
        assert done and done[0].err_msg == "getLocation:fail timeout"
        assert [x.outcome for x in s.steps if x.kind == "outcome"][:1] == ["timeout"]
    finally:
        s.close()


def test_dismiss_asks_again_and_deny_does_not():
    for answer, prompts in (("dismiss", 2), ("deny", 1)):
        s = _open("explore-location-network-crash", Fixed(permission=answer))
        try:
            s.do(LaunchAction())
            refresh = next(a for a in s.available() if isinstance(a, TapAction))
            s.do(refresh)
            asked = [e for e in s.mp.trace.events if e.kind == "permission" and e.action == "prompt"]
            assert len(asked) == prompts, (answer, [(e.action, e.reason) for e in s.mp.trace.of_kind("permission")])
        finally:
            s.close()


class Offered(Fixed):
    def __init__(self, permission):
        super().__init__(permission)
        self.offered = []

    def permission(self, scope, api, nth, options):
        self.offered.append((scope, nth, options))
        return self.p


def test_allow_once_is_asked_again_after_a_relaunch_and_allow_is_not():
    for answer, prompts in (("allow-once", [1, 2]), ("allow", [1])):
        chooser = Offered(answer)
        s = _open("explore-location-network-crash", chooser)
        try:
            s.do(LaunchAction())
            s.do(RelaunchAction())
            assert [nth for _, nth, _ in chooser.offered] == prompts, answer
            assert all("allow-once" in options for _, _, options in chooser.offered)  # the phone's own prompt
            granted = [e.reason for e in s.mp.trace.of_kind("permission") if e.decision == "granted"]
            assert granted == (["once", "once"] if answer == "allow-once" else [None]), granted
            located = [e for e in s.mp.trace.of_kind("api-complete") if e.api == "getLocation"]
            assert len(located) == 2 and all(e.outcome == "ok" for e in located)
        finally:
            s.close()


def test_only_what_the_page_offers():
    s = _open("explore-clean", Fixed())
    try:
        s.do(LaunchAction())
        kinds = {a.kind for a in s.available()}
        assert {"input", "choose", "tap", "relaunch", "background", "memory-warning"} <= kinds
        assert "back" not in kinds  # one page on the stack
    finally:
        s.close()


def test_the_review_rules_read_a_run_but_not_the_static_facts():
    from mpsandbox.bundle import load_bundle
    from mpsandbox.explore.rules import RuleCheck

    secret = load_bundle(ROOT / "secret-hardcoded-secret")
    check = RuleCheck(secret)
    assert check.static  # the hard-coded secret is a static finding...
    s = Session.open(secret, Fixed(), rules=check)
    try:
        s.do(LaunchAction())
        assert s.finish() is None  # ...never a failure of a run
    finally:
        s.close()
    leaky = load_bundle(ROOT / "explore-leak-on-retry")
    s = Session.open(leaky, Fixed(outcome="offline"), rules=RuleCheck(leaky))
    try:
        assert s.do(LaunchAction()) is None  # the properties see nothing wrong...
        failure = s.finish()  # ...the review's rules do: the retry goes to a mirror over http
        assert failure is not None and failure.property == "review-rule"
        assert failure.key.startswith("review-rule|insecure-transport|")
        assert failure.location == "pages/index/index.js:17"
    finally:
        s.close()


def test_a_run_may_open_on_any_declared_page():
    from mpsandbox.bundle import load_bundle
    from mpsandbox.explore.model import EnvChoice
    from mpsandbox.explore.search import draw_env

    bundle = load_bundle(ROOT / "explore-page-stack-limit")
    s = Session.open(bundle, Fixed(), env=EnvChoice(page="pages/promo/promo"))
    try:
        s.do(LaunchAction())
        assert s.mp.sandbox.pages[0] == "pages/promo/promo"  # the app opened there (then its timer moved on)
    finally:
        s.close()

    class Draws:  # the seed's environment, on the first page besides the entry page
        def draw(self, strategy, label=None):
            return 1 if label == "env page" else 0

    assert draw_env(Draws(), bundle).page == "pages/promo/promo"  # the pages besides the entry page
    assert EnvChoice(page="pages/promo/promo").changes() == 1  # counted as a step of the sequence
