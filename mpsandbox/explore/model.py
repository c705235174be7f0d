"""The action model of exploration: what a user, the device and the host can do to a mini-program, as pydantic data.

A run is a sequence of :data:`Step` s: user and lifecycle actions (:data:`Action`), each followed by the answers
the run gave while it settled (:data:`Answer`: a permission decision at a prompt, an API outcome) when they differ
from the default (allow, success). Answers are keyed by the call they answer: the *n*-th prompt of a scope, the *n*-th
call of an API in the run; the run is deterministic, so the same actions and answers give the same run. An
:class:`EnvChoice` says what the device shows (model and screen, client version, theme, network type).

A :class:`ReplayFile` holds one failure found this way with everything needed to repeat it.
"""

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

REPLAY_FORMAT = "mpsandbox-replay"
REPLAY_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Model):
    """A rendered element: the ``nth`` match of ``selector`` on page ``route`` (``page.query_all(selector)[nth]``)."""

    route: str
    selector: str
    nth: int = 0
    label: str = ""  # what a user sees: <button.locate> "Locate me"


# ---- actions ------------------------------------------------------------------------------------------------------
class LaunchAction(_Model):
    kind: Literal["launch"] = "launch"


class TapAction(_Model):
    """A tap (or long press, or a form's submit) on an element, dispatched through the tree."""

    kind: Literal["tap"] = "tap"
    target: Target
    event: str = "tap"


class EventAction(_Model):
    """Another event a user causes on an element (scroll of a scroll-view, swiper change...), with the detail the
    component gives it."""

    kind: Literal["event"] = "event"
    target: Target
    event: str
    detail: Any = None


class InputAction(_Model):
    """Typing ``text`` into an input or textarea."""

    kind: Literal["input"] = "input"
    target: Target
    text: str
    event: str = "input"


class ChooseAction(_Model):
    """A choice in a picker, switch, slider, radio or checkbox group (its ``change`` event)."""

    kind: Literal["choose"] = "choose"
    target: Target
    value: Any = None


class ScrollAction(_Model):
    """The page is scrolled to the bottom (onPageScroll, then onReachBottom)."""

    kind: Literal["scroll"] = "scroll"


class PullDownAction(_Model):
    kind: Literal["pull-down"] = "pull-down"


class BackAction(_Model):
    kind: Literal["back"] = "back"


class TabAction(_Model):
    kind: Literal["tab"] = "tab"
    route: str


class BackgroundAction(_Model):
    """The app goes to the background for ``ms`` of virtual time and comes back (onHide, onShow)."""

    kind: Literal["background"] = "background"
    ms: int = 10_000


class RelaunchAction(_Model):
    """The app is quit and launched again on the same device: storage and permission decisions are kept."""

    kind: Literal["relaunch"] = "relaunch"


class MemoryWarningAction(_Model):
    kind: Literal["memory-warning"] = "memory-warning"
    level: int = 10


class WaitAction(_Model):
    """Virtual time passes (timers come due, slow answers arrive)."""

    kind: Literal["wait"] = "wait"
    ms: int = 60_000


# ---- answers ------------------------------------------------------------------------------------------------------
PermissionChoice = Literal["allow", "allow-once", "deny", "dismiss"]


class PermissionAnswer(_Model):
    """The user's answer at the ``nth`` prompt of ``scope`` in the run (dismiss: the prompt is closed without a
    decision; the call fails and the next use asks again; allow-once, for location, camera and microphone: granted
    until the app is quit, asked again after a relaunch)."""

    kind: Literal["permission"] = "permission"
    scope: str
    nth: int
    answer: PermissionChoice
    api: str | None = None  # the API that asked (for reading only)


class OutcomeAnswer(_Model):
    """The outcome of the ``nth`` call of ``api`` in the run (see outcomes.py for each API's outcomes)."""

    kind: Literal["outcome"] = "outcome"
    api: str
    nth: int
    outcome: str
    detail: str = ""  # the URL of a network call, for reading only


Action = Annotated[
    Union[LaunchAction, TapAction, EventAction, InputAction, ChooseAction, ScrollAction, PullDownAction, BackAction,
          TabAction, BackgroundAction, RelaunchAction, MemoryWarningAction, WaitAction],
    Field(discriminator="kind"),
]
Answer = Annotated[Union[PermissionAnswer, OutcomeAnswer], Field(discriminator="kind")]
Step = Annotated[
    Union[LaunchAction, TapAction, EventAction, InputAction, ChooseAction, ScrollAction, PullDownAction, BackAction,
          TabAction, BackgroundAction, RelaunchAction, MemoryWarningAction, WaitAction, PermissionAnswer,
          OutcomeAnswer],
    Field(discriminator="kind"),
]
ANSWER_KINDS = ("permission", "outcome")


class EnvChoice(_Model):
    """What the device shows and where the app opens; None keeps the seed's environment (runtime/environment.py)
    and the entry page."""

    device: str | None = None  # a key of apis/devices.PROFILES (model, screen size, OS)
    client: str | None = None  # host app version, e.g. "8.0.61" (with its base library version)
    theme: Literal["light", "dark"] | None = None
    network: Literal["wifi", "5g", "4g", "3g", "2g", "none"] | None = None
    page: str | None = None  # the page the app opens on (a shared card, a QR code), when not the entry page

    def changes(self) -> int:
        return sum(v is not None for v in (self.device, self.client, self.theme, self.network, self.page))


PROPERTIES = ("uncaught-error", "unhandled-rejection", "white-screen", "endless-loading", "blocked-after-denial",
              "reprompt-loop", "page-stack-limit", "run-ended", "review-rule")


class Failure(_Model):
    """A property that did not hold. ``key`` tells distinct failures apart (property, page, and what failed)."""

    property: str
    key: str
    message: str
    route: str | None = None
    step: int = 0  # index in the steps of the action after which it was seen
    location: str | None = None  # file:line of the bundle's code, when known


def step_count(steps: list[Any], env: EnvChoice | None = None) -> int:
    """Steps of a sequence as a developer counts them: every action and every non-default answer (not the launch),
    and every environment change."""
    return sum(1 for s in steps if s.kind != "launch") + (env.changes() if env is not None else 0)


class ReplayFile(_Model):
    """One failure and how to repeat it: ``mpsandbox replay FILE``."""

    format: Literal["mpsandbox-replay"] = REPLAY_FORMAT
    version: int = REPLAY_VERSION
    bundle: str  # the bundle's path as explored (absolute)
    bundle_name: str = ""
    bundle_digest: str = ""
    platform: Literal["tt", "wx", "my"]
    seed: int = 0
    mocks: dict[str, Any] | None = None
    environment: EnvChoice = Field(default_factory=EnvChoice)
    steps: list[Step]
    failure: Failure
    transcript: list[str] = Field(default_factory=list)  # what the replay prints, line by line
    transcript_digest: str = ""
