"""Self-testing for mini-program developers: drive pages, tap, mock the host, and assert on what happened.

    from mpsandbox.testing import MiniProgram

    with MiniProgram("dist/", mocks="mocks.toml") as mp:
        page = mp.launch("pages/menu/menu")
        page.tap("onAddToCart", id="3")
        assert page.data["cartCount"] == 1
        assert mp.calls("request")[-1].args[0]["url"].startswith("https://api.example.com/")
        mp.assert_no_errors()

With pytest, the plugin (installed with mpsandbox) provides the ``miniprogram`` fixture, a factory that closes what
it opened: ``mp = miniprogram("dist/")``; ``--mpsandbox-engine wasm`` runs the same tests on the wasm engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..apis.host import ApiHost
from ..apis.mocks import MockConfig, load_mock_file
from ..runtime.environment import Environment
from ..runtime.sandbox import RunLimits, Sandbox
from ..trace import ApiCallEvent, ErrorEvent, FlowEvent, Trace

if TYPE_CHECKING:
    from ..bundle import Bundle
    from ..bundle.loader import Platform

STEP_MS = 5_000  # virtual time each interaction may take to settle


class MiniProgramError(AssertionError):
    """An expectation about the mini-program failed; the message says what happened instead."""


def _mocks(value: Any) -> MockConfig | None:
    if value is None or isinstance(value, MockConfig):
        return value
    if isinstance(value, dict):
        return MockConfig.model_validate(value)
    return load_mock_file(value)


class Page:
    """The page on top of the stack when it was returned; its methods act on it while it stays on top."""

    def __init__(self, mp: "MiniProgram", route: str):
        self._mp = mp
        self.route = route

    def __repr__(self) -> str:
        return f"<Page {self.route}>"

    @property
    def data(self) -> dict[str, Any]:
        data = self._mp.sandbox.page_data(self.route)
        if data is None:
            raise MiniProgramError(f"page {self.route} has no data (is it still loaded?)")
        return data

    # ---- the rendered page --------------------------------------------------------------------------------------
    def _tree(self) -> Any:
        self._mp._on_top(self.route)
        return self._mp.sandbox.view_tree()

    def query(self, selector: str) -> "Element | None":
        """The first rendered element matching a CSS selector (tag, .class, #id, [attr=value], descendant and
        child combinators), or None."""
        tree = self._tree()
        el = tree.query(selector) if tree is not None else None
        return Element(self, el) if el is not None else None

    def query_all(self, selector: str) -> list["Element"]:
        tree = self._tree()
        return [Element(self, el) for el in tree.query_all(selector)] if tree is not None else []

    def render(self) -> str:
        """The rendered page as an indented text tree (for snapshot tests)."""
        tree = self._tree()
        return tree.pretty() if tree is not None else ""

    def tap(self, handler: str, *, component: str | None = None, detail: dict | None = None,
            event: str = "tap", open_type: str | None = None, **dataset: Any) -> "Page":
        """Tap the rendered element bound to ``handler`` for ``event`` (with ``dataset`` given: the one whose
        ``data-*`` values match) and let it settle. Tapping a handler that no element binds is an error that names
        the bound ones. A page without a template fires the handler by name (``dataset`` becomes
        ``event.currentTarget.dataset``)."""
        tree = self._tree()
        if tree is not None and component is None and open_type is None:
            bound = [el for el in tree.iter() if any(b.handler == handler and b.event.lower() == event.lower()
                                                     for b in el.bindings)]
            if not bound:
                names = sorted({f"{b.event}:{b.handler}" for el in tree.iter() for b in el.bindings
                                if isinstance(b.handler, str)})
                raise MiniProgramError(f"no element of {self.route} binds {event} to {handler!r}; bound: "
                                       f"{', '.join(names) or 'none'}")
            want = {k: str(v) for k, v in dataset.items()}
            match = [el for el in bound if all(str(el.dataset.get(k)) == v for k, v in want.items())]
            if not match:
                seen = [el.dataset for el in bound][:10]
                raise MiniProgramError(f"no element bound to {handler!r} has dataset {want}; they have: {seen}")
            return Element(self, match[0]).trigger(event, detail)
        kwargs: dict[str, Any] = dict(page=self.route, component=component, dataset=dataset, detail=detail,
                                      event_type=event)
        if open_type:
            kwargs["open_type"] = open_type
        self._mp.sandbox.tap(handler, **kwargs)
        self._mp.settle()
        user = [e for e in self._mp.trace.of_kind("user") if e.handler == handler]
        if user and not user[-1].found:
            raise MiniProgramError(f"{self.route} has no handler {handler!r}")
        return self

    def trigger(self, hook: str, *args: Any) -> "Page":
        self._mp.sandbox.trigger(hook, *args, page=self.route, gesture=hook != "onPageScroll")
        self._mp.settle()
        return self

    def pull_down(self) -> "Page":
        return self.trigger("onPullDownRefresh")

    def reach_bottom(self) -> "Page":
        return self.trigger("onReachBottom")

    def share(self) -> Any:
        """Trigger onShareAppMessage and return the payload the page returned (None when it returns nothing)."""
        before = len(self._mp.trace.events)
        self.trigger("onShareAppMessage", {"from": "menu"})
        notes = [e for e in self._mp.trace.events[before:] if e.kind == "note" and e.code == "share-payload"]
        return notes[-1].data if notes else None


class Element:
    """A rendered element of a page: read it, act on it as a user would."""

    def __init__(self, page: Page, el: Any):
        self._page = page
        self._el = el

    def __repr__(self) -> str:
        return f"<Element {self._el.tag} {self._el.attrs}>"

    @property
    def tag(self) -> str:
        return self._el.tag

    @property
    def text(self) -> str:
        return self._el.text

    @property
    def attrs(self) -> dict[str, Any]:
        return dict(self._el.attrs)

    @property
    def dataset(self) -> dict[str, Any]:
        return self._el.dataset

    def query(self, selector: str) -> "Element | None":
        el = self._el.query(selector)
        return Element(self._page, el) if el is not None else None

    def query_all(self, selector: str) -> list["Element"]:
        return [Element(self._page, el) for el in self._el.query_all(selector)]

    def trigger(self, event: str = "tap", detail: dict | None = None) -> Page:
        """Dispatch ``event`` from this element through the tree (capture, bubble, catch) and let it settle."""
        mp = self._page._mp
        mp._on_top(self._page.route)
        mp.sandbox.tap_element(self._el, event, detail)
        mp.settle()
        return self._page

    def tap(self) -> Page:
        return self.trigger("tap")

    def longpress(self) -> Page:
        return self.trigger("longpress")

    def input(self, text: str) -> Page:
        """Type ``text`` into an input or textarea (its ``input`` event, as the keyboard sends it)."""
        self._el.attrs["value"] = text
        return self.trigger("input", {"value": text, "cursor": len(text), "keyCode": 0})

    def change(self, value: Any) -> Page:
        """Choose ``value`` in a picker, switch, slider, checkbox-group... (its ``change`` event)."""
        return self.trigger("change", {"value": value})


class MiniProgram:
    """A bundle running in a sandbox, driven like a user would, with helpers to inspect what it did."""

    def __init__(self, bundle: Bundle | str | Path, *, platform: Platform | None = None, engine: str = "native", seed: int = 0,
                 mocks: MockConfig | dict | str | Path | None = None, limits: RunLimits | None = None,
                 allow_domains: list[str] | None = None, environment: Environment | None = None):
        if isinstance(bundle, (str, Path)):
            from ..bundle import load_bundle

            bundle = load_bundle(bundle, platform=platform)
        self.bundle = bundle
        self.mocks = _mocks(mocks)
        host = ApiHost.for_bundle(bundle, mocks=self.mocks, seed=seed, platform=platform,
                                  allowed_domains=allow_domains)
        self.sandbox = Sandbox(bundle, engine=engine, seed=seed, limits=limits, platform=platform, api_host=host,
                               environment=environment)
        self._launched = False

    # ---- lifecycle --------------------------------------------------------------------------------------------------
    def __enter__(self) -> "MiniProgram":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.sandbox.close()

    def settle(self, ms: int = STEP_MS) -> None:
        end = self.sandbox.run(until=self.sandbox.now + ms)
        if end is not None and end.reason not in ("idle", "stopped"):
            raise MiniProgramError(f"the run ended: {end.reason} ({end.detail})")

    def launch(self, page: str | None = None, **query: str) -> Page:
        self.sandbox.launch(page=page, query={k: str(v) for k, v in query.items()} if query else None)
        self._launched = True
        self.settle()
        return self.page

    def relaunch(self, page: str | None = None, **query: str) -> Page:
        """Quit the app and launch it again on the same device, as a user does the next day: storage and
        permission decisions are kept, pages, timers and requests in flight are gone. The time between the two
        launches does not count against the run's virtual-time limit."""
        sb = self.sandbox
        sb.limits = sb.limits.model_copy(update={"virtual_ms": sb.limits.virtual_ms + sb.environment.relaunch_gap_ms})
        sb.relaunch()
        return self.launch(page, **query)

    # ---- navigation -------------------------------------------------------------------------------------------------
    @property
    def page(self) -> Page:
        pages = self.sandbox.pages
        if not pages:
            raise MiniProgramError("no page is open")
        return Page(self, pages[-1])

    @property
    def pages(self) -> list[str]:
        return self.sandbox.pages

    def _on_top(self, route: str) -> None:
        if not self.sandbox.pages or self.sandbox.pages[-1] != route:
            top = self.sandbox.pages[-1] if self.sandbox.pages else "nothing"
            raise MiniProgramError(f"page {route} is not on top any more ({top} is); use mp.page")

    def navigate(self, url: str, op: str = "navigateTo") -> Page:
        if not self.sandbox.route(op, url if url.startswith("/") else "/" + url):
            nav = self.trace.of_kind("navigation")
            raise MiniProgramError(f"{op} {url} failed: {nav[-1].err_msg if nav else 'unknown'}")
        self.settle()
        return self.page

    def back(self, delta: int = 1) -> Page:
        self.sandbox.route("navigateBack", delta=delta)
        self.settle()
        return self.page

    def advance(self, ms: int) -> None:
        """Let virtual time pass: timers and API completions due until then run."""
        self.settle(ms)

    def memory_warning(self, level: int = 10) -> None:
        """The system warns of low memory (onMemoryWarning listeners run)."""
        self.sandbox.emit_api("onMemoryWarning", {"level": level}, 0)
        self.settle()

    def hide(self) -> None:
        self.sandbox.hide_app()
        self.settle()

    def show(self) -> None:
        self.sandbox.show_app()
        self.settle()

    # ---- mocking during a test -----------------------------------------------------------------------------------------
    def mock_api(self, api: str, *, result: dict[str, Any] | None = None, value: Any = None,
                 fail: str | None = None, latency_ms: int | None = None) -> "MiniProgram":
        """From now on ``api`` (its name on the platform or the Douyin name) answers ``result`` (merged into the
        default), returns ``value`` (sync APIs) or fails with ``fail`` (the errMsg detail)."""
        from ..apis.mocks import ApiMock

        host = self.sandbox.api_host
        apis = {**host.mocks.apis, api: ApiMock(result=result, value=value, fail=fail, latency_ms=latency_ms)}
        host.mocks = host.mocks.model_copy(update={"apis": apis})
        return self

    def mock_response(self, url: str, data: Any = None, *, status: int = 200, method: str = "*",
                      fail: str | None = None, times: int | None = None) -> "MiniProgram":
        """From now on network calls to ``url`` (a glob, or ``re:`` + a regex) answer ``data`` with ``status``; it
        takes precedence over earlier mocks for the same URL."""
        from ..apis.mocks import ResponseMock

        host = self.sandbox.api_host
        mock = ResponseMock(url=url, data={} if data is None else data, status=status, method=method, fail=fail,
                            times=times)
        host.mocks = host.mocks.model_copy(update={"responses": [mock, *host.mocks.responses]})
        host.response_uses = {i + 1: n for i, n in host.response_uses.items()}  # uses follow their mocks' places
        return self

    # ---- inspection -------------------------------------------------------------------------------------------------
    @property
    def trace(self) -> Trace:
        return self.sandbox.trace

    def calls(self, api: str | None = None) -> list[ApiCallEvent]:
        """API calls in order; ``api`` is the Douyin name or the name as the bundle wrote it."""
        return [e for e in self.trace.api_calls()
                if api is None or e.api == api or e.called_as.split(".", 1)[-1] == api]

    def errors(self) -> list[ErrorEvent]:
        return self.trace.of_kind("error")

    def console(self) -> list[str]:
        return [e.text for e in self.trace.of_kind("console")]

    def flows(self) -> list[FlowEvent]:
        return self.trace.of_kind("flow")

    @property
    def storage(self) -> dict[str, Any]:
        import json

        return {k: json.loads(v) for k, v in self.sandbox.api_host.storage.items()}

    def assert_no_errors(self) -> None:
        __tracebackhide__ = True
        errors = self.errors()
        if errors:
            lines = [f"{e.error} {e.name}: {e.message} at {e.stack[0] if e.stack else '?'}" for e in errors[:10]]
            raise MiniProgramError("the mini-program raised errors:\n  " + "\n  ".join(lines))

    def assert_called(self, api: str, times: int | None = None) -> list[ApiCallEvent]:
        __tracebackhide__ = True
        found = self.calls(api)
        if not found or (times is not None and len(found) != times):
            seen = sorted({e.called_as for e in self.calls()})
            raise MiniProgramError(f"expected {api} to be called {times if times is not None else 'at least once'}"
                                   f" time(s), got {len(found)}; calls seen: {', '.join(seen) or 'none'}")
        return found


__all__ = ["Element", "MiniProgram", "MiniProgramError", "Page"]
