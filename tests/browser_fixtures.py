"""Browser-test fixtures: the app served on a free local port, Debian's Chromium through Playwright.

Every request a page makes is recorded, and anything outside the app's origin is refused (the
intranet has no internet), so a test can assert that no page ever asks for a CDN. Every dialog
(``alert`` from an injected script) and every Content-Security-Policy violation is recorded too,
and ``browse`` fails the test on any.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class LiveServer:
    """A threaded werkzeug server of ``app`` on 127.0.0.1 and a free port.

    ``stop`` waits a few seconds for the requests in flight: a client (a browser closing its page)
    may still have some running, and a request finishing after the test's database engine was
    disposed hands its connection back to an orphaned pool, closed only by the garbage collector
    in a later test (setup.cfg names the warning such a late connection raises).

    A request counts as done when the app returns its response: Flask has run the view and its
    teardown by then, and the app streams no response, so no database work follows. Counting
    until the response iterable is closed left requests "running" for good: werkzeug's dev
    server skips ``close()`` when the client drops the connection mid-response (a page closed
    while its tiles load), and ``stop`` then waited its whole timeout.
    """

    def __init__(self, app):
        from werkzeug.serving import make_server
        self.busy, self.idle = 0, threading.Condition()
        self.server = make_server("127.0.0.1", 0, self._counted(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _counted(self, app):
        def wsgi(environ, start_response):
            with self.idle:
                self.busy += 1
            try:
                return app(environ, start_response)
            finally:
                with self.idle:
                    self.busy -= 1
                    self.idle.notify_all()
        return wsgi

    def stop(self, timeout: float = 5):
        self.server.shutdown()
        self.thread.join(5)
        with self.idle:
            self.idle.wait_for(lambda: self.busy == 0, timeout)
        self.server.server_close()


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium (installed by `make test`), never a browser downloaded by Playwright.

    Module-scoped: each test module imports these fixtures, and two Playwright instances
    cannot run at once; a module's browser closes before the next module's starts.
    """
    from playwright.sync_api import sync_playwright
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian chromium is not installed: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(loaded):
    server = LiveServer(loaded)
    yield server
    server.stop()


# Reports each CSP violation to the test (the event fires in the page, before any console message).
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", function (e) {
    window.sanigridViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                             e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});"""


class RecordedPage:
    """A page that records every request (refusing those outside ``origin``), dialog and CSP violation.

    ``bypass_csp=True`` opens it with the app's Content-Security-Policy switched off, so a test of
    escaping sees what an injected script would do without the policy's second line of defence.
    """

    def __init__(self, browser, origin: str, viewport=(1280, 800), bypass_csp: bool = False):
        self.origin = origin
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           locale="zh-CN", service_workers="block", bypass_csp=bypass_csp)
        self.context.route("**/*", self._route)
        self.context.expose_binding("sanigridViolation", lambda _source, text: self.violations.append(text))
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    @property
    def csp_problems(self) -> list[str]:
        """CSP violations, from the page's events and from the console (Chromium logs each one)."""
        return self.violations + [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.origin + "/") or url.startswith("data:") or url.startswith("blob:"):
            return route.continue_()
        self.outside.append(url)
        return route.abort("internetdisconnected")

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self):
        self.context.close()


@pytest.fixture
def served(demo):
    """The ``demo`` fixture's app (the test module brings it) on a live server; ``served.requests`` lists each request's path and query."""
    requests = []

    def recording(environ, start_response):
        requests.append(f"{environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')}")
        return demo(environ, start_response)

    server = LiveServer(recording)
    server.requests = requests
    yield server
    server.stop()


@pytest.fixture
def browse(chromium, live):
    """Open pages of the live app: ``browse("/")`` → RecordedPage after load; asserts no outside request."""
    opened = []

    def open_page(path: str, **kwargs) -> RecordedPage:
        recorded = RecordedPage(chromium, live.url, **kwargs)
        opened.append(recorded)
        recorded.page.goto(live.url + path)
        return recorded

    yield open_page
    for recorded in opened:
        outside = [u for u in recorded.requests if not u.startswith(live.url + "/") and not u.startswith("data:")]
        recorded.close()
        assert not outside, f"requests outside the app's origin: {outside}"
        assert not recorded.errors, f"script errors on the page: {recorded.errors}"
        assert not recorded.dialogs, f"a script opened a dialog: {recorded.dialogs}"
        assert not recorded.csp_problems, f"Content-Security-Policy violations: {recorded.csp_problems}"


@pytest.fixture
def staffed(loaded, engine, tmp_path):
    """The tiny city with grid 001 fully staffed and 002 with one cleaner (test_people_and_locate's file)."""
    from gis_app.imports import import_file
    from test_people_and_locate import people_csv
    import_file(engine, loaded.config, "people", people_csv(tmp_path))
    return loaded


def screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    """Return the page coordinates of a lon/lat on the viewer's map."""
    return page.evaluate("""([lon, lat]) => {
        const p = sanigrid.map.latLngToContainerPoint([lat, lon]);
        const box = sanigrid.map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", [lon, lat])


def move_edge_west_and_save(page, east_lon: float) -> None:
    """In the viewer's open reshape, pull every vertex east of ``east_lon`` back to it, save, wait for 已保存."""
    page.evaluate("""(east) => { const layer = sanigrid.editor._layer;
        const ring = layer.getLatLngs()[0].map(p => L.latLng(p.lat, Math.min(p.lng, east)));
        layer.setLatLngs([ring]); }""", east_lon)
    page.click("#sg-save")
    page.wait_for_function("() => !document.querySelector('#sg-save')")
    assert "已保存" in page.inner_text("#sg-messages"), page.inner_text("#sg-messages")
