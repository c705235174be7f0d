"""Coverage figures of a review and the split of errors between the app and the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from mpsandbox.review import ReviewOptions, review


def _bundle(root: Path, pages: dict[str, str], extra: dict[str, str] | None = None, app: dict | None = None) -> Path:
    files = {"app.json": json.dumps({"pages": list(pages), **(app or {})}), "app.js": "App({})", **(extra or {})}
    for route, js in pages.items():
        files[route + ".js"] = js
        files[route + ".ttml"] = '<view bindtap="go"/>'
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_errors_are_split_between_the_app_and_the_sandbox(tmp_path):
    path = _bundle(tmp_path / "b", {
        "pages/a/a": "Page({ onLoad() { tt.getDeviceMagic(); } })",  # unknown API: the sandbox's
        "pages/b/b": "Page({ onLoad() { const q = null; q.name; } })",  # the app's own bug
        "pages/c/c": "import helper from '../../utils/helper';\nPage({ go() { helper() } })",  # ES modules run
    }, extra={"utils/helper.js": "export default function helper() {}\n"})
    report = review(path, ReviewOptions(engine="native"))
    cov = report.runs[0].coverage
    causes = {c.cause: c for c in cov.error_causes}
    assert causes["unknown-api"].origin == "sandbox" and causes["unknown-api"].count >= 1
    assert "es-module-syntax" not in causes
    assert causes["app"].count >= 1 and "null" in causes["app"].example
    assert cov.errors_sandbox == sum(c.count for c in cov.error_causes if c.origin == "sandbox")
    assert cov.unknown_apis == ["getDeviceMagic"] or any("getDeviceMagic" in a for a in cov.unknown_apis)
    uncaught = [f for f in report.findings if f.rule == "uncaught-error"]
    assert len(uncaught) == 1 and "pages/b/b" in json.dumps([e.model_dump() for e in uncaught[0].evidence])
    assert "page-load-failure" not in {f.rule for f in report.findings if "pages/c/c" in f.message}


def test_pages_and_handlers_per_package(tmp_path):
    path = _bundle(tmp_path / "b", {"pages/a/a": "Page({ go() {} })", "pkg/x/x": "Page({ go() {} })"},
                   app={"subpackages": [{"root": "pkg", "pages": ["x/x"]}]})
    # app.json lists pkg/x/x under pages too in this helper: rewrite it to the subpackage only
    (path / "app.json").write_text(json.dumps({"pages": ["pages/a/a"],
                                               "subpackages": [{"root": "pkg", "pages": ["x/x"]}]}))
    cov = review(path, ReviewOptions(engine="native")).runs[0].coverage
    assert (cov.pages_visited, cov.pages_declared, cov.handlers_fired, cov.handlers_bound) == (2, 2, 2, 2)
    assert {p.package: (p.pages_visited, p.pages_declared) for p in cov.packages} == {"main": (1, 1), "pkg": (1, 1)}
    assert cov.budget_notes == [] and cov.errors_app == 0 and cov.errors_sandbox == 0


def test_another_platforms_api_is_the_apps_error_not_the_sandboxs(tmp_path):
    # tt.showModal exists; tt.confirm is Alipay's only (my.confirm): calling it on Douyin fails on the device too
    path = _bundle(tmp_path / "b", {"pages/a/a": "Page({ onLoad() { tt.confirm({ title: 'x' }); } })"})
    report = review(path, ReviewOptions(engine="native"))
    cov = report.runs[0].coverage
    assert (cov.errors_app, cov.errors_sandbox) == (2, 0)  # once per launch: the walk launches the app twice
    assert cov.unknown_apis == []  # not a name the sandbox lacks
    assert [f.message for f in report.findings if f.rule == "unknown-api"] == ["tt.confirm does not exist on this platform"]


def test_component_relations_and_page_component_methods_do_not_throw(tmp_path):
    page = ("Page({ onLoad() { this.triggerEvent('x'); console.log(this.getRelationNodes('a').length, "
            "this.hasBehavior({})); } })")
    comp = ("Component({ lifetimes: { attached() { console.log('kids', this.getRelationNodes('../tab/index').length) } } })")
    path = _bundle(tmp_path / "b", {"pages/a/a": page},
                   extra={"comp/c.js": comp, "comp/c.json": '{"component": true}', "comp/c.ttml": "<view/>",
                          "pages/a/a.json": '{"usingComponents": {"c": "/comp/c"}}', "pages/a/a.ttml": "<c/>"})
    report = review(path, ReviewOptions(engine="native"))
    cov = report.runs[0].coverage
    assert cov.errors_app == 0 and cov.errors_sandbox == 0


def test_a_method_the_sandboxs_host_object_lacks_is_the_sandboxs_error(tmp_path):
    # `ctx.sendSecretBeacon` is not in the sandbox's model of VideoContext: the TypeError it gives is the
    # sandbox's (a device may have it); a probe of a missing name without a call is no error at all, and a bug of
    # the app's own (a null read) stays the app's
    page = ("Page({ onLoad() { const v = tt.createVideoContext('v');\n"
            "  if (v.notThere) v.notThere();\n"
            "  v.sendSecretBeacon({});\n"
            "} })")
    path = _bundle(tmp_path / "b", {"pages/a/a": page, "pages/b/b": "Page({ onLoad() { null.x } })"})
    for engine in ("native", "wasm"):
        cov = review(path, ReviewOptions(engine=engine, isolation="none")).runs[0].coverage
        causes = {c.cause: c.count for c in cov.error_causes}
        assert causes == {"unknown-api": 2, "app": 1}  # the entry page loads at both launches, page b at one
        assert cov.unknown_apis == ["VideoContext.sendSecretBeacon"]


def test_a_page_listed_twice_is_declared_once(tmp_path):
    path = _bundle(tmp_path / "b", {"pages/a/a": "Page({ go() {} })", "pages/b/b": "Page({ go() {} })"})
    (path / "app.json").write_text(json.dumps({"pages": ["pages/a/a", "pages/b/b", "pages/a/a"]}))
    cov = review(path, ReviewOptions(engine="native", isolation="none")).runs[0].coverage
    assert (cov.pages_visited, cov.pages_declared) == (2, 2)


def test_a_name_the_app_adds_to_the_platform_global_is_not_an_unknown_api(tmp_path):
    # webpack's chunk list: read before it is set, then the app's own (a TypeError on it is the app's bug)
    path = _bundle(tmp_path / "b", {"pages/a/a": "tt.webpackJsonp = tt.webpackJsonp || [];\n"
                                                 "Page({ onLoad() { console.log(typeof tt.getDeviceMagic)\n  tt.webpackJsonp.run() } })"})
    cov = review(path, ReviewOptions(engine="native")).runs[0].coverage
    assert cov.unknown_apis == ["getDeviceMagic"]  # a mere probe of a missing name is still one
    assert (cov.errors_app, cov.errors_sandbox) == (2, 0)  # once per launch


def test_pages_and_components_have_every_instance_method_of_the_platforms(tmp_path):
    from mpsandbox.review.coverage import INSTANCE_METHODS, INSTANCE_METHODS_MISSING

    names = json.dumps([n for n in INSTANCE_METHODS if n not in INSTANCE_METHODS_MISSING])
    check = f"const lacks = {names}.filter((n) => typeof this[n] !== 'function'); console.log('lacks', lacks.join());"
    page = "Page({ onLoad() { %s } })" % check
    comp = "Component({ lifetimes: { attached() { %s } } })" % check
    path = _bundle(tmp_path / "b", {"pages/a/a": page},
                   extra={"comp/c.js": comp, "comp/c.json": '{"component": true}', "comp/c.wxml": "<view/>",
                          "pages/a/a.json": '{"usingComponents": {"c": "/comp/c"}}', "pages/a/a.wxml": "<c/>"})
    (path / "pages/a/a.ttml").unlink()  # a WeChat bundle
    from mpsandbox.bundle import load_bundle
    from mpsandbox.runtime.sandbox import Sandbox

    with Sandbox(load_bundle(path, platform="wx"), engine="native") as sb:
        sb.launch()
        sb.run()
        lines = [e.text for e in sb.finish().of_kind("console")]
    assert lines == ["lacks ", "lacks "]


def test_an_instance_method_called_on_something_else_is_the_apps_error(tmp_path):
    # TDesign's address page: Toast({ context: this }) inside an API callback's plain function, where `this` is
    # no page: its selectComponent call fails there on the platform too
    page = ("Page({ onLoad() { tt.getSystemInfo({ success: function () { const ctx = this || {};"
            " ctx.selectComponent('#t-toast') } }) } })")
    report = review(_bundle(tmp_path / "b", {"pages/a/a": page}), ReviewOptions(engine="native"))
    causes = {c.cause: c for c in report.runs[0].coverage.error_causes}
    assert set(causes) == {"app"} and "not a function" in causes["app"].example
