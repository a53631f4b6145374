"""Fixtures for the browser tests: a real Voila server, headless Chromium, a watched page.

* ``voila_server`` (session): ``cpmkit.serving.server.running_voila`` (``cpmkit serve``'s Voila) as a
  subprocess on a free 127.0.0.1 port, with its own fresh SQLite store holding the owner
  accounts in ``ACCOUNTS``; stopped (kernels included) at the end of the session.
* ``browser`` (session): Debian's Chromium driven by Playwright. Playwright never downloads
  a browser here. Missing Chromium skips the tests, except in CI (``CI=true``), where it fails.
* ``web`` (per test): a fresh browser context, signed in as the admin PM ``pm``, and a page whose every request is routed:
  127.0.0.1/localhost, ``data:`` and ``blob:`` go through, anything else is aborted and
  recorded (WebSockets to other hosts are recorded, and fail to resolve). Console errors,
  uncaught page errors and dialogs (``alert`` and friends: a dialog means injected script
  ran) are recorded too. Each test ends with a full-page screenshot in its temporary folder.
* ``more_web`` (per test): ``more_web("name")`` gives another such page in a context of its
  own, not signed in (a participant, an outsider), for tests where several people use the
  app at once; ``more_web("name", sign_in="pm2")`` signs it in as that owner, and other
  keywords go to the browser context (``bypass_csp=True``).
* ``server_store``: the server's store opened from the test process, to check what was saved.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cpmkit.accounts.store import AccountStore
from cpmkit.cli import serve_env
from cpmkit.db.database import Store
from cpmkit.errors import CpmkitError
from cpmkit.serving.server import VoilaServer, running_voila
from cpmkit.stakeholders.store import StakeholderStore
from tests._repository import REPO_NOTEBOOKS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Belt and braces behind the request routing: no host name but localhost resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

#: Milliseconds for a page to show its built app (a kernel starts per page: ~4 s, slower on CI).
APP_READY_TIMEOUT_MS = 90_000
#: Milliseconds for any other Playwright wait or ``expect``.
UI_TIMEOUT_MS = 30_000
#: Seconds after which a server shuts down a kernel with no page connected. Not much shorter:
#: a page still loading on a busy machine has run its notebook but not yet connected, and a
#: kernel culled then leaves the page blank (three pages opening at once on CI took over 3 s).
CULL_AFTER = 30
#: Seconds ``wait_until`` polls the store for a saved value.
SAVE_TIMEOUT = 30

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

#: The owner accounts of every test server (username: admin?); ``web`` signs in as ``pm``.
ACCOUNTS = {"pm": True, "pm2": False, "pm3": False}
PASSWORD = "browser tests only"

#: The impacts of an axe-core violation that fail a test (the others: moderate, minor).
AXE_GRAVE = {"serious", "critical"}
#: Where the README's screenshots live.
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


#: Without the test extra (Playwright), the browser tests are not collected, except in CI, where
#: their import fails the run: the browser tests must run there.
_NO_PLAYWRIGHT = importlib.util.find_spec("playwright") is None and not _in_ci()
collect_ignore_glob = ["test_*.py"] if _NO_PLAYWRIGHT else []


def pytest_report_header() -> str | None:
    """Say why the browser tests did not run, where they did not."""
    return (
        "browser tests not collected: Playwright is not installed (pip install -e '.[test]')"
        if _NO_PLAYWRIGHT
        else None
    )


def _missing_browser(reason: str) -> None:
    """Fail in CI (the browser tests must run there), skip elsewhere."""
    if _in_ci():
        pytest.fail(f"{reason} CI must run the browser tests: run `make test`, which installs it.", pytrace=False)
    pytest.skip(f"{reason} Install Debian's chromium package (or run `make test`) to run the browser tests.")


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine (or inside the page: data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


# =========================================================================================
# The Voila server
# =========================================================================================


@contextmanager
def serving(
    tmp_path_factory: pytest.TempPathFactory, *, cull_after: int = CULL_AFTER, **options: Any
) -> Iterator[VoilaServer]:
    """``cpmkit serve``'s Voila on a free port with a fresh SQLite store; ``options`` go to
    ``running_voila`` (``preheat=1``, say)."""
    from cpmkit.serving.offline import chart_bundle

    chart_bundle()  # as `cpmkit serve` does: build (or reuse) the cached chart library first
    base = tmp_path_factory.mktemp("voila")
    env = serve_env(
        {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{base / 'store.sqlite3'}", "CPMKIT_DATA_DIR": str(base)}
    )
    store = Store.open(env["CPMKIT_DB_URL"])
    try:
        for name, admin in ACCOUNTS.items():
            AccountStore(store).add_user(name, PASSWORD, admin=admin)
    finally:
        store.close()
    try:
        with running_voila(
            REPO_NOTEBOOKS, env=env, log_file=base / "voila.log", cull_after=cull_after, **options
        ) as server:
            yield server
    except CpmkitError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """The session's server (data and cache folders left as they are)."""
    with serving(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """``with start_server(preheat=1) as server:`` for a module that needs its own server
    (``cull_after=`` too)."""
    return functools.partial(serving, tmp_path_factory)


@pytest.fixture
def server_store(voila_server: VoilaServer) -> Iterator[Store]:
    """The server's store, opened from the test process; closed after the test."""
    store = Store.open(voila_server.store_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def server_stakeholders(server_store: Store) -> StakeholderStore:
    """Workbook 1's repository on the server's store, to seed and check stakeholders."""
    return StakeholderStore(server_store)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """``unique("Project")`` -> a name no other test uses (the tests share one store)."""
    return lambda prefix: f"{prefix} {uuid.uuid4().hex[:6]}"


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """``wait_until(check, what=...)``: poll ``check`` until truthy (see ``_wait_until``)."""
    return _wait_until


def _wait_until(
    check: Callable[[], Any],
    *,
    timeout: float = SAVE_TIMEOUT,
    what: str = "condition",
    show: Callable[[], Any] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout`` s.

    ``show()``, if given, is called on timeout and its result put in the failure message.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    seen = show() if show is not None else last
    pytest.fail(f"timed out after {timeout} s waiting for {what} (saw: {seen!r})", pytrace=False)


# =========================================================================================
# The browser and a watched page
# =========================================================================================


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing_browser("Playwright is not installed (pip install -e '.[test]').")
    if not CHROMIUM.is_file():
        _missing_browser(f"{CHROMIUM} is missing.")
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Web:
    """One test's page plus what it tried to do that a test must see."""

    page: Any
    server: VoilaServer
    screenshot_dir: Path
    name: str
    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def sign_in(self, username: str) -> None:
        """Sign this page's browser in as ``username`` (one of ``ACCOUNTS``) through the sign-in
        form, without opening a workbook (no kernel starts)."""
        cookies = self.server.session_cookies(username, PASSWORD)
        self.page.context.add_cookies(
            [{"name": k, "value": v, "url": self.server.base_url} for k, v in cookies.items()]
        )

    def open(self, notebook: str, **query: Any) -> Any:
        """Go to a notebook's Voila page and wait until its app is built."""
        self.page.goto(self.server.url(notebook, **query), wait_until="domcontentloaded")
        return self.wait_ready()

    def wait_ready(self) -> Any:
        """Wait for the app root (``.cpmkit-ready``), which the app marks once built."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        app = self.page.locator(".cpmkit-app.cpmkit-ready")
        try:
            app.wait_for(state="visible", timeout=APP_READY_TIMEOUT_MS)
        except PlaywrightTimeout:
            shown = self.page.locator("body").inner_text()[-600:]
            pytest.fail(
                f"{self.page.url} showed no app within {APP_READY_TIMEOUT_MS // 1000} s; the page ended with {shown!r}.\n"
                f"Voila's log ends:\n{self.server.log_tail(40)}",
                pytrace=False,
            )
        return app

    def reload(self) -> Any:
        """Reload the page (a new kernel reads everything back from the store)."""
        self.page.reload(wait_until="domcontentloaded")
        return self.wait_ready()

    def screenshot(self, name: str | None = None, *, readme: str | None = None, height: int = 6900) -> Path:
        """A full-page screenshot, at most ``height`` pixels tall, in the test's folder;
        ``readme="x.png"`` also writes docs/screenshots/x.png."""
        path = self.screenshot_dir / f"{name or self.name}.png"
        # Voila's lab template scrolls inside #rendered_cells, not the document, so a plain
        # full-page screenshot stops at the window: grow the window to the content first.
        viewport = self.page.viewport_size
        extra = self.page.evaluate(
            """() => Math.max(0, ...[...document.querySelectorAll('*')]
                 .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
                 .map(e => e.scrollHeight - e.clientHeight))"""
        )
        if extra > 0:
            self.page.set_viewport_size(
                {"width": viewport["width"], "height": min(viewport["height"] + int(extra), height)}
            )
            self.page.wait_for_timeout(200)  # let the widgets lay themselves out again
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            if extra > 0:
                self.page.set_viewport_size(viewport)
        if readme:
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SCREENSHOTS / readme)
        return path

    def assert_accessible(self) -> None:
        """axe-core (the npm package's build, bundled by axe-playwright-python: no download) finds
        no serious or critical violation of WCAG on the page as it is shown now."""
        from axe_playwright_python.base import AXE_SCRIPT

        self.page.evaluate(AXE_SCRIPT)
        found = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
        grave = [
            f"{v['id']} ({v['impact']}): {v['help']}, at "
            + "; ".join(f"{' '.join(n['target'])} {n['html'][:120]!r}" for n in v["nodes"][:5])
            for v in found
            if v["impact"] in AXE_GRAVE
        ]
        assert grave == [], f"{self.page.url} at {self.page.viewport_size['width']} px:\n" + "\n".join(grave)

    def assert_clean(self) -> None:
        """No request left localhost, no dialog opened, nothing logged as an error."""
        assert self.blocked_requests == [], f"requests that tried to leave localhost: {self.blocked_requests}"
        assert self.dialogs == [], f"dialogs opened (injected script ran?): {self.dialogs}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


def watched(browser: Any, server: VoilaServer, screenshot_dir: Path, name: str, **options: Any) -> tuple[Any, Web]:
    """A fresh browser context and a ``Web`` on its one page, every request routed and
    recorded (see the module docstring); ``options`` go to the context (``viewport=`` replaces
    the 1280x900 one). The caller closes it."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "service_workers": "block", **options})
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.set_default_navigation_timeout(APP_READY_TIMEOUT_MS)
    web = Web(page=None, server=server, screenshot_dir=screenshot_dir, name=name)

    def route(route: Any) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            web.blocked_requests.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    # WebSockets are not routed: registering context.route_web_socket (even for other hosts
    # only) puts Playwright's WebSocket shim in the page, which loses widget updates (typed
    # text reached the kernel cut short). They are recorded instead, and Chromium's host
    # resolver (CHROMIUM_ARGS) refuses every name but localhost.
    page = context.new_page()
    page.on("websocket", lambda socket: None if is_local(socket.url) else web.blocked_requests.append(socket.url))

    def on_console(message: Any) -> None:
        if message.type == "error":
            web.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: web.console_errors.append(f"uncaught: {error}"))

    def on_dialog(dialog: Any) -> None:
        web.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    web.page = page
    return context, web


def _close(context: Any, web: Web) -> None:
    """Every page leaves a full-page screenshot, failed or not, then its context closes.

    The page sends its shutdown beacon as the context closes, so its kernel stops at once.
    """
    with suppress(Exception):  # a page that broke must not hide the test's own failure
        web.screenshot(f"{web.name}-end")
    context.close()


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture
def web(browser: Any, voila_server: VoilaServer, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Web]:
    """The test's watched page, in a fresh browser context signed in as the admin PM ``pm``."""
    context, web = watched(browser, voila_server, tmp_path, _test_name(request))
    try:
        web.sign_in("pm")
        yield web
    finally:
        _close(context, web)


@pytest.fixture
def more_web(
    browser: Any, voila_server: VoilaServer, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Web]]:
    """``more_web("participant1")``: another watched page in a context of its own (another
    person), closed with the test."""
    with ExitStack() as stack:

        def make(label: str, *, sign_in: str | None = None, **options: Any) -> Web:
            context, web = watched(browser, voila_server, tmp_path, f"{_test_name(request)}-{label}", **options)
            stack.callback(_close, context, web)
            if sign_in is not None:
                web.sign_in(sign_in)
            return web

        yield make
