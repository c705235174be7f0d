"""The permission model of one session: scopes not asked / granted / denied, and the simulated user.

The first use of a scope prompts the user; the answer comes from the decision policy (:class:`UserMock`), so a run
can replay "the user denies location" deterministically. After a denial, later uses fail at once until the user
re-enables the scope in the settings page (``openSetting``). Every prompt, check and change is recorded.
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

    def state(self, scope: str) -> ScopeState:
        return self.states.get(scope, ScopeState.NOT_ASKED)

    def is_declared(self, scope: str) -> bool:
        return scope in self.declared

    def needs_declaration(self, scope: str) -> bool:
        return scope in DECLARATION_REQUIRED.get(self.platform, frozenset())

    def _ask(self, scope: str) -> bool:
        if self.prompts < len(self.user.script):
            answer = self.user.script[self.prompts]
        else:
            answer = self.user.scopes.get(scope, self.user.permissions)
        self.prompts += 1
        return answer == "allow"

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
        granted = self._ask(scope)
        self.states[scope] = ScopeState.GRANTED if granted else ScopeState.DENIED
        self.record(PermissionRecord(scope, api, action, "granted" if granted else "denied", declared,
                                     None if granted else "user"))
        return Verdict(granted, prompted=True, reason=None if granted else "user")

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
