"""The server's gate (cpmkit.serving.web_gate) against a real ``cpmkit serve`` Voila, at the HTTP and
websocket level: what an outsider, a link holder and a second PM can reach, and what starts
a kernel. The pages these open are checked in a browser in tests/browser/test_access.py."""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import http.cookies
import json
import os
import re
import resource
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psutil
import pytest
import websocket

from cpmkit.accounts.store import AccountStore
from cpmkit.cli import serve_env
from cpmkit.config import templates_dir
from cpmkit.core import content
from cpmkit.core.capacity import FORKED_KERNEL_BUDGET_BYTES, KERNEL_BUDGET_BYTES
from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.serving.kernel_count import KERNEL_COUNT_ENV
from cpmkit.serving.offline import served_library
from cpmkit.serving.server import VoilaServer, running_voila
from cpmkit.serving.web_gate import CONTENT_SECURITY_POLICY, Gate, GateLimits, cookie_secret, default_max_kernels
from cpmkit.soft_skills.store import AssessmentStore
from tests._repository import REPO_NOTEBOOKS

PASSWORD = "correct horse battery"
MAX_KERNELS = 3
#: This module's server shuts down, after this many seconds, a page's kernel nobody connected to.
UNCONNECTED = 20
#: This module's server lets one address open one pulse link this often an hour (60 in templates/).
OPENS_PER_LINK = MAX_KERNELS
OWNER_PAGES = [
    "index.ipynb",
    "01_stakeholder_value.ipynb",
    "02_soft_skills.ipynb",
    "02_workshop_trainer.ipynb",
    "03_expectation_gap.ipynb",
    "04_lessons_learned.ipynb",
]
#: Seconds for a kernel a page started to be gone after its beacon.
SHUTDOWN_TIMEOUT = 20
#: The room server's limits: pages one browser, and one address, may open in a minute, and
#: failed sign-ins from one address in 5 minutes (below the 5 per username).
ROOM_STARTS_PER_BROWSER = 1
ROOM_STARTS_PER_ADDRESS = 2
ROOM_SIGN_INS_PER_ADDRESS = 4
#: The open-files soft limit the room server is started with: a common service default.
SERVICE_OPEN_FILES = 1024
#: Every link parameter of every page (templates/notebooks.yaml ``links``).
LINK_PARAMETERS = [
    ("02_soft_skills.ipynb", "token"),
    ("02_soft_skills.ipynb", "code"),
    ("02_soft_skills.ipynb", "rate"),
    ("03_stakeholder_survey.ipynb", "survey"),
    ("04_pulse_survey.ipynb", "pulse"),
    ("04_retro_board.ipynb", "board"),
    ("04_retro_board.ipynb", "facilitator"),
]
BAD_LINK_VALUES = {
    "bogus": "bogus-link-value",
    "over-long": "A" * 5000,
    "HTML": "<script>alert('x')</script><img src=x onerror=alert(1)>",
}


