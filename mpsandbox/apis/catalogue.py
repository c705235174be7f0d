"""The declarative catalogue of the open-capability API surface.

Data, not code paths: every API is one entry in ``catalogue/*.yaml``, validated by the models below. The runtime
builds the platform global (``tt``/``wx``/``my``) from :meth:`Catalogue.js_surface`; the mock host looks entries up
by canonical name to know the scope, privacy category, gesture rule, default result and limits of a call.
"""

from __future__ import annotations

import functools
from enum import Enum
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Platform = Literal["tt", "wx", "my"]
PLATFORMS: tuple[Platform, ...] = ("tt", "wx", "my")


class Kind(str, Enum):
    SYNC = "sync"  # returns a value at once; throws on failure
    ASYNC = "async"  # success/fail/complete callbacks, or a Promise when none is given and ``promise`` is true
    TASK = "task"  # async with callbacks, and returns a task object at once (RequestTask, SocketTask...)
    FACTORY = "factory"  # returns a host object at once (RecorderManager, RewardedVideoAd, SelectorQuery...)
    LISTENER = "listener"  # onXxx(callback): the host emits events to it later
    UNLISTEN = "unlisten"  # offXxx(callback)


class Group(str, Enum):
    """Douyin open-platform capability groups."""

    FRAMEWORK = "framework"
    TRAFFIC = "traffic"  # public-traffic mounting: share, video and live mounting
    CONVERSION = "conversion"  # business conversion: orders, payment
    REACH = "reach"  # user reach: subscriptions, messages, follow


class Gesture(str, Enum):
    NONE = "none"
    TAP = "tap"  # must run in a user tap handler
    TAP_OR_PAYMENT = "tap-or-payment"  # a tap handler, or a payment's completion (the user confirmed the payment)
    BUTTON = "button"  # only through an open-type button (getPhoneNumber)
    RECORD = "record"  # no hard rule on the platform, but a call without a user action is recorded (payment)


class Privacy(str, Enum):
    LOCATION = "location"
    USER_PROFILE = "user-profile"
    PHONE_NUMBER = "phone-number"
    ADDRESS = "address"
    ALBUM = "album"
    CAMERA = "camera"
    MICROPHONE = "microphone"
    CLIPBOARD = "clipboard"
    CONTACTS = "contacts"
    DEVICE_ID = "device-id"
    IDENTITY = "identity"  # login code, openid
    CALENDAR = "calendar"
    BLUETOOTH = "bluetooth"
    FILE = "file"


class SinkKind(str, Enum):
    NETWORK = "network"
    UPLOAD = "upload"
    SOCKET = "socket"
    STORAGE = "storage"
    CLIPBOARD = "clipboard"
    SHARE = "share"
    MINIPROGRAM = "miniprogram"
    CONSOLE = "console"
    UI = "ui"
    ANALYTICS = "analytics"  # data handed to the platform's analytics / realtime logs


class ArgSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["string", "number", "boolean", "object", "array", "function", "any"] = "any"
    required: bool = False
    enum: list[Any] | None = None
    max_items: int | None = None
    description: str = ""


