"""Bulk data for the dashboard and statistics benchmarks, on top of bench/seed.py's cases, instances
and tasks: varied instance states, waiting timers, case facts with recorded deadlines (about 1 KB of
facts per case, as a real referral leaves; sealed when an encryption key is configured), incidents,
and 100,000 anonymous statistics records with decisions and forms of exploitation. Core executemany
throughout."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, case, func, insert, select, text, update

from store import crypto
from store.models import Case, Incident, ProcessInstance, StatDecision, StatExploitation, StatRecord

BATCH = 10_000
INSTANCES = cast(Table, ProcessInstance.__table__)
REFERRERS = ("police", "reception_centre", "migri", "self", "wellbeing_county", "ngo", "border_guard", "lawyer")
FORMS = ("forced_labour", "sexual_exploitation", "forced_criminality", "begging", "benefit_fraud", "forced_marriage")
STATUSES = ("residence_permit", "asylum_seeker", "undocumented", "visa", "finnish_citizen", "temporary_protection")
NATIONALITIES = ("NG", "VN", "UA", "TH", "RO", "IQ", "AF", "CN", "FI", "SO", "ER", "BG", "PH", "MA", "BR")
ELEMENTS = ("ut1", "ut2", "ut3", "wait_gw", "timer_1", "call_assessment")


def _facts(rng: random.Random, now: datetime, variant: int) -> dict[str, Any]:
    """A realistic case-facts document; one in five holds recorded deadlines."""
    facts: dict[str, Any] = {
        "referral": {
            "referrer": {"type": REFERRERS[variant % len(REFERRERS)], "organisation": "Bench organisation " * 2},
            "client": {
                "given_names": "Bench Person",
                "family_name": f"Example {variant}",
                "birth_date": "1990-05-17",
                "gender": "female",
                "nationalities": [NATIONALITIES[variant % len(NATIONALITIES)]],
                "languages": ["en", "fi"],
                "interpreter_needed": True,
            },
            "description": "Worked without pay in a restaurant; passport taken. " * 6,
            "suspected_exploitation": ["forced_labour"],
            "exploited_in": "finland",
        },
        "received_at": (now - timedelta(days=variant)).isoformat(),
        "urgent": variant % 7 == 0,
    }
    if variant % 5 == 0:
        due = now + timedelta(days=rng.randint(-5, 60))
        kind = ("appeal_deadline", "reflection_end", "hearing_deadline", "next_review_at")[variant % 4]
        facts["deadlines"] = [{"kind": kind, "due_at": due.date().isoformat(), "basis": "bench basis " + kind}]
    return facts


def enrich(db: Engine, *, now: datetime, variants: int = 50, seed_value: int = 11) -> None:
    """Vary bench/seed.py's rows: statuses, active elements, timers, facts and some incidents."""
    rng = random.Random(seed_value)
    ring = crypto.ring()  # sealed at rest, as the app writes them (store.crypto.EncryptedJSON)
    blobs = {
        v: json.dumps(ring.seal(json.dumps(_facts(rng, now, v)).encode())) if ring else json.dumps(_facts(rng, now, v))
        for v in range(variants)
    }
    with db.begin() as conn:
        facts_sql = "UPDATE client_case SET facts = :facts WHERE id % :n = :v"
        if db.dialect.name == "postgresql":
            facts_sql = "UPDATE client_case SET facts = CAST(:facts AS jsonb) WHERE id % :n = :v"
        for v, blob in blobs.items():
            conn.execute(text(facts_sql), {"facts": blob, "n": variants, "v": v})
        for n, element in enumerate(ELEMENTS):
            active = json.dumps([element, ELEMENTS[(n + 1) % len(ELEMENTS)]])
            stmt = "UPDATE process_instance SET active_elements = :a WHERE id % :k = :n"
            if db.dialect.name == "postgresql":
                stmt = "UPDATE process_instance SET active_elements = CAST(:a AS jsonb) WHERE id % :k = :n"
            conn.execute(text(stmt), {"a": active, "k": len(ELEMENTS), "n": n})
        # 3 in 10 wait for a timer, spread from two days late to two months ahead
        waiting = conn.execute(select(ProcessInstance.id).where(ProcessInstance.id % 10 < 3)).scalars().all()
        timers = [{"i": i, "t": now + timedelta(hours=(i * 7919) % (60 * 24) - 48)} for i in waiting]
        for start in range(0, len(timers), BATCH):
            conn.execute(  # through the column's type, so SQLite stores the same text format as the app
                update(INSTANCES).where(INSTANCES.c.id == bindparam("i")).values(next_timer_at=bindparam("t")),
                timers[start : start + BATCH],
            )
        conn.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id % 50 == 1)
            .values(status=case((ProcessInstance.id % 100 == 1, "error"), else_="suspended"))
        )
        conn.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id % 9 == 4)
            .values(status="completed", completed_at=now, next_timer_at=None)
        )
        errored = conn.execute(
            select(ProcessInstance.id, ProcessInstance.case_id).where(ProcessInstance.status == "error")
        ).all()
        conn.execute(
            insert(Incident),
            [
                {
                    "instance_id": i,
                    "case_id": c,
                    "kind": "service_call" if i % 3 else "script_error",
                    "element_id": "ut2",
                    "message": "bench: the partner did not answer",
                    "status": "open",
                    "created_at": now - timedelta(hours=i % 100),
                }
                for i, c in errored
            ],
        )