@contextmanager
def gate_server(
    base: Path, *, max_kernels: int, host: str = "127.0.0.1", extra: Sequence[str] = (), **environ: str
) -> Iterator[VoilaServer]:
    """A server on a store in ``base`` with two PMs (alice, bob) and alice's project "Apollo";
    ``extra`` Voila options and ``environ`` (more environment) as ``running_voila`` takes them."""
    env = serve_env(
        {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{base / 'store.sqlite3'}", "CPMKIT_DATA_DIR": str(base), **environ}
    )
    store = Store.open(env["CPMKIT_DB_URL"])
    try:
        accounts = AccountStore(store)
        alice = accounts.add_user("alice", PASSWORD)
        accounts.add_user("bob", PASSWORD)
        store.create_project("Apollo", owner=alice)
    finally:
        store.close()
    with running_voila(
        REPO_NOTEBOOKS, env=env, log_file=base / "voila.log", max_kernels=max_kernels, extra=extra, host=host
    ) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """A server with two PMs (alice, bob), alice's project with a pulse round, and a small kernel cap."""
    base = tmp_path_factory.mktemp("gate")
    templates = shutil.copytree(templates_dir(), base / "templates")
    pages = templates / "notebooks.yaml"
    pages.write_text(
        pages.read_text().replace("opens_per_address_hour: 60", f"opens_per_address_hour: {OPENS_PER_LINK}")
    )
    extra = [f"--BoundKernelManager.unconnected_timeout={UNCONNECTED}"]
    with gate_server(base, max_kernels=MAX_KERNELS, extra=extra, CPMKIT_TEMPLATES_DIR=str(templates)) as running:
        yield running


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """A server as a workshop room runs it, on every interface (``cpmkit serve --host 0.0.0.0``),
    with limits low enough to reach in a test. Only ``test_one_client_may_start_only_so_many_kernels_a_minute`` opens pages on it
    (they count toward the address's starts), and only ``test_failed_sign_ins_from_one_address_
    over_several_usernames_end_in_a_wait`` fails sign-ins (they hold up every sign-in from here)."""
    extra = [
        f"--CpmkitVoila.starts_per_browser={ROOM_STARTS_PER_BROWSER}",
        f"--CpmkitVoila.starts_per_address={ROOM_STARTS_PER_ADDRESS}",
        f"--CpmkitVoila.sign_ins_per_address={ROOM_SIGN_INS_PER_ADDRESS}",
    ]
    base = tmp_path_factory.mktemp("room")
    with ExitStack() as stack:
        with open_files_soft_limit(SERVICE_OPEN_FILES):  # as a service manager may start it
            running = stack.enter_context(gate_server(base, max_kernels=4, host="0.0.0.0", extra=extra))
        yield running


@contextmanager
def open_files_soft_limit(soft: int) -> Iterator[None]:
    """This process's soft limit on open files lowered to ``soft`` (what it starts inherits it)."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, before[0]), before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


@pytest.fixture
def pulse_token(server: VoilaServer) -> str:
    """A new round of alice's project, and its anonymous link (each test its own: a link may be
    opened ``OPENS_PER_LINK`` times an hour from one address)."""
    return new_pulse_token(server)


def new_pulse_token(server: VoilaServer) -> str:
    """A new round of alice's project on ``server``, and its anonymous link."""
    store = Store.open(server.store_url)
    try:
        pulses = PulseStore(store)
        [project] = [p["id"] for p in store.list_projects() if p["name"] == "Apollo"]
        return pulses.new_round_token(
            pulses.create_round(project, f"Round {uuid.uuid4().hex[:8]}", dt.date(2026, 5, 1))
        )
    finally:
        store.close()


def client(server: VoilaServer, headers: dict[str, str] | None = None) -> httpx.Client:
    """A browser of its own: its own cookies, no redirects followed; ``headers`` on every request."""
    return httpx.Client(base_url=server.base_url, timeout=120, headers=headers)


def set_cookies(answer: httpx.Response) -> dict[str, http.cookies.Morsel[str]]:
    """The cookies an answer sets, by name, with their flags (``morsel["httponly"]``)."""
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar)


