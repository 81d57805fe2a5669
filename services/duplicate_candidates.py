"""Duplicate candidates for a referral: earlier cases that may be the same person, for intake to confirm.

Found by keyed hash only (services/protection.py `case_search_key`), never by decrypting cases:
- `name`: the same normalised name, given and family names in either order;
- `birth_date`: the same birth date (or year, when only a year was given);
- `nationality`: at least one nationality in common.
A case is a candidate when its name matches, or its birth date and a nationality both match (a name
spelt differently). Nothing is merged: a person chooses, in the form.

Need-to-know: a candidate reveals that a person is a client. Only intake and supervisors get
candidates (DUPLICATE_ROLES: finding duplicates is intake's job, across teams); a restricted case is
a candidate only for its named users. Every candidate shown is written to the access log. Opening a
candidate's case is an ordinary case read: access-checked (`can_open` says whether the reader may)
and logged by the case page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, defer

from services.access import can_see_case, is_named, is_restricted
from services.context import Actor
from services.protection import nationality_hashes, search_values
from store import crypto
from store.models import Case, CaseSearchKey

REASONS = ("name", "birth_date", "nationality")  # in display order
REASON_OF_KIND = {"name": "name", "birth": "birth_date", "nationality": "nationality"}


@dataclass(frozen=True)
class Candidate:
    case_id: int
    reference: str
    status: str
    reasons: tuple[str, ...]  # of REASONS
    can_open: bool  # whether the reader may open the case itself


def _hashes(client: dict[str, Any]) -> dict[str, set[str]]:
    """Keyed hashes to look for, by key kind."""
    values = search_values(client)
    swapped = search_values({"family_name": client.get("given_names"), "given_names": client.get("family_name")})
    names = {v["name"] for v in (values, swapped) if v.get("name")}
    birth = {"birth": values["birth"]} if values.get("birth") else {}
    return {
        "name": set(crypto.keyed_hashes({name: name for name in names}).values()),
        "birth": set(crypto.keyed_hashes(birth).values()),
        "nationality": nationality_hashes(client),
    }


def is_candidate(reasons: set[str]) -> bool:
    return "name" in reasons or {"birth_date", "nationality"} <= reasons


def find_candidates(session: Session, actor: Actor, client: dict[str, Any], *, exclude_case_id: int) -> list[Candidate]:
    """Candidates for `client`, oldest case first; the caller checks the role and logs what it shows."""
    conditions = [
        and_(CaseSearchKey.kind == kind, CaseSearchKey.hash.in_(sorted(hashes)))
        for kind, hashes in _hashes(client).items()
        if hashes
    ]
    if not conditions:
        return []
    rows = session.execute(
        select(CaseSearchKey.case_id, CaseSearchKey.kind).where(
            or_(*conditions), CaseSearchKey.case_id != exclude_case_id
        )
    ).all()
    found: dict[int, set[str]] = {}
    for case_id, kind in rows:
        found.setdefault(case_id, set()).add(REASON_OF_KIND[kind])
    matched = sorted(case_id for case_id, reasons in found.items() if is_candidate(reasons))
    # Reference, status and team only: a candidate's sealed facts are never opened for the panel.
    cases = {c.id: c for c in session.scalars(select(Case).options(defer(Case.facts)).where(Case.id.in_(matched)))}
    candidates = []
    for case_id in matched:
        reasons = found[case_id]
        if is_restricted(session, case_id) and not is_named(session, actor.username, case_id):
            continue
        case = cases.get(case_id)
        if case is None or case.status == "erased":
            continue
        why = tuple(r for r in REASONS if r in reasons)
        candidates.append(Candidate(case_id, case.reference, case.status, why, can_see_case(session, actor, case)))
    return candidates
