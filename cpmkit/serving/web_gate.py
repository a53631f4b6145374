"""The server's gate: who may open which page, checked before a kernel starts.

``cpmkit serve`` runs Voila through ``cpmkit.serving.voila_app``, which puts these pieces in place:

* ``GateIdentityProvider``: every browser gets a signed browser cookie; owners (PMs,
  trainers) sign in at ``/login`` with a password (Argon2id hash in the store), rate-limited
  per address and per username, and get a signed session cookie.
* ``GatedVoilaHandler``: a page request is decided by ``page_access.page_verdict``; its links
  are looked up in the store; unknown pages and links, missing sign-ins, a full server and
  too many kernel starts from one client get a plain page, and no kernel starts.
* ``BoundKernelManager`` and ``GateAuthorizer``: a kernel belongs to the browser whose request
  started it; another browser can neither attach to its websocket nor shut it down.
* ``SecurityHeaders``: CSP with no outside origin, no framing, no referrer (tokens travel in URLs).
"""

from __future__ import annotations

import asyncio
import functools
import html
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import quote, urlencode

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from traitlets import Int, default
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from cpmkit import config
from cpmkit.accounts.owners import Owner
from cpmkit.accounts.store import AccountStore
from cpmkit.core.addresses import page_link, request_base_url
from cpmkit.core.capacity import default_cap, kernel_budget
from cpmkit.core.content import NotebookTemplate, load_notebook_templates
from cpmkit.core.links import BROWSER_KEY_BYTES, new_signing_key, new_token, same
from cpmkit.core.query import query_params
from cpmkit.core.rate_limit import RateLimiter
from cpmkit.db.database import Store
from cpmkit.errors import CpmkitError, NotFoundError, TooManyTries, ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.serving import chart_library
from cpmkit.serving.kernel_activity import ActivityWatch
from cpmkit.serving.kernel_count import KernelCountFile
from cpmkit.serving.open_files import socket_context
from cpmkit.serving.page_access import (
    BASE_URL_HEADER,
    IDENTITY_ENV,
    IDENTITY_HEADER,
    PUBLIC_URL_ENV,
    Identity,
    Outcome,
    decode_identity,
    encode_identity,
    page_verdict,
)
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.workshop import PARTICIPANT_PAGE

__all__ = [
    "BROWSER_COOKIE",
    "SESSION_COOKIE",
    "BoundKernelManager",
    "Gate",
    "GateAuthorizer",
    "GateIdentityProvider",
    "GateLimits",
    "GatedVoilaHandler",
    "SecurityHeaders",
    "default_max_kernels",
    "gate_handlers",
    "plain_page",
    "worker_prefix",
]

BROWSER_COOKIE: Final = "cpmkit-browser"
SESSION_COOKIE: Final = "cpmkit-session"
#: A signed-in session lasts a working day; the browser cookie, a year (it keys answers).
SESSION_DAYS: Final = 0.5
BROWSER_DAYS: Final = 365
#: The server page shown when full asks the browser to try again after this many seconds.
RETRY_SECONDS: Final = 10
CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        # Voila's page runs inline scripts (its configuration, heartbeats); widgets set inline
        # styles; anywidget imports a chart's module from a blob: URL it makes in the page.
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class GateLimits:
    """How much one client, and the whole server, may ask for (``max_kernels`` is ``cpmkit
    serve --max-kernels``; the others are the defaults here, said in the README; the kernel
    starts and sign-ins per address are also Voila options, ``--CpmkitVoila.starts_per_browser``)."""

    max_kernels: int
    #: Kernel starts per minute from one browser, and from one address (a room behind one
    #: router shares an address, so that limit is generous).
    starts_per_browser: int = 20
    starts_per_address: int = 300
    #: Failed sign-ins per 5 minutes for one username, and from one address.
    sign_ins_per_user: int = 5
    sign_ins_per_address: int = 20
    #: Unknown links per minute from one browser and from one address (join codes are short).
    bad_links_per_browser: int = 10
    bad_links_per_address: int = 100


def default_max_kernels(forked: bool = True) -> int:
    """The kernel cap when ``cpmkit serve`` is given none: as many kernels (``forked`` from the
    zygote or not) as fit in the memory free now, and at least a few (``core.capacity.default_cap``)."""
    import psutil

    return default_cap(psutil.virtual_memory().available, kernel_budget(forked))


