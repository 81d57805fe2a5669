"""Fixtures of the reliability suite (tests/conftest.py gives the databases, the clock and `svc`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests sign in dozens of users; argon2 with its production cost would take most of their
    time. The same code runs with a cheap cost (the hash format and the checks are unchanged)."""
    import services.users

    monkeypatch.setattr(services.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
