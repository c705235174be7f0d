"""Review small in-memory bundles: the walk, the audits and the verdict, without the loader."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from mpsandbox.review.gather import gather
from mpsandbox.review.model import Report
from mpsandbox.review.policy import Policy, builtin_policy
from mpsandbox.review.runner import ReviewOptions, build_report

from ..runtime.fakebundle import FakeBundle


class FactsBundle(FakeBundle):
    """A FakeBundle with the static facts the review reads: sizes, pages and template bindings."""

    def __init__(self, sources: dict[str, str], bindings: dict[str, list[dict]] | None = None, **kw: Any):
        super().__init__(sources, **kw)
        self.problems: list[Any] = []
        files = [SimpleNamespace(path=p, size=f.size, sha256=f.sha256, package="main") for p, f in self.files.items()]
        self.facts = SimpleNamespace(
            files=files,
            main_size=sum(f.size for f in files),
            subpackage_sizes={},
            total_size=sum(f.size for f in files),
            pages=[SimpleNamespace(route=p.route, exists=True, bindings=(bindings or {}).get(p.route, []))
                   for p in self.pages],
        )
        app = json.loads(sources.get("app.json", "{}"))
        self.app = SimpleNamespace(permission=app.get("permission", {}),
                                   required_private_infos=app.get("requiredPrivateInfos", []))


def fake(pages: dict[str, str], *, app_js: str = "App({})", app_json: dict | None = None,
         bindings: dict[str, list[dict]] | None = None, extra: dict[str, str] | None = None,
         platform: str = "tt") -> FactsBundle:
    app = {"pages": list(pages), **(app_json or {})}
    sources = {"app.js": app_js, "app.json": json.dumps(app)}
    for route, src in pages.items():
        sources[route + ".js"] = src
    sources.update(extra or {})
    return FactsBundle(sources, bindings=bindings, platform=platform)


def review_fake(bundle: FactsBundle, *, policy: Policy | None = None, deny: bool = False,
                allow_domains: list[str] | None = None, engine: str = "native") -> Report:
    pol = (policy or builtin_policy({"tt": "douyin", "wx": "wechat", "my": "alipay"}[bundle.platform]))
    pol = pol.with_allow_domains(allow_domains or [])
    art = gather(bundle, pol, engine=engine, deny=deny)
    return build_report(art, pol, ReviewOptions(deny=deny))


def rules_of(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


def tap(handler: str, **kw: Any) -> dict:
    return {"handler": handler, "event": "tap", **kw}
