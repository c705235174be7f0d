"""Review policies: the platform's limits, the thresholds of the audits, the budgets of the walk, the allow-list.

Three built-in profiles (``douyin``, the default, ``wechat`` and ``alipay``); a TOML policy file overrides any of
their values::

    extends = "douyin"
    allow_domains = ["api.example.com"]

    [budgets]
    cpu_ms_total = 10000

    [thresholds]
    setdata_warn_bytes = 131072

    [rules.unknown-api]
    severity = "error"

    [rules.deprecated-api]
    enabled = false
"""

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..apis.handlers import domain_allowed
from ..apis.urls import canonical_host, dns_name, parse_url
from ..friendly import did_you_mean, explain
from .model import Severity

KB = 1024
MB = 1024 * 1024


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


_HOST = re.compile(r"(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*|\[[0-9a-f:.]+\]")


def normalise_domain(value: str) -> str:
    """An allow-list entry as a host name, canonical as the WHATWG URL parser makes hosts (so that it compares
    with the hosts of calls): ``https://api.example.com/v1`` and ``api.example.com:443`` become
    ``api.example.com``, ``bücher.example`` ``xn--bcher-kva.example``; ``*.example.com`` stays a wildcard.
    Raises ValueError for anything else."""
    raw = str(value).strip()
    wildcard = raw.startswith("*.")
    rest = raw[2:] if wildcard else raw
    if "://" in rest:
        parts = parse_url(rest)
        host = parts.host if parts is not None and parts.scheme in ("http", "https", "ws", "wss") else None
    else:
        host = canonical_host(rest.split("/", 1)[0])
    d = ("*." if wildcard else "") + dns_name(host or "")
    if not host or len(d) > 253 or not _HOST.fullmatch(d):
        raise ValueError(f"not a domain: {raw!r} (write a host name such as api.example.com or *.example.com)")
    return d


class Budgets(BaseModel):
    """What one walk may spend. A blown budget ends the walk and becomes a finding."""

    model_config = ConfigDict(extra="forbid")
    memory_bytes: int = Field(512 * MB, gt=0)  # a phone gives the logic layer hundreds of MB (V8 on Android: >= 512 MB)
    stack_bytes: int = Field(4 * MB, gt=0)
    cpu_ms_per_turn: float = Field(1_000.0, gt=0)  # WeChat's audit: script <= 1 s per cycle
    # whole-walk caps; the walk raises them to its per-page budgets times the number of pages
    cpu_ms_total: float = Field(20_000.0, gt=0)
    # measured backstops behind the deterministic budget: the CPU time the engine's thread spends in one turn
    # (machine load does not inflate it: a turn waiting for a core spends none), and a much larger wall limit for
    # stalls only. A turn that fills a 512 MB heap spends ~10 s of CPU time under wasm: the backstop leaves room.
    thread_cpu_ms_per_turn: float = Field(30_000.0, gt=0)
    wall_ms_per_turn: float = Field(120_000.0, gt=0)
    max_turns: int = Field(20_000, gt=0)
    virtual_ms: int = Field(10 * 60 * 1000, gt=0)
    max_jobs_per_turn: int = Field(100_000, gt=0)
    max_cpu_breaches: int = Field(2, gt=0)  # turns out of CPU before the walk stops
    idle_after_unload_ms: int = Field(30_000, ge=0)  # virtual time let pass after the last page unloads
    # The walk's own budgets. A step (opening a page, one handler, one page hook) that spends its budget without
    # any user input is the bundle running away (a finding); a page that spends its budget over many steps is the
    # walk running out (a coverage note: the rest of the page is skipped).
    step_turns: int = Field(2_000, gt=0)
    step_cpu_ms: float = Field(3_000.0, gt=0)
    page_turns: int = Field(8_000, gt=0)
    page_cpu_ms: float = Field(6_000.0, gt=0)
    handlers_per_page: int = Field(120, gt=0)
    runaway_pages: int = Field(3, gt=0)  # pages whose steps ran away before the walk stops
    # virtual time a page stays open after it was exercised, for its pending timers to come due (a leak behind a
    # 60-second timer fires), within the page's turn and CPU budgets
    dwell_ms: int = Field(10 * 60 * 1000, ge=0)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    main_package_bytes: int = Field(2 * MB, gt=0)
    subpackage_bytes: int = Field(2 * MB, gt=0)
    total_package_bytes: int = Field(20 * MB, gt=0)
    large_file_bytes: int = Field(500 * KB, gt=0)
    setdata_warn_bytes: int = Field(256 * KB, gt=0)
    setdata_error_bytes: int = Field(1 * MB, gt=0)
    setdata_per_second: int = Field(20, gt=0)
    long_turn_ms: float = Field(100.0, gt=0)
    slow_launch_ms: float = Field(1_500.0, gt=0)  # CPU ms from launch to the first onReady
    runaway_timer_fires: int = Field(200, gt=0)  # fires of one interval during a walk
    max_live_timers: int = Field(100, gt=0)
    reprompt_limit: int = Field(1, ge=0)  # prompts of a scope allowed after it was denied
    secret_min_entropy: float = Field(3.5, gt=0)
    # WeChat experience score: fewer than 1,000 nodes, depth under 30, at most 60 children per node
    view_max_nodes: int = Field(1_000, gt=0)
    view_max_depth: int = Field(30, gt=0)
    view_max_children: int = Field(60, gt=0)


class RuleOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Severity | None = None
    enabled: bool = True


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    platform: Literal["tt", "wx", "my"]
    description: str = ""
    budgets: Budgets = Field(default_factory=Budgets)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    allow_domains: list[str] = Field(default_factory=list)
    rules: dict[str, RuleOverride] = Field(default_factory=dict)

    @field_validator("allow_domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_domain(d) for d in v))

    def severity_of(self, rule: str, default: Severity) -> Severity:
        o = self.rules.get(rule)
        return o.severity if o is not None and o.severity is not None else default

    def enabled(self, rule: str) -> bool:
        o = self.rules.get(rule)
        return o is None or o.enabled

    def with_allow_domains(self, extra: list[str]) -> "Policy":
        if not extra:
            return self
        data = self.model_dump()
        data["allow_domains"] = list(dict.fromkeys(self.allow_domains + list(extra)))
        return Policy.model_validate(data)

    def domain_allowed(self, host: str | None) -> bool:
        """With no allow-list every domain is allowed; ``*.example.com`` matches subdomains."""
        if not self.allow_domains:
            return True
        return bool(host) and domain_allowed(self.allow_domains, host.lower())


# Package limits from the platforms' docs (shared/platform-facts.md): Douyin 4 MB main package (moving to 2 MB),
# 2 MB per subpackage, 16 MB in all; WeChat 2 MB per package, 30 MB in all. Alipay: 2 MB per package and 8 MB in
# all (unverified: Alipay's documented total has changed over time; 8 MB is the conservative figure).
BUILTIN: dict[str, Policy] = {
    "douyin": Policy(name="douyin", platform="tt", description="Douyin (tt) mini-app review defaults",
                     thresholds=Thresholds(main_package_bytes=4 * MB, total_package_bytes=16 * MB)),
    "wechat": Policy(name="wechat", platform="wx", description="WeChat (wx) mini-program review defaults",
                     thresholds=Thresholds(total_package_bytes=30 * MB)),
    "alipay": Policy(name="alipay", platform="my", description="Alipay (my) mini-program review defaults",
                     thresholds=Thresholds(total_package_bytes=8 * MB)),
}
PLATFORM_POLICY = {"tt": "douyin", "wx": "wechat", "my": "alipay"}


def builtin_policy(name: str) -> Policy:
    try:
        return BUILTIN[name].model_copy(deep=True)
    except KeyError:
        raise PolicyError(f"unknown policy {name!r}; built-in policies: {', '.join(BUILTIN)}") from None


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "rules":
            out[k] = _merge(out[k], v)
        elif k == "rules" and isinstance(v, dict):
            out[k] = {**out.get(k, {}), **v}
        else:
            out[k] = v
    return out


def load_policy(path: str | Path) -> Policy:
    """Load a TOML policy file over the profile it ``extends`` (default ``douyin``)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read the policy file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PolicyError(f"{p}: the policy file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p}: invalid TOML: {exc}") from None
    base_name = data.pop("extends", "douyin")
    if not isinstance(base_name, str):
        raise PolicyError(f"{p}: extends: expected the name of a built-in policy")
    try:
        base = builtin_policy(base_name).model_dump(mode="json")
    except PolicyError as exc:
        raise PolicyError(f"{p}: extends: {exc}") from None
    data.setdefault("name", f"{p.stem} (extends {base_name})")
    merged = _merge(base, data)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(f"{p}: invalid policy:\n" + "\n".join("  " + line for line in explain(exc, Policy))) from None
    check_rule_ids(policy, str(p))
    return policy


def check_rule_ids(policy: Policy, where: str) -> None:
    """A rule id the catalogue does not know is an error (a typo would silently leave the rule as it was)."""
    from .audits import REGISTRY

    unknown = [r for r in policy.rules if r not in REGISTRY]
    if unknown:
        lines = [f"  rules.{r}: no such rule{did_you_mean(r, REGISTRY)}" for r in unknown[:20]]
        raise PolicyError(f"{where}: invalid policy:\n" + "\n".join(lines) + "\n  (`mpsandbox rules` lists them)")


def resolve_policy(spec: str | None, platform: str | None) -> Policy:
    """``spec`` is a built-in name or a TOML path; with none, the profile of the bundle's platform."""
    if spec is None:
        return builtin_policy(PLATFORM_POLICY.get(platform or "tt", "douyin"))
    if spec in BUILTIN:
        return builtin_policy(spec)
    if not Path(spec).exists() and not spec.endswith(".toml"):
        raise PolicyError(f"no built-in policy or policy file named {spec!r}{did_you_mean(spec, BUILTIN)}; "
                          f"built-in policies: {', '.join(BUILTIN)}")
    return load_policy(spec)
