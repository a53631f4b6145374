"""The store's schema history as Alembic revisions (``versions/``), configured in code.

``migrate`` creates a new store by upgrading it to the head revision. A store cpmkit wrote
before Alembic (``cpmkit_meta.schema_version`` 1 to 8) is first brought to schema version 8 by
``cpmkit.db.legacy_upgrades`` and stamped with the baseline revision, which is that schema.
README.md says how to add a revision.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from cpmkit.db import legacy_upgrades
from cpmkit.errors import StoreError

__all__ = ["BASELINE", "config", "head", "legacy_revision", "migrate"]

#: The revision that is schema version 8, the last before Alembic.
BASELINE: Final = "0001"
_HERE: Final = Path(__file__).resolve().parent


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for cpmkit's revisions; with ``connection``, env.py migrates
    on it, inside the caller's transaction, rather than opening its own."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "v%%(rev)s_%%(slug)s")  # a module name mypy accepts
    cfg.attributes["connection"] = connection
    return cfg


@cache
def _revisions() -> ScriptDirectory:
    """The revisions shipped with this cpmkit, read once per process."""
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision this cpmkit knows: the schema it creates and upgrades to."""
    found = _revisions().get_current_head()
    assert found is not None, "cpmkit ships at least the baseline revision"
    return found


def legacy_revision(version: int) -> str:
    """How ``migrate`` reports a store from before Alembic at schema ``version``."""
    return f"schema {version}"


def migrate(conn: Connection) -> str | None:
    """Bring the store behind ``conn`` to the head revision; return the revision it had (None:
    a new store; ``legacy_revision(n)``: a store from before Alembic at schema version n).

    Runs inside the caller's write transaction, so concurrent openers serialize and a failed
    upgrade leaves the store as it was. A store newer than this cpmkit is refused.
    """
    found = MigrationContext.configure(conn).get_current_revision()
    if found is None and inspect(conn).has_table("cpmkit_meta"):
        version = int(conn.execute(text("SELECT value FROM cpmkit_meta WHERE key = 'schema_version'")).scalar_one())
        if version > legacy_upgrades.LAST_VERSION:
            raise _newer(legacy_revision(version))
        legacy_upgrades.upgrade(conn, version)
        command.stamp(config(conn), BASELINE)
        command.upgrade(config(conn), "head")
        return legacy_revision(version)
    if found == head():
        return found  # the usual case: every kernel opens the store; skip loading env.py
    if found is not None and found not in {script.revision for script in _revisions().walk_revisions()}:
        raise _newer(f"revision {found}")
    command.upgrade(config(conn), "head")
    return found


def _newer(what: str) -> StoreError:
    """The error for a store written by a newer cpmkit."""
    return StoreError(
        f"This store was written by a newer cpmkit ({what}; this version knows revision {head()}). "
        "Upgrade cpmkit to open it."
    )