@dataclass
class Gate:
    """What the gate's handlers share in one server process: the store, the pages and the limits."""

    store: Store
    limits: GateLimits
    pages: dict[str, NotebookTemplate]
    setup_key: str | None = None  # the first-run key, while there is no account
    _limiters: dict[str, RateLimiter] = field(default_factory=dict)

    @classmethod
    def open(cls, limits: GateLimits) -> Gate:
        store = Store.open()
        pages = {page.file: page for page in load_notebook_templates()}
        gate = cls(store, limits, pages)
        if AccountStore(store).count() == 0:
            gate.setup_key = new_token()
        return gate

    def limiter(self, name: str) -> RateLimiter:
        """The named rate limiter, made on first use from ``limits``."""
        if name not in self._limiters:
            per_seconds, limit = {
                "starts_per_browser": (60, self.limits.starts_per_browser),
                "starts_per_address": (60, self.limits.starts_per_address),
                "sign_ins_per_user": (300, self.limits.sign_ins_per_user),
                "sign_ins_per_address": (300, self.limits.sign_ins_per_address),
                "bad_links_per_browser": (60, self.limits.bad_links_per_browser),
                "bad_links_per_address": (60, self.limits.bad_links_per_address),
            }[name]
            self._limiters[name] = RateLimiter(limit, per_seconds)
        return self._limiters[name]

    def page_limiter(self, page: NotebookTemplate) -> RateLimiter:
        """The limiter of a page's ``opens_per_address_hour`` (one link, one address, an hour)."""
        name = f"opens:{page.file}"
        if name not in self._limiters:
            self._limiters[name] = RateLimiter(page.opens_per_address_hour or 1, 3600)
        return self._limiters[name]

    async def look_up_link(self, name: str, value: str, *, browser: str, address: str) -> object:
        """What link parameter ``name`` with ``value`` opens (the store's lookup, off the event
        loop). Raises TooManyTries while this browser or address has tried too many links that
        do not work, and NotFoundError or ValidationError for a dead one, which is counted."""
        dead = (NotFoundError, ValidationError)
        with (
            self.limiter("bad_links_per_browser").failures(browser, *dead),
            self.limiter("bad_links_per_address").failures(address, *dead),
        ):
            return await asyncio.get_running_loop().run_in_executor(None, self.link_lookups[name], value)

    @functools.cached_property
    def link_lookups(self) -> Mapping[str, Callable[[str], object]]:
        """For each link parameter, the store lookup that raises NotFoundError for a dead link."""
        assessments = AssessmentStore(self.store)
        retros = RetroStore(self.store)
        return {
            "token": assessments.participant_by_token,
            "code": assessments.workshop_by_code,
            "rate": assessments.peer_rater,
            "survey": GapStore(self.store).survey,
            "pulse": PulseStore(self.store).round_for_token,
            "board": retros.board_for_token,
            "facilitator": retros.board_for_facilitator,
        }


def gate(handler: web.RequestHandler) -> Gate:
    return handler.settings["cpmkit_gate"]  # type: ignore[no-any-return]


# -- pages without a kernel ------------------------------------------------------------------


def plain_page(title: str, message: str, *, refresh_seconds: int | None = None, body: str = "") -> str:
    """A small self-contained page (escaped text, no script) for refusals and sign-in."""
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">' if refresh_seconds else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"{refresh}<title>{html.escape(title)} - cpmkit</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
        "input{display:block;width:100%;box-sizing:border-box;font-size:1rem;padding:.6rem;margin:.2rem 0 1rem}"
        "button{font-size:1rem;padding:.6rem 1.2rem}.cpmkit-error{color:#a00}"
        f"</style></head><body><h1>{html.escape(title)}</h1><p class='cpmkit-message'>{html.escape(message)}</p>{body}</body></html>"
    )


class PlainAnswers:
    """Refusals and errors as plain pages: no traceback and no path, whatever Voila's
    ``show_tracebacks`` says."""

    def refuse(self: Any, status: int, title: str, message: str, *, retry_after: int | None = None) -> None:
        self.set_status(status)
        if retry_after is not None:
            self.set_header("Retry-After", str(max(1, retry_after)))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(plain_page(title, message, refresh_seconds=retry_after if status == 503 else None))

    def write_error(self: Any, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            plain_page("Something went wrong", f"The server could not answer this request (error {status_code}).")
        )


