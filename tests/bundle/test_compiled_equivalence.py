"""A source bundle and its compiled form (.wxapkg) give the same pages, handlers and review findings."""

from __future__ import annotations

from pathlib import Path

from mpsandbox.bundle import load_bundle
from mpsandbox.review import ReviewOptions, review

from .compiled_helpers import FIXTURES, compile_source

SOURCE = FIXTURES / "bundles" / "wechat-weather"


def _bindings(bundle) -> dict[str, set]:
    return {p.route: {(b.handler, b.event, b.kind, b.tag, tuple(sorted(b.dataset.items())), b.id, b.open_type,
                       b.component, b.owner, b.dynamic) for b in p.bindings} for p in bundle.facts.pages}


def test_source_and_compiled_forms_agree(tmp_path: Path):
    pkg = tmp_path / "wechat-weather.wxapkg"
    pkg.write_bytes(compile_source(SOURCE))
    source, compiled = load_bundle(SOURCE), load_bundle(pkg)
    assert (source.source_form, compiled.source_form) == ("source", "wxapkg")
    assert [(p.route, p.exists, p.tab) for p in source.pages] == [(p.route, p.exists, p.tab) for p in compiled.pages]
    assert _bindings(source) == _bindings(compiled)
    assert sum(len(v) for v in _bindings(compiled).values()) >= 10
    routes = [p.route for p in source.pages]
    assert any(source.component_usages(r) for r in routes)
    assert {r: source.component_usages(r) for r in routes} == {r: compiled.component_usages(r) for r in routes}
    assert compiled.app.permission == source.app.permission
    assert compiled.app.required_private_infos == source.app.required_private_infos
    js = sorted(p for p in source.files if p.endswith(".js"))
    assert js == sorted(p for p in compiled.files if p.endswith(".js"))
    for path in js:
        assert compiled.read_text(path).rstrip() == source.read_text(path).rstrip(), path

    options = ReviewOptions(allow_domains=["api.example-weather.com"], deny=True)
    a, b = review(SOURCE, options), review(pkg, options)
    assert a.error is None and b.error is None
    assert a.verdict == b.verdict
    assert sorted((f.rule, f.location.file if f.location else None, f.location.line if f.location else None)
                  for f in a.findings) == \
        sorted((f.rule, f.location.file if f.location else None, f.location.line if f.location else None)
               for f in b.findings)
    assert len(a.runs) == len(b.runs) and a.runs[0].handlers_fired >= 8
    for run_a, run_b in zip(a.runs, b.runs):
        assert run_a.pages_visited == run_b.pages_visited and run_a.handlers_fired == run_b.handlers_fired
        assert run_a.api_calls == run_b.api_calls


def test_findings_about_a_page_template_point_at_the_same_file_in_both_forms(tmp_path: Path):
    # a compiled package has no .wxml files (its templates are $gwx code): view findings pointed at the route
    from mpsandbox.apis.catalogue import load_catalogue
    from mpsandbox.review.artifacts import Artifacts
    from mpsandbox.review.audits.base import template_of

    pkg = tmp_path / "wechat-weather.wxapkg"
    pkg.write_bytes(compile_source(SOURCE))
    arts = []
    for bundle in (load_bundle(SOURCE), load_bundle(pkg)):
        arts.append(Artifacts(name=bundle.name, platform=bundle.platform, catalogue=load_catalogue(),
                              facts=bundle.facts, texts={p: "" for p in bundle.files}))
    routes = [p.route for p in arts[0].facts.pages]
    assert [template_of(arts[1], r) for r in routes] == [template_of(arts[0], r) for r in routes]
    assert all(template_of(arts[1], r).endswith(".wxml") for r in routes)
