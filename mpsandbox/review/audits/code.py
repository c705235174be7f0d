"""gesture, dynamic-code and secret audits: what the code does without the user, builds at run time, or carries."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Iterable

from ...apis.catalogue import Gesture
from ..artifacts import Artifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ..policy import Policy

PAYMENT_APIS = {"pay", "requestPayment", "tradePay", "requestOrder", "requestGamePayment", "getOrderPayment"}


def _needs(art: Artifacts, api: str) -> Gesture | None:
    spec = art.catalogue.by_name.get(api)
    return spec.gesture if spec is not None else None


@audit(
    "payment-without-gesture",
    title="Payment started without a user action",
    category="gesture",
    severity=Severity.ERROR,
    description="""A payment or order API runs in a chain that no user tap started: from onLoad, a timer or a
    network callback. Users must decide to pay; a payment sheet that appears on its own is a deceptive pattern.""",
    fix="Start the payment from the handler of a button the user taps (callbacks of that tap are fine).",
    example="onLoad() { tt.pay({orderInfo, service: 5}) }",
)
def payment_without_gesture(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.api_calls():
            payment = e.api in PAYMENT_APIS or _needs(art, e.api) is Gesture.RECORD
            if payment and not e.gesture and e.chain is None:
                yield Hit(message=f"{e.called_as} is called without any user action", key=e.api,
                          evidence=[event_evidence(run, e, f"{e.called_as} outside a user-initiated chain")])


@audit(
    "gesture-required",
    title="Gesture-only API called outside a user tap",
    category="gesture",
    severity=Severity.ERROR,
    description="""getUserProfile, subscription messages and the phone number may only be requested in response
    to a user tap (the phone number only through an open-type button; a tap on a dialog's button counts for the
    settings page, a completed payment for subscriptions). Outside a tap the platform refuses the call, and so does
    the sandbox's host: this rule reports each call the host refused for want of a tap. A bundle doing it anyway is
    trying to collect data or consent without the user acting.""",
    fix="Call the API directly in the tap handler of a button (for the phone number, use "
        '`<button open-type="getPhoneNumber">`).',
    example="onShow() { tt.getUserProfile({desc: 'profile'}) }",
)
def gesture_required(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.api_calls():
            if e.refused != "gesture":  # the host applies the platform's rule (apis/host.py gesture_ok)
                continue
            yield Hit(message=f"{e.called_as} needs a user tap but runs outside one", key=e.api,
                      evidence=[event_evidence(run, e, f"{e.called_as} (outcome {e.outcome})", e.err_msg)])


@audit(
    "dynamic-code",
    title="Code built and run at run time",
    category="dynamic-code",
    severity=Severity.ERROR,
    description="""eval, new Function (and the constructors of async and generator functions), or setTimeout /
    setInterval with a string run code that review never saw. The platforms forbid them in the logic layer; in a
    bundle they are the usual way to hide behaviour. Detected however they are reached (aliases, `(0, eval)`,
    `[].constructor.constructor`), and also found statically in code the walk did not reach.""",
    fix="Ship all logic as code in the bundle; parse data with JSON.parse instead of eval.",
    example="const f = [].constructor.constructor('return tt.getLocation'); f()",
)
def dynamic_code(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e in run.trace.of_kind("note"):
            if e.code != "dynamic-code":
                continue
            data = e.data if isinstance(e.data, dict) else {}
            what = str(data.get("what") or "dynamic code")
            ev = event_evidence(run, e, f"{what} called", str(data.get("code") or "")[:200])
            frames = [s for s in data.get("stack") or [] if isinstance(s, str)]
            if frames and ev.location is None:
                ev.location = _parse_frame(frames[0])
                ev.stack = [loc for loc in (_parse_frame(f) for f in frames[:5]) if loc]
            where = f"{ev.location.file}:{ev.location.line}" if ev.location else ""
            yield Hit(message=f"{what} runs code built at run time", key=f"{what}|{where}", evidence=[ev])
    for fact in _static_dynamic(art):
        yield fact


_FRAME = re.compile(r"^(?:(?P<fn>.+?) )?(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)$")


def _parse_frame(text: str) -> Location | None:
    m = _FRAME.match(text.strip())
    if not m:
        return None
    return Location(file=m["file"], line=int(m["line"]), column=int(m["col"]), function=m["fn"])


def _static_dynamic(art: Artifacts) -> Iterable[Hit]:
    """Dynamic-code sites the loader's static JS scan found."""
    for path, f in (art.facts.js if art.facts is not None else {}).items():
        for site in f.dynamic_code:
            loc = Location(file=path, line=site.line, column=site.column)
            yield Hit(message=f"{site.what} in the source", key=f"{site.what}|{loc.file}:{loc.line}",
                      evidence=[Evidence(description=f"{site.what} found in the source (static scan)", location=loc)])


