"""Sample cases for `auttamo demo`: about 30 invented clients spread over every stage of the processes.

Each case is driven through the services layer exactly as people would drive it (referral, forms,
messages), on a demo clock that replays the last year and a half, so timers fire as they would have:
reminders, the end of reflection periods, reviews, appeal periods. Nothing is written around the
processes except each case's team (the services layer does not assign teams yet). All names are
invented. Runs only on a database without cases.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from config import Settings
from processes.rules import age_of_client, is_minor
from services.context import Actor, Services
from services.messages import deliver_message
from services.outbox import run_outbox
from services.referrals import parse_referral, submit_referral
from services.tasks import complete_task
from services.timers import fire_due_timers
from services.uow import UnitOfWork
from store.models import Case, HumanTask, Team

DEMO_PARTNER_URL = "https://return-partner.invalid/api"


class _Clock:
    """The demo's notion of now: it replays past days and never runs ahead of the real time."""

    def __init__(self, now: datetime) -> None:
        self.real_now = now
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def to(self, moment: datetime) -> datetime:
        self.now = min(moment, self.real_now)
        return self.now


@dataclass
class Profile:
    """One invented person and how their case goes; `stages` are run in order."""

    given: str
    family: str
    born: str  # ISO date, or a year
    gender: str
    nationality: str
    days_ago: int  # when the referral was received
    stages: tuple[str, ...]
    referrer: str = "police"
    residence: str = "residence_permit"
    municipality: bool = True
    forms: tuple[tuple[str, bool], ...] = (("forced_labour", True),)
    exploited_in: str = "finland"
    needs: tuple[str, ...] = ("advice", "social_services", "legal_aid")
    language: str = "en"
    category: str = "presumed_victim"
    extra: dict[str, Any] = field(default_factory=dict)


A = ("accept", "consent", "initial", "exploitation", "needs")  # intake and assessment done
ADMITTED = (*A, "draft", "approve", "notify", "start")
PROFILES = [
    # referral and intake
    Profile("Maria", "Santos", "1995-04-12", "female", "PH", 1, (), referrer="ngo"),
    Profile(
        "Tuan", "Nguyen", "2010-02-03", "male", "VN", 0, (), referrer="reception_centre", residence="asylum_seeker"
    ),
    Profile("Olena", "Koval", "1988", "female", "UA", 3, ("missing",), referrer="wellbeing_county"),
    Profile("Ahmed", "Karimi", "1990-09-30", "male", "AF", 25, ("missing", "incomplete"), referrer="self"),
    Profile("Rosa", "Lima", "1979-01-20", "female", "BR", 9, ("duplicate",), referrer="health_care"),
    # consent
    Profile(
        "Ibrahim", "Diallo", "1998-07-07", "male", "GN", 4, ("accept",), referrer="migri", residence="asylum_seeker"
    ),
    Profile("Amina", "Yusuf", "2011-11-11", "female", "SO", 6, ("accept", "consent_missing"), referrer="police"),
    Profile("Lan", "Chen", "1985-03-03", "female", "CN", 20, ("accept", "no_consent"), referrer="lawyer"),
    # assessment
    Profile("Andrei", "Popescu", "1982-05-05", "male", "RO", 8, ("accept", "consent"), referrer="border_guard"),
    Profile("Joy", "Okafor", "1999-12-24", "female", "NG", 12, ("accept", "consent", "initial"), referrer="shelter"),
    Profile("Khanh", "Tran", "2009-08-08", "male", "VN", 5, ("accept", "consent"), referrer="victim_support"),
    Profile("Sami", "Haddad", "1987-06-16", "male", "SY", 15, (*A[:4],), residence="asylum_seeker", referrer="migri"),
    # decision
    Profile("Elena", "Ivanova", "1992-10-10", "female", "RU", 30, A, referrer="ngo"),
    Profile("Pedro", "Alves", "1976-02-29", "male", "PT", 33, (*A, "draft"), residence="eu_registered"),
    Profile("Grace", "Mensah", "2001-01-01", "female", "GH", 28, (*A, "draft", "approve"), referrer="parish"),
    Profile("Yusuf", "Demir", "1989", "male", "TR", 20, (*A, "reject_no_need"), referrer="police"),
    Profile("Nadia", "Benali", "1993-03-15", "female", "MA", 45, (*A, "reject_no_trafficking", "appeal")),
    Profile("Arjun", "Sharma", "1984-08-20", "male", "IN", 120, (*A, "reject_no_need", "appeal_over")),
    # admitted clients
    Profile("Fatima", "Rahimi", "1997-05-30", "female", "IR", 40, (*A, "draft", "approve", "notify")),
    Profile("Chidi", "Eze", "1991-04-04", "male", "NG", 70, ADMITTED, residence="visa", municipality=False),
    Profile(
        "Mei",
        "Wong",
        "1996-09-09",
        "female",
        "TH",
        50,
        (*ADMITTED, "grant"),
        residence="undocumented",
        municipality=False,
    ),
    Profile(
        "Kofi",
        "Asante",
        "1990-12-12",
        "male",
        "GH",
        97,
        (*ADMITTED, "grant"),
        residence="undocumented",
        municipality=False,
    ),
    Profile(
        "Eva",
        "Horvath",
        "1999-08-14",
        "female",
        "HU",
        140,
        (*ADMITTED, "grant"),
        residence="undocumented",
        municipality=False,
    ),
    Profile("Valentina", "Rossi", "1994-07-21", "female", "MD", 150, ADMITTED, forms=(("sexual_exploitation", True),)),
    Profile(
        "Bilal", "Khan", "1983-03-30", "male", "PK", 300, (*ADMITTED, "review"), forms=(("forced_criminality", True),)
    ),
    Profile("Sofia", "Petrova", "1986-11-02", "female", "BG", 200, (*ADMITTED, "review_due"), exploited_in="both"),
    Profile("Hassan", "Ali", "1980-01-15", "male", "IQ", 210, (*ADMITTED, "review_due", "propose_removal")),
    Profile("Anna", "Nowak", "1978-04-18", "female", "PL", 230, (*ADMITTED, "review_due", "removal_heard")),
    # leaving the system
    Profile("Daniel", "Mwangi", "1988-10-05", "male", "KE", 420, (*ADMITTED, "review_due", "removed"), language="sw"),
    Profile("Irina", "Sokolova", "1990-02-14", "female", "UA", 160, (*ADMITTED, "notice"), exploited_in="abroad"),
    Profile("Luis", "Garcia", "1985-06-06", "male", "CO", 90, (*ADMITTED, "withdraw"), forms=(("begging", True),)),
    Profile("Thi", "Pham", "1993-12-01", "female", "VN", 130, (*ADMITTED, "return_departed")),
    Profile("Ali", "Hosseini", "1995-03-21", "male", "AF", 35, (*ADMITTED, "return_request")),
]


