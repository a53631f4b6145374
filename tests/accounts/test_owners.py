"""Owner accounts: usernames, password rules and Argon2id hashes (cpmkit.accounts.owners)."""

from __future__ import annotations

import pytest

from cpmkit.accounts.owners import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    check_password,
    clean_username,
    hash_password,
    password_matches,
)
from cpmkit.errors import ValidationError


@pytest.mark.parametrize(
    ("raw", "clean"), [("Alice", "alice"), ("  bob.smith@acme ", "bob.smith@acme"), ("pm-2_x", "pm-2_x")]
)
def test_usernames_are_stored_in_lower_case(raw: str, clean: str) -> None:
    assert clean_username(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "-alice", "al ice", "a" * 65, "alice<script>", None, 7, "Bоb"])
def test_a_username_that_is_not_plain_is_refused_with_a_message(raw: object) -> None:
    with pytest.raises(ValidationError, match="^Username: use 1 to 64 letters"):
        clean_username(raw)


def test_a_password_must_be_long_enough_and_not_too_long() -> None:
    with pytest.raises(ValidationError, match=f"at least {PASSWORD_MIN} characters"):
        check_password("short")
    with pytest.raises(ValidationError, match=f"at most {PASSWORD_MAX} characters"):
        check_password("x" * (PASSWORD_MAX + 1))
    with pytest.raises(ValidationError) as refused:
        check_password("short")
    assert "short" not in str(refused.value)  # a refused password is never echoed back


def test_the_hash_is_salted_argon2id_and_checks_only_the_right_password() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second  # a salt of its own each time
    assert "correct horse" not in first
    assert password_matches(first, "correct horse battery")
    assert not password_matches(first, "correct horse batterY")
    assert not password_matches(first, "")
    assert not password_matches(first, None)
    assert not password_matches("not a hash", "correct horse battery")
    assert not password_matches(first, "x" * (PASSWORD_MAX + 1))
