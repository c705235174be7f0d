"""The review's data: findings with evidence, figures of the runs, the verdict, and the versioned report schema.

Every report format (text, JSON, SARIF, JUnit, HTML) renders a :class:`Report`; `mpsandbox schema` prints its JSON
schema. Bump :data:`REPORT_SCHEMA_VERSION` on any incompatible change.
"""

from enum import Enum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA_VERSION = 1

Category = Literal[
    "permission",
    "privacy",
    "network",
    "gesture",
    "dynamic-code",
    "secret",
    "resource",
    "performance",
    "experience",
    "stability",
    "lifecycle",
    "package",
    "api",
    "bundle",
]
CATEGORIES: tuple[str, ...] = get_args(Category)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Verdict(str, Enum):
    APPROVE = "approve"
    FLAG = "flag"
    REJECT = "reject"


class Location(BaseModel):
    """A place in the bundle: file and line (1-based), when known."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int | None = None
    column: int | None = None
    function: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}" + (
            f":{self.column}" if self.column else "")
        return f"{where} ({self.function})" if self.function else where


class Snippet(BaseModel):
    """A few lines of the bundle's source around a location (added when the report is built; lines cut to a
    window around the column)."""

    file: str
    start_line: int  # 1-based number of lines[0]
    line: int  # the line the location points at
    lines: list[str] = Field(default_factory=list)


class Evidence(BaseModel):
    """One fact behind a finding: a trace event, a bundle location, an offending value."""

    description: str
    run: Literal["allow", "deny"] | None = None  # which walk of the review saw it
    event_seq: int | None = None  # the trace event, when there is one
    event_kind: str | None = None
    t: int | None = None  # virtual ms
    page: str | None = None
    location: Location | None = None
    stack: list[Location] = Field(default_factory=list)
    value: Any = None  # the offending value, domain, size...
    snippet: Snippet | None = None  # the source at ``location``


class Finding(BaseModel):
    rule: str
    category: Category
    severity: Severity
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    location: Location | None = None  # primary place, for SARIF and the text report
    fingerprint: str = ""  # stable identity across runs: rule + key value + primary file (not the line)
    snippet: Snippet | None = None  # the source at ``location``
    baseline: Literal["new", "unchanged"] | None = None  # against --baseline, when one was given


class RuleInfo(BaseModel):
    id: str
    title: str
    category: Category
    severity: Severity
    description: str  # what it detects and why it matters
    fix: str
    example: str = ""
    enabled: bool = True


class ApiCallCount(BaseModel):
    api: str
    group: str
    count: int


class PackageCoverage(BaseModel):
    package: str  # "main" or a subpackage root
    pages_declared: int = 0
    pages_visited: int = 0


class ErrorCause(BaseModel):
    cause: str  # app, unknown-api, not-supported, es-module-syntax, missing-global, framework, after-module-failure
    origin: Literal["app", "sandbox"]
    count: int
    description: str = ""
    example: str = ""


class Coverage(BaseModel):
    """How much of the bundle one walk reached, where the walk's own budget cut it short, and whose fault the
    errors were (the app's own code, or the sandbox's limits: unknown APIs, missing features, module loading)."""

    pages_declared: int = 0
    pages_visited: int = 0
    packages: list[PackageCoverage] = Field(default_factory=list)
    pages_failed: list[str] = Field(default_factory=list)
    pages_skipped: list[str] = Field(default_factory=list)  # not reached: the walk stopped first
    pages_redirected: dict[str, str] = Field(default_factory=dict)  # page -> where the app sent the user
    handlers_bound: int = 0
    handlers_fired: int = 0
    unknown_apis: list[str] = Field(default_factory=list)
    budget_notes: list[str] = Field(default_factory=list)  # the walk's own budget running out (never a finding)
    errors_app: int = 0
    errors_sandbox: int = 0
    errors_by_class: dict[str, int] = Field(default_factory=dict)  # uncaught, unhandled-rejection, module... (app)
    error_causes: list[ErrorCause] = Field(default_factory=list)


class DomainContact(BaseModel):
    """A host the walk connected to (request, upload, download, socket), whether or not a rule fired."""

    domain: str
    calls: int
    apis: dict[str, int] = Field(default_factory=dict)  # called_as -> count
    allowed: bool | None = None  # by the allow-list; None when the review had no allow-list
    first_location: Location | None = None
    example_url: str = ""


class PermissionUse(BaseModel):
    """A scope the walk touched: prompts, decisions, the APIs behind it, and whether app.json declares it."""

    scope: str
    apis: list[str] = Field(default_factory=list)
    prompts: int = 0
    granted: int = 0
    denied: int = 0
    declared: bool = True


class TimelineItem(BaseModel):
    """One mark on the walk's timeline (pages, taps, API calls, setData, timers, errors on one axis)."""

    lane: Literal["page", "user", "api", "setData", "timer", "error"]
    turn: int  # the turn it happened in (the axis)
    t: int  # virtual ms
    label: str
    detail: str = ""
    status: Literal["ok", "fail", "warn"] = "ok"


class Timeline(BaseModel):
    turns: int = 0
    virtual_ms: int = 0
    items: list[TimelineItem] = Field(default_factory=list)
    dropped: int = 0  # items left out (bounded per lane)


class Screen(BaseModel):
    """A screenshot of a page, given by the view layer (a PNG as base64)."""

    route: str
    png_base64: str
    caption: str = ""


