"""Owner accounts in the store (cpmkit.accounts.store), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.db.schema import users
from cpmkit.errors import NotFoundError, ValidationError

PASSWORD = "correct horse battery"


def test_an_account_signs_in_with_its_password_only(store: Store) -> None:
    accounts = AccountStore(store)
    alice = accounts.add_user("Alice", PASSWORD)
    assert (alice.name, alice.admin) == ("alice", False)
    assert accounts.sign_in("ALICE ", PASSWORD) == (alice, 0)
    assert accounts.sign_in("alice", PASSWORD + "!") is None
    assert accounts.sign_in("nobody", PASSWORD) is None
    assert accounts.sign_in(None, None) is None
    assert accounts.count() == 1


def test_only_the_hash_is_stored(store: Store) -> None:
    AccountStore(store).add_user("alice", PASSWORD)
    with store.read() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_username_is_taken_once_ignoring_case(store: Store) -> None:
    accounts = AccountStore(store)
    accounts.add_user("alice", PASSWORD)
    with pytest.raises(ValidationError, match="already an account called 'alice'"):
        accounts.add_user("ALICE", PASSWORD)
    with pytest.raises(ValidationError, match="at least 10 characters"):
        accounts.add_user("bob", "short")
    assert [u["username"] for u in accounts.users()] == ["alice"]


def test_a_new_password_signs_every_session_out(store: Store) -> None:
    accounts = AccountStore(store)
    alice = accounts.add_user("alice", PASSWORD, admin=True)
    assert accounts.session_owner(alice.id, 0) == alice
    accounts.set_password("alice", "another long password")
    assert accounts.session_owner(alice.id, 0) is None
    assert accounts.sign_in("alice", "another long password") == (alice, 1)
    assert accounts.session_owner(alice.id, 1) == alice
    assert accounts.session_owner(alice.id + 1, 0) is None
    with pytest.raises(NotFoundError, match="no account called 'nobody'"):
        accounts.set_password("nobody", "another long password")


def test_an_owner_sees_only_their_projects_and_an_admin_sees_all(store: Store) -> None:
    accounts = AccountStore(store)
    admin, alice, bob = (accounts.add_user(n, PASSWORD, admin=n == "root") for n in ("root", "alice", "bob"))
    apollo = store.create_project("Apollo", owner=alice)
    gemini = store.create_project("Gemini", owner=bob)
    mercury = store.create_project("Mercury")  # JupyterLab: no owner
    assert [p["id"] for p in store.list_projects(alice)] == [apollo]
    assert [p["id"] for p in store.list_projects(bob)] == [gemini]
    assert [p["id"] for p in store.list_projects(admin)] == [apollo, gemini, mercury]
    assert [p["id"] for p in store.list_projects()] == [apollo, gemini, mercury]  # JupyterLab sees the whole store
