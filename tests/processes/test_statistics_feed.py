"""The processes record every fact the annual statistics count (DESIGN.md section 4) under the agreed
names, early enough: a served decision counts at once, even while its appeal period runs or consent is
withdrawn in it, and an exit counts with its reason and date."""

from __future__ import annotations

from casekit import (
    World,
    accept_referral,
    admit,
    advance,
    assess,
    case_data,
    decide,
    record_consent,
    refer,
)
from support import SUPERVISOR

from services.messages import deliver_message
from services.statistics import annual_statistics


def rejected_in_appeal_period(w: World, ground: str, **referral: object) -> int:
    case_id = refer(w, **referral)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id)
    decide(w, case_id, "rejected", ground)
    return case_id


def test_the_annual_statistics_count_what_the_processes_record(w: World) -> None:
    admitted = admit(w)
    pending = rejected_in_appeal_period(w, "no_trafficking", referrer={"type": "ngo"})
    withdrawn = rejected_in_appeal_period(w, "no_need", referrer={"type": "self"})
    deliver_message(w.svc, w.caseworker, "consent_withdrawn", {}, case_id=withdrawn)
    left = admit(w, referrer={"type": "migri"})
    advance(w, days=20)
    deliver_message(w.svc, w.caseworker, "client_notice", {"date": "2026-03-22"}, case_id=left)

    data = case_data(w, pending)  # the appeal period still runs
    assert data["decision"]["outcome"] == "rejected" and data["decided_on"] == "2026-03-02"
    assert case_data(w, withdrawn)["decision"]["rejection_ground"] == "no_need"
    assert case_data(w, admitted)["exploitation_forms"][0] == {"form": "forced_labour", "primary": True}

    tables = annual_statistics(w.svc, SUPERVISOR, 2026).tables
    assert tables["applications"]["total"] == 4
    assert tables["applications"]["by_referrer_type"]["police"] == 1
    assert tables["applications"]["by_referrer_type"]["ngo"] == 1
    assert tables["decisions"] == {"total": 4, "admitted": 2, "rejected": {"no_trafficking": 1, "no_need": 1}}
    assert tables["new_clients"]["total"] == 2 and tables["new_clients"]["adults"] == 2
    assert tables["exploitation"]["by_form"]["forced_labour"]["primary"] == 2
    assert tables["victimised_in_finland"]["persons"] == 2
    assert tables["clients_at_year_end"]["total"] == 1  # the one who left by notice is not counted
