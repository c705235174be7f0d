"""network: where the bundle connects, how, and whether it calls server-only platform endpoints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from ...apis.handlers import is_ip_or_local as _host_refuses
from ...apis.urls import host_of, parse_url
from ...trace import VIEW_LOAD_API
from ..artifacts import Artifacts, RunArtifacts
from ..model import Evidence, Location, Severity
from .base import Hit, audit, event_evidence

if TYPE_CHECKING:
    from ..policy import Policy

URL_APIS = {"request", "httpRequest", "uploadFile", "downloadFile", "connectSocket"}

# Endpoints that take the app secret and must only be called from the developer's server.
SERVER_ONLY = [
    (re.compile(r"jscode2session|code2session|code2Session", re.I), "code-to-session (exchanges a login code with the app secret)"),
    (re.compile(r"/cgi-bin/token\b|/cgi-bin/stable_token", re.I), "WeChat access-token endpoint"),
    (re.compile(r"/api/apps/(v2/)?token\b|/api/apps/v2/jscode2session", re.I), "Douyin access-token endpoint"),
    (re.compile(r"open\.douyin\.com/oauth/(access_token|client_token)", re.I), "Douyin OAuth token endpoint"),
    (re.compile(r"openapi\.alipay\.com/gateway\.do", re.I), "Alipay server gateway (signed with the app private key)"),
    (re.compile(r"[?&](app_?secret|secret|client_secret)=", re.I), "the app secret in a request"),
]
URL_IN_SOURCE = re.compile(r"""https?://[^\s'"`<>)]+""")


def network_calls(run: RunArtifacts) -> Iterable[tuple[Any, str]]:
    """(call event, URL) of every network API call of a walk, and of every page a <web-view> loads (the platforms
    hold web-view sources to the business-domain list and to https; images and media may come from any host)."""
    for e in run.trace.api_calls():
        if e.api == VIEW_LOAD_API:
            args = e.args if isinstance(e.args, list) else []
            opts = args[0] if args and isinstance(args[0], dict) else {}
            if opts.get("tag") == "web-view" and isinstance(opts.get("url"), str):
                yield e, opts["url"]
            continue
        if e.api not in URL_APIS:
            continue
        args = e.args if isinstance(e.args, list) else []
        opts = args[0] if args and isinstance(args[0], dict) else {}
        url = opts.get("url")
        if isinstance(url, str):
            yield e, url


def is_ip_or_local(host: str) -> bool:
    """What the host refuses, plus mDNS names (*.local): a LAN device is no place for a bundle to call."""
    return _host_refuses(host) or host.strip("[]").endswith(".local")


def _call_hit(run: RunArtifacts, e: Any, url: str, message: str, key: str) -> Hit:
    return Hit(message=message, key=key, evidence=[event_evidence(run, e, f"{e.called_as} {url[:200]}", url[:300])])


@audit(
    "domain-not-allowed",
    title="Request to a domain outside the allow-list",
    category="network",
    severity=Severity.ERROR,
    description="""The bundle connects to a host that is not in the request-domain allow-list (the policy's
    `allow_domains` or `--allow-domain`). On the platform such calls fail unless the domain is configured in the
    developer console; here it tells the reviewer where data goes.""",
    fix="Add the domain to the allow-list (and the platform console) if it is yours, or remove the call.",
    example="tt.request({url: 'https://collector.unknown-analytics.com/t'})",
)
def domain_not_allowed(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    if not policy.allow_domains:
        return
    for run in art.runs:
        for e, url in network_calls(run):
            host = e.domain or host_of(url)
            if host and not is_ip_or_local(host) and not policy.domain_allowed(host):
                yield _call_hit(run, e, url, f"{e.called_as} connects to {host}, which is not in the allow-list", host)


@audit(
    "insecure-transport",
    title="Plain http:// or ws:// connection",
    category="network",
    severity=Severity.ERROR,
    description="""The platforms accept only https and wss; plain http or ws leaks everything sent to any network
    observer and fails on the platform.""",
    fix="Serve the API over TLS and use https:// / wss:// URLs.",
    example="tt.request({url: 'http://api.example.com/order'})",
)
def insecure_transport(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e, url in network_calls(run):
            parsed = parse_url(url)
            scheme = parsed.scheme if parsed is not None else url.split(":", 1)[0].lower().strip()
            if scheme in ("http", "ws"):
                host = e.domain or host_of(url)
                yield _call_hit(run, e, url, f"{e.called_as} uses {scheme}:// ({host or url[:60]})", f"{scheme}|{host}")


@audit(
    "ip-or-localhost",
    title="Connection to an IP address or localhost",
    category="network",
    severity=Severity.ERROR,
    description="""The platforms refuse IP literals and localhost as request targets; in a submitted bundle they
    point at a developer machine, an internal network or an attempt to evade domain review.""",
    fix="Use a registered, allow-listed domain name.",
    example="tt.request({url: 'https://192.168.1.20:8443/api'})",
)
def ip_or_localhost(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e, url in network_calls(run):
            host = e.domain or host_of(url)
            if host and is_ip_or_local(host):
                yield _call_hit(run, e, url, f"{e.called_as} connects to {host}", host)


@audit(
    "server-only-endpoint",
    title="Server-only platform endpoint called from the client",
    category="network",
    severity=Severity.ERROR,
    description="""Exchanging a login code for a session (code2session) or fetching an access token needs the app
    secret, which must never ship inside a bundle. Calling these endpoints from the client means the secret is in
    the bundle or the bundle is impersonating the server.""",
    fix="""Send the login code to your own server and call the platform from there; keep the app secret only on
    the server.""",
    example="tt.request({url: 'https://developer.toutiao.com/api/apps/v2/jscode2session?secret=...'})",
)
def server_only_endpoint(art: Artifacts, policy: Policy) -> Iterable[Hit]:
    for run in art.runs:
        for e, url in network_calls(run):
            for pattern, what in SERVER_ONLY:
                if pattern.search(url):
                    yield _call_hit(run, e, url, f"{e.called_as} calls {what}", what)
                    break
    # URLs in the source catch endpoints the walk did not reach
    for path, text in sorted(art.texts.items()):
        if not path.endswith((".js", ".json", ".ts")):
            continue
        for m in URL_IN_SOURCE.finditer(text):
            for pattern, what in SERVER_ONLY[:5]:
                if pattern.search(m.group(0)):
                    line = text.count("\n", 0, m.start()) + 1
                    loc = Location(file=path, line=line, column=m.start() - text.rfind("\n", 0, m.start()))
                    yield Hit(message=f"the bundle contains the URL of {what}", key=what,
                              evidence=[Evidence(description=f"URL in {path}:{line}", location=loc,
                                                 value=m.group(0)[:200])])
                    break
