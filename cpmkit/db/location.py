"""Which store cpmkit opens: ``CPMKIT_DB_URL`` if set, else the default SQLite file in the data
directory (``config.data_dir``). Kept apart from ``config`` so content and rules modules that read
settings never import SQLAlchemy."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from cpmkit.config import data_dir

__all__ = ["DB_URL_ENV", "DEFAULT_DB_FILENAME", "db_url", "this_machine_only"]

DB_URL_ENV = "CPMKIT_DB_URL"
DEFAULT_DB_FILENAME = "cpmkit.sqlite3"


def db_url(env: Mapping[str, str] = os.environ) -> str:
    """The SQLAlchemy URL of the store: ``CPMKIT_DB_URL`` if set, else the default SQLite file.

    A relative SQLite path is resolved against the current directory, so callers that start
    other processes (``cpmkit serve``) pass the absolute URL on to them.
    """
    raw = env.get(DB_URL_ENV, "").strip()
    if not raw:
        return f"sqlite:///{data_dir(env) / DEFAULT_DB_FILENAME}"
    url = make_url(raw)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database).expanduser()
        if not path.is_absolute():
            url = url.set(database=str(path.resolve()))
    return url.render_as_string(hide_password=False)


def this_machine_only(url: str) -> bool:
    """Whether the store at ``url`` is SQLite, which only processes of this machine can share:
    workers on several machines need a server database (PostgreSQL)."""
    return make_url(url).get_backend_name() == "sqlite"
