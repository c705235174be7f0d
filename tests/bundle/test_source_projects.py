"""Source projects as developers keep them: npm folders, aliases, extended libraries, thousands of files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpsandbox.bundle import BundleError, load_bundle
from mpsandbox.bundle.resolve import EXTENDED_LIBS
from mpsandbox.testing import MiniProgram

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def _problems(bundle, code: str) -> list[str]:
    return [p.message for p in bundle.problems if p.code == code]


def test_extended_lib_components_are_known_only_when_enabled(tmp_path):
    page = {"usingComponents": {"mp-cell": "weui-miniprogram/cell/cell", "mp-nope": "weui-miniprogram/nope/nope"}}
    files = {"app.js": "App({})", "pages/a/a.js": "Page({})", "pages/a/a.json": json.dumps(page),
             "pages/a/a.wxml": "<mp-cell><view bindtap='go'>x</view></mp-cell><mp-nope/>"}
    on = _write(tmp_path / "on", {**files, "app.json": json.dumps({"pages": ["pages/a/a"],
                                                                   "useExtendedLib": {"weui": True}})})
    off = _write(tmp_path / "off", {**files, "app.json": json.dumps({"pages": ["pages/a/a"]})})
    enabled = _problems(load_bundle(on), "component-missing")
    assert len(enabled) == 1 and "nope" in enabled[0]  # only names the library really has
    assert len(_problems(load_bundle(off), "component-missing")) == 2
    assert load_bundle(on).bindings("pages/a/a")[0].handler == "go"  # slot content stays the page's
    assert {"cell", "cells", "dialog", "navigation-bar"} <= EXTENDED_LIBS["weui"][1]


def test_npm_components_resolve_up_the_folder_tree_and_through_aliases(tmp_path):
    comp = {"index.json": '{"component": true}', "index.js": "Component({})", "index.wxml": "<view/>"}
    files = {
        "app.js": "App({})",
        "app.json": json.dumps({"pages": ["pkg/pages/a/a"], "resolveAlias": {"@c/*": "shared/*"}}),
        "pkg/pages/a/a.js": "Page({})",
        "pkg/pages/a/a.json": json.dumps({"usingComponents": {"near": "near-ui/box", "far": "far-ui",
                                                              "aliased": "@c/card/card"}}),
        "pkg/pages/a/a.wxml": "<near/><far/><aliased/>",
        "shared/card/card.js": "Component({})",
    }
    for rel, text in comp.items():
        files[f"pkg/miniprogram_npm/near-ui/box/{rel}".replace("box/index", "box")] = text
        files[f"miniprogram_npm/far-ui/{rel}"] = text
    bundle = load_bundle(_write(tmp_path / "b", files))
    assert not _problems(bundle, "component-missing")
    assert [p.components for p in bundle.facts.pages] == [
        ["pkg/miniprogram_npm/near-ui/box", "miniprogram_npm/far-ui/index", "shared/card/card"]]


def test_alipay_reads_only_the_npm_packages_it_depends_on(tmp_path):
    files = {
        "app.js": "App({})", "app.json": json.dumps({"pages": ["pages/a/a"]}), "app.acss": "",
        "pages/a/a.js": "Page({})", "pages/a/a.axml": "<view/>",
        "package.json": json.dumps({"dependencies": {"ui-kit": "1", "@scope/util": "1"},
                                    "devDependencies": {"huge-tool": "1"}}),
        "node_modules/ui-kit/index.js": "module.exports = 1",
        "node_modules/@scope/util/index.js": "module.exports = 2",
        "node_modules/huge-tool/index.js": "module.exports = 3",
        "node_modules/ui-kit/node_modules/.bin/x": "binary",
    }
    bundle = load_bundle(_write(tmp_path / "b", files))
    npm = sorted(p for p in bundle.files if p.startswith("node_modules/"))
    assert npm == ["node_modules/@scope/util/index.js", "node_modules/ui-kit/index.js",
                   "node_modules/ui-kit/node_modules/.bin/x"]
    wechat = load_bundle(_write(tmp_path / "w", {**files, "app.wxss": "", "pages/a/a.wxml": "<view/>"}),
                         platform="wx")
    assert not [p for p in wechat.files if p.startswith("node_modules/")]  # WeChat builds miniprogram_npm
    (tmp_path / "b" / "package.json").unlink()  # node_modules copied in by hand: read whole
    assert len([p for p in load_bundle(tmp_path / "b").files if p.startswith("node_modules/")]) == 4


def _alipay_project_with_npm_above_the_root(root: Path) -> Path:
    page = """Page({ onLoad() {
      this.setData({ got: [require('outer-lib').name, require('inner-lib').name, require('both-lib').name,
                           require('@scope/deep').name].join() });
    } })"""
    return _write(root, {
        "mini.project.json": json.dumps({"miniprogramRoot": "./client"}),
        "package.json": json.dumps({"dependencies": {"outer-lib": "1", "both-lib": "1", "@scope/deep": "1"}}),
        "node_modules/outer-lib/index.js": "module.exports = { name: require('./name') }",
        "node_modules/outer-lib/name.js": "module.exports = 'outer'",
        "node_modules/both-lib/index.js": "module.exports = { name: 'project root' }",
        "node_modules/@scope/deep/index.js": "module.exports = { name: 'scoped' }",
        "node_modules/unlisted/index.js": "module.exports = { name: 'not a dependency' }",
        "client/package.json": json.dumps({"dependencies": {"inner-lib": "1", "both-lib": "1"}}),
        "client/node_modules/inner-lib/index.js": "module.exports = { name: 'inner' }",
        "client/node_modules/both-lib/index.js": "module.exports = { name: 'nearest' }",
        "client/app.js": "App({})", "client/app.json": json.dumps({"pages": ["pages/a/a"]}), "client/app.acss": "",
        "client/pages/a/a.js": page, "client/pages/a/a.axml": "<view>{{got}}</view>",
    })


def test_alipay_npm_packages_above_the_miniprogram_root_resolve_up_to_the_project(tmp_path, engine_name):
    root = _alipay_project_with_npm_above_the_root(tmp_path / "p")
    bundle = load_bundle(root)
    packages = sorted({"/".join(p.split("/")[1:3]) if p.split("/")[1].startswith("@") else p.split("/")[1]
                       for p in bundle.files if p.startswith("node_modules/")})
    assert packages == ["@scope/deep", "both-lib", "inner-lib", "outer-lib"]  # dependencies only, nothing above
    with MiniProgram(root, engine=engine_name) as mp:
        assert mp.launch().data["got"] == "outer,inner,nearest,scoped"  # the nearest node_modules wins
        mp.assert_no_errors()


def test_npm_lookup_never_leaves_the_bundle(tmp_path):
    outside = _alipay_project_with_npm_above_the_root(tmp_path / "p")
    bundle = load_bundle(outside / "client")  # the project's node_modules is above the bundle: not read
    assert sorted({p.split("/")[1] for p in bundle.files if p.startswith("node_modules/")}) == ["both-lib",
                                                                                               "inner-lib"]
    (outside / "mini.project.json").write_text(json.dumps({"miniprogramRoot": "../client"}), encoding="utf-8")
    with pytest.raises(BundleError):  # a root outside the project is refused, never followed
        load_bundle(outside)


def test_a_bundle_of_twenty_thousand_files_loads(tmp_path):
    root = _write(tmp_path / "big", {"app.js": "App({})", "app.json": json.dumps({"pages": ["pages/a/a"]}),
                                     "pages/a/a.js": "Page({})", "pages/a/a.wxml": "<view/>"})
    for folder in range(20):
        d = root / "assets" / f"f{folder:02d}"
        d.mkdir(parents=True)
        for i in range(996):
            (d / f"{i:03d}.txt").write_bytes(b"x")
    bundle = load_bundle(root)
    assert len(bundle.files) == 4 + 20 * 996 == 19_924
    (root / "assets" / "f00" / "extra").mkdir()
    for i in range(80):
        (root / "assets" / "f00" / "extra" / f"{i}.txt").write_bytes(b"")
    with pytest.raises(BundleError) as info:  # 20,004 files: past the cap, refused whatever their size
        load_bundle(root)
    assert info.value.code == "too-many-entries"


def test_esm_fixture_runs_with_live_bindings_and_npm(engine_name):
    with MiniProgram(FIXTURES / "wechat-esm-notes", engine=engine_name) as mp:
        page = mp.launch()
        page.tap("onAdd").tap("onAdd")
        assert page.data["count"] == 2 and page.data["tags"] == "all idea"
        assert [n["text"] for n in page.data["list"]] == ["#2 Note 2 #idea", "#1 Note 1 #idea"]
        note = mp.navigate("/pages/note/note?id=2")
        assert note.data["text"] == "Note 2 #idea" and note.data["remaining"] == 140 - len("Note 2 #idea")
        note.tap("onShareTitle")
        assert note.data["title"] == "2 notes"
        mp.assert_no_errors()


def test_alipay_fixture_runs_its_npm_modules(engine_name):
    with MiniProgram(FIXTURES / "alipay-npm-notes", engine=engine_name) as mp:
        page = mp.launch()
        page.tap("onAdd")
        assert page.data["notes"] == [{"id": 1, "label": "001 blue"}]
        mp.assert_no_errors()


TS_PAGE = """import type { Card } from '../../utils/types';
import { type Level, fmt } from '../../utils/fmt';