def sign_in(browser: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    form = browser.get("/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf, form.text
    return browser.post(
        "/login",
        data={"_xsrf": xsrf.group(1), "username": username, "password": password, "next": "/voila/render/index.ipynb"},
    )


def kernel_id(page: httpx.Response) -> str:
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.text)
    assert found, page.text[-500:]
    return found.group(1)


def connect(server: VoilaServer, kernel: str, jar: httpx.Cookies | None) -> Any:
    """The page's websocket to its kernel, as a browser with cookies ``jar`` opens it."""
    return connect_url(server.base_url.replace("http", "ws") + f"/api/kernels/{kernel}/channels", jar)


def connect_url(url: str, jar: httpx.Cookies | None) -> Any:
    cookie = "; ".join(f"{name}={value}" for name, value in (jar or {}).items())
    return websocket.create_connection(url, cookie=cookie or None, timeout=30)


def close_page(browser: httpx.Client, server: VoilaServer, kernel: str) -> None:
    """What the page's beacon does on tab close; the kernel is gone at once."""
    assert browser.post(f"/voila/api/shutdown/{kernel}").status_code == 204
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT
    while kernel in _kernel_ids(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernel not in _kernel_ids(server)


def _kernel_ids(server: VoilaServer) -> set[str]:
    ids = set()
    for process in server.kernels():
        for part in process.cmdline():
            found = re.search(r"kernel-([0-9a-f-]{36})\.json", part)
            if found:
                ids.add(found.group(1))
    return ids


def assert_owner_pages_ask_for_sign_in(server: VoilaServer) -> None:
    """Every owner page, opened without a session, redirects to the sign-in and starts no kernel."""
    before = server.kernel_pids()
    with client(server) as outsider:
        for page in OWNER_PAGES:
            answer = outsider.get(f"/voila/render/{page}", params={"project": "1"})
            assert answer.status_code == 302, page
            assert answer.headers["location"].startswith("/login?next=")
    assert server.kernel_pids() <= before


def test_the_gate_looks_up_every_link_a_page_may_name(sqlite_store: Store) -> None:
    """notebooks.yaml is refused at start for a link outside LINK_PARAMETERS; each of those the gate can open."""
    assert sorted(Gate(sqlite_store, GateLimits(max_kernels=1), {}).link_lookups) == sorted(content.LINK_PARAMETERS)


def test_an_outsider_is_sent_to_sign_in_for_every_owner_page_and_no_kernel_starts(server: VoilaServer) -> None:
    assert_owner_pages_ask_for_sign_in(server)


def test_a_server_listening_beyond_127_0_0_1_sends_owner_pages_to_sign_in(room_server: VoilaServer) -> None:
    """``cpmkit serve --host 0.0.0.0``: the room can reach it, and owners' pages still ask who it is."""
    listening = {
        socket.laddr.ip
        for socket in psutil.Process(room_server.process.pid).net_connections("tcp")
        if socket.status == psutil.CONN_LISTEN
    }
    assert listening & {"0.0.0.0", "::"}, listening
    assert_owner_pages_ask_for_sign_in(room_server)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/voila/tree",
        "/voila/tree/",
        "/voila/api/contents",
        "/voila/api/contents/index.ipynb",
        "/voila/render/index.ipynb?template=lab",
        "/voila/render/../cpmkit/x.ipynb",
        "/tree",
        "/api/kernels",
    ],
)
def test_nothing_lists_the_notebooks_or_changes_the_page_template(server: VoilaServer, path: str) -> None:
    with client(server) as outsider:
        answer = outsider.get(path)
    assert answer.status_code in (302, 400, 403, 404), path
    assert ".ipynb" not in answer.text.replace("index.ipynb", "") and "Traceback" not in answer.text
    if answer.status_code == 302:
        assert answer.headers["location"] in ("/voila/render/index.ipynb",) or answer.headers["location"].startswith(
            "/login"
        )


