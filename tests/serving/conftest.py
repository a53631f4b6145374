"""Fixtures of the serving tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cpmkit.serving.forking import Zygote
from tests.serving._forked import started_zygote


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """A zygote for the module's tests."""
    yield from started_zygote()