class GateHandler(PlainAnswers, JupyterHandler):
    """Base of the gate's own pages (sign-in, first run, join, refusals). Their forms carry an
    XSRF token, which jupyter_server checks on every POST; the Origin check is left to it
    because with ``Referrer-Policy: no-referrer`` browsers send ``Origin: null`` on form posts."""

    def check_origin(self, origin_to_satisfy_tornado: str = "") -> bool:
        return True

    def form_page(
        self, title: str, message: str, fields: str, *, problem: str = "", status: int = 200, after: str = ""
    ) -> None:
        """A plain page with one form: ``problem`` (escaped) above it, ``fields`` (markup) and
        ``after`` (markup) below it, never cached."""
        self.set_status(status)
        error = f"<p class='cpmkit-error' role='alert'>{html.escape(problem)}</p>" if problem else ""
        form = f"{error}<form method='post'>{self.xsrf_form_html()}{fields}</form>{after}"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(plain_page(title, message, body=form))


def _address(handler: web.RequestHandler) -> str:
    return str(handler.request.remote_ip)


def _identity(handler: web.RequestHandler) -> Identity:
    user = handler.current_user
    return user.identity if isinstance(user, GateUser) else Identity(None, "")


# -- identity: browser cookie, owner session ----------------------------------------------------


@dataclass
class GateUser(User):
    """jupyter_server's user, carrying who the browser is and which owner, if any, signed in."""

    identity: Identity = field(default_factory=lambda: Identity(None, ""))


class GateIdentityProvider(IdentityProvider):
    """Every browser is someone (a signed cookie names it); an owner is someone who signed in."""

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_handlers(self) -> list[tuple[str, object]]:
        return []  # the gate's handlers are added by ``gate_handlers``

    def get_user(self, handler: web.RequestHandler) -> GateUser:
        browser = handler.get_signed_cookie(BROWSER_COOKIE, max_age_days=BROWSER_DAYS)
        browser_id = browser.decode() if browser else None
        if browser_id is None:
            browser_id = new_token(BROWSER_KEY_BYTES)
            handler.set_signed_cookie(
                BROWSER_COOKIE,
                browser_id,
                expires_days=BROWSER_DAYS,
                httponly=True,
                samesite="Lax",
                secure=_https(handler),
            )
        owner = self.session_owner(handler)
        name = f"owner-{owner.id}" if owner is not None else f"browser-{browser_id}"
        return GateUser(username=name, identity=Identity(owner, browser_id))

    def session_owner(self, handler: web.RequestHandler) -> Owner | None:
        raw = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_DAYS)
        if not raw or "cpmkit_gate" not in handler.settings:
            return None
        try:
            user_id, version = (int(part) for part in raw.decode().split(":"))
        except ValueError:
            return None
        return AccountStore(gate(handler).store).session_owner(user_id, version)


def _https(handler: web.RequestHandler) -> bool:
    """Whether this request reached the server over HTTPS, so the cookies it sets must be
    Secure: it came over TLS, or a reverse proxy in front says so (``X-Forwarded-Proto``;
    Voila does not trust proxy headers). The header is honoured for this flag only, where a
    forged one can do no more than keep the sender's own cookies off plain HTTP."""
    forwarded = handler.request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return "https" in (handler.request.protocol, forwarded)


def _start_session(handler: web.RequestHandler, owner: Owner, version: int) -> None:
    handler.set_signed_cookie(
        SESSION_COOKIE,
        f"{owner.id}:{version}",
        expires_days=SESSION_DAYS,
        httponly=True,
        samesite="Lax",
        secure=_https(handler),
    )


def _render(page: str) -> str:
    """The address of a page (its ``page:`` in ``notebooks.yaml``) on this server."""
    return page_link("", page, {})


def _local_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return _render("index")