def test_unknown_links_get_a_plain_page_no_kernel_and_a_limit(server: VoilaServer) -> None:
    """The audit's ten `?pulse=bogusN` requests made ten kernels of 118 MB each."""
    before = server.kernel_pids()
    limit = GateLimits(max_kernels=1).bad_links_per_browser
    with client(server) as guesser:
        for n in range(limit):
            answer = guesser.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": f"bogus{n}"})
            assert answer.status_code == 404 and "This link does not work" in answer.text
        refused = guesser.get("/voila/render/02_soft_skills.ipynb", params={"code": "K7P2QX"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert guesser.get("/voila/render/04_pulse_survey.ipynb").status_code == 404  # no link: nothing to open
    assert server.kernel_pids() <= before


@pytest.mark.parametrize("value", list(BAD_LINK_VALUES.values()), ids=list(BAD_LINK_VALUES))
@pytest.mark.parametrize(("page", "parameter"), LINK_PARAMETERS, ids=[parameter for _, parameter in LINK_PARAMETERS])
def test_a_bad_value_of_any_link_gets_the_plain_page_no_kernel_and_no_echo(
    server: VoilaServer, page: str, parameter: str, value: str
) -> None:
    before = server.kernel_pids()
    with client(server) as visitor:  # a browser of its own: 21 bad links stay under the limit of 10 per browser
        answer = visitor.get(f"/voila/render/{page}", params={parameter: value})
    assert answer.status_code == 404 and "This link does not work" in answer.text, answer.text[-300:]
    assert value not in answer.text and html.escape(value) not in answer.text and "<script" not in answer.text
    assert "Traceback" not in answer.text
    assert server.kernel_pids() <= before


def test_every_answer_carries_the_security_headers(server: VoilaServer, pulse_token: str) -> None:
    with client(server) as visitor:
        answers = [
            visitor.get("/login"),
            visitor.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": "nope"}),
            visitor.get("/voila/static/voila.js"),
            visitor.get("/voila/render/index.ipynb"),
        ]
        library = visitor.get("/" + served_library())  # every page's charts import it, signed in or not
        assert library.status_code == 200 and "immutable" in library.headers["Cache-Control"]
        answers.append(library)
        page = visitor.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
        answers.append(page)
        for answer in answers:
            assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, answer.url
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "http" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        close_page(visitor, server, kernel_id(page))


def test_sign_in_is_rate_limited_per_username_and_a_right_password_then_waits_too(server: VoilaServer) -> None:
    limits = GateLimits(max_kernels=1)
    with client(server) as attacker:
        for _ in range(limits.sign_ins_per_user):
            assert sign_in(attacker, "bob", "wrong password!").status_code == 403
        blocked = sign_in(attacker, "bob")
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text
    with client(server) as alice:
        answer = sign_in(alice, "alice")  # another username is not held up
        assert answer.status_code == 302 and answer.headers["location"] == "/voila/render/index.ipynb"
        assert "cpmkit-session" in alice.cookies


def test_failed_sign_ins_from_one_address_over_several_usernames_end_in_a_wait(room_server: VoilaServer) -> None:
    tries = ["alice", "alice", "bob", "nobody"]  # each username stays below its own limit
    assert len(tries) == ROOM_SIGN_INS_PER_ADDRESS and len(tries) < GateLimits(max_kernels=1).sign_ins_per_user
    for username in tries:
        with client(room_server) as attacker:  # a new browser each time: only the address is the same
            assert sign_in(attacker, username, "wrong password!").status_code == 403
    with client(room_server) as alice:
        blocked = sign_in(alice, "alice")  # the right password, from the same address
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text
        assert 0 < int(blocked.headers["Retry-After"]) <= 300
        assert "cpmkit-session" not in alice.cookies


def test_the_session_cookie_is_http_only_same_site_lax_and_expires_within_a_day(server: VoilaServer) -> None:
    with client(server) as alice:
        answer = sign_in(alice, "alice")
    session = set_cookies(answer)["cpmkit-session"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]  # plain HTTP: a Secure cookie would never come back
    lasts = email.utils.parsedate_to_datetime(session["expires"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=11) < lasts <= dt.timedelta(hours=12, minutes=1)
    with client(server, headers={"X-Forwarded-Proto": "https"}) as proxied:  # behind an HTTPS proxy
        cookies = set_cookies(proxied.get("/login")) | set_cookies(sign_in(proxied, "alice"))
    assert cookies["cpmkit-session"]["secure"] and cookies["cpmkit-browser"]["secure"]


def test_one_client_may_start_only_so_many_kernels_a_minute(room_server: VoilaServer) -> None:
    """One browser, then one address (a new browser each time, as a script without cookies is),
    past its kernel starts in a minute gets a 429 to retry after, and no kernel."""
    token = new_pulse_token(room_server)

    def open_and_close(browser: httpx.Client) -> None:
        page = browser.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": token})
        close_page(browser, room_server, kernel_id(page))

    def refused(browser: httpx.Client) -> None:
        before = room_server.kernel_pids()
        answer = browser.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": token})
        assert answer.status_code == 429 and "Too many pages opened" in answer.text
        assert 0 < int(answer.headers["Retry-After"]) <= 61
        assert room_server.kernel_pids() <= before

    with client(room_server) as browser:
        for _ in range(ROOM_STARTS_PER_BROWSER):
            open_and_close(browser)
        refused(browser)
    with client(room_server) as same_address:
        for _ in range(ROOM_STARTS_PER_ADDRESS - ROOM_STARTS_PER_BROWSER):
            open_and_close(same_address)
    with client(room_server) as fresh:
        refused(fresh)


def test_the_default_kernel_cap_fits_three_quarters_of_the_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's 24 GB machine, a small one, and one with almost nothing free (the floor of 4),
    with kernels forked (``cpmkit serve``'s default) and without."""
    for available, forked, usual in ((24 * 2**30, 288, 122), (2**30, 12, 5), (100 * 2**20, 4, 4)):
        monkeypatch.setattr(psutil, "virtual_memory", lambda free=available: SimpleNamespace(available=free))
        assert (default_max_kernels(), default_max_kernels(forked=False)) == (forked, usual)
        assert forked == 4 or forked * FORKED_KERNEL_BUDGET_BYTES <= 0.75 * available
        assert usual == 4 or usual * KERNEL_BUDGET_BYTES <= 0.75 * available


def test_a_server_started_under_a_low_open_files_limit_raises_it_for_a_room(room_server: VoilaServer) -> None:
    """Under a 1024 soft limit a room broke at about 60 pages; the server (and every kernel it
    starts) runs with the hard limit."""
    soft, hard = psutil.Process(room_server.process.pid).rlimit(psutil.RLIMIT_NOFILE)
    assert soft == (hard if hard != resource.RLIM_INFINITY else 2**20) > SERVICE_OPEN_FILES


def test_the_kernels_read_the_servers_cap_and_kernel_count(server: VoilaServer, pulse_token: str) -> None:
    """What the trainer's dashboard reads (cpmkit.serving.kernel_count): the file the server names
    in every kernel's environment holds the gate's cap and the kernels running, as they change."""

    def published(kernel: str) -> dict[str, int]:
        [process] = [p for p in server.kernels() if any(kernel in part for part in p.cmdline())]
        return json.loads(Path(process.environ()[KERNEL_COUNT_ENV]).read_text())

    with client(server) as participant:
        first = kernel_id(participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token}))
        second = kernel_id(participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token}))
        # The test server starts kernels as new Pythons: planned at the usual budget.
        usual = {"cap": MAX_KERNELS, "kernel_bytes": KERNEL_BUDGET_BYTES}
        assert published(first) == {**usual, "running": len(_kernel_ids(server))}
        running = published(first)["running"]
        close_page(participant, server, second)
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT
        while published(first)["running"] != running - 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert published(first) == {**usual, "running": running - 1}
        close_page(participant, server, first)


