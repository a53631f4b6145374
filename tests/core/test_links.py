"""cpmkit.core.links: secrets made with enough randomness, kept as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

import cpmkit
from cpmkit.core import links as link_secrets
from cpmkit.core.links import (
    BROWSER_KEY_BYTES,
    DIGEST_LENGTH,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    MIN_BYTES,
    SIGNING_KEY_BYTES,
    TOKEN_BYTES,
    TYPED_KEY_BYTES,
    digest,
    lookup_digest,
    matches,
    new_browser_key,
    new_join_code,
    new_signing_key,
    new_token,
    new_typed_key,
    same,
    typed_key_hash,
    typed_key_matches,
)
from cpmkit.ui.browser_key import KEY_PATTERN


def test_exported_names() -> None:
    assert sorted(link_secrets.__all__) == [
        "BROWSER_KEY_BYTES", "DIGEST_LENGTH", "JOIN_CODE_ALPHABET", "JOIN_CODE_LENGTH", "MIN_BYTES",
        "SIGNING_KEY_BYTES", "TOKEN_BYTES", "TYPED_KEY_BYTES",
        "digest", "lookup_digest", "matches", "new_browser_key", "new_join_code", "new_signing_key", "new_token",
        "new_typed_key", "same", "typed_key_hash", "typed_key_matches",
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


def test_same_compares_any_text_in_constant_time() -> None:
    token = new_token()
    assert same(token, token) and not same(token, token + "x") and not same(token, "")
    assert not same("é" * 3, token) and same("日本", "日本")  # no TypeError outside ASCII


def test_a_typed_key_is_short_random_and_kept_as_a_salted_scrypt_hash() -> None:
    assert TYPED_KEY_BYTES * 8 == 128
    key = new_typed_key()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)
    stored, again = typed_key_hash(key), typed_key_hash(key)
    assert stored.startswith("scrypt$") and key not in stored and stored != again  # salted
    assert typed_key_matches(key, stored) and typed_key_matches(f" {key}\n", again)
    for wrong in (new_typed_key(), key[:-1], key + "A", "", None, 42, "é" * 22):
        assert not typed_key_matches(wrong, stored)
    assert not typed_key_matches(key, "bcrypt$1$2$3$00$00") and not typed_key_matches(key, "junk")


def test_join_codes_and_signing_keys() -> None:
    codes = {new_join_code() for _ in range(50)}
    assert all(len(code) == JOIN_CODE_LENGTH and set(code) <= set(JOIN_CODE_ALPHABET) for code in codes)
    assert len(new_signing_key()) == SIGNING_KEY_BYTES == 32 and new_signing_key() != new_signing_key()


def test_only_links_makes_or_compares_secrets() -> None:
    """Every random secret and every comparison of secrets goes through cpmkit.core.links, so its
    sizes are defined once and no comparison leaks timing."""
    package = Path(cpmkit.__file__).parent
    found = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "links.py"
        and re.search(r"secrets\.(token_|choice|compare_digest)|compare_digest|os\.urandom", path.read_text("utf-8"))
    )
    assert found == []