def _referral(p: Profile, received: datetime) -> dict[str, Any]:
    client: dict[str, Any] = {
        "given_names": p.given,
        "family_name": p.family,
        "gender": p.gender,
        "nationalities": [p.nationality],
        "languages": [p.language],
        "interpreter_needed": p.language != "en",
    }
    client["birth_year" if len(p.born) == 4 else "birth_date"] = int(p.born) if len(p.born) == 4 else p.born
    return {
        "referrer": {"type": p.referrer, "organisation": "Demo organisation" if p.referrer != "self" else None},
        "client": client,
        "residence_status": p.residence,
        "has_municipality_of_residence": p.municipality,
        "wellbeing_county": "Helsinki" if p.municipality else None,
        "reception_centre": "Demo reception centre" if p.residence == "asylum_seeker" else None,
        "client_category": p.category,
        "description": f"Invented demo case: {p.forms[0][0].replace('_', ' ')}.",
        "suspected_exploitation": [f for f, _ in p.forms],
        "exploited_in": p.exploited_in,
        "urgent": False,
        "consent": {"given": True, "date": received.date().isoformat(), "method": "signed_form"},
        "received_at": received.isoformat(),
    }


class _Driver:
    """Runs the profiles' stages against one database, on the demo clock."""

    def __init__(self, settings: Settings, now: datetime, team_id: int) -> None:
        self.clock = _Clock(now)
        settings = dataclasses.replace(settings, return_partner_url=settings.return_partner_url or DEMO_PARTNER_URL)
        self.svc = Services.build(settings, clock=self.clock, http_transport=httpx.MockTransport(_demo_partner))

        def person(name: str, role: str) -> Actor:
            return Actor(name, frozenset({role}), team_id=team_id)

        self.team_id = team_id
        self.intake, self.caseworker = person("intake", "intake"), person("caseworker", "caseworker")
        self.decider, self.supervisor = person("decider", "decider"), Actor("supervisor", frozenset({"supervisor"}))

    def close(self) -> None:
        self.svc.close()

    def wait(self, days: float) -> None:
        fire_due_timers(self.svc, now=self.clock.to(self.clock.now + timedelta(days=days)))

    def today(self) -> str:
        return self.clock.now.date().isoformat()

    def is_child(self, p: Profile) -> bool:
        age = age_of_client({"client": {"birth_year" if len(p.born) == 4 else "birth_date": p.born}}, self.today())
        return is_minor(int(age) if age is not None else None)

    def task(self, case_id: int, bpmn_id: str, actor: Actor, data: dict[str, Any], days: float = 1) -> None:
        with UnitOfWork(self.svc.sessions) as uow:
            task_id = uow.session.scalars(
                select(HumanTask.id).where(
                    HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
                )
            ).first()
        if task_id is None:
            raise RuntimeError(f"demo case {case_id}: no open task {bpmn_id}")
        complete_task(self.svc, actor, task_id, data)
        self.wait(days)

    def message(self, case_id: int, name: str, payload: dict[str, Any], days: float = 1) -> None:
        deliver_message(self.svc, self.caseworker, name, payload, case_id=case_id)
        self.wait(days)

    def run(self, p: Profile) -> int:
        received = self.clock.to(self.clock.real_now - timedelta(days=p.days_ago, hours=3))
        receipt = submit_referral(self.svc, self.intake, parse_referral(_referral(p, received)))
        with UnitOfWork(self.svc.sessions, write=True) as uow:
            case = uow.session.get(Case, receipt.case_id)
            assert case is not None
            case.team_id = self.team_id
            uow.commit()
        stages = _stages(self)
        for stage in p.stages:
            stages[stage](receipt.case_id, p)
        return receipt.case_id


