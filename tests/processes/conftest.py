"""The fixture every process test starts from: `w`, the deployed models and their people (casekit.world)."""

from __future__ import annotations

import pytest
from casekit import World, world
from support import FakeClock

from services.context import Services


@pytest.fixture
def w(svc: Services, clock: FakeClock) -> World:
    """The real processes deployed, a team with intake, caseworker, decider and supervisor, the fake clock."""
    return world(svc, clock)