class RunFigures(BaseModel):
    """The numbers of one walk."""

    mode: Literal["allow", "deny"]
    engine: str
    cpu_unit: str
    pages_visited: list[str] = Field(default_factory=list)
    pages_failed: list[str] = Field(default_factory=list)
    handlers_fired: int = 0
    handlers_missing: int = 0
    api_calls: int = 0
    api_calls_by_group: dict[str, int] = Field(default_factory=dict)
    api_calls_by_api: list[ApiCallCount] = Field(default_factory=list)
    turns: int = 0
    virtual_ms: int = 0
    cpu_units: int = 0
    cpu_ms: float = 0.0  # cpu_units converted with the engine's nominal rate
    peak_memory_bytes: int = 0
    setdata_calls: int = 0
    setdata_bytes: int = 0
    end_reason: str = "idle"
    end_detail: str = ""
    launch_to_ready_ms: int | None = None  # virtual ms from launch to the first page's onReady
    wall_ms: float = 0.0  # measured; not deterministic
    coverage: Coverage = Field(default_factory=Coverage)
    domains: list[DomainContact] = Field(default_factory=list)
    permissions: list[PermissionUse] = Field(default_factory=list)
    timeline: Timeline = Field(default_factory=Timeline)
    screens: list[Screen] = Field(default_factory=list)  # filled by the view layer when it rendered pages


class ScoreCheck(BaseModel):
    id: str
    group: str
    title: str
    weight: float
    score: float | None = None  # 0..1; None: does not apply to this bundle
    value: str = ""  # the measured figure, as shown
    audits: list[str] = Field(default_factory=list)  # the audits that feed it
    failed_audits: list[str] = Field(default_factory=list)


class ScoreGroup(BaseModel):
    id: str
    title: str
    weight: float
    score: int | None = None  # 0..100


class ExperienceScore(BaseModel):
    """The experience score (review/score.py): 0-100, by group and check."""

    score: int  # 0..100
    groups: list[ScoreGroup] = Field(default_factory=list)
    checks: list[ScoreCheck] = Field(default_factory=list)
    minimum: int | None = None  # the gate (--min-score), when one was given
    passed: bool | None = None  # score >= minimum


class BaselineInfo(BaseModel):
    """The comparison with an earlier report (``--baseline``): the verdict and exit code count new findings only."""

    source: str
    new: int = 0
    unchanged: int = 0
    fixed: list[Finding] = Field(default_factory=list)  # in the baseline, gone now
    verdict_without_baseline: Verdict = Verdict.APPROVE


class BundleSummary(BaseModel):
    name: str
    platform: str | None = None
    files: int = 0
    total_bytes: int = 0
    main_bytes: int = 0
    subpackage_bytes: dict[str, int] = Field(default_factory=dict)
    pages: int = 0
    sha256: str | None = None  # of the sorted file list with hashes: identifies the bundle content


class Report(BaseModel):
    """The review's result, the same for every output format."""

    schema_version: int = REPORT_SCHEMA_VERSION
    tool: str = "mpsandbox"
    tool_version: str = ""
    bundle: BundleSummary
    policy: str
    verdict: Verdict
    exit_code: int = 0
    findings: list[Finding] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)  # by severity
    runs: list[RunFigures] = Field(default_factory=list)
    rules: list[RuleInfo] = Field(default_factory=list)  # every rule that ran (SARIF needs their descriptions)
    problems: list[str] = Field(default_factory=list)  # non-fatal bundle problems, as text
    allow_domains: list[str] | None = None  # the network allow-list the review used (None: older report)
    baseline: BaselineInfo | None = None
    score: ExperienceScore | None = None  # None: the bundle was not walked
    error: str | None = None  # when the review itself could not run to the end

    @property
    def shown_findings(self) -> list[Finding]:
        """The findings a reader sees: with a baseline, the new ones only."""
        return [f for f in self.findings if f.baseline != "unchanged"]

    def domains(self) -> list[DomainContact]:
        """Every host contacted, merged over the walks."""
        merged: dict[str, DomainContact] = {}
        for run in self.runs:
            for d in run.domains:
                m = merged.get(d.domain)
                if m is None:
                    merged[d.domain] = d.model_copy(deep=True)
                    continue
                m.calls += d.calls
                for k, v in d.apis.items():
                    m.apis[k] = m.apis.get(k, 0) + v
        return sorted(merged.values(), key=lambda d: (d.allowed is not False, -d.calls, d.domain))

    def findings_by_category(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in sorted(self.shown_findings, key=lambda f: (-f.severity.rank, f.category, f.rule)):
            out.setdefault(f.category, []).append(f)
        return out


def verdict_for(findings: list[Finding]) -> Verdict:
    if any(f.severity is Severity.ERROR for f in findings):
        return Verdict.REJECT
    if any(f.severity is Severity.WARNING for f in findings):
        return Verdict.FLAG
    return Verdict.APPROVE


EXIT_CODES = {Verdict.APPROVE: 0, Verdict.FLAG: 1, Verdict.REJECT: 2}
EXIT_INTERNAL = 3


def exit_code_for(verdict: Verdict, fail_on: Literal["flag", "reject"] | None = None) -> int:
    """0 approve, 1 flag, 2 reject. With ``fail_on="reject"`` a flag exits 0 (only a reject fails CI)."""
    code = EXIT_CODES[verdict]
    if fail_on == "reject" and verdict is Verdict.FLAG:
        return 0
    return code
