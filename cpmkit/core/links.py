"""The secrets in cpmkit's links: how they are made, what the store keeps of them, and how a
secret given back is checked.

Link secrets are the random values that open something without a password: a participant's
resume token and a peer rater's token (workbook 2), a stakeholder's survey token (workbook 3),
a pulse round's token, a retrospective board's token and its facilitator key (workbook 4), and
the keys a browser keeps for a retro board or a pulse form (``cpmkit.ui.browser_key``). A
workshop's trainer key is typed by a person and keeps its own salted scrypt hash
(``cpmkit.soft_skills.store``).

At rest the store keeps only ``digest(secret)``: the SHA-256 of the secret, 64 hex digits. A
copy of the store file, a backup or a database dump then opens no link. A secret is therefore
shown once, when it is made; a lost link is replaced by a new one, and the old one stops working.

Why one fast, unsalted hash and not the slow salted hash passwords need: salt and a slow hash
protect guessable values (people choose passwords from a small space, and precomputed tables
cover it). These secrets are drawn by ``secrets`` from at least 2**128 values, so there is
nothing to guess: trying digests at any speed, or precomputing a table, cannot cover that space.
Because the digest is deterministic it can be the indexed column a link is looked up by, so
opening a link stays one indexed query, exactly as with the plain value; a salted hash would
need the row found some other way first. This is the usual treatment of random API tokens.

A secret is compared with ``hmac.compare_digest`` (``matches``) wherever the code, not an index
lookup, decides whether two secrets are the same; an index lookup only ever sees digests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Final

__all__ = [
    "BROWSER_KEY_BYTES",
    "DIGEST_LENGTH",
    "MIN_BYTES",
    "TOKEN_BYTES",
    "digest",
    "lookup_digest",
    "matches",
    "new_browser_key",
    "new_token",
]

#: Random bytes in a link token: 192 bits, 32 URL-safe characters.
TOKEN_BYTES: Final = 24
#: Random bytes in a browser's key: 128 bits, 32 hex digits (as ``browser_key.js`` makes them).
BROWSER_KEY_BYTES: Final = 16
#: No link secret has fewer random bytes than this (128 bits).
MIN_BYTES: Final = 16
#: Characters of a digest: SHA-256 in hex (fits the String(64) secret columns).
DIGEST_LENGTH: Final = 64
#: A value from a link longer than this is no secret cpmkit made (nor a key a browser made).
_MAX_GIVEN: Final = 256


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    """A new secret for a link: ``nbytes`` random bytes (at least ``MIN_BYTES``), URL-safe text."""
    if nbytes < MIN_BYTES:
        raise ValueError(f"a link secret needs at least {MIN_BYTES} random bytes, not {nbytes}")
    return secrets.token_urlsafe(nbytes)


def new_browser_key() -> str:
    """A new key for a browser to keep (32 hex digits), as ``browser_key.js`` would make it."""
    return secrets.token_hex(BROWSER_KEY_BYTES)


def digest(secret: str) -> str:
    """What the store keeps of ``secret``: its SHA-256, 64 lower-case hex digits."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def lookup_digest(given: Any) -> str | None:
    """The digest to look a secret from a link up by (spaces around it ignored); None when
    ``given`` cannot be a secret (not text, blank, far too long), so no query is needed."""
    if not isinstance(given, str):
        return None
    clean = given.strip()
    if not clean or len(clean) > _MAX_GIVEN:
        return None
    return digest(clean)


def matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one whose digest is ``stored``, in constant time."""
    return hmac.compare_digest(digest(secret).encode("ascii"), stored.encode("utf-8"))
