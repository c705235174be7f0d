"""Text report: header, verdict, findings grouped by category, the numbers, hostile text neutralised."""

from __future__ import annotations

import re

from mpsandbox.report.hygiene import neutralise
from mpsandbox.report.render import render
from mpsandbox.report.text import render_text
from mpsandbox.review.model import CATEGORIES, Evidence, Finding, Location, Severity

from ._factory import HOSTILE, make_report

ANSI = re.compile(r"\x1b")


def test_header_verdict_and_counts():
    text = render(make_report(), "text")
    head = text.split("\n\n")[0]
    assert "shop" in head and "platform tt" in head and "policy douyin" in head and "engine native" in head
    assert "REJECT" in head and "1 error · 2 warnings · 1 info" in head and "exit code 2" in head
    assert "APPROVE" in render(make_report([]), "text") and "No findings." in render(make_report([]), "text")


def test_findings_grouped_by_category_in_order():
    text = render(make_report(), "text")
    headings = [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0] in CATEGORIES]
    assert headings == ["privacy", "network", "lifecycle", "api"]
    assert headings == sorted(headings, key=CATEGORIES.index)
    privacy = text[text.index("\nprivacy"):text.index("\nnetwork")]
    assert "error    data-to-network" in privacy and "at pages/a/a.js:12:5 (go)" in privacy
    assert "[allow] t=3000ms pages/a/a flow" in privacy and '"destination":"tracker.example"' in privacy.replace(
        " ", "").replace("\n", "")
    assert "↳ at utils/api.js:3 (post)" in privacy and "[deny] t=3100ms" in privacy


def test_the_numbers_and_bundle_problems():
    text = render(make_report(problems=["pages/x/x listed but missing"]), "text")
    walks = text[text.index("The walks"):]
    for needle in ("pages visited", "2/3", "handlers fired", "7/9 (1 missing)", "errors: app / sandbox", "2 / 1",
                   "pages that sent the user elsewhere (allow): pages/b/b → pages/login/login",
                   "unknown APIs called (allow): tt.getFoo", "errors caused by the sandbox (allow, not findings)",
                   "1 × an API the sandbox does not know", "coverage note (allow): pages/a/a: the walk's page budget", "conversion", "framework", "turns",
                   "12.5 s", "4.2 ms (123456 poll)", "3.0 MB", "9 calls, 2.0 KB", "120 ms (virtual)",
                   "cpu-budget", "the CPU budget ran out", "pages that failed to load (allow): pages/c/c",
                   "Bundle problems", "pages/x/x listed but missing"):
        assert needle in walks, needle


def test_evidence_is_capped():
    f = Finding(rule="orphan-timer", category="lifecycle", severity=Severity.WARNING, message="m",
                evidence=[Evidence(description=f"ev{i}", t=i) for i in range(12)])
    text = render(make_report([f]), "text")
    assert "ev4" in text and "ev5" not in text and "… and 7 more evidence" in text


def test_fits_100_columns_and_no_ansi_without_color():
    long = "word " * 400 + "x" * 500
    f = Finding(rule="uncaught-error", category="stability", severity=Severity.ERROR, message=long,
                location=Location(file="a/" * 80 + "f.js", line=1), evidence=[Evidence(description=long)])
    text = render_text(make_report([f]))
    assert all(len(line) <= 100 for line in text.splitlines())
    assert not ANSI.search(text)
    colored = render_text(make_report([f]), color=True)
    assert ANSI.search(colored)


def test_hundreds_of_findings():
    findings = [Finding(rule=f"r{i}", category=CATEGORIES[i % len(CATEGORIES)], severity=list(Severity)[i % 3],
                        message=f"message {i}", location=Location(file=f"f{i}.js", line=i + 1))
                for i in range(600)]
    text = render(make_report(findings), "text")
    assert all(f"message {i}" in text for i in range(600))


def test_control_characters_cannot_forge_lines_or_styles():
    f = Finding(rule="uncaught-error", category="stability", severity=Severity.ERROR, message=HOSTILE,
                location=Location(file=HOSTILE, line=2, function=HOSTILE),
                evidence=[Evidence(description=HOSTILE, value=HOSTILE, page=HOSTILE,
                                   stack=[Location(file=HOSTILE, line=1)])])
    report = make_report([f], name=HOSTILE, problems=[HOSTILE], error=HOSTILE)
    for color in (False, True):
        text = render(report, "text", color=color)
        for bad in ("\x00", "\u202e", "\u202c", "\u2028", "\r", "\x07", "\ufeff", "\u200b", "]0;title\x07"):
            assert bad not in text
        assert not any(line.lstrip().startswith("forged") for line in text.splitlines())
    plain = render(report, "text")
    assert not ANSI.search(plain)
    assert "\\x1b[31mRED" in plain and "\\u202eevil" in plain  # visible, so the reviewer sees the attempt
    assert "[31mRED" not in render(report, "text", color=True).replace("\\x1b[31mRED", "")


def test_neutralise():
    assert neutralise("plain ascii") == "plain ascii"
    assert neutralise("中文 émoji 😀") == "中文 émoji 😀"
    assert neutralise("a\nb\rc\td\x00\x1b\u202e\u2028\ud800") == "a\\nb\\rc d\\x00\\x1b\\u202e\\u2028\\ud800"
    assert neutralise("x" * 20, 5) == "xxxxx… (+15 chars)"
