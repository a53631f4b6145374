"""Who may open which page: the rule ``cpmkit serve`` applies to a request before any kernel
starts, and the identity it hands that kernel. Pure: no I/O, no web framework.

A page (one generated notebook, see ``templates/notebooks.yaml``) opens for a signed-in
owner, or for a valid link it accepts (``?survey=...``); a link opens only its own page.
The server checks the links the verdict names against the store, then passes the identity
to the kernel in a request header that it sets itself (any copy the client sent is dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

from cpmkit.accounts.owners import Owner
from cpmkit.core.content import NotebookTemplate

__all__ = [
    "BASE_URL_ENV",
    "BASE_URL_HEADER",
    "IDENTITY_ENV",
    "IDENTITY_HEADER",
    "OVERRIDE_PARAMETERS",
    "PUBLIC_URL_ENV",
    "Identity",
    "Outcome",
    "Verdict",
    "decode_identity",
    "encode_identity",
    "page_verdict",
]

#: The request header the server sets for the kernel; Voila passes it on as ``IDENTITY_ENV``.
IDENTITY_HEADER: Final = "X-Cpmkit-Identity"
IDENTITY_ENV: Final = "HTTP_" + IDENTITY_HEADER.upper().replace("-", "_")
#: The request header the server sets to the page's base URL (``cpmkit.core.addresses``), so the
#: kernel builds absolute links; Voila passes it on as ``BASE_URL_ENV``.
BASE_URL_HEADER: Final = "X-Cpmkit-Base-Url"
BASE_URL_ENV: Final = "HTTP_" + BASE_URL_HEADER.upper().replace("-", "_")
#: Where ``cpmkit serve --public-url`` hands the server the base URL people reach it at.
PUBLIC_URL_ENV: Final = "CPMKIT_PUBLIC_URL"
#: Voila's query parameters that change how a page is built; refused (``?template=lab`` loads
#: stylesheets from a CDN and bypasses cpmkit's page template).
OVERRIDE_PARAMETERS: Final = ("template", "theme")


class Outcome(Enum):
    """What the server does with a page request."""

    OPEN = "open"  # start the kernel (after the links named are found valid)
    SIGN_IN = "sign in"  # an owner's page, and nobody signed in
    NEEDS_LINK = "needs link"  # a participant's page opened without its link
    NOT_A_PAGE = "not a page"  # no such notebook is served
    REFUSED = "refused"  # a parameter that is never allowed


@dataclass(frozen=True)
class Verdict:
    """The outcome, and the links (query parameter, value) the store must know for OPEN."""

    outcome: Outcome
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Identity:
    """Who a kernel works for: the signed-in owner, if any, and the browser that opened it."""

    owner: Owner | None
    browser: str


def page_verdict(page: NotebookTemplate | None, params: Mapping[str, str], owner: Owner | None) -> Verdict:
    """Decide a request for ``page`` with query ``params`` by ``owner`` (None: not signed in)."""
    if page is None:
        return Verdict(Outcome.NOT_A_PAGE)
    if any(name in params for name in OVERRIDE_PARAMETERS):
        return Verdict(Outcome.REFUSED)
    links = tuple((name, params[name]) for name in page.links if name in params)
    if links:
        return Verdict(Outcome.OPEN, links)
    if not page.owner:
        return Verdict(Outcome.NEEDS_LINK)
    return Verdict(Outcome.OPEN) if owner is not None else Verdict(Outcome.SIGN_IN)


def encode_identity(identity: Identity) -> str:
    """The header value the server sets for the kernel (JSON)."""
    owner = identity.owner
    who = None if owner is None else {"id": owner.id, "name": owner.name, "admin": owner.admin}
    return json.dumps({"owner": who, "browser": identity.browser}, sort_keys=True)


def decode_identity(value: str | None) -> Identity | None:
    """The identity in a header value, or None if there is none or it is malformed."""
    try:
        data = json.loads(value or "")
        who = data["owner"]
        owner = None if who is None else Owner(int(who["id"]), str(who["name"]), bool(who["admin"]))
        return Identity(owner, str(data["browser"]))
    except (ValueError, TypeError, KeyError):
        return None
