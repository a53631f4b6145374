"""cpmkit: customer-centric project management workbooks for Jupyter and Voila.

The public surface is small: the store, the errors, the version, and ``open_project`` for
reading a project into DataFrames in a notebook (``cpmkit.api``). Workbook logic lives in its
own modules (``cpmkit.stakeholders.rules``...), user interfaces under ``cpmkit.ui``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cpmkit.db.database import Store
from cpmkit.errors import (
    ConfigError,
    CpmkitError,
    NotFoundError,
    StoreError,
    TemplateError,
    TooManyTries,
    ValidationError,
)

if TYPE_CHECKING:
    from cpmkit.api import Project, open_project

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "CpmkitError",
    "NotFoundError",
    "Project",
    "Store",
    "StoreError",
    "TemplateError",
    "TooManyTries",
    "ValidationError",
    "__version__",
    "open_project",
]

#: Loaded on first use: ``cpmkit.api`` imports pandas and every workbook's store, which the
#: Voila kernels (each imports cpmkit for its page) mostly never need.
_FROM_API = ("Project", "open_project")


def __getattr__(name: str) -> Any:
    """``cpmkit.open_project`` and ``cpmkit.Project``, imported from ``cpmkit.api`` when first asked for."""
    if name in _FROM_API:
        from cpmkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'cpmkit' has no attribute {name!r}")