def _stages(d: _Driver) -> dict[str, Callable[[int, Profile], None]]:
    cw, dec, intake = d.caseworker, d.decider, d.intake

    def consent(case_id: int, p: Profile) -> None:
        record: dict[str, Any] = {"given": True, "date": d.today(), "method": "signed_form", "share_with": ["migri"]}
        if d.is_child(p):  # the guardian's consent (and from 15 the child's own too)
            record.update(guardian_consent=True, child_consent=True)
        d.task(case_id, "record_consent", intake, {"consent": record})

    def no_consent(case_id: int, p: Profile) -> None:
        refused = {"given": False, "date": d.today(), "method": "electronic"}
        d.task(case_id, "record_consent", intake, {"consent": refused})
        d.task(case_id, "obtain_consent", intake, {"consent_can_be_obtained": False})

    def initial(case_id: int, p: Profile) -> None:
        if d.is_child(p):
            d.task(
                case_id,
                "notify_child_welfare",
                cw,
                {"child_welfare_notification": {"made_on": d.today(), "recipient": "Helsinki"}},
                days=0.2,
            )
        d.task(
            case_id,
            "initial_assessment",
            cw,
            {
                "interview": {"held_on": d.today(), "in_person": True, "interpreter_used": p.language != "en"},
                "interpreter_needed": p.language != "en",
                "safety_risk": "low",
            },
            days=3,
        )

    def exploitation(case_id: int, p: Profile) -> None:
        forms = [{"form": f, "primary": primary} for f, primary in p.forms]
        d.task(case_id, "assess_exploitation", cw, {"exploitation_forms": forms, "exploited_in": p.exploited_in})

    def needs(case_id: int, p: Profile) -> None:
        d.task(
            case_id,
            "service_need_assessment",
            cw,
            {
                "needs_assistance": True,
                "service_needs": list(p.needs),
                "residence_status": p.residence,
                "has_municipality_of_residence": p.municipality,
                "client_category": p.category,
            },
            days=2,
        )

    def draft(case_id: int, p: Profile, outcome: str = "admitted", ground: str | None = None) -> None:
        decision = {"outcome": outcome, "rejection_ground": ground, "reasoning": "Demo reasoning."}
        d.task(case_id, "draft_decision", cw, {"decision": decision, "letter_language": "fi"})

    def approve(case_id: int, p: Profile) -> None:
        d.task(case_id, "approve_decision", dec, {"approval": "approved"}, days=0.5)

    def notify(case_id: int, p: Profile) -> None:
        d.task(case_id, "notify_decision", cw, {"notified_on": d.today(), "notification_method": "in_person"})

    def reject(ground: str) -> Callable[[int, Profile], None]:
        def run(case_id: int, p: Profile) -> None:
            draft(case_id, p, "rejected", ground)
            approve(case_id, p)
            notify(case_id, p)

        return run

    def start(case_id: int, p: Profile) -> None:
        d.task(case_id, "start_assistance", cw, {"service_needs": list(p.needs), "assistance_started_on": d.today()})

    def review_due(case_id: int, p: Profile) -> None:
        d.wait(185)

    def review(case_id: int, p: Profile) -> None:
        review_due(case_id, p)
        d.task(case_id, "review_need", cw, {"review_outcome": "continue", "review_notes": "Need continues."})

    def propose_removal(case_id: int, p: Profile) -> None:
        data = {"review_outcome": "propose_removal", "removal_ground": "no_longer_needs_assistance"}
        d.task(case_id, "review_need", cw, {**data, "review_notes": "Independent now."})

    def removal_heard(case_id: int, p: Profile) -> None:
        propose_removal(case_id, p)
        hearing = {"heard_on": d.today(), "statement_given": True, "statement": "I agree."}
        d.task(case_id, "hear_client", cw, {"hearing": hearing})

    def removed(case_id: int, p: Profile) -> None:
        removal_heard(case_id, p)
        d.task(case_id, "decide_removal", dec, {"removal_decision": "remove", "removal_reasoning": "Need ended."})
        d.wait(35)

    def return_request(case_id: int, p: Profile) -> None:
        d.message(case_id, "return_requested", {})
        request = {"requested_on": d.today(), "destination_country": p.nationality, "free_will_confirmed": True}
        d.task(case_id, "register_return_request", cw, {"return_request": request})

    def return_departed(case_id: int, p: Profile) -> None:
        return_request(case_id, p)
        assessment = {"risk_level": "low", "re_trafficking_risk": False, "safe_to_return": True}
        d.task(case_id, "return_risk_assessment", cw, {"return_assessment": assessment})
        run_outbox(d.svc, now=d.clock.now)
        d.wait(10)
        d.task(case_id, "confirm_departure", cw, {"departed_on": d.today()})

    return {
        "accept": lambda c, p: d.task(c, "check_referral", intake, {"referral_check": "complete"}, days=0.5),
        "missing": lambda c, p: d.task(
            c,
            "check_referral",
            intake,
            {"referral_check": "missing_information", "missing_information": "The client's date of birth."},
        ),
        "incomplete": lambda c, p: d.wait(20),
        "duplicate": lambda c, p: d.task(
            c, "check_referral", intake, {"referral_check": "duplicate", "duplicate_of": "AUT-2025-000001"}
        ),
        "consent": consent,
        "consent_missing": lambda c, p: d.task(
            c,
            "record_consent",
            intake,
            {"consent": {"child_consent": True, "date": d.today(), "method": "signed_form"}},
        ),
        "no_consent": no_consent,
        "initial": initial,
        "exploitation": exploitation,
        "needs": needs,
        "draft": draft,
        "approve": approve,
        "notify": notify,
        "reject_no_need": reject("no_need"),
        "reject_no_trafficking": reject("no_trafficking"),
        "appeal": lambda c, p: d.message(c, "appeal_registered", {"lodged_on": d.today(), "court": "Helsinki"}),
        "appeal_over": lambda c, p: d.wait(35),
        "start": start,
        "grant": lambda c, p: d.task(
            c, "grant_reflection_period", dec, {"reflection_start": d.today(), "reflection_days": 90}
        ),
        "review_due": review_due,
        "review": review,
        "propose_removal": propose_removal,
        "removal_heard": removal_heard,
        "removed": removed,
        "notice": lambda c, p: d.message(c, "client_notice", {"date": d.today()}),
        "withdraw": lambda c, p: d.message(c, "consent_withdrawn", {"withdrawn_by": "client", "date": d.today()}),
        "return_request": return_request,
        "return_departed": return_departed,
    }


