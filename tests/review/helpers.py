"""Review small bundles built in memory by the loader: the walk, the audits and the verdict."""

from __future__ import annotations

import json
from html import escape

from mpsandbox.bundle import Bundle, bundle_from_files
from mpsandbox.bundle.loader import TEMPLATE_EXT, Platform
from mpsandbox.review.gather import gather
from mpsandbox.review.model import Report
from mpsandbox.review.policy import Policy, builtin_policy
from mpsandbox.review.runner import ReviewOptions, build_report


def fake(pages: dict[str, str], *, app_js: str = "App({})", app_json: dict | None = None,
         templates: dict[str, str] | None = None, extra: dict[str, str] | None = None,
         platform: Platform = "tt") -> Bundle:
    """A real bundle (built in memory by the loader): route -> page JS; ``templates``: route -> its template."""
    app = {"pages": list(pages), **(app_json or {})}
    sources = {"app.js": app_js, "app.json": json.dumps(app)}
    for route, src in pages.items():
        sources[route + ".js"] = src
    for route, tpl in (templates or {}).items():
        sources[route + TEMPLATE_EXT[platform]] = tpl
    sources.update(extra or {})
    return bundle_from_files(sources, platform, name="fake")


def review_fake(bundle: Bundle, *, policy: Policy | None = None, deny: bool = False,
                allow_domains: list[str] | None = None, engine: str = "native") -> Report:
    pol = (policy or builtin_policy({"tt": "douyin", "wx": "wechat", "my": "alipay"}[bundle.platform]))
    pol = pol.with_allow_domains(allow_domains or [])
    art = gather(bundle, pol, engine=engine, deny=deny)
    return build_report(art, pol, ReviewOptions(deny=deny))


def rules_of(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


def tap(handler: str, dataset: dict[str, str] | None = None) -> str:
    """An element of a template that binds ``handler`` to a tap (with ``data-`` attributes)."""
    data = "".join(f' data-{k}="{escape(v)}"' for k, v in (dataset or {}).items())
    return f'<view bindtap="{handler}"{data}>{handler}</view>'