def seed_statistics(db: Engine, *, records: int, last_year: int, seed_value: int = 5) -> int:
    """`records` anonymous people referred over the six years up to `last_year`, with decisions and forms."""
    rng = random.Random(seed_value)
    first = date(last_year - 5, 1, 1)
    span = (date(last_year, 12, 31) - first).days
    with db.begin() as conn:
        start_id = (conn.scalar(select(func.max(StatRecord.id))) or 0) + 1
    rows, decisions, forms = [], [], []
    for n in range(records):
        rid = start_id + n
        received = first + timedelta(days=rng.randrange(span))
        decided = received + timedelta(days=rng.randint(3, 90)) if rng.random() < 0.85 else None
        admitted = decided if decided is not None and rng.random() < 0.75 else None
        birth_year = received.year - rng.randint(14, 65)
        rows.append(
            {
                "id": rid,
                "case_id": None,
                "received_on": received,
                "referrer_type": rng.choice(REFERRERS),
                "client_category": "presumed_victim",
                "gender": rng.choice(("female", "male", "male", "female", "other")),
                "birth_year": birth_year,
                "age_at_admission": (admitted.year - birth_year - 1) if admitted else None,
                "nationalities": [rng.choice(NATIONALITIES)],
                "residence_status": rng.choice(STATUSES),
                "exploited_in": rng.choice(("finland", "finland", "abroad", "both")),
                "admitted_on": admitted,
                "exit_on": (admitted + timedelta(days=rng.randint(100, 900)))
                if admitted and rng.random() < 0.5
                else None,
                "exit_reason": None,
                "updated_at": datetime.now(UTC),
            }
        )
        if decided is not None:
            outcome = "admitted" if admitted else "rejected"
            ground = None if admitted else rng.choice(("no_trafficking", "no_need"))
            decisions.append({"record_id": rid, "decided_on": decided, "outcome": outcome, "rejection_ground": ground})
        if admitted:
            picked = rng.sample(FORMS, rng.choice((1, 1, 1, 2)))
            forms += [{"record_id": rid, "form": f, "primary": k == 0} for k, f in enumerate(picked)]
    with db.begin() as conn:
        for table, data in ((StatRecord, rows), (StatDecision, decisions), (StatExploitation, forms)):
            for start in range(0, len(data), BATCH):
                conn.execute(insert(table), data[start : start + BATCH])
        if db.dialect.name == "postgresql":
            for name in ("stat_record", "stat_decision", "stat_exploitation"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                )
    return len(rows)


def case_count(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Case)) or 0)