def _demo_partner(request: httpx.Request) -> httpx.Response:
    """The demo's stand-in for the return partner: accepts every request."""
    return httpx.Response(201, json={"partner_ref": "DEMO-1", "status": "accepted"})


def seed_cases(settings: Settings, now: datetime, team: str) -> Iterator[str]:
    """Create the sample cases unless the database already has cases."""
    probe = Services.build(settings)
    try:
        with UnitOfWork(probe.sessions) as uow:
            if uow.session.scalar(select(func.count()).select_from(Case)):
                yield "sample cases: skipped (the database already has cases)"
                return
            team_id = uow.session.scalars(select(Team.id).where(Team.name == team)).first()
    finally:
        probe.close()
    if team_id is None:
        yield f"sample cases: skipped (no team {team})"
        return
    driver = _Driver(settings, now.astimezone(UTC), team_id)
    quiet = [logging.getLogger(name) for name in ("spiff", "httpx")]  # every task state / request at INFO
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.WARNING)
    try:
        # Oldest first, so the demo clock mostly moves forward and timers fire in their order.
        for p in sorted(PROFILES, key=lambda p: -p.days_ago):
            driver.run(p)
        fire_due_timers(driver.svc, now=driver.clock.to(driver.clock.real_now))
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)
        driver.close()
    yield f"sample cases: {len(PROFILES)} created"
