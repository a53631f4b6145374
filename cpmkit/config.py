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

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "TEMPLATES_DIR_ENV",
    "cache_dir",
    "data_dir",
    "default_templates_dir",
    "template_file",
    "templates_dir",
]

DATA_DIR_ENV = "CPMKIT_DATA_DIR"
CACHE_DIR_ENV = "CPMKIT_CACHE_DIR"
TEMPLATES_DIR_ENV = "CPMKIT_TEMPLATES_DIR"
#: The default content inside an installed package (the wheel puts templates/ there) ...
_PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: ... and in a clone (an editable install), the repository's own templates/.
_REPOSITORY_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder holding the default SQLite store (``CPMKIT_DATA_DIR`` overrides it)."""
    return Path(env.get(DATA_DIR_ENV) or platformdirs.user_data_dir("cpmkit")).expanduser()


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder for derived files that can be rebuilt at any time (the chart bundle)."""
    return Path(env.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("cpmkit")).expanduser()


def default_templates_dir() -> Path:
    """The content cpmkit ships (question banks, guidance, notebook templates): inside the
    installed package, or the repository's ``templates/`` when run from a clone."""
    return _PACKAGED_TEMPLATES if _PACKAGED_TEMPLATES.is_dir() else _REPOSITORY_TEMPLATES


def templates_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The content folder in use: a trainer's own (``CPMKIT_TEMPLATES_DIR``, which ``cpmkit serve
    --templates`` sets), else the defaults."""
    return Path(env[TEMPLATES_DIR_ENV]).expanduser() if env.get(TEMPLATES_DIR_ENV) else default_templates_dir()


def template_file(name: str, templates: Path | None = None) -> Path:
    """The content file ``name`` (``soft_skills.yaml``) from ``templates`` (default: the folder in
    use) when that folder has it, else the default one: a trainer's folder needs only the files
    they changed, and a file cpmkit adds later reaches a folder made before it. A file in neither
    is looked for in ``templates`` (its "file not found" names the folder the trainer chose)."""
    path = (templates or templates_dir()) / name
    default = default_templates_dir() / name
    return default if default.exists() and not path.exists() else path