class SignInHandler(GateHandler):
    """``/login``: username and password; rate-limited per username and per address."""

    def get(self) -> None:
        if gate(self).setup_key is not None and AccountStore(gate(self).store).count() == 0:
            self.refuse(
                200,
                "No account yet",
                "Open the first-run link that `cpmkit serve` printed, or run `cpmkit users add NAME --admin`.",
            )
            return
        self._form("")

    def _form(self, problem: str, status: int = 200) -> None:
        nxt = html.escape(_local_next(self.get_argument("next", None)))
        fields = (
            f"<input type='hidden' name='next' value='{nxt}'>"
            "<label>Username<input name='username' autocomplete='username' required autofocus></label>"
            "<label>Password<input name='password' type='password' autocomplete='current-password' required></label>"
            "<button type='submit'>Sign in</button>"
        )
        join = "<p>In a workshop? <a href='/join'>Join with the code</a> your trainer shows.</p>"
        self.form_page(
            "Sign in",
            "Project managers and trainers sign in to open their workbooks.",
            fields,
            problem=problem,
            status=status,
            after=join,
        )

    async def post(self) -> None:
        username = self.get_body_argument("username", "")[:200].strip().casefold()
        password = self.get_body_argument("password", "")
        limits = gate(self)
        for limiter, key in (("sign_ins_per_address", _address(self)), ("sign_ins_per_user", username)):
            wait = limits.limiter(limiter).wait_seconds(key)
            if wait is not None:
                self.set_header("Retry-After", str(int(wait) + 1))
                self._form(f"Too many attempts: wait {int(wait) + 1} seconds and try again.", status=429)
                return
        accounts = AccountStore(limits.store)
        found = await asyncio.get_running_loop().run_in_executor(None, accounts.sign_in, username, password)
        if found is None:
            limits.limiter("sign_ins_per_address").hit(_address(self))
            limits.limiter("sign_ins_per_user").hit(username)
            self._form("Wrong username or password.", status=403)
            return
        limits.limiter("sign_ins_per_user").reset(username)
        _start_session(self, *found)
        self.redirect(_local_next(self.get_body_argument("next", None)))


class SignOutHandler(GateHandler):
    """``/logout``: forget the session (a POST from the page, or a GET from a link)."""

    def get(self) -> None:
        self.clear_cookie(SESSION_COOKIE)
        self.redirect("/login")

    post = get


class SetupHandler(GateHandler):
    """``/cpmkit/setup?key=...``: the first-run step, creating the first (admin) account. Only
    while there is no account, and only with the key printed on the server's terminal."""

    def _allowed(self) -> bool:
        key = gate(self).setup_key
        given = self.get_argument("key", "")
        ok = key is not None and same(given, key) and AccountStore(gate(self).store).count() == 0
        if not ok:
            self.refuse(404, "Nothing here", "This first-run link is not valid, or the first account exists already.")
        return ok

    def get(self) -> None:
        if self._allowed():
            self._form("")

    def _form(self, problem: str, status: int = 200) -> None:
        fields = (
            "<label>Username<input name='username' autocomplete='username' required autofocus></label>"
            "<label>Password<input name='password' type='password' autocomplete='new-password' required></label>"
            "<label>Password again<input name='again' type='password' autocomplete='new-password' required></label>"
            "<button type='submit'>Create the account</button>"
        )
        self.form_page(
            "Create the first account",
            "This account can see every project and add others with `cpmkit users add`.",
            fields,
            problem=problem,
            status=status,
        )

    async def post(self) -> None:
        if not self._allowed():
            return
        password = self.get_body_argument("password", "")
        if password != self.get_body_argument("again", ""):
            self._form("The two passwords differ.", status=400)
            return
        accounts = AccountStore(gate(self).store)
        try:
            owner = await asyncio.get_running_loop().run_in_executor(
                None, lambda: accounts.add_user(self.get_body_argument("username", ""), password, admin=True)
            )
        except CpmkitError as exc:
            self._form(str(exc), status=400)
            return
        gate(self).setup_key = None
        _start_session(self, owner, 0)
        self.redirect(_render("index"))


class JoinHandler(GateHandler):
    """``/join``: a room's short address. A participant types the workshop code the trainer
    shows and lands on the self-assessment for that workshop; a wrong code is said plainly,
    and tries count toward the bad-link limit, without any kernel."""

    def get(self) -> None:
        self._form("", code="")

    def _form(self, problem: str, *, code: str, status: int = 200) -> None:
        fields = (
            f"<label>Workshop code<input name='code' value='{html.escape(code, quote=True)}' autocomplete='off' "
            "autocapitalize='characters' required autofocus></label><button type='submit'>Join</button>"
        )
        self.form_page("Join a workshop", "Type the code your trainer shows.", fields, problem=problem, status=status)

    async def post(self) -> None:
        code = self.get_body_argument("code", "")[:64]
        try:
            await gate(self).look_up_link("code", code, browser=_identity(self).browser, address=_address(self))
        except TooManyTries as exc:
            self._form(
                f"Too many tries: wait {int(exc.wait_seconds) + 1} seconds and try again.", code=code, status=429
            )
            return
        except CpmkitError as exc:
            self._form(str(exc), code=code, status=404)
            return
        self.redirect(_render(PARTICIPANT_PAGE) + "?" + urlencode({"code": code.strip()}))