class MethodSpec(BaseModel):
    """A method of a host object (task, context, manager, ad)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sync", "async", "promise", "chain", "listener", "unlisten"] = "sync"
    scope: dict[Platform, str] | None = None  # e.g. RecorderManager.start needs scope.record
    privacy: Privacy | None = None
    sink: SinkKind | None = None
    result: Any = None


class ObjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    methods: dict[str, MethodSpec] = Field(default_factory=dict)
    description: str = ""


class ApiSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str  # canonical id: the Douyin (tt) name, or the WeChat name for an API Douyin lacks
    names: dict[Platform, str | None] = Field(default_factory=dict)  # per-platform name; missing = ``name``
    category: str
    group: Group = Group.FRAMEWORK
    kind: Kind = Kind.ASYNC
    promise: bool = True
    object: str | None = None  # ObjectSpec name, for TASK and FACTORY
    scope: dict[Platform, str] | None = None
    privacy: Privacy | None = None
    required_private_info: str | None = None  # WeChat requiredPrivateInfos entry
    gesture: Gesture = Gesture.NONE
    sink: SinkKind | None = None  # the arguments are a data sink (scanned for canaries)
    args: dict[str, ArgSpec] = Field(default_factory=dict)
    result: Any = None  # default mock result; strings "$canary:<kind>" are replaced per run
    latency_ms: int = 30  # virtual time until an async call completes
    limits: dict[str, Any] = Field(default_factory=dict)
    handler: str | None = None  # a mock handler with behaviour beyond the default result
    deprecated: bool = False
    private: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> "ApiSpec":
        if self.kind in (Kind.TASK, Kind.FACTORY) and not self.object:
            raise ValueError(f"{self.name}: kind {self.kind.value} needs an object")
        return self

    def name_on(self, platform: Platform) -> str | None:
        return self.names.get(platform, self.name)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apis: list[ApiSpec]
    objects: list[ObjectSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _index(self) -> "Catalogue":
        seen: set[str] = set()
        for api in self.apis:
            if api.name in seen:
                raise ValueError(f"duplicate API {api.name}")
            seen.add(api.name)
        objects = {o.name for o in self.objects}
        for api in self.apis:
            if api.object and api.object not in objects:
                raise ValueError(f"{api.name}: unknown object {api.object}")
        for platform in PLATFORMS:
            names: dict[str, str] = {}
            for api in self.apis:
                n = api.name_on(platform)
                if n is None:
                    continue
                if n in names:
                    raise ValueError(f"{platform}.{n} is claimed by both {names[n]} and {api.name}")
                names[n] = api.name
        return self

    @functools.cached_property
    def by_name(self) -> dict[str, ApiSpec]:
        return {a.name: a for a in self.apis}

    @functools.cached_property
    def objects_by_name(self) -> dict[str, ObjectSpec]:
        return {o.name: o for o in self.objects}

    def resolve(self, platform: Platform, platform_name: str) -> ApiSpec | None:
        """The API that ``<platform>.<platform_name>`` is, or None if the platform has no such API."""
        return self._platform_index(platform).get(platform_name)

    @functools.lru_cache(maxsize=None)
    def _platform_index(self, platform: Platform) -> dict[str, ApiSpec]:
        out = {}
        for api in self.apis:
            n = api.name_on(platform)
            if n is not None:
                out[n] = api
        return out

    @functools.lru_cache(maxsize=None)
    def js_surface(self, platform: Platform) -> dict[str, Any]:
        """What the JS framework needs to build the platform global: names, kinds and object shapes."""
        apis = {
            name: {"id": api.name, "kind": api.kind.value, "promise": api.promise, "object": api.object}
            for name, api in sorted(self._platform_index(platform).items())
        }
        objects = {
            o.name: {m: spec.kind for m, spec in sorted(o.methods.items())} for o in self.objects
        }
        return {"apis": apis, "objects": objects}

    def __hash__(self) -> int:  # lru_cache on methods needs it; one catalogue per process in practice
        return id(self)


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys (a second ``apis:`` would silently replace the first)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _load_yaml_docs() -> dict[str, Any]:
    """Every ``catalogue/*.yaml`` in name order: ``apis`` and ``objects`` lists, and ``descriptions`` (name -> text)
    filling in the entries that carry none."""
    apis: list[Any] = []
    objects: list[Any] = []
    descriptions: dict[str, str] = {}
    pkg = resources.files("mpsandbox.apis") / "catalogue"
    for entry in sorted(pkg.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.load(entry.read_text(encoding="utf-8"), Loader=_StrictLoader) or {}  # noqa: S506 (safe loader)
        unknown = set(doc) - {"apis", "objects", "descriptions"}
        if unknown:
            raise ValueError(f"catalogue/{entry.name}: unknown top-level keys {sorted(unknown)}")
        apis.extend(doc.get("apis") or [])
        objects.extend(doc.get("objects") or [])
        descriptions.update(doc.get("descriptions") or {})
    names = {a.get("name") for a in apis if isinstance(a, dict)}
    stray = sorted(set(descriptions) - names)
    if stray:
        raise ValueError(f"catalogue descriptions of unknown APIs: {stray}")
    for a in apis:
        if isinstance(a, dict) and not a.get("description") and a.get("name") in descriptions:
            a["description"] = descriptions[a["name"]]
    return {"apis": apis, "objects": objects}


@functools.lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    return Catalogue.model_validate(_load_yaml_docs())
