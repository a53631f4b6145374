"""cpmkit.core.links: secrets made with enough randomness, kept as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from cpmkit.core import links as link_secrets
from cpmkit.core.links import (
    BROWSER_KEY_BYTES,
    DIGEST_LENGTH,
    MIN_BYTES,
    TOKEN_BYTES,
    digest,
    lookup_digest,
    matches,
    new_browser_key,
    new_token,
)
from cpmkit.ui.browser_key import KEY_PATTERN


def test_exported_names() -> None:
    assert sorted(link_secrets.__all__) == [
        "BROWSER_KEY_BYTES", "DIGEST_LENGTH", "MIN_BYTES", "TOKEN_BYTES",
        "digest", "lookup_digest", "matches", "new_browser_key", "new_token",
    ]  # fmt: skip


def test_a_token_carries_at_least_128_random_bits_and_is_url_safe() -> None:
    assert TOKEN_BYTES * 8 >= 128 and MIN_BYTES * 8 == 128
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == TOKEN_BYTES
    assert len(new_token(MIN_BYTES)) == 22


def test_fewer_than_128_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        new_token(MIN_BYTES - 1)


def test_a_browser_key_looks_like_the_ones_browsers_make() -> None:
    keys = {new_browser_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(KEY_PATTERN.fullmatch(key) for key in keys)
    assert BROWSER_KEY_BYTES * 8 == 128


def test_the_digest_is_sha256_in_hex_and_fits_the_secret_columns() -> None:
    token = new_token()
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(digest(token)) == DIGEST_LENGTH == 64
    assert digest(token) != token and token not in digest(token)


def test_lookup_ignores_spaces_and_refuses_what_cannot_be_a_secret() -> None:
    token = new_token()
    assert lookup_digest(f"  {token}\n") == digest(token)
    for given in (None, "", "   ", 42, ["x"], "x" * 257):
        assert lookup_digest(given) is None


def test_matches_only_the_secret_whose_digest_is_stored() -> None:
    token = new_token()
    stored = digest(token)
    assert matches(token, stored)
    assert not matches(token + "x", stored)
    assert not matches(token, token)  # a plain value is never taken for its digest
    assert not matches(token, "")
    assert not matches(token, "é" * 64)  # not hex: refused, not an error