class NotServedHandler(GateHandler):
    """Voila's notebook tree and contents listing: not served (they list every notebook)."""

    def get(self, *args: Any) -> None:
        if self.request.path.rstrip("/") in ("", "/voila/tree"):
            self.redirect(_render("index"))
            return
        self.refuse(404, "Nothing here", "There is no page at this address.")


# -- pages with a kernel -----------------------------------------------------------------------


class GatedVoilaHandler(PlainAnswers, TornadoVoilaHandler):  # type: ignore[misc]
    """Voila's page handler, behind the gate: the page, its links, sign-in and the limits are
    checked in ``prepare``, so a refused request never reaches the kernel start in ``get``."""

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:
            return
        self.request.headers.pop(IDENTITY_HEADER, None)  # only the gate sets it
        # The kernel builds its links on this; any copy the client sent is replaced.
        self.request.headers[BASE_URL_HEADER] = request_base_url(
            os.environ.get(PUBLIC_URL_ENV), self.request.protocol, self.request.host
        )
        limits = gate(self)
        path = (self.path_args[0] if self.path_args else "") or ""
        page = limits.pages.get(path) or _unlisted_page(path)
        identity = _identity(self)
        verdict = page_verdict(page, query_params(self.request.query), identity.owner)
        if verdict.outcome is Outcome.NOT_A_PAGE:
            self.refuse(404, "Nothing here", "There is no page at this address.")
        elif verdict.outcome is Outcome.REFUSED:
            self.refuse(400, "Not available", "This server does not change how its pages are built (template, theme).")
        elif verdict.outcome is Outcome.SIGN_IN:
            self.redirect("/login?" + urlencode({"next": self.request.uri}))
        elif verdict.outcome is Outcome.NEEDS_LINK:
            self.refuse(404, "This page opens from its link", "Open the link you were sent (by e-mail or in the room).")
        elif (
            page is not None
            and await self._links_valid(verdict.links, identity)
            and self._may_start_kernel(page, verdict.links, identity)
        ):
            self.request.headers[IDENTITY_HEADER] = encode_identity(identity)

    async def _links_valid(self, links: tuple[tuple[str, str], ...], identity: Identity) -> bool:
        for name, value in links:
            try:
                found = await gate(self).look_up_link(name, value, browser=identity.browser, address=_address(self))
            except TooManyTries as exc:
                wait = int(exc.wait_seconds) + 1
                self.refuse(
                    429,
                    "Too many tries",
                    f"Too many links that do not work: wait {wait} seconds and try again.",
                    retry_after=wait,
                )
                return False
            except CpmkitError:
                self.refuse(
                    404,
                    "This link does not work",
                    "Check that the whole link was copied, or ask the person who sent it for a new one.",
                )
                return False
            if isinstance(found, Mapping) and found.get("closed"):  # a pulse round that is over
                self.refuse(410, "This survey is closed", "It takes no more answers. Thank you all the same.")
                return False
        return True

    def _may_start_kernel(self, page: NotebookTemplate, links: tuple[tuple[str, str], ...], identity: Identity) -> bool:
        limits = gate(self)
        if len(self.kernel_manager.list_kernel_ids()) >= limits.limits.max_kernels:
            self.refuse(
                503,
                "The server is full",
                f"Too many pages are open right now. This page tries again by itself every {RETRY_SECONDS} seconds.",
                retry_after=RETRY_SECONDS,
            )
            return False
        per_link = (
            ((limits.page_limiter(page), (page.file, links, _address(self))),) if page.opens_per_address_hour else ()
        )
        for limiter, key in (
            (limits.limiter("starts_per_browser"), identity.browser),
            (limits.limiter("starts_per_address"), _address(self)),
            *per_link,
        ):
            wait = limiter.hit(key)
            if wait is not None:
                self.refuse(
                    429,
                    "Too many pages opened",
                    f"Too many pages were opened from here: wait {int(wait) + 1} seconds and reload.",
                    retry_after=int(wait) + 1,
                )
                return False
        return True


