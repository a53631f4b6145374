"""Fixtures the retrospective tests share."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.retro.store import RetroStore


@pytest.fixture
def retros(store: Store) -> RetroStore:
    """The retrospective boards' repository on the test's store."""
    return RetroStore(store)
