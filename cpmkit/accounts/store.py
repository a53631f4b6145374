"""Owner accounts in the store: create them, check a sign-in, find who a session belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpmkit.accounts.owners import Owner, clean_username, hash_password, password_matches, waste_a_check
from cpmkit.db.database import Store
from cpmkit.db.schema import users
from cpmkit.errors import NotFoundError, ValidationError

__all__ = ["AccountStore"]


class AccountStore:
    """The ``users`` table, through the one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_user(self, username: str, password: str, *, admin: bool = False) -> Owner:
        """Create an account; the username is unique (ignoring case), the password stored hashed."""
        name = clean_username(username)
        values = {"username": name, "password_hash": hash_password(password), "is_admin": admin}
        try:
            with self.store.write() as conn:
                user_id = conn.execute(users.insert().values(values).returning(users.c.id)).scalar_one()
        except IntegrityError as exc:
            raise ValidationError.for_field(
                "username", username, f"there is already an account called {name!r}."
            ) from exc
        return Owner(int(user_id), name, admin)

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password; every session it had is signed out."""
        name = clean_username(username)
        values = {"password_hash": hash_password(password), "session_version": users.c.session_version + 1}
        with self.store.write() as conn:
            if not conn.execute(users.update().where(users.c.username == name).values(values)).rowcount:
                raise NotFoundError(f"There is no account called {name!r}.")

    def count(self) -> int:
        """How many accounts there are (none: the server offers the first-run step)."""
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def users(self) -> list[dict[str, Any]]:
        """Every account as ``{"username", "is_admin", "created_at"}``, by name."""
        query = select(users.c.username, users.c.is_admin, users.c.created_at).order_by(users.c.username)
        with self.store.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def sign_in(self, username: Any, password: Any) -> tuple[Owner, int] | None:
        """The owner and session version for a right username and password, else None.
        An unknown username costs the same time as a wrong password."""
        try:
            name = clean_username(username)
        except ValidationError:
            name = None
        row = None
        if name is not None:
            with self.store.read() as conn:
                row = conn.execute(select(users).where(users.c.username == name)).first()
        if row is None:
            waste_a_check(password)
            return None
        if not password_matches(row.password_hash, password):
            return None
        return Owner(int(row.id), row.username, bool(row.is_admin)), int(row.session_version)

    def session_owner(self, user_id: int, session_version: int) -> Owner | None:
        """The owner a session cookie names, if the account still exists and the session is current."""
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None or int(row.session_version) != session_version:
            return None
        return Owner(int(row.id), row.username, bool(row.is_admin))
