"""Fixtures the widget tests in this folder share."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    """Widgets are tested on SQLite only; the stores' tests cover PostgreSQL."""
    return sqlite_store
