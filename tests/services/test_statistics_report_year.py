"""A year of cases through the real processes (bpmn/ + forms/schemas/, started by referrals), and
every number of the annual statistics JSON asserted: a client referred in December and decided in
January, a minor who turns 18 during the year, a person with two forms of exploitation, and a
rejected application. Drives the processes with tests/processes/casekit.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, FakeClock

from services.context import Actor, Services
from services.statistics import annual_statistics
from services.statistics_report import annual_report


def _casekit() -> Any:
    if "casekit" not in sys.modules:
        spec = importlib.util.spec_from_file_location("casekit", Path(ROOT) / "tests" / "processes" / "casekit.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["casekit"] = module
        spec.loader.exec_module(module)
    return sys.modules["casekit"]


kit = _casekit()
STATS = Actor("stella", frozenset({"statistician"}))


def _minor(w: Any) -> int:
    """Born 2008-06-01: 17 when admitted in March 2026, 18 by the end of the year."""
    client = {"given_names": "Lin", "birth_date": "2008-06-01", "gender": "female", "nationalities": ["VN"]}
    case_id = kit.refer(
        w,
        client=client,
        referrer={"type": "reception_centre", "organisation": "Espoo reception centre"},
        residence_status="asylum_seeker",
        has_municipality_of_residence=False,
        reception_centre="Espoo reception centre",
        suspected_exploitation=["sexual_exploitation"],
        consent={"given": True, "date": "2026-03-01", "method": "signed_form", "child_consent": True},
    )
    kit.accept_referral(w, case_id)
    consent = {"child_consent": True, "guardian_consent": True, "date": kit.today(w), "method": "signed_form"}
    kit.complete(w, w.intake, case_id, "record_consent", {"consent": consent})
    notification = {"child_welfare_notification": {"made_on": kit.today(w), "recipient": "Espoo"}}
    kit.complete(w, w.caseworker, case_id, "notify_child_welfare", notification)
    kit.assess(
        w,
        case_id,
        residence_status="asylum_seeker",
        municipality=False,
        needs=["safe_accommodation"],
        forms=[{"form": "sexual_exploitation", "primary": True}],
    )
    if "assess_family_tracing" in kit.open_tasks(w, case_id):
        tracing = {"child_heard": True, "representative_heard": True, "in_best_interest": False, "reasoning": "No."}
        kit.complete(w, w.caseworker, case_id, "assess_family_tracing", {"family_tracing": tracing})
    kit.decide(w, case_id)
    kit.start_assistance(w, case_id)
    return case_id


@pytest.fixture
def w(svc: Services, clock: FakeClock) -> Any:
    return kit.world(svc, clock)


def test_a_year_of_cases_gives_every_number(w: Any, svc: Services) -> None:
    # March 2026: an adult with two forms of exploitation, admitted (police; Nigerian; permit; in Finland)
    kit.admit(w)
    # a minor who turns 18 in June, admitted in March (reception centre; Vietnamese; asylum seeker)
    kit.advance(w, days=1)
    _minor(w)
    # a rejected application (self-referral; assessed as not needing the system's assistance)
    kit.advance(w, days=1)
    rejected = kit.refer(w, referrer={"type": "self"}, client={**kit.referral_doc()["client"], "gender": "male"})
    kit.accept_referral(w, rejected)
    kit.record_consent(w, rejected)
    kit.assess(w, rejected, needs_assistance=False, needs=[])
    kit.decide(w, rejected, "rejected", "no_need")
    # December: a referral by the police, decided in January 2027
    kit.advance_to(w, "2026-12-10")
    december = kit.refer(
        w,
        client={**kit.referral_doc()["client"], "birth_date": "1980-02-02", "nationalities": ["UA"]},
        residence_status="temporary_protection",
    )
    kit.accept_referral(w, december)
    kit.record_consent(w, december)
    kit.assess(w, december, residence_status="temporary_protection", municipality=False)
    kit.advance_to(w, "2027-01-08")
    kit.decide(w, december)

    year = annual_statistics(svc, STATS, 2026).tables
    referrers = dict.fromkeys(year["applications"]["by_referrer_type"], 0) | {
        "police": 2,
        "reception_centre": 1,
        "self": 1,
    }
    forms = {code: {"primary": 0, "secondary": 0} for code in year["exploitation"]["by_form"]}
    forms["forced_labour"]["primary"] = 1
    forms["benefit_fraud"]["secondary"] = 1
    forms["sexual_exploitation"]["primary"] = 1
    zero_status = dict.fromkeys(year["victimised_in_finland"]["by_residence_status"], 0)
    assert year == {
        "applications": {"total": 4, "by_referrer_type": referrers},
        "decisions": {"total": 3, "admitted": 2, "rejected": {"no_trafficking": 0, "no_need": 1}},
        "new_clients": {
            "total": 2,
            "adults": 1,
            "minors": 1,
            "by_age_group": {"under_18": 1, "18_29": 0, "30_39": 1, "40_49": 0, "50_plus": 0, "unknown": 0},
            "by_gender": {"female": 2, "male": 0, "other": 0, "unknown": 0},
        },
        "exploitation": {"cases": 3, "persons": 2, "by_form": forms},
        "victimised_in_finland": {
            "persons": 2,
            "nationalities": 2,
            "by_nationality": {"NG": 1, "VN": 1},
            "by_gender": {"female": 2, "male": 0, "other": 0, "unknown": 0},
            "by_residence_status": zero_status | {"residence_permit": 1, "asylum_seeker": 1},
        },
        "clients_at_year_end": {"total": 2, "adults": 2, "minors": 0},  # the minor is 18 by 31 December
        "applications_by_year": {"2022": 0, "2023": 0, "2024": 0, "2025": 0, "2026": 4},
        "anonymous_consultations": year["anonymous_consultations"],  # none logged: tests/services/test_consultations.py
    }
    assert year["anonymous_consultations"]["total"] == 0

    next_year = annual_statistics(svc, STATS, 2027).tables
    assert next_year["applications"]["total"] == 0  # the December referral counts in 2026
    assert next_year["decisions"] == {"total": 1, "admitted": 1, "rejected": {"no_trafficking": 0, "no_need": 0}}
    assert next_year["new_clients"]["total"] == 1 and next_year["new_clients"]["by_age_group"]["40_49"] == 1
    assert next_year["victimised_in_finland"]["by_nationality"] == {"UA": 1}
    assert next_year["applications_by_year"]["2026"] == 4

    report = annual_report(svc, STATS, 2026)
    assert report.lawful_share == 100 and report.finnish_share == 0
    published = annual_report(svc, STATS, 2026, publish=True).tables
    assert published["applications"]["total"] == "<5" and published["decisions"]["rejected"]["no_need"] == "<5"