def test_a_signed_in_pm_gets_the_page_and_a_forged_cookie_does_not(server: VoilaServer) -> None:
    with client(server) as forger:
        forger.cookies.set("cpmkit-session", "1:0")
        assert forger.get("/voila/render/index.ipynb").status_code == 302
    with client(server) as alice:
        assert sign_in(alice, "alice").status_code == 302
        page = alice.get("/voila/render/index.ipynb")
        assert page.status_code == 200
        close_page(alice, server, kernel_id(page))
        assert alice.get("/logout").status_code == 302
        assert alice.get("/voila/render/index.ipynb").status_code == 302


def test_a_kernel_talks_only_to_the_browser_that_opened_its_page(server: VoilaServer, pulse_token: str) -> None:
    """The audit attached to /api/kernels/<id>/channels with no cookie and read a participant's widgets."""
    with client(server) as participant, client(server) as other:
        other.get("/login")  # a browser cookie of its own
        page = participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
        kernel = kernel_id(page)
        for jar in (None, other.cookies):
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                connect(server, kernel, jar)
            assert refused.value.status_code == 403
        connect(server, kernel, participant.cookies).close()  # its own browser may
        assert other.delete(f"/api/kernels/{kernel}").status_code == 403
        assert other.post(f"/voila/api/shutdown/{kernel}").status_code == 403
        assert kernel in _kernel_ids(server)
        close_page(participant, server, kernel)


