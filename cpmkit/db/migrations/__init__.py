"""The store's schema history as Alembic revisions (``versions/``), configured in code.

``migrate`` creates a new store by upgrading it to the head revision. A store cpmkit wrote
before Alembic (``cpmkit_meta.schema_version`` 1 to 8) is first brought to schema version 8 by
``cpmkit.db.legacy_upgrades`` and stamped with the baseline revision, which is that schema.
README.md says how to add a revision.

Every kernel opens the store, and almost always finds it at ``HEAD``: that check is plain SQL,
and Alembic (about 11 MB and 0.1 s a kernel) is imported only when there is something to do.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, inspect, text

from cpmkit.db import legacy_upgrades
from cpmkit.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["BASELINE", "HEAD", "at_head", "config", "head", "legacy_revision", "migrate", "revisions"]

#: The revision that is schema version 8, the last before Alembic.
BASELINE: Final = "0001"
#: The newest revision in ``versions/``; tests/db/test_migrations.py fails when it is not.
HEAD: Final = "0006"
_HERE: Final = Path(__file__).resolve().parent


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for cpmkit's revisions; with ``connection``, env.py migrates
    on it, inside the caller's transaction, rather than opening its own."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "v%%(rev)s_%%(slug)s")  # a module name mypy accepts
    cfg.attributes["connection"] = connection
    return cfg


@cache
def revisions() -> ScriptDirectory:
    """The revisions shipped with this cpmkit, read once per process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision this cpmkit knows: the schema it creates and upgrades to."""
    return HEAD


def legacy_revision(version: int) -> str:
    """How ``migrate`` reports a store from before Alembic at schema ``version``."""
    return f"schema {version}"


def at_head(conn: Connection) -> bool:
    """Whether the store behind ``conn`` is at the head revision already: what every kernel
    checks on opening the store, read without the lock an upgrade takes, so a room of kernels
    opening a current store does not queue for it."""
    return _revision(conn) == HEAD


def _revision(conn: Connection) -> str | None:
    """The Alembic revision the store is at; None before Alembic (a new or a legacy store)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    found: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return found


def migrate(conn: Connection) -> str | None:
    """Bring the store behind ``conn`` to the head revision; return the revision it had (None:
    a new store; ``legacy_revision(n)``: a store from before Alembic at schema version n).

    Runs inside the caller's write transaction, so concurrent openers serialize and a failed
    upgrade leaves the store as it was. A store newer than this cpmkit is refused.
    """
    found = _revision(conn)
    if found == HEAD:
        return found  # another opener upgraded it while this one waited for the lock
    from alembic import command

    if found is None and inspect(conn).has_table("cpmkit_meta"):
        version = int(conn.execute(text("SELECT value FROM cpmkit_meta WHERE key = 'schema_version'")).scalar_one())
        if version > legacy_upgrades.LAST_VERSION:
            raise _newer(legacy_revision(version))
        legacy_upgrades.upgrade(conn, version)
        command.stamp(config(conn), BASELINE)
        command.upgrade(config(conn), "head")
        return legacy_revision(version)
    if found is not None and found not in {script.revision for script in revisions().walk_revisions()}:
        raise _newer(f"revision {found}")
    command.upgrade(config(conn), "head")
    return found


def _newer(what: str) -> StoreError:
    """The error for a store written by a newer cpmkit."""
    return StoreError(
        f"This store was written by a newer cpmkit ({what}; this version knows revision {HEAD}). "
        "Upgrade cpmkit to open it."
    )
