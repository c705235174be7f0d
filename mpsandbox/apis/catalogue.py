"""The declarative catalogue of the open-capability API surface.

Data, not code paths: every API is one entry in ``catalogue/*.yaml``, validated by the models below. The runtime
builds the platform global (``tt``/``wx``/``my``) from :meth:`Catalogue.js_surface`; the mock host looks entries up
by canonical name to know the scope, privacy category, gesture rule, default result and limits of a call.
"""

import functools
import hashlib
import json
import os
import re
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Platform = Literal["tt", "wx", "my"]
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
PLATFORMS: tuple[Platform, ...] = ("tt", "wx", "my")


class Kind(str, Enum):
    SYNC = "sync"  # returns a value at once; throws on failure
    ASYNC = "async"  # success/fail/complete callbacks, or a Promise when none is given and ``promise`` is true
    TASK = "task"  # async with callbacks, and returns a task object at once (RequestTask, SocketTask...)
    FACTORY = "factory"  # returns a host object at once (RecorderManager, RewardedVideoAd, SelectorQuery...)
    LISTENER = "listener"  # onXxx(callback): the host emits events to it later
    UNLISTEN = "unlisten"  # offXxx(callback)
    VALUE = "value"  # a plain value on the global (``tt.env``): ``result``, never a call


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


class EmitSpec(BaseModel):
    """An event the host fires on the object after a method call (play -> onPlay) or a listener registration
    (onCheckForUpdate -> {hasUpdate: false})."""

    model_config = ConfigDict(extra="forbid")
    event: str
    payload: Any = Field(default_factory=dict)
    delay_ms: int = Field(default=0, ge=0, le=600_000)


class MethodSpec(BaseModel):
    """A method of a host object (task, context, manager, ad).

    Kinds: sync (a value: ``result``), async (success/fail/complete, a Promise without callbacks when ``promise``),
    promise (always a Promise), chain (returns the object itself), factory (returns a new object of type
    ``object``, or of ``objects[first argument]``), frame (requestAnimationFrame: the callback runs after
    ``result`` ms of virtual time; cancel-frame cancels it), listener/unlisten.

    ``local`` methods run in the JS framework alone and are not recorded (drawing calls of a canvas context,
    database commands): sync returns a copy of ``result`` (the string "$textWidth" gives a plausible text width,
    "$self" the object), chain the object, factory a local object. Everything else calls the host and is recorded.
    """

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sync", "async", "promise", "chain", "factory", "frame", "cancel-frame", "listener",
                  "unlisten"] = "sync"
    local: bool = False
    promise: bool = False  # async: a Promise when no callback is given
    scope: dict[Platform, str] | None = None  # e.g. RecorderManager.start needs scope.record
    privacy: Privacy | None = None
    sink: SinkKind | None = None
    result: Any = None
    object: str | None = None  # factory: the type of the object returned
    objects: dict[str, str] | None = None  # factory: the type by first argument (getContext('2d' | 'webgl'))
    cache: bool = False  # factory: the same object for the same first argument (getContext)
    sets: dict[str, Any] = Field(default_factory=dict)  # properties the call sets on the object (play: paused)
    emits: list[EmitSpec] = Field(default_factory=list)
    platforms: list[Platform] | None = None  # the platforms whose object has the method; None: all
    results: dict[Platform, Any] = Field(default_factory=dict)  # a platform's own result (Douyin's stat: {stat})
    description: str = ""

    def result_on(self, platform: str) -> Any:
        return self.results.get(platform, self.result)  # type: ignore[call-overload]

    @model_validator(mode="after")
    def _check(self) -> "MethodSpec":
        if self.kind == "factory" and not (self.object or self.objects):
            raise ValueError("a factory method needs an object or objects")
        if self.kind != "factory" and (self.object or self.objects or self.cache):
            raise ValueError("object, objects and cache are for factory methods")
        if self.local and (self.scope or self.privacy or self.sink or self.emits):
            raise ValueError("a local method is not recorded: no scope, privacy, sink or emits")
        if self.kind in ("frame", "cancel-frame") and not self.local:
            raise ValueError("frame methods run in the framework: local")
        if self.local and self.kind in ("async", "promise", "listener", "unlisten"):
            raise ValueError(f"a {self.kind} method cannot be local")
        return self

    def returns(self) -> set[str]:
        return {self.object} if self.object else set((self.objects or {}).values())


