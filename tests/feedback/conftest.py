"""Fixtures workbook 4's tests share."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore


@pytest.fixture
def pulses(store: Store) -> PulseStore:
    """The pulse rounds' repository on the test's store."""
    return PulseStore(store)