def _unlisted_page(path: str) -> NotebookTemplate | None:
    """A notebook in the served folder that ``templates/notebooks.yaml`` does not describe (one
    a PM added, a benchmark's baseline): an owner's page, never a participant's."""
    if "/" in path or not path.endswith(".ipynb"):
        return None
    return NotebookTemplate(file=path, title=path, intro="", entry="", listed=False)


class BoundKernelManager(ActivityWatch):
    """Kernels remember the browser whose request started them (from the gate's header, which
    Voila passes to the kernel's environment), so only that browser may talk to them; a page
    whose browser never connects (a script fetching pages) does not keep its kernel; and the
    kernels' shared ZeroMQ context takes a whole room's sockets (``open_files.socket_context``)."""

    browsers: ClassVar[dict[str, str]] = {}  # kernel id -> browser id, shared with the authorizer
    #: Where the kernels read the cap and the count (``cpmkit.serving.kernel_count``); set by the server.
    kernel_count: ClassVar[KernelCountFile | None] = None
    unconnected_timeout = Int(
        120,
        config=True,
        help="Seconds after which a page's kernel that no browser has connected to, and that is idle, is shut down.",
    )
    worker = Int(
        0,
        config=True,
        help="This server's number among several behind one proxy (cpmkit serve --workers); 0: the only one.",
    )

    def new_kernel_id(self, **kwargs: Any) -> str:
        """A uuid, after ``worker_prefix(worker)`` when there are several workers: the proxy sends a
        kernel's websocket and shutdown beacon to the worker holding it by that prefix alone."""
        return worker_prefix(self.worker) + str(uuid.uuid4())

    @default("context")
    def _context_default(self) -> Any:
        self._created_context = True
        return socket_context()

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        kernel_id: str = await super().start_kernel(*args, **kwargs)
        self._publish_count()
        if bind_kernel(kernel_id, (kwargs.get("env") or {}).get(IDENTITY_ENV)):
            asyncio.get_running_loop().call_later(self.unconnected_timeout, self._check_connected, kernel_id)
        return kernel_id

    def _check_connected(self, kernel_id: str) -> None:
        if kernel_id not in self or self._kernel_connections.get(kernel_id, 0) > 0:
            return
        if getattr(self.get_kernel(kernel_id), "execution_state", "idle") == "busy":  # still running its notebook
            asyncio.get_running_loop().call_later(self.unconnected_timeout / 4, self._check_connected, kernel_id)
            return
        self.log.info("Kernel %s: its page never connected; shutting it down", kernel_id)
        asyncio.ensure_future(self.shutdown_kernel(kernel_id))

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        BoundKernelManager.browsers.pop(kernel_id, None)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)  # type: ignore[no-untyped-call]

    def remove_kernel(self, kernel_id: str) -> Any:
        """Forget a kernel (shut down, or dead), and say so to the kernels left."""
        removed = super().remove_kernel(kernel_id)
        self._publish_count()
        return removed

    def _publish_count(self) -> None:
        if BoundKernelManager.kernel_count is not None:
            BoundKernelManager.kernel_count.write(len(self.list_kernel_ids()))


def worker_prefix(worker: int) -> str:
    """How worker ``worker``'s kernel ids start (``w2_``), a word character run, so an id still
    matches Jupyter's ``\\w+-\\w+-\\w+-\\w+-\\w+`` routes; nothing for the only worker (0)."""
    return f"w{worker}_" if worker else ""


def bind_kernel(kernel_id: str, identity_header: str | None) -> bool:
    """Record which browser a kernel works for; False (nothing recorded) for a pre-heated
    kernel not yet given out."""
    identity = decode_identity(identity_header)
    if identity is not None:
        BoundKernelManager.browsers[kernel_id] = identity.browser
    return identity is not None