def test_a_full_server_says_so_and_the_page_retries_by_itself(server: VoilaServer, pulse_token: str) -> None:
    with client(server) as participant:
        opened, sockets = [], []
        for _ in range(MAX_KERNELS - len(_kernel_ids(server))):
            opened.append(
                kernel_id(participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token}))
            )
            sockets.append(connect(server, opened[-1], participant.cookies))  # an open page keeps its kernel
        full = participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
        assert full.status_code == 503 and "The server is full" in full.text
        assert full.headers["Retry-After"] == "10" and '<meta http-equiv="refresh" content="10">' in full.text
        assert len(_kernel_ids(server)) == MAX_KERNELS
        for kernel, socket in zip(opened, sockets):
            socket.close()
            close_page(participant, server, kernel)
        assert participant.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": "x"}).status_code == 404


def test_a_page_nobody_connects_to_does_not_keep_its_kernel(server: VoilaServer, pulse_token: str) -> None:
    """The audit's curl requests made kernels that lived for the whole cull time (300 s)."""
    with client(server) as script:
        kernel = kernel_id(script.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token}))
    deadline = time.monotonic() + UNCONNECTED + SHUTDOWN_TIMEOUT
    while kernel in _kernel_ids(server) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernel not in _kernel_ids(server)
    assert "its page never connected" in server.log_tail(200)


def test_the_first_run_link_creates_one_admin_and_then_stops_working(tmp_path: Path) -> None:
    env = serve_env(
        {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}", "CPMKIT_DATA_DIR": str(tmp_path)}
    )
    with running_voila(REPO_NOTEBOOKS, env=env, log_file=tmp_path / "voila.log") as fresh, client(fresh) as first:
        key = re.search(r"/cpmkit/setup\?key=(\S+)", fresh.log_file.read_text())
        assert key, fresh.log_tail()
        assert first.get("/cpmkit/setup", params={"key": "wrong"}).status_code == 404
        form = first.get("/cpmkit/setup", params={"key": key.group(1)})
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        data = {"_xsrf": xsrf, "username": "root", "password": PASSWORD, "again": PASSWORD}
        assert (
            first.post("/cpmkit/setup", params={"key": key.group(1)}, data={**data, "again": "other"}).status_code
            == 400
        )
        assert first.post("/cpmkit/setup", params={"key": key.group(1)}, data=data).status_code == 302
        assert first.get("/voila/render/index.ipynb").status_code == 200
        with client(fresh) as second:
            assert second.get("/cpmkit/setup", params={"key": key.group(1)}).status_code == 404
    store = Store.open(env["CPMKIT_DB_URL"])
    try:
        assert [(u["username"], u["is_admin"]) for u in AccountStore(store).users()] == [("root", True)]
    finally:
        store.close()


