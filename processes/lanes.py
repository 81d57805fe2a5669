"""Lanes are the contract between process models and roles.

A modeler puts a user task in the `Caseworker` lane; anyone holding a role mapped to that lane may
work it. Tasks of a called process without lanes inherit the caller's lane (engine.projection).
"""

from __future__ import annotations

from collections.abc import Collection

LANE_ROLES: dict[str, frozenset[str]] = {
    "Referrer": frozenset({"referrer"}),
    "Intake": frozenset({"intake"}),
    "Caseworker": frozenset({"caseworker"}),
    "Decider": frozenset({"decider"}),
    "Supervisor": frozenset({"supervisor"}),
    "ProcessOwner": frozenset({"process_owner"}),
}


def known_lanes() -> set[str]:
    return set(LANE_ROLES)


def roles_for_lane(lane: str | None) -> frozenset[str]:
    return LANE_ROLES.get(lane or "", frozenset())


def lanes_for_roles(roles: Collection[str]) -> set[str]:
    """The lanes whose tasks someone with `roles` may work."""
    return {lane for lane, allowed in LANE_ROLES.items() if allowed & set(roles)}
