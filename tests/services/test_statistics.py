"""Annual statistics over the anonymous facts: every counting rule, and publication suppression."""

from __future__ import annotations

from datetime import date

import pytest
from support import CASEWORKER, SUPERVISOR

from processes.disclosure import Equation, suppress
from services.context import Actor, Services
from services.errors import Forbidden
from services.statistics import annual_statistics
from services.uow import UnitOfWork
from store.models import StatDecision, StatExploitation, StatImported, StatRecord

STATS = Actor("stella", frozenset({"statistician"}))


def _person(s: object, **kw: object) -> StatRecord:
    record = StatRecord(**{"nationalities": [], **kw})
    s.add(record)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return record


def _seed(svc: Services) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        s = uow.session
        # admitted in December 2026, decided in January 2027: a 2026 application, a 2027 decision and client
        a = _person(
            s,
            received_on=date(2026, 12, 10),
            referrer_type="police",
            gender="female",
            birth_year=1990,
            age_at_admission=36,
            nationalities=["NG"],
            residence_status="asylum_seeker",
            exploited_in="finland",
            admitted_on=date(2027, 1, 8),
        )
        s.add(StatDecision(record_id=a.id, decided_on=date(2027, 1, 8), outcome="admitted"))
        s.add_all(
            [
                StatExploitation(record_id=a.id, form="forced_labour", primary=True),
                StatExploitation(record_id=a.id, form="benefit_fraud", primary=False),
            ]
        )
        # a minor admitted in 2027 who turns 18 before the end of 2027 (born 2009)
        b = _person(
            s,
            received_on=date(2027, 2, 1),
            referrer_type="reception_centre",
            gender="male",
            birth_year=2009,
            age_at_admission=17,
            nationalities=["AF", "IR"],
            residence_status="undocumented",
            exploited_in="abroad",
            admitted_on=date(2027, 3, 1),
        )
        s.add(StatDecision(record_id=b.id, decided_on=date(2027, 3, 1), outcome="admitted"))
        s.add(StatExploitation(record_id=b.id, form="sexual_exploitation", primary=True))
        # a rejected application
        c = _person(s, received_on=date(2027, 4, 2), referrer_type="self", gender="female", birth_year=1985)
        s.add(StatDecision(record_id=c.id, decided_on=date(2027, 5, 2), outcome="rejected", rejection_ground="no_need"))
        # an older client who left in 2027
        _person(
            s,
            received_on=date(2024, 1, 1),
            referrer_type="ngo",
            gender="male",
            birth_year=1970,
            age_at_admission=54,
            admitted_on=date(2024, 2, 1),
            exit_on=date(2027, 6, 30),
            exit_reason="client_request",
        )
        s.add(StatImported(year=2023, metric="applications.total", key="", value=478, imported_by="sue"))
        uow.commit()


def test_every_number_of_a_year(svc: Services) -> None:
    _seed(svc)
    t = annual_statistics(svc, SUPERVISOR, 2027).tables
    assert t["applications"]["total"] == 2
    assert t["applications"]["by_referrer_type"]["reception_centre"] == 1
    assert t["applications"]["by_referrer_type"]["self"] == 1
    assert t["decisions"] == {"total": 3, "admitted": 2, "rejected": {"no_trafficking": 0, "no_need": 1}}
    assert t["new_clients"]["total"] == 2 and t["new_clients"]["adults"] == 1 and t["new_clients"]["minors"] == 1
    assert t["new_clients"]["by_age_group"]["under_18"] == 1 and t["new_clients"]["by_age_group"]["30_39"] == 1
    assert t["new_clients"]["by_gender"]["female"] == 1 and t["new_clients"]["by_gender"]["male"] == 1
    assert t["exploitation"]["cases"] == 3 and t["exploitation"]["persons"] == 2
    assert t["exploitation"]["by_form"]["forced_labour"] == {"primary": 1, "secondary": 0}
    assert t["exploitation"]["by_form"]["benefit_fraud"] == {"primary": 0, "secondary": 1}
    vf = t["victimised_in_finland"]
    assert (vf["persons"], vf["nationalities"], vf["by_nationality"]) == (1, 1, {"NG": 1})
    assert vf["by_residence_status"]["asylum_seeker"] == 1
    # at the end of 2027: A (adult) and B (18 by then); the older client left in June
    assert t["clients_at_year_end"] == {"total": 2, "adults": 2, "minors": 0}
    assert t["applications_by_year"] == {"2023": 478, "2024": 1, "2025": 0, "2026": 1, "2027": 2}
    assert annual_statistics(svc, STATS, 2027).imported_years == (2023,)

    t2026 = annual_statistics(svc, SUPERVISOR, 2026).tables
    assert t2026["applications"]["total"] == 1 and t2026["decisions"]["total"] == 0
    assert t2026["clients_at_year_end"] == {"total": 1, "adults": 1, "minors": 0}


def test_publication_suppresses_a_small_cell_and_its_complement() -> None:
    table = {"total": 20, "parts": {"a": 3, "b": 8, "c": 9}}
    out, primary, secondary = suppress(table, [Equation(("total",), (("parts", "a"), ("parts", "b"), ("parts", "c")))])
    assert out["parts"]["a"] == "<5" and primary == {("parts", "a")}
    assert secondary == {("parts", "b")} and out["parts"]["b"] == "x"  # else a = 20 - b - c
    assert out["total"] == 20 and out["parts"]["c"] == 9


def test_published_statistics_hide_small_cells(svc: Services) -> None:
    _seed(svc)
    pub = annual_statistics(svc, SUPERVISOR, 2027, publish=True)
    t = pub.tables
    assert t["decisions"]["admitted"] == "<5" and t["applications"]["total"] == "<5"
    assert all(v in (0, "<5", "x") for v in t["applications"]["by_referrer_type"].values())
    assert "applications_by_year.2027" in pub.hidden["primary"]
    assert t["applications_by_year"]["2023"] == 478


def test_only_statistics_roles(svc: Services) -> None:
    with pytest.raises(Forbidden):
        annual_statistics(svc, CASEWORKER, 2027)
