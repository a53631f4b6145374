"""Fixtures the lessons-register tests share."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.lessons.store import LessonStore


@pytest.fixture
def register(store: Store) -> LessonStore:
    """The lessons register's repository on the test's store (test_rules.py has its own
    ``register``: a frame of lessons)."""
    return LessonStore(store)
