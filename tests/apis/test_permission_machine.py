"""The permission model and gesture chains as a hypothesis state machine.

Random interleavings of user taps (plain and open-type buttons), non-gesture hooks, virtual time, user decisions
(scripted answers, per-scope policies, the settings page) and API calls on every platform. After every step the host
must not have crashed and the record must be consistent: every completion answers one earlier call, every
permission event follows a call of its API, a scope's state only moves as the platform allows (no second prompt, no
denial of a granted scope without a revoke, the settings page only re-enables), the gesture rules hold, payments
without a user action are noted, and each flow's consent matches the scope state at the time.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mpsandbox.apis.mocks import MockConfig
from mpsandbox.runtime.sandbox import Sandbox

from mpsandbox.bundle import bundle_from_files

NAMES = {
    "tt": {"profile": "getUserProfile", "pay": "pay", "clip": "getClipboardData", "clipField": "data"},
    "wx": {"profile": "getUserProfile", "pay": "requestPayment", "clip": "getClipboardData", "clipField": "data"},
    "my": {"profile": "getOpenUserInfo", "pay": "tradePay", "clip": "getClipboard", "clipField": "text"},
}


def bodies(p: str) -> dict[str, str]:
    n = NAMES[p]
    return {
        "location": f"{p}.getLocation({{ success: (r) => {p}.request({{ url: 'https://api.example.com/?lat=' + "
                    f"r.latitude.toFixed(4) }}), fail: () => {{}} }})",
        "authorize": f"if ({p}.canIUse('authorize')) {p}.authorize({{ scope: 'scope.record', fail: () => {{}} }})",
        "profile": f"{p}.{n['profile']}({{ desc: 'd', fail: () => {{}} }})",
        "open-setting": f"{p}.openSetting({{ fail: () => {{}} }})",
        "get-setting": f"{p}.getSetting({{}})",
        "subscribe": f"{p}.requestSubscribeMessage({{ tmplIds: ['t'], fail: () => {{}} }})",
        "record": f"{p}.getRecorderManager().start({{}})",
        "pay": f"{p}.{n['pay']}({{ orderInfo: {{}}, service: 5, tradeNO: 'n', success: () => "
               f"{p}.requestSubscribeMessage({{ tmplIds: ['t'], fail: () => {{}} }}), fail: () => {{}} }})",
        "pay-later": f"setTimeout(() => {p}.{n['pay']}({{ orderInfo: {{}}, service: 5, tradeNO: 'n', fail: () => {{}} }}), 10)",
        "clipboard": f"{p}.{n['clip']}({{ success: (r) => console.log('c:' + r.{n['clipField']}), fail: () => {{}} }})",
        "album": f"{p}.chooseImage({{ success: (r) => {p}.request({{ url: 'https://api.example.com/u', "
                 f"data: {{ f: (r.tempFilePaths || r.apFilePaths)[0] }} }}), fail: () => {{}} }})",
        "camera": f"{p}.createCameraContext().takePhoto({{ fail: () => {{}} }})",
        "privacy": f"if ({p}.canIUse('requirePrivacyAuthorize')) {p}.requirePrivacyAuthorize({{ fail: () => {{}} }})",
    }


ACTIONS = sorted(bodies("tt"))
BUTTONS = ["getPhoneNumber", "getUserInfo", "openSetting", "agreePrivacyAuthorization", "chooseAvatar", "share"]
GESTURE_FAIL = ("gesture", "TAP")
PAYMENTS = {"pay", "requestOrder", "getOrderPayment", "requestGamePayment"}


class PermissionMachine(RuleBasedStateMachine):
    sb: Sandbox | None = None

    @initialize(
        platform=st.sampled_from(["tt", "wx", "my"]),
        script=st.lists(st.sampled_from(["allow", "deny"]), max_size=6),
        default=st.sampled_from(["allow", "deny"]),
        scopes=st.dictionaries(st.sampled_from(["scope.userLocation", "scope.record", "scope.album", "location"]),
                               st.sampled_from(["allow", "deny"]), max_size=2),
        open_setting=st.sampled_from(["unchanged", "allow-all", "revoke-all"]),
        privacy=st.sampled_from(["allow", "deny"]),
        privacy_check=st.booleans(),
        declare=st.booleans(),
    )
    def start(self, platform, script, default, scopes, open_setting, privacy, privacy_check, declare):
        self.platform = platform
        app: dict = {"pages": ["pages/p/p"]}
        if declare:
            app["permission"] = {"scope.userLocation": {"desc": "d"}}
            app["requiredPrivateInfos"] = ["getLocation"]
        if privacy_check:
            app["usePrivacyCheck" if platform == "tt" else "__usePrivacyCheck__"] = True
        b = bodies(platform)
        methods = [f"  t_{a.replace('-', '_')}() {{ {body} }}" for a, body in b.items()]
        dispatch = ", ".join(f"() => {{ {body} }}" for body in b.values())
        page = ("const ACTS = [" + dispatch + "];\nPage({\n" + ",\n".join(methods) +
                ",\n  onPageScroll(e) { ACTS[e.scrollTop](); },\n  onButton(e) { }\n});\n")
        bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps(app), "pages/p/p.js": page},
                            platform=platform)
        mocks = MockConfig.model_validate({"user": {"script": script, "permissions": default, "scopes": scopes,
                                                    "open_setting": open_setting, "privacy": privacy}})
        self.sb = Sandbox(bundle, mocks=mocks, seed=len(script))
        self.sb.launch()
        self.sb.run()

    @rule(action=st.sampled_from(ACTIONS))
    def tap(self, action):
        assert self.sb is not None
        self.sb.tap("t_" + action.replace("-", "_"))
        self.sb.run(until=self.sb.now + 50)

    @rule(action=st.sampled_from(ACTIONS))
    def without_gesture(self, action):
        assert self.sb is not None
        self.sb.trigger("onPageScroll", {"scrollTop": ACTIONS.index(action)})
        self.sb.run(until=self.sb.now + 50)

    @rule(open_type=st.sampled_from(BUTTONS))
    def button(self, open_type):
        assert self.sb is not None
        self.sb.tap("onButton", open_type=open_type)
        self.sb.run(until=self.sb.now + 50)

    @rule(ms=st.integers(0, 3000))
    def wait(self, ms):
        assert self.sb is not None
        self.sb.run(until=self.sb.now + ms)

    @precondition(lambda self: self.sb is not None)
    @invariant()
    def consistent(self):
        assert self.sb is not None
        check_record(self.sb.trace.events, self.platform)

    def teardown(self):
        if self.sb is not None:
            self.sb.close()


def check_record(events, platform: str) -> None:
    calls = {}
    done: set[int] = set()
    scope_state: dict[str, str] = {}
    granted_at: dict[str, list[tuple[int, str]]] = {}  # scope -> [(seq, state)]
    for e in events:
        if e.kind == "note":
            assert e.code != "host-error", e.message
        if e.kind == "error":
            raise AssertionError(f"bundle error: {e}")
        if e.kind == "api":
            if e.call_id:
                assert e.call_id not in calls, "call ids are unique"
                calls[e.call_id] = e
        elif e.kind == "api-complete":
            assert e.call_id in calls and calls[e.call_id].seq < e.seq, "a completion answers an earlier call"
            assert e.call_id not in done, "one completion per call"
            done.add(e.call_id)
            call = calls[e.call_id]
            if call.api in ("getUserProfile",) and not call.gesture:
                assert e.outcome == "fail" and any(w in (e.err_msg or "") for w in GESTURE_FAIL)
            if call.api == "requestSubscribeMessage" and not call.gesture:
                in_pay_callback = any(d.kind == "api-complete" and d.turn == call.turn and d.api in PAYMENTS
                                      and d.outcome == "ok" for d in events)
                assert (e.outcome == "ok") == in_pay_callback or e.outcome == "fail" and "gesture" not in (
                    e.err_msg or ""), "subscribe outside a tap or a payment callback"
        elif e.kind == "permission":
            prior = [c for c in events if c.kind == "api" and c.seq < e.seq]
            assert any(e.api in (c.api, c.called_as) or (e.api or "").endswith(c.api) for c in prior), \
                f"{e} follows no call of its API"
            prev = scope_state.get(e.scope)
            if e.action == "prompt":
                assert prev is None, f"{e.scope} prompted twice"
            elif e.action == "check" and e.reason == "denied-before":
                assert prev == "denied"
            elif e.action == "open-setting":
                assert prev == "denied" and e.decision == "granted"
            elif e.action == "revoke":
                assert prev == "granted" and e.decision == "denied"
            elif e.action == "authorize" and e.reason == "granted-before":
                assert prev == "granted"
            if prev == "granted" and e.action != "revoke":
                assert e.decision == "granted" or e.reason == "undeclared", f"{e.scope} denied after a grant"
            if e.decision in ("granted", "denied") and e.reason != "undeclared":
                scope_state[e.scope] = e.decision
                granted_at.setdefault(e.scope, []).append((e.seq, e.decision))
        elif e.kind == "flow":
            if e.source_api == "getLocation":
                scope = "location" if platform == "my" else "scope.userLocation"
                history = [d for s, d in granted_at.get(scope, []) if s < e.seq]
                assert e.consent == (bool(history) and history[-1] == "granted")
    pays = [c for c in calls.values() if c.api in PAYMENTS and not c.gesture and c.chain is None]
    notes = [e for e in events if e.kind == "note" and e.code == "payment-without-gesture"]
    assert len(notes) == len(pays), "every payment without a user action is noted, and only those"


PermissionMachine.TestCase.settings = settings(max_examples=int(os.environ.get("MPSB_MACHINE_EXAMPLES", "60")), stateful_step_count=20, deadline=None,
                                               suppress_health_check=[HealthCheck.too_slow])
TestPermissionMachine = PermissionMachine.TestCase