def test_the_rooms_short_address_takes_a_workshop_code_without_a_kernel(server: VoilaServer) -> None:
    store = Store.open(server.store_url)
    try:
        _, code, _ = AssessmentStore(store).create_workshop("March group", bank="soft_skills", rounds=["before"])
    finally:
        store.close()
    before = server.kernel_pids()
    with client(server) as phone:
        form = phone.get("/join")
        assert form.status_code == 200 and "name='code'" in form.text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        wrong = phone.post("/join", data={"_xsrf": xsrf, "code": "<b>ZZZ</b>"})
        assert wrong.status_code == 404 and "No workshop has the code" in wrong.text and "<b>ZZZ" not in wrong.text
        right = phone.post("/join", data={"_xsrf": xsrf, "code": code.lower()})
        assert right.status_code == 302 and right.headers["location"].startswith(
            "/voila/render/02_soft_skills.ipynb?code="
        )
        assert phone.post("/join", data={"code": code}).status_code == 403  # no XSRF token: refused
    assert server.kernel_pids() <= before


def test_one_address_opens_one_anonymous_pulse_link_only_so_often(server: VoilaServer, pulse_token: str) -> None:
    """Each browser gives one response; this bounds the new browsers (new cookies) one network
    can bring to one link: the audit's page sent 20 detractor responses in 10 s."""
    for _ in range(OPENS_PER_LINK):
        with client(server) as fresh:  # a new browser each time, as a script without cookies is
            page = fresh.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
            close_page(fresh, server, kernel_id(page))
    with client(server) as fresh:
        refused = fresh.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
        assert refused.status_code == 429 and "Too many pages opened" in refused.text
        assert int(refused.headers["Retry-After"]) > 60


def test_only_a_kernel_on_this_machine_may_listen_for_its_request(server: VoilaServer) -> None:
    """Voila's pre-heat channel hands a kernel its request, links included: a browser (it sends
    cookies) may not listen on it."""
    url = server.base_url.replace("http", "ws") + f"/voila/query/{uuid.uuid4()}"
    with client(server) as browser:
        browser.get("/login")
        listener = connect_url(url, browser.cookies)
        try:
            opcode, frame = listener.recv_data(control_frame=True)
        finally:
            listener.shutdown()  # the server closed it: drop the socket without a closing handshake
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame[:2], "big") == 1008  # policy violation


def test_a_closed_rounds_link_says_so_without_a_kernel(server: VoilaServer, pulse_token: str) -> None:
    store = Store.open(server.store_url)
    try:
        pulses = PulseStore(store)
        pulses.set_round_closed(int(pulses.round_for_token(pulse_token)["round_id"]), True)
    finally:
        store.close()
    before = server.kernel_pids()
    with client(server) as late:
        answer = late.get("/voila/render/04_pulse_survey.ipynb", params={"pulse": pulse_token})
    assert answer.status_code == 410 and "This survey is closed" in answer.text
    assert server.kernel_pids() <= before


def _cookie_secret_worker(barrier: Any, idx: int, folder: str, rounds: int) -> list[bytes]:
    """One worker starting at the same moment as the others, on ``rounds`` fresh data folders."""
    barrier.wait()
    return [cookie_secret(Path(folder) / str(n) / "cookie_secret") for n in range(rounds)]


def test_workers_starting_together_share_one_whole_cookie_key(
    tmp_path: Path, run_in_processes: Callable[..., dict[int, Any]]
) -> None:
    """A worker that read the key file another had made but not yet written got an empty key,
    which tornado takes for none: every page of that worker failed (seen in CI under --workers 2)."""
    rounds = 30
    keys = run_in_processes(_cookie_secret_worker, [(i, str(tmp_path), rounds) for i in range(4)])
    for n in range(rounds):
        found = {keys[i][n] for i in keys}
        assert len(found) == 1 and len(found.pop()) >= 32, n
        assert os.listdir(tmp_path / str(n)) == ["cookie_secret"]  # no draft left behind
        assert stat.S_IMODE((tmp_path / str(n) / "cookie_secret").stat().st_mode) == 0o600
