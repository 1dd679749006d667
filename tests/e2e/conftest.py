"""Fixtures of the whole-conversation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.support.threads import WEDNESDAY


@pytest.fixture
def wednesday() -> Iterator[None]:
    """The clock at `tests.support.threads.WEDNESDAY`, moving on from there: A1 meets today at 15:00."""
    with time_machine.travel(WEDNESDAY, tick=True):
        yield
