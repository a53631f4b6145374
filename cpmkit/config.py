"""Where cpmkit keeps its data: one store for JupyterLab, Voila and the CLI alike.

Voila starts each kernel in the notebook's folder, so nothing here may depend on the
working directory: the default SQLite file lives in the user's data directory, and a
relative SQLite path given in ``CPMKIT_DB_URL`` is made absolute once, by ``cpmkit serve``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

__all__ = ["DB_URL_ENV", "DEFAULT_DB_FILENAME", "cache_dir", "data_dir", "db_url", "templates_dir"]

DB_URL_ENV = "CPMKIT_DB_URL"
DATA_DIR_ENV = "CPMKIT_DATA_DIR"
DEFAULT_DB_FILENAME = "cpmkit.sqlite3"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder holding the default SQLite store (``CPMKIT_DATA_DIR`` overrides it)."""
    return Path(env.get(DATA_DIR_ENV) or platformdirs.user_data_dir("cpmkit")).expanduser()


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder for derived files that can be rebuilt at any time (the chart bundle)."""
    return Path(env.get("CPMKIT_CACHE_DIR") or platformdirs.user_cache_dir("cpmkit")).expanduser()


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


def templates_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The content folder (question banks, guidance, notebook templates): ``CPMKIT_TEMPLATES_DIR``
    or the repository's ``templates/``."""
    return Path(env.get("CPMKIT_TEMPLATES_DIR") or Path(__file__).resolve().parent.parent / "templates")
