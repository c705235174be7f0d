"""The permission model of one session: scopes not asked / granted / denied, and the simulated user.

The first use of a scope prompts the user; the answer comes from the decision policy (:class:`UserMock`), so a run
can replay "the user denies location" deterministically. After a denial, later uses fail at once until the user
re-enables the scope in the settings page (``openSetting``). For the scopes the phone itself guards (location,
camera, microphone) the user may also "allow once" (iOS "Allow Once", Android "Only this time"): granted until the
app is quit, then asked again at the next launch. Every prompt, check and change is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from .catalogue import Platform
from .mocks import UserMock


class ScopeState(str, Enum):
    NOT_ASKED = "not-asked"
    GRANTED = "granted"
    DENIED = "denied"


# Scopes whose use the platform refuses unless app.json declares them in `permission` (with a desc).
# Douyin and WeChat document this for location; Alipay has no such field (unverified: none enforced there).
DECLARATION_REQUIRED: dict[Platform, frozenset[str]] = {
    "tt": frozenset({"scope.userLocation"}),
    "wx": frozenset({"scope.userLocation", "scope.userFuzzyLocation", "scope.userLocationBackground"}),
    "my": frozenset(),
}
# Scopes app.json `permission` takes (None: any scope, with a desc the prompt shows). WeChat's developer tools call
# any other entry invalid (community answers of 2020 and 2023: only these three need or take a declaration).
DECLARABLE: dict[Platform, frozenset[str] | None] = {"tt": None, "wx": DECLARATION_REQUIRED["wx"], "my": None}
# Scopes authorize() takes (the platforms' scope lists); any other scope fails the call.
AUTHORIZE_SCOPES: dict[Platform, frozenset[str]] = {
    "tt": frozenset({"scope.userInfo", "scope.userLocation", "scope.address", "scope.record", "scope.album",
                     "scope.camera", "scope.calendar", "scope.clipboard"}),
    "wx": frozenset({"scope.userInfo", "scope.userLocation", "scope.userFuzzyLocation", "scope.userLocationBackground",
                     "scope.address", "scope.invoice", "scope.invoiceTitle", "scope.werun", "scope.record",
                     "scope.writePhotosAlbum", "scope.camera", "scope.bluetooth", "scope.addPhoneContact",
                     "scope.addPhoneCalendar"}),
    "my": frozenset(),
}
# Scopes behind the phone's own permission prompt, which offers a one-time grant.
ONCE_SCOPES = frozenset({"scope.userLocation", "scope.userFuzzyLocation", "scope.camera", "scope.record"})


@dataclass
class PermissionRecord:
    scope: str
    api: str | None
    action: str  # prompt, authorize, check, open-setting, revoke
    decision: str  # granted, denied, not-asked
    declared: bool
    reason: str | None = None


@dataclass
class Verdict:
    granted: bool
    prompted: bool = False
    reason: str | None = None  # "user" (the user refused), "denied-before", "undeclared"


@dataclass
class PermissionModel:
    platform: Platform
    declared: dict[str, str]  # scope -> desc, from app.json `permission`
    required_private_infos: frozenset[str]
    user: UserMock
    record: Callable[[PermissionRecord], None] = lambda r: None
    states: dict[str, ScopeState] = field(default_factory=dict)
    prompts: int = 0
    privacy_agreed: bool | None = None
    once: set[str] = field(default_factory=set)  # scopes granted once: asked again at the next launch

    def state(self, scope: str) -> ScopeState:
        return self.states.get(scope, ScopeState.NOT_ASKED)

    def is_declared(self, scope: str) -> bool:
        """Declared in app.json `permission`, or a scope that cannot be (WeChat takes only its location scopes there
        and calls any other an invalid permission: its camera or record is never "undeclared")."""
        declarable = DECLARABLE.get(self.platform)
        return scope in self.declared or (declarable is not None and scope not in declarable)

    def needs_declaration(self, scope: str) -> bool:
        return scope in DECLARATION_REQUIRED.get(self.platform, frozenset())

    def default_answer(self, scope: str) -> str:
        """The simulated user's answer at the next prompt: the script's, else the scope's, else the default."""
        if self.prompts < len(self.user.script):
            return self.user.script[self.prompts]
        return self.user.scopes.get(scope, self.user.permissions)

    def _ask(self, scope: str) -> str:
        """The answer at a prompt of ``scope``: "allow", "allow-once" (only where the phone offers it) or "deny"."""
        answer = self.default_answer(scope)
        self.prompts += 1
        return "allow" if answer == "allow-once" and scope not in ONCE_SCOPES else answer

    def request(self, scope: str, api: str | None, action: str = "prompt") -> Verdict:
        """A use of ``scope`` by ``api``: prompts the first time, then remembers the answer."""
        declared = self.is_declared(scope)
        if self.needs_declaration(scope) and not declared:
            self.record(PermissionRecord(scope, api, "check", "denied", False, "undeclared"))
            return Verdict(False, reason="undeclared")
        current = self.state(scope)
        if current is ScopeState.GRANTED:
            if action == "authorize":
                self.record(PermissionRecord(scope, api, "authorize", "granted", declared, "granted-before"))
            return Verdict(True)
        if current is ScopeState.DENIED:
            self.record(PermissionRecord(scope, api, "check", "denied", declared, "denied-before"))
            return Verdict(False, reason="denied-before")
        answer = self._ask(scope)
        granted = answer != "deny"
        self.states[scope] = ScopeState.GRANTED if granted else ScopeState.DENIED
        if answer == "allow-once":
            self.once.add(scope)
        self.record(PermissionRecord(scope, api, action, "granted" if granted else "denied", declared,
                                     "once" if answer == "allow-once" else None if granted else "user"))
        return Verdict(granted, prompted=True, reason=None if granted else "user")

    def new_launch(self) -> None:
        """The app was quit and launched again: a grant given once is gone, the next use asks again."""
        for scope in sorted(self.once):
            if self.states.get(scope) is ScopeState.GRANTED:
                self.states.pop(scope)
                self.record(PermissionRecord(scope, None, "revoke", "not-asked", self.is_declared(scope), "once"))
        self.once.clear()

    def settings(self) -> dict[str, bool]:
        """authSetting as getSetting reports it: only the scopes that were asked."""
        return {s: st is ScopeState.GRANTED for s, st in sorted(self.states.items()) if st is not ScopeState.NOT_ASKED}

    def open_setting(self, api: str | None = "openSetting") -> dict[str, bool]:
        """The user visits the settings page: with ``open_setting = "allow-all"`` they re-enable every denied scope,
        with ``"revoke-all"`` they turn every granted one off (recorded as a revoke)."""
        if self.user.open_setting == "allow-all":
            for scope, st in list(self.states.items()):
                if st is ScopeState.DENIED:
                    self.states[scope] = ScopeState.GRANTED
                    self.record(PermissionRecord(scope, api, "open-setting", "granted", self.is_declared(scope)))
        elif self.user.open_setting == "revoke-all":
            for scope, st in list(self.states.items()):
                if st is ScopeState.GRANTED:
                    self.states[scope] = ScopeState.DENIED
                    self.once.discard(scope)
                    self.record(PermissionRecord(scope, api, "revoke", "denied", self.is_declared(scope), "settings"))
        return self.settings()

    def agree_privacy(self, api: str | None, *, explicit: bool = False) -> bool:
        """The privacy agreement (Douyin usePrivacyCheck / WeChat __usePrivacyCheck__).

        The first time, the simulated user answers the popup (``user.privacy``); later calls reuse the answer.
        ``explicit`` is the user tapping an ``agreePrivacyAuthorization`` button: that is an agreement, even after
        an earlier refusal."""
        if explicit:
            if not self.privacy_agreed:
                self.privacy_agreed = True
                self.record(PermissionRecord("privacy", api, "authorize", "granted", True, "button"))
            return True
        if self.privacy_agreed is None:
            self.privacy_agreed = self.user.privacy == "allow"
            self.record(PermissionRecord("privacy", api, "prompt",
                                         "granted" if self.privacy_agreed else "denied", True,
                                         None if self.privacy_agreed else "user"))
        elif not self.privacy_agreed:
            self.record(PermissionRecord("privacy", api, "check", "denied", True, "denied-before"))
        return self.privacy_agreed
