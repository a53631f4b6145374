"""Fixtures the team health check tests share."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.health.store import HealthStore


@pytest.fixture
def health(store: Store) -> HealthStore:
    """The health checks' repository on the test's store."""
    return HealthStore(store)
