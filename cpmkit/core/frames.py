"""A check the logic modules share: a DataFrame has the columns a function needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValidationError naming each column ``frame`` lacks for ``what`` (e.g. 'value scorecard')."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(f"The {what} needs the column(s) {', '.join(missing)}.")
