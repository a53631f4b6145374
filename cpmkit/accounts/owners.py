"""Owners (project managers and trainers) who sign in, and their passwords: rules only.

Passwords are hashed with Argon2id (argon2-cffi, the library jupyter_server itself uses),
each with its own salt; only the hash is stored. ``Owner`` is who a page works for: a
signed-in account on a server, or ``LOCAL_OWNER`` in JupyterLab and on the command line,
where whoever runs the process already holds the store file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cpmkit.errors import ValidationError

__all__ = [
    "LOCAL_OWNER",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "Owner",
    "check_password",
    "clean_username",
    "hash_password",
    "password_matches",
    "waste_a_check",
]

#: Long enough that a guessed password is not found within the sign-in rate limit.
PASSWORD_MIN: Final = 10
#: Hashing is deliberately slow; a bound keeps one sign-in from being made slower still.
PASSWORD_MAX: Final = 256
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_HASHER: Final = PasswordHasher()  # Argon2id with the library's RFC 9106 defaults


@dataclass(frozen=True)
class Owner:
    """Who a page works for. ``id`` is None for ``LOCAL_OWNER``; an admin sees every project."""

    id: int | None
    name: str
    admin: bool = False


#: JupyterLab and the command line: the person at this computer, who can read the store anyway.
LOCAL_OWNER: Final = Owner(None, "this computer", admin=True)


def clean_username(value: Any) -> str:
    """A username as stored: lower case, 1-64 of letters, digits and ``. _ @ -``."""
    text = value.strip().casefold() if isinstance(value, str) else ""
    if not _USERNAME.fullmatch(text):
        raise ValidationError.for_field(
            "username",
            value,
            "use 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.",
        )
    return text


def check_password(value: Any) -> str:
    """The password if it is acceptable for a new account, else a ValidationError saying why."""
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        raise ValidationError.for_field("password", "(hidden)", f"use at least {PASSWORD_MIN} characters.")
    if len(value) > PASSWORD_MAX:
        raise ValidationError.for_field("password", "(hidden)", f"use at most {PASSWORD_MAX} characters.")
    return value


def hash_password(password: str) -> str:
    """The salted Argon2id hash to store for ``password`` (checked first)."""
    return _HASHER.hash(check_password(password))


def password_matches(stored_hash: str, password: Any) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from; never raises."""
    if not isinstance(password, str) or not password or len(password) > PASSWORD_MAX:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def waste_a_check(password: Any) -> None:
    """Spend the time of one password check, for an unknown username (no timing tells it apart)."""
    password_matches(_dummy_hash(), password)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, made on first use: every kernel imports this module (for
    ``Owner``), and only the server checks passwords."""
    return _HASHER.hash("cpmkit: no such account")