class PropertySpec(BaseModel):
    """A data property of a host object: plain, readable and (unless ``readonly``) settable by the bundle.

    A ``default`` of "$object:<Type>" is a local object of that type (``db.command``). A ``record``ed property is
    recorded as a call ``<Object>.<name>`` with the value when the bundle sets it; with a ``sink`` the value is a
    data sink (an audio ``src`` URL is network use). ``fires`` names the handler property (``onload``) called
    after a set, as an image calls onload once its src is set."""

    model_config = ConfigDict(extra="forbid")
    default: Any = None
    readonly: bool = False
    record: bool = False
    sink: SinkKind | None = None
    fires: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> "PropertySpec":
        if self.sink is not None and not self.record:
            raise ValueError("a sink property must be recorded")
        if self.readonly and (self.record or self.fires):
            raise ValueError("a readonly property is never set: no record or fires")
        return self

    def object_type(self) -> str | None:
        d = self.default
        return d[8:] if isinstance(d, str) and d.startswith("$object:") else None


class ObjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    methods: dict[str, MethodSpec] = Field(default_factory=dict)
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> "ObjectSpec":
        both = set(self.methods) & set(self.properties)
        if both:
            raise ValueError(f"{self.name}: both a method and a property: {sorted(both)}")
        return self

    def is_local(self) -> bool:
        """Whether the framework can build it alone: no method or property of it calls the host."""
        return all(m.local for m in self.methods.values()) and not any(p.record for p in self.properties.values())


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
        if self.kind is Kind.VALUE and (self.sink or self.privacy or self.scope or self.handler):
            raise ValueError(f"{self.name}: a value is not a call: no sink, privacy, scope or handler")
        for platform in PLATFORMS:
            n = self.name_on(platform)
            if n is not None and (n.count(".") > 1 or not all(_IDENT.fullmatch(p) for p in n.split("."))):
                raise ValueError(f"{self.name}: {platform} name {n!r} is not a name or namespace.name")
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
        objects = {o.name: o for o in self.objects}
        if len(objects) != len(self.objects):
            raise ValueError("duplicate object names")
        for api in self.apis:
            if api.object and api.object not in objects:
                raise ValueError(f"{api.name}: unknown object {api.object}")
        for o in self.objects:
            for m, spec in o.methods.items():
                for t in spec.returns():
                    if t not in objects:
                        raise ValueError(f"{o.name}.{m}: unknown object {t}")
                    if spec.local and not objects[t].is_local():
                        raise ValueError(f"{o.name}.{m} builds {t} locally, but {t} calls the host")
            for p, prop in o.properties.items():
                t = prop.object_type()
                if t is not None and (t not in objects or not objects[t].is_local()):
                    raise ValueError(f"{o.name}.{p}: {t} is unknown or calls the host; a property holds local objects")
        for platform in PLATFORMS:
            names: dict[str, str] = {}
            for api in self.apis:
                n = api.name_on(platform)
                if n is None:
                    continue
                if n in names:
                    raise ValueError(f"{platform}.{n} is claimed by both {names[n]} and {api.name}")
                names[n] = api.name
            clash = {n.split(".")[0] for n in names if "." in n} & set(names)
            if clash:
                raise ValueError(f"{platform}: {sorted(clash)} are both an API and a namespace")
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

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one catalogue per process (load_catalogue caches it)
    def _platform_index(self, platform: Platform) -> dict[str, ApiSpec]:
        out = {}
        for api in self.apis:
            n = api.name_on(platform)
            if n is not None:
                out[n] = api
        return out

    def namespaces(self, platform: Platform) -> set[str]:
        """The namespaces of the platform global (``wx.cloud``, ``my.ap``): first parts of dotted names."""
        return {n.split(".")[0] for n in self._platform_index(platform) if "." in n}

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one catalogue per process (load_catalogue caches it)
    def js_surface_json(self, platform: Platform) -> str:
        """:meth:`js_surface` as JSON text (~80 KB), serialized once: every sandbox's boot passes it."""
        return json.dumps(self.js_surface(platform))

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one catalogue per process (load_catalogue caches it)
    def js_surface(self, platform: Platform) -> dict[str, Any]:
        """What the JS framework needs to build the platform global: names, kinds and object shapes."""
        apis = {}
        for name, api in sorted(self._platform_index(platform).items()):
            entry: dict[str, Any] = {"id": api.name, "kind": api.kind.value, "promise": api.promise,
                                     "object": api.object}
            if api.kind is Kind.VALUE:
                entry["value"] = api.result
            apis[name] = entry
        objects = {}
        for o in self.objects:
            methods = {}
            for m, spec in sorted(o.methods.items()):
                if spec.platforms is not None and platform not in spec.platforms:
                    continue
                js: dict[str, Any] = {"kind": spec.kind}
                if spec.local:
                    js["local"] = True
                    js["result"] = spec.result_on(platform)
                if spec.kind == "async" and spec.promise:
                    js["promise"] = True
                if spec.kind == "factory":
                    js.update(object=spec.object, objects=spec.objects, cache=spec.cache)
                if spec.kind == "frame":
                    js["delay"] = spec.result if isinstance(spec.result, int) else 16
                if spec.sets:
                    js["sets"] = spec.sets
                methods[m] = js
            props = {p: {"default": spec.default, "readonly": spec.readonly, "record": spec.record,
                         "fires": spec.fires} for p, spec in sorted(o.properties.items())}
            objects[o.name] = {"methods": methods, "props": props}
        return {"apis": apis, "objects": objects}

    def __hash__(self) -> int:  # lru_cache on methods needs it; one catalogue per process in practice
        return id(self)


