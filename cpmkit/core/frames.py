"""A check the logic modules share: a DataFrame (or plain rows) has the columns a function needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValidationError naming each column ``frame`` lacks for ``what`` (e.g. 'value scorecard')."""
    _require([c for c in columns if c not in frame.columns], what)


def require_fields(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], what: str) -> None:
    """``require_columns`` for plain rows: each column some row lacks."""
    _require([c for c in columns if any(c not in row for row in rows)], what)


def _require(missing: Sequence[str], what: str) -> None:
    if missing:
        raise ValidationError(f"The {what} needs the column(s) {', '.join(missing)}.")
