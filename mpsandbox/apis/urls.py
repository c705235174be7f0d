"""URLs as the platforms read them: the WHATWG URL standard (through ada, the parser Node.js uses).

Python's ``urlsplit`` follows RFC 3986, which a bundle can turn against the review: it reads
``https://evil.com\\@allowed.com`` as the user ``evil.com\\`` at allowed.com, while a browser, a WebView and the
platforms' request APIs send it to evil.com. Here every host is the one a WHATWG parser connects to, in its
canonical form: lowercase, tabs and newlines removed, any number of slashes or backslashes after a special scheme,
userinfo dropped, international names in punycode (UTS #46 mapping: full-width letters, ideographic full stops),
IPv4 in any form (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) as dotted decimal, IPv6 compressed in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ada_url

MAX_URL = 64 * 1024  # longer strings are not URLs a request API takes


@dataclass(frozen=True)
class ParsedUrl:
    scheme: str  # lowercase, without the colon
    host: str  # canonical, "" when the URL has none; keeps a trailing dot (see dns_name)
    port: int | None  # None for the scheme's default port


def parse_url(url: Any) -> ParsedUrl | None:
    """``url`` as a WHATWG parser reads it, or None when it is not a valid absolute URL."""
    if not isinstance(url, str) or len(url) > MAX_URL:
        return None
    try:
        parsed = ada_url.URL(url)
    except (ValueError, UnicodeError):
        return None
    port = parsed.port
    return ParsedUrl(scheme=parsed.protocol.rstrip(":"), host=parsed.hostname or "",
                     port=int(port) if port else None)


def host_of(url: Any) -> str | None:
    """The canonical host ``url`` connects to, or None."""
    parsed = parse_url(url)
    return parsed.host or None if parsed is not None else None


def dns_name(host: str) -> str:
    """The host as a name to match against an allow-list: ``api.example.com.`` is the fully qualified form of
    ``api.example.com``, the same server."""
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def canonical_host(text: str) -> str | None:
    """A host name written by a person (an allow-list entry) in the canonical form :func:`host_of` gives."""
    return host_of(f"https://{text}/") if text and not any(c in text for c in "/\\?#@") else None