# ---- secrets -----------------------------------------------------------------------------------------------------
PEM = re.compile(r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----")
TOKEN_FORMATS = [
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "Slack token"),
    (re.compile(r"\bsk_live_[0-9a-zA-Z]{16,}"), "Stripe secret key"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), "Google API key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "JSON Web Token"),
]
ASSIGNED = re.compile(
    r"""(?<![\w$])(?P<name>(?:[A-Za-z_$][\w$]*?)?(?:app_?secret|secret_?key|client_?secret|appsecret|secret|api_?key|apikey|"""
    r"""access_?token|auth_?token|private_?key|password|passwd|pwd|token))["']?\s*[:=]\s*"""
    r"""(?P<q>["'`])(?P<value>[^"'`\n]{6,200})(?P=q)""",
    re.I,
)
PLACEHOLDER = re.compile(r"^(x+|\*+|\.+|your[_\- ].*|<.*>|\$\{.*\}|\{\{.*\}\}|todo|changeme|null|undefined|test|"
                         r"example|placeholder|password|secret|token)$", re.I)
TEXT_EXT = (".js", ".json", ".ts", ".ttml", ".wxml", ".axml", ".ttss", ".wxss", ".acss", ".wxs", ".sjs", ".txt",
            ".env", ".pem", ".key", ".md", ".yaml", ".yml", ".xml", ".html", ".config")


def shannon_entropy(s: str) -> float:
    if not s:
        return 0.0
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _mask(value: str) -> str:
    return value[:4] + "…" + f"({len(value)} chars)" if len(value) > 8 else "…"


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


@audit(
    "hardcoded-secret",
    title="Secret shipped in the bundle",
    category="secret",
    severity=Severity.ERROR,
    description="""An app secret, private key, API token or password is written in a bundle file. Every user can
    unpack a mini-program and read it; with the app secret anyone can impersonate the app's server. Found by
    known key formats (PEM private keys, cloud and SaaS tokens) and by names such as `appSecret`, `password`,
    `token` assigned a literal of high entropy.""",
    fix="Remove it from the bundle, rotate it now, and keep it on your server.",
    example="const APP_SECRET = '9f8e7d6c5b4a39281706f5e4d3c2b1a0'",
    reads=("bundle",),
)
def hardcoded_secret(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    min_entropy = policy.thresholds.secret_min_entropy
    for path, text in sorted(art.texts.items()):
        if not path.lower().endswith(TEXT_EXT):
            continue
        for m in PEM.finditer(text):
            line, col = _line_col(text, m.start())
            yield Hit(message=f"{m.group(1).lower()} in {path}", key=f"pem|{path}|{line}",
                      location=Location(file=path, line=line, column=col),
                      evidence=[Evidence(description="PEM private key block", value=m.group(0))])
        for pattern, what in TOKEN_FORMATS:
            for m in pattern.finditer(text):
                line, col = _line_col(text, m.start())
                yield Hit(message=f"{what} in {path}", key=f"{what}|{path}|{line}",
                          location=Location(file=path, line=line, column=col),
                          evidence=[Evidence(description=what, value=_mask(m.group(0)))])
        for m in ASSIGNED.finditer(text):
            value = m["value"].strip()
            if PLACEHOLDER.match(value) or " " in value or value.startswith(("http://", "https://", "/")):
                continue
            entropy = shannon_entropy(value)
            is_password = re.search(r"passw|pwd", m["name"], re.I) is not None
            if (is_password and len(value) >= 6 and entropy >= 2.5) or (len(value) >= 16 and entropy >= min_entropy):
                line, col = _line_col(text, m.start("value"))
                yield Hit(message=f"`{m['name']}` holds a literal secret in {path}", key=f"{m['name']}|{path}|{line}",
                          location=Location(file=path, line=line, column=col),
                          evidence=[Evidence(description=f"{m['name']} = {_mask(value)} (entropy {entropy:.1f})",
                                             value=_mask(value))])