@functools.lru_cache(maxsize=1)
def _strict_loader() -> type:
    """yaml's safe loader (libyaml's when PyYAML has it: 6x faster) that refuses duplicate keys (a second ``apis:``
    would silently replace the first). Made on first need: a review whose catalogue was compiled never imports yaml."""
    import yaml

    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def no_duplicates(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return loader.construct_mapping(node, deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
    return StrictLoader


def _catalogue_files() -> list[tuple[str, bytes]]:
    """Every ``catalogue/*.yaml`` in name order, as (name, bytes)."""
    pkg = resources.files("mpsandbox.apis") / "catalogue"
    return [(entry.name, entry.read_bytes()) for entry in sorted(pkg.iterdir(), key=lambda p: p.name)
            if entry.name.endswith(".yaml")]


def _load_yaml_docs(files: list[tuple[str, bytes]] | None = None) -> dict[str, Any]:
    """Every ``catalogue/*.yaml`` in name order: ``apis`` and ``objects`` lists, and ``descriptions`` (name -> text)
    filling in the entries that carry none."""
    apis: list[Any] = []
    objects: list[Any] = []
    descriptions: dict[str, str] = {}
    import yaml

    for name, data in _catalogue_files() if files is None else files:
        doc = yaml.load(data.decode("utf-8"), Loader=_strict_loader()) or {}  # noqa: S506 (safe loader)
        unknown = set(doc) - {"apis", "objects", "descriptions"}
        if unknown:
            raise ValueError(f"catalogue/{name}: unknown top-level keys {sorted(unknown)}")
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


# Parsing the YAML is most of the cost of loading the catalogue: the validated documents are compiled to JSON, keyed
# by the YAML files' bytes and this module's format, and validated from JSON (in pydantic's core). The install
# compiles them into the package (COMPILED_DIR, see setup.py); a catalogue changed since (an editable install) is
# compiled on first use into the cache.
CACHE_FORMAT = "1"
COMPILED_DIR = Path(__file__).resolve().parent / "_compiled"


def _compiled_name(files: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256(f"catalogue-cache={CACHE_FORMAT}".encode())
    for name, data in files:
        h.update(f"|{name}|{len(data)}|".encode())
        h.update(data)
    return f"{h.hexdigest()[:32]}.json"


def _cache_path(files: list[tuple[str, bytes]]) -> str:
    root = os.environ.get("MPSANDBOX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mpsandbox")
    return os.path.join(root, "catalogue", _compiled_name(files))


def _from_cache(path: str) -> Catalogue | None:
    try:
        with open(path, "rb") as fh:
            return Catalogue.model_validate_json(fh.read())
    except (OSError, ValueError, ValidationError):  # missing, unreadable or not ours: parse the YAML
        return None


def _to_cache(path: str, docs: dict[str, Any], catalogue: Catalogue) -> bool:
    """Keep the documents as JSON, only when they validate from JSON to the very same catalogue (YAML can say
    things JSON cannot: such a catalogue is simply parsed every time). True when written."""
    try:
        data = json.dumps(docs, ensure_ascii=False).encode("utf-8")
        if Catalogue.model_validate_json(data).model_dump() != catalogue.model_dump():
            return False
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except (OSError, TypeError, ValueError, ValidationError):  # a read-only home, a value JSON cannot hold
        return False


def compile_into(dest: Path) -> Path:
    """Compile the catalogue into ``dest`` (the install's build hook): what load_catalogue reads first."""
    files = _catalogue_files()
    docs = _load_yaml_docs(files)
    path = dest / _compiled_name(files)
    for old in dest.glob("*.json") if dest.is_dir() else ():  # compiled from YAML files since changed
        if old != path:
            old.unlink(missing_ok=True)
    if not _to_cache(str(path), docs, Catalogue.model_validate(docs)):
        raise ValueError(f"the catalogue could not be compiled into {dest}")
    return path


@functools.lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    files = _catalogue_files()
    compiled = _from_cache(str(COMPILED_DIR / _compiled_name(files)))
    if compiled is not None:
        return compiled
    path = _cache_path(files)
    cached = _from_cache(path)
    if cached is not None:
        return cached
    docs = _load_yaml_docs(files)
    catalogue = Catalogue.model_validate(docs)
    _to_cache(path, docs, catalogue)
    return catalogue
