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

__all__ = ["DATA_DIR_ENV", "cache_dir", "data_dir", "templates_dir"]

DATA_DIR_ENV = "CPMKIT_DATA_DIR"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder holding the default SQLite store (``CPMKIT_DATA_DIR`` overrides it)."""
    return Path(env.get(DATA_DIR_ENV) or platformdirs.user_data_dir("cpmkit")).expanduser()


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder for derived files that can be rebuilt at any time (the chart bundle)."""
    return Path(env.get("CPMKIT_CACHE_DIR") or platformdirs.user_cache_dir("cpmkit")).expanduser()


def templates_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The content folder (question banks, guidance, notebook templates): ``CPMKIT_TEMPLATES_DIR``
    or the repository's ``templates/``."""
    return Path(env.get("CPMKIT_TEMPLATES_DIR") or Path(__file__).resolve().parent.parent / "templates")
