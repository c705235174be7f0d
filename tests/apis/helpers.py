"""Run a snippet of bundle code on a platform, as a tap or at load, with mocks; return what it logged and did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mpsandbox.apis.mocks import MockConfig
from mpsandbox.runtime.sandbox import Sandbox
from mpsandbox.trace import Trace

from mpsandbox.bundle import bundle_from_files

G = {"tt": "tt", "wx": "wx", "my": "my"}


@dataclass
class Run:
    trace: Trace
    logs: list[str]
    storage: dict[str, Any]

    def flows(self) -> list[Any]:
        return self.trace.of_kind("flow")

    def permissions(self) -> list[Any]:
        return self.trace.of_kind("permission")


def run_js(body: str, *, platform: str = "tt", tap: bool = True, mocks: dict | None = None,
           app: dict | None = None, allowed_domains: list[str] | None = None, advance_ms: int = 120_000,
           engine: str = "native") -> Run:
    """``body`` runs in a tap handler (or onLoad), with ``g`` bound to the platform global and ``log`` to console.log
    of JSON."""
    js = ("const g = " + G[platform] + "; const log = (...a) => console.log(a.map((x) => typeof x === 'string' ? x : "
          "x === undefined ? 'undefined' : JSON.stringify(x)).join(' '));\n"
          "Page({\n  go() {\n" + (body if tap else "") + "\n  },\n  onLoad() {\n" + ("" if tap else body) + "\n  },\n});\n")
    app_json = {"pages": ["pages/p/p"], **(app or {})}
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps(app_json), "pages/p/p.js": js}, platform=platform)
    with Sandbox(bundle, engine=engine, mocks=MockConfig.model_validate(mocks or {}),
                 allowed_domains=allowed_domains) as sb:
        sb.launch()
        sb.run(until=sb.now + 1000)
        if tap:
            sb.tap("go")
        sb.run(until=sb.now + advance_ms)
        trace = sb.stop()
        storage = {k: json.loads(v) for k, v in sb.api_host.storage.items()}
    logs = [e.text for e in trace.of_kind("console")]
    return Run(trace, logs, storage)


def run_share(page_js: str, app: dict | None = None, engine: str = "native") -> Trace:
    """Launch a one-page bundle, tap ``go``, then share the page (onShareAppMessage from the menu)."""
    app_json = {"pages": ["pages/p/p"], **(app or {})}
    bundle = bundle_from_files({"app.js": "App({})", "app.json": json.dumps(app_json), "pages/p/p.js": page_js}, platform="tt")
    with Sandbox(bundle, engine=engine) as sb:
        sb.launch()
        sb.run()
        sb.tap("go")
        sb.run()
        sb.trigger("onShareAppMessage", {"from": "menu"})
        return sb.finish()
