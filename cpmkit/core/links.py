"""The secrets in cpmkit's links: how they are made, what the store keeps of them, and how a
secret given back is checked. Every random value cpmkit hands out, and every size of one, is
made here; every comparison of secrets is constant-time, here.

Link secrets are the random values that open something without a password: a participant's
resume token and a peer rater's token (workbook 2), a stakeholder's survey token (workbook 3),
a pulse round's token, a retrospective board's token and its facilitator key (workbook 4), and
the keys a browser keeps for a retro board or a pulse form (``cpmkit.ui.browser_key``). The
web gate's first-run key, browser id and cookie-signing key are made here too.

Two secrets are typed by people rather than followed as links: a workshop's join code (short,
read out loud, not secret for long: guessing it is rate-limited) and a trainer's key, which is
kept as a salted scrypt hash (``typed_key_hash``), as a password would be.

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

A secret is compared in constant time (``same``, ``matches``: ``hmac.compare_digest``) wherever
the code, not an index lookup, decides whether two secrets are the same; an index lookup only
ever sees digests.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from typing import Any, Final

__all__ = [
    "BROWSER_KEY_BYTES",
    "DIGEST_LENGTH",
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "MIN_BYTES",
    "SIGNING_KEY_BYTES",
    "TOKEN_BYTES",
    "TYPED_KEY_BYTES",
    "digest",
    "lookup_digest",
    "matches",
    "new_browser_key",
    "new_join_code",
    "new_signing_key",
    "new_token",
    "new_typed_key",
    "same",
    "typed_key_hash",
    "typed_key_matches",
]

#: Random bytes in a link token: 192 bits, 32 URL-safe characters.
TOKEN_BYTES: Final = 24
#: Random bytes in a browser's key: 128 bits, 32 hex digits (as ``browser_key.js`` makes them).
BROWSER_KEY_BYTES: Final = 16
#: No link secret has fewer random bytes than this (128 bits).
MIN_BYTES: Final = 16
#: Characters of a digest: SHA-256 in hex (fits the String(64) secret columns).
DIGEST_LENGTH: Final = 64
#: Random bytes in a key a person types (a trainer's key): 128 bits, 22 URL-safe characters.
TYPED_KEY_BYTES: Final = 16
#: Random bytes in the key that signs the web gate's cookies: 256 bits.
SIGNING_KEY_BYTES: Final = 32
#: Join codes are read out loud and typed from a projector: no 0/O, 1/I/L.
JOIN_CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH: Final = 6
#: A value from a link longer than this is no secret cpmkit made (nor a key a browser made).
_MAX_GIVEN: Final = 256
#: What ``new_typed_key`` gives: 22 URL-safe base64 characters. A key of another shape is refused
#: before scrypt runs, so junk costs no CPU.
_TYPED_KEY_SHAPE: Final = re.compile(f"[A-Za-z0-9_-]{{{math.ceil(TYPED_KEY_BYTES * 4 / 3)}}}")
# scrypt cost: about 16 MiB and a few tens of milliseconds per check (OWASP's minimum is N=2**17
# with r=8 for passwords; a 128-bit random key needs far less, but a slow hash costs nothing here).
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SALT_BYTES: Final = 16


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    """A new secret for a link: ``nbytes`` random bytes (at least ``MIN_BYTES``), URL-safe text."""
    if nbytes < MIN_BYTES:
        raise ValueError(f"a link secret needs at least {MIN_BYTES} random bytes, not {nbytes}")
    return secrets.token_urlsafe(nbytes)


def new_browser_key() -> str:
    """A new key for a browser to keep (32 hex digits), as ``browser_key.js`` would make it."""
    return secrets.token_hex(BROWSER_KEY_BYTES)


def new_typed_key() -> str:
    """A new key for a person to type (a trainer's key): ``TYPED_KEY_BYTES`` random bytes, URL-safe text."""
    return new_token(TYPED_KEY_BYTES)


def new_join_code() -> str:
    """A new workshop join code: ``JOIN_CODE_LENGTH`` characters of ``JOIN_CODE_ALPHABET``."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_signing_key() -> bytes:
    """A new key to sign cookies with: ``SIGNING_KEY_BYTES`` random bytes."""
    return secrets.token_bytes(SIGNING_KEY_BYTES)


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
    return same(digest(secret), stored)


def same(given: str, expected: str) -> bool:
    """Whether two secrets are equal, in constant time; any text (``hmac.compare_digest`` on
    ``str`` refuses characters outside ASCII with a TypeError, so both are compared as UTF-8)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def typed_key_hash(key: str) -> str:
    """What the store keeps of a typed key: a salted scrypt hash, ``scrypt$N$r$p$salt$hash``."""
    salt = secrets.token_bytes(_SALT_BYTES)
    hashed = hashlib.scrypt(key.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${hashed.hex()}"


def typed_key_matches(given: Any, stored: str) -> bool:
    """Whether ``given`` (spaces around it ignored) is the key ``stored`` was made from, in
    constant time; a value not shaped like a key ``new_typed_key`` makes is refused before scrypt
    runs (each check costs 16 MiB and tens of milliseconds)."""
    if not isinstance(given, str) or not _TYPED_KEY_SHAPE.fullmatch(key := given.strip()):
        return False
    try:
        method, n, r, p, salt, hashed = stored.split("$")
        if method != "scrypt":
            return False
        expected = bytes.fromhex(hashed)
        computed = hashlib.scrypt(
            key.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, expected)
