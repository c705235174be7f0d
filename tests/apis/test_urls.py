"""Hosts as a WHATWG parser (a browser, a WebView, the platforms' request APIs) reads them, not as RFC 3986 does."""

from __future__ import annotations

import pytest

from mpsandbox.apis.handlers import domain_allowed, is_ip_or_local
from mpsandbox.apis.urls import host_of, parse_url
from mpsandbox.review.policy import normalise_domain

from .helpers import run_js


@pytest.mark.parametrize("url, host", [
    ("https://evil.com\\@api.example.com/x", "evil.com"),  # a backslash ends the host; urlsplit says api.example.com
    ("https://evil.com\\\\@api.example.com", "evil.com"),
    ("https:\\\\evil.com/x", "evil.com"),  # backslashes for slashes
    ("https:evil.com/x", "evil.com"),  # no slashes at all
    ("https:///evil.com", "evil.com"),  # too many
    ("https://api.example.com@evil.com/", "evil.com"),  # userinfo
    ("https://api.example.com:443@evil.com/", "evil.com"),
    ("https://u:p@api.example.com/", "api.example.com"),
    ("https://evil.com?@api.example.com", "evil.com"),
    ("https://api.example.com#@evil.com", "api.example.com"),
    ("HTTPS://API.EXAMPLE.COM:443/", "api.example.com"),  # uppercase, default port
    ("https://api.example.com:8443/", "api.example.com"),
    (" \thttps://ev\til.co\nm/ ", "evil.com"),  # tabs and newlines vanish, spaces are trimmed
    ("https://api.example.com./x", "api.example.com."),  # a trailing dot is kept (and matched as the same name)
    ("https://ＡＰＩ.example.com/", "api.example.com"),  # full-width letters map to ASCII
    ("https://bücher.example/", "xn--bcher-kva.example"),  # IDNA to punycode
    ("https://api.example.com。evil.com/", "api.example.com.evil.com"),  # an ideographic full stop is a dot
    ("https://2130706433/", "127.0.0.1"),  # decimal IPv4
    ("https://0x7f.1/", "127.0.0.1"),  # hex and short IPv4
    ("https://0177.0.0.1/", "127.0.0.1"),  # octal IPv4
    ("https://[::ffff:7f00:1]/", "[::ffff:7f00:1]"),  # IPv6 (v4-mapped)
    ("https://[0:0::1]/", "[::1]"),
    ("wss://ws.example.com:8443/s", "ws.example.com"),
])
def test_hosts_are_read_as_the_platforms_read_them(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize("url", ["https://a.com:99999/", "https://evil.com%2f.example.com/", "https://1.2.3.4.5/",
                                 "https://0x100000000/", "not a url", "", "https://", None, 42, "x" * 70_000])
def test_what_no_platform_can_connect_to_has_no_host(url):
    assert host_of(url) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:7f00:1]", "[::1]", "localhost", "localhost.", "a.localhost",
                                  "10.0.0.1"])
def test_canonical_ip_forms_are_refused(host):
    assert is_ip_or_local(host)


def test_allow_list_matching_is_by_canonical_name():
    allowed = [normalise_domain(d) for d in ("API.Example.com", "*.bücher.example", "ＣＤＮ.example.com")]
    assert allowed == ["api.example.com", "*.xn--bcher-kva.example", "cdn.example.com"]
    for url in ("https://api.example.com./x", "https://ＡＰＩ.example.com/", "https://shop.bücher.example/",
                "https://CDN.EXAMPLE.COM:443/"):
        assert domain_allowed(allowed, host_of(url)), url
    for url in ("https://evil.com\\@api.example.com/", "https://api.example.com.evil.com/",
                "https://api.example.com。evil.com/", "https://xn--bcher-kva.example.evil/"):
        assert not domain_allowed(allowed, host_of(url)), url
    with pytest.raises(ValueError):
        normalise_domain("api.example.com%2f")


def test_scheme_and_port_come_from_the_same_parse():
    parsed = parse_url(" HTTPS://Api.Example.com:8443/x")
    assert parsed is not None and (parsed.scheme, parsed.host, parsed.port) == ("https", "api.example.com", 8443)


@pytest.mark.parametrize("url, ok", [
    ("https://evil.com\\@api.example.com/x", False),  # refused: the platform would go to evil.com
    ("https:\\\\api.example.com/x", True),
    ("https://ＡＰＩ.example.com/x", True),
    ("https://0x7f.1/x", False),
])
def test_the_mock_platform_refuses_by_the_same_host(engine_name, url, ok):
    run = run_js("tt.request({ url: " + repr(url) + ", success: () => log('ok'), fail: (e) => log(e.errMsg) });",
                 allowed_domains=["api.example.com"], engine=engine_name)
    assert (run.logs == ["ok"]) is ok, run.logs