def _bind_preheated(send_updates: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Voila gives a pre-heated kernel its request (with the gate's header) through
    ``RequestInfoSocketHandler.send_updates``: bind the kernel there."""

    def wrapped(msg: dict[str, Any]) -> None:
        bind_kernel(msg["kernel_id"], msg["payload"].get(IDENTITY_ENV))
        send_updates(msg)

    return wrapped


def install_preheat_binding() -> None:
    """Bind pre-heated kernels when Voila hands them out (see ``_bind_preheated``)."""
    if not getattr(RequestInfoSocketHandler.send_updates, "cpmkit_bound", False):
        wrapped = _bind_preheated(RequestInfoSocketHandler.send_updates)
        wrapped.cpmkit_bound = True  # type: ignore[attr-defined]
        RequestInfoSocketHandler.send_updates = wrapped


class GateAuthorizer(Authorizer):
    """A kernel (its websocket, its REST resource) is for the browser that started it only."""

    def is_authorized(self, handler: JupyterHandler, user: User, action: str, resource: str) -> bool:
        if resource != "kernels":
            return True
        kernel_id = handler.path_kwargs.get("kernel_id") or (handler.path_args[0] if handler.path_args else None)
        owner = BoundKernelManager.browsers.get(str(kernel_id))
        return isinstance(user, GateUser) and owner is not None and same(owner, user.identity.browser)


class ShutdownOnCloseHandler(VoilaShutdownKernelHandler):  # type: ignore[misc]
    """Voila's shutdown beacon on tab close (voila#1458: refused for want of an XSRF cookie).
    The beacon carries the browser cookie (same origin, SameSite=Lax); the kernel is shut down
    at once if it belongs to that browser, which also stands in for the XSRF check: another
    site can neither read the kernel id nor make the browser's cookie match."""

    def check_xsrf_cookie(self) -> None:
        return None

    async def post(self, kernel_id: str) -> None:
        owner = BoundKernelManager.browsers.get(kernel_id)
        if owner is None or not same(owner, _identity(self).browser):
            raise web.HTTPError(403)
        await super().post(kernel_id)


class LoopbackRequestInfoHandler(RequestInfoSocketHandler):  # type: ignore[misc]
    """Voila's pre-heat channel hands a kernel its request (links included): kernels connect
    from this machine, so nobody else may listen on it."""

    def open(self, kernel_id: str) -> None:
        if self.request.remote_ip not in ("127.0.0.1", "::1") or self.request.headers.get("Cookie"):
            self.close(code=1008)
            return
        super().open(kernel_id)


class SecurityHeaders(web.OutputTransform):
    """The same security headers on every answer, whichever handler wrote it."""

    def transform_first_chunk(
        self, status_code: int, headers: Any, chunk: bytes, finishing: bool
    ) -> tuple[int, Any, bytes]:
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value
        return status_code, headers, chunk


def gate_handlers() -> list[tuple[str, type[web.RequestHandler]]]:
    """The routes the gate adds or replaces (matched before Voila's own)."""
    return [
        (r"/login", SignInHandler),
        (r"/logout", SignOutHandler),
        (r"/cpmkit/setup", SetupHandler),
        (r"/join", JoinHandler),
        (chart_library.ROUTE, chart_library.ChartLibraryHandler),
        (r"/?", NotServedHandler),
        (r"/voila/tree(.*)", NotServedHandler),
        (r"/voila/api/contents(.*)", NotServedHandler),
        (r"/voila/render/(.*)", GatedVoilaHandler),
        (r"/voila/api/shutdown/(.*)", ShutdownOnCloseHandler),
        (r"/voila/query/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)", LoopbackRequestInfoHandler),
    ]


def cookie_secret(path: Path | None = None) -> bytes:
    """The key that signs cookies, kept in a 0600 file in the data folder so sessions survive a
    restart and several workers behind one proxy accept each other's cookies.

    The first worker to start writes it to a file of its own and links that in whole, so a
    worker starting at the same moment reads the key, never a file made but not yet written
    (an empty key, which tornado takes for none: every page of that worker failed)."""
    target = path or config.data_dir() / "cookie_secret"
    try:
        return target.read_bytes()
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = new_signing_key()
    fd, draft = tempfile.mkstemp(dir=target.parent, prefix=".cookie_secret-")  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(value)
        os.link(draft, target)
    except FileExistsError:  # another worker linked its key first
        return target.read_bytes()
    finally:
        os.unlink(draft)
    return value


def describe_start(gate_: Gate, base_url: str) -> str:
    """What the terminal says at start: the first-run link while there is no account."""
    if gate_.setup_key is None:
        return f"cpmkit: owners sign in at {base_url}/login (accounts: cpmkit users add NAME)"
    link = f"{base_url}/cpmkit/setup?key={quote(gate_.setup_key)}"
    return f"cpmkit: no account yet. Create the first (admin) one at {link}\n        or stop and run: cpmkit users add NAME --admin"
