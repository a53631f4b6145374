"""cpmkit: customer-centric project management workbooks for Jupyter and Voila.

The public surface is small: the store, the errors, and the version. Workbook logic lives
in its own modules (``cpmkit.stakeholders.rules``...), user interfaces under ``cpmkit.ui``.
"""

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

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "CpmkitError",
    "NotFoundError",
    "Store",
    "StoreError",
    "TemplateError",
    "TooManyTries",
    "ValidationError",
    "__version__",
]