interface PageData { count: number; label?: string }
type Handler = (e: any) => void;
enum Tier { Free, Pro = 5, Max }
const enum Mode { On = 'on' }
declare const __DEV__: boolean;

abstract class Base<T> implements Card {
  protected abstract name(): string;
  constructor(private readonly start: number, public tag?: string) {}
  total!: number;
  processInstance?(instance: Card, deltaTime: number): void;
  bump<U extends number>(n: U): number { return this.start + (n as number); }
}
class Counter extends Base<number> {
  name(): string { return 'counter'; }
}

Page({
  data: { count: 0 } as PageData,
  onLoad(this: any, q: Record<string, string>): void {
    const c = new Counter(40, 'x');
    const lvl: Level = 'high';
    this.setData({ count: c.bump<number>(2), label: fmt(lvl)!, tier: Tier[Tier.Max], max: Tier.Max,
                   mode: Mode.On, tag: c.tag });
  },
  onTap(e: WechatMiniprogram.TouchEvent): void {
    const h: Handler = () => this.setData({ count: (this.data as PageData).count + 1 });
    h(e);
  },
});
"""


def test_typescript_projects_run_as_the_developer_tools_compile_them(tmp_path, engine_name):
    # a TypeScript project (Douyin/WeChat templates): only .ts files, compiled by the tools to .js line for line
    root = _write(tmp_path / "ts", {
        "app.json": json.dumps({"pages": ["pages/index/index"]}),
        "app.ts": "App<IAppOption>({ globalData: {} as Record<string, unknown> });",
        "typings/index.d.ts": "interface IAppOption { globalData: object }",
        "utils/types.ts": "export interface Card { total: number }",
        "utils/fmt.ts": "export type Level = 'low' | 'high';\nexport function fmt(l: Level): string { return `L:${l}`; }",
        "pages/index/index.ts": TS_PAGE,
        "pages/index/index.ttml": "<view bindtap='onTap'>{{count}}</view>",
    })
    bundle = load_bundle(root)
    assert {"app.js", "pages/index/index.js", "utils/fmt.js"} <= set(bundle.files)
    assert "typings/index.js" not in bundle.files
    js = bundle.read_text("pages/index/index.js")
    assert js.count("\n") == TS_PAGE.count("\n") and "interface" not in js
    with MiniProgram(root, engine=engine_name) as mp:
        page = mp.launch()
        assert page.data["count"] == 42 and page.data["label"] == "L:high"
        assert (page.data["tier"], page.data["max"], page.data["mode"], page.data["tag"]) == ("Max", 6, "on", "x")
        page.tap("onTap")
        assert page.data["count"] == 43
        mp.assert_no_errors()


TEMPLATED_PAGE = ('<template name="node"><card item="{{i}}"/></template>'
                  '<template is="node" data="{{i: first}}"/><card item="{{first}}"/>')


def test_a_component_defined_in_a_named_template_has_no_static_instance():
    # Taro's base templates hold every component an app may use, each made only where a <template is> renders it
    # with its data: created statically, without it, they threw in their lifetimes (2,300 errors on a Taro app)
    from mpsandbox.bundle import bundle_from_files

    files = {"app.json": json.dumps({"pages": ["pages/p/p"]}), "app.js": "App({})",
             "pages/p/p.js": "Page({})", "pages/p/p.json": '{"usingComponents": {"card": "/comp/card"}}',
             "pages/p/p.wxml": TEMPLATED_PAGE,
             "comp/card.js": "Component({})", "comp/card.json": '{"component": true}', "comp/card.wxml": "<view/>"}
    bundle = bundle_from_files(files, "wx")
    assert len(bundle.component_usages("pages/p/p")) == 1  # the <card> outside the definition


def test_a_named_template_in_compiled_code_marks_its_tags():
    from mpsandbox.bundle.gwx import scan_gwx
    from tests.view.wcc_oracle import compile_with_wcc, compiler_dir

    if compiler_dir() is None:
        pytest.skip("miniprogram-compiler not installed")
    facts = scan_gwx(compile_with_wcc({"pages/p/p.wxml": TEMPLATED_PAGE}))["pages/p/p.wxml"]
    cards = [t for t in facts.tags if t.tag == "card"]
    assert [t.in_template for t in cards] == [True, False]


def test_an_include_made_in_compiled_render_code_is_followed():
    # this wcc writes an include as _ic(x[34],e_,x[33],...) with x[34] = './input.wxml' (relative to the file)
    # and leaves the file's ic list empty: vant's field lost its input's handlers in the compiled form
    from mpsandbox.bundle.gwx import scan_gwx
    from tests.view.wcc_oracle import compile_with_wcc, compiler_dir

    if compiler_dir() is None:
        pytest.skip("miniprogram-compiler not installed")
    facts = scan_gwx(compile_with_wcc({"comp/field/index.wxml": '<view><include src="./input.wxml"/></view>',
                                       "comp/field/input.wxml": '<input bindinput="onInput"/>'}))
    assert "/comp/field/input.wxml" in facts["comp/field/index.wxml"].includes
    assert [b.handler for t in facts["comp/field/input.wxml"].tags for b in t.bindings] == ["onInput"]


def test_pack_options_ignore_leaves_files_out_of_the_package_measures():
    from mpsandbox.bundle import bundle_from_files
    from mpsandbox.bundle.loader import pack_ignored
    from mpsandbox.bundle.config import ProjectConfig

    big = "x" * 300_000
    rules = [{"type": "folder", "value": "docs"}, {"type": "suffix", "value": ".MAP"},
             {"type": "file", "value": "./typings/wx.d.ts"}, {"type": "prefix", "value": "test-"},
             {"type": "regexp", "value": "\\.psd$"}, {"type": "glob", "value": "raw/**/*.bin"}]
    files = {"app.json": json.dumps({"pages": ["pages/p/p"]}), "app.js": "App({})", "pages/p/p.js": "Page({})",
             "project.config.json": json.dumps({"packOptions": {"ignore": rules}}),
             "docs/guide.md": big, "app.js.map": big, "typings/wx.d.ts": big, "utils/test-data.js": big,
             "assets/a.psd": big, "raw/x/y.bin": big, "assets/kept.png": big}
    bundle = bundle_from_files(files, "tt")  # Douyin: no suffix list, only the rules leave files out
    unpacked = sorted(f.path for f in bundle.facts.files if not f.packed)
    assert unpacked == ["app.js.map", "assets/a.psd", "docs/guide.md", "raw/x/y.bin", "typings/wx.d.ts",
                        "utils/test-data.js"]
    assert 300_000 <= bundle.facts.main_size < 320_000  # only assets/kept.png of the big files
    assert not pack_ignored(ProjectConfig.model_validate({}))("anything.map")


def test_wechat_uploads_only_the_documented_file_types():
    from mpsandbox.bundle import bundle_from_files

    big = "x" * 300_000
    files = {"app.json": json.dumps({"pages": ["pages/p/p"]}), "app.js": "App({})", "pages/p/p.ts": "Page({})",
             "pages/p/p.wxml": "<view/>", "typings/wx.d.ts": big, "app.js.map": big, "README.md": big,
             "styles/theme.less": big, "assets/Logo.PNG": big, "utils/big.js": big}
    wx = bundle_from_files(files, "wx")
    assert sorted(f.path for f in wx.facts.files if not f.packed) == [
        "README.md", "app.js.map", "pages/p/p.ts", "styles/theme.less", "typings/wx.d.ts"]
    assert {f.path for f in wx.facts.files if f.packed} >= {"pages/p/p.js", "assets/Logo.PNG", "utils/big.js"}
    assert 600_000 <= wx.facts.main_size < 620_000
    # the same files on Douyin: no documented list, so only the TypeScript sources and declarations stay behind
    tt = bundle_from_files(files, "tt")
    assert sorted(f.path for f in tt.facts.files if not f.packed) == ["pages/p/p.ts", "typings/wx.d.ts"]
