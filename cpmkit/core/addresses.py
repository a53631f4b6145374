"""Where cpmkit's pages are: the address a link to a page is built from, so that a link a PM,
trainer or facilitator copies, sends or shows to the room opens on another device too.

A served page's base URL is ``cpmkit serve --public-url`` when given, otherwise the scheme and
Host the page was opened with (the gate works it out and hands it to the kernel). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, urlencode, urlsplit

from cpmkit.core.content import notebook_file

__all__ = ["RENDER_PATH", "page_link", "request_base_url", "valid_public_url"]

#: Where Voila renders a notebook, under the base URL.
RENDER_PATH: Final = "/voila/render/"
#: A Host header worth building links from: a name or IPv4 address, or a bracketed IPv6 one, and a port.
_HOST: Final = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def page_link(base: str, page: str, params: Mapping[str, str | int | None]) -> str:
    """The address of ``page`` (a name in ``notebooks.yaml``) under ``base`` with the query
    ``params`` (None values left out); root-relative when ``base`` is empty."""
    query = urlencode({name: str(value) for name, value in params.items() if value is not None}, quote_via=quote)
    return f"{base.rstrip('/')}{RENDER_PATH}{quote(notebook_file(page))}" + (f"?{query}" if query else "")


def request_base_url(public_url: str | None, scheme: str, host: str) -> str:
    """The base URL of links: ``public_url`` when given, otherwise ``scheme://host`` from the
    request; empty (links stay root-relative) when the request's Host is not a plain host."""
    if public_url:
        return public_url.rstrip("/")
    if scheme not in ("http", "https") or not _HOST.fullmatch(host):
        return ""
    return f"{scheme}://{host}"


def valid_public_url(text: str) -> bool:
    """Whether ``text`` can be ``--public-url``: an http(s) address with a host, no query or fragment."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
