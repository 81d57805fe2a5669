"""The annual report over the statistics: imported figures, shares, publication mode, exports, import."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from monitoring_kit import exploitation, person, stat_person

from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.statistics_report import (
    annual_report,
    import_published,
    imported_figures,
    parse_import,
    report_csv,
    report_xlsx,
    valid_path,
)
from services.uow import UnitOfWork
from store.models import AuditEvent

STATS = Actor("stella", frozenset({"statistician"}))
GOOD = b"""year,metric,key,value
2023,applications.total,,300
2024,applications.total,,478
2024,applications.by_referrer_type,self,48
2024,exploitation.by_form.forced_labour,primary,120
2025,decisions.rejected,no_need,7
"""


def _year(svc: Services) -> None:
    """2026: eight people victimised in Finland (three of them undocumented), two rejections."""
    statuses = ["residence_permit"] * 4 + ["finnish_citizen"] + ["undocumented"] * 3
    for n, status in enumerate(statuses):
        rid = stat_person(
            svc,
            received=date(2026, 1, 10 + n),
            decided=date(2026, 2, 10 + n),
            referrer_type="police" if n < 6 else "self",
            gender="female" if n % 2 else "male",
            age_at_admission=30 + n,
            birth_year=1990,
            nationalities=["NG" if n < 5 else "VN"],
            residence_status=status,
            exploited_in="finland",
        )
        exploitation(svc, rid, "forced_labour", True)
    stat_person(svc, received=date(2026, 3, 1), decided=date(2026, 4, 1), outcome="rejected", referrer_type="police")
    stat_person(svc, received=date(2026, 3, 2), decided=date(2026, 4, 2), outcome="rejected", referrer_type="police")


def test_the_report_shows_the_year_with_shares_and_the_series(svc: Services) -> None:
    _year(svc)
    import_published(svc, STATS, GOOD, source="https://ihmiskauppa.fi/vuosikatsaus")
    report = annual_report(svc, STATS, 2026)
    t = report.tables
    assert t["applications"]["total"] == 10 and t["applications"]["by_referrer_type"]["police"] == 8
    assert t["victimised_in_finland"]["persons"] == 8
    assert report.lawful_share == 62 and report.finnish_share == 12  # 5 of 8 lawful, 1 of 8 Finnish
    assert [(p.year, p.value, p.imported) for p in report.series] == [
        (2022, 0, False),
        (2023, 300, True),
        (2024, 478, True),
        (2025, 0, False),
        (2026, 10, False),
    ]
    assert report.imported == frozenset()

    earlier = annual_report(svc, STATS, 2024)  # a year before the system: the published figures
    assert earlier.tables["applications"]["total"] == 478
    assert earlier.tables["applications"]["by_referrer_type"]["self"] == 48
    assert earlier.tables["exploitation"]["by_form"]["forced_labour"]["primary"] == 120
    assert earlier.imported == {
        "applications.total",
        "applications.by_referrer_type.self",
        "exploitation.by_form.forced_labour.primary",
    }
    assert earlier.series[-1].imported and earlier.series[-1].value == 478


def test_publication_mode_hides_small_cells_their_complements_and_the_shares(svc: Services) -> None:
    _year(svc)
    report = annual_report(svc, STATS, 2026, publish=True)
    residence = report.tables["victimised_in_finland"]["by_residence_status"]
    assert residence["undocumented"] == "<5" and residence["finnish_citizen"] == "<5"  # 3 and 1
    assert residence["residence_permit"] == "<5"  # 4
    assert report.tables["decisions"]["rejected"]["no_need"] == "<5"  # 2 rejections
    referrers = report.tables["applications"]["by_referrer_type"]
    assert referrers["self"] == "<5" and referrers["ngo"] == 0  # 2; a zero reveals nobody
    assert referrers["police"] == "x"  # 8, hidden too: else self = 10 - 8
    assert report.tables["applications"]["total"] == 10
    assert report.lawful_share is None and report.finnish_share is None  # they would give counts back
    assert "applications.by_referrer_type.police" in report.hidden["secondary"]


def test_exports_carry_every_cell_and_the_imported_mark(svc: Services) -> None:
    _year(svc)
    import_published(svc, STATS, GOOD)
    report = annual_report(svc, STATS, 2026)
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["table", "key", "value", "imported"]
    assert ["applications", "total", "10", ""] in rows
    assert ["applications_by_year", "2024", "478", "imported"] in rows
    assert ["exploitation.by_form.forced_labour", "primary", "8", ""] in rows
    assert ["victimised_in_finland", "lawful_stay_percent", "62", ""] in rows

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(report_xlsx(report, {"police": "Poliisi"})))
    assert book.sheetnames[:3] == ["Summary", "applications", "decisions"]
    sheet = book["applications"]
    values = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert ("applications.by_referrer_type", "police", "Poliisi", 8, None) in values
    assert book["Summary"]["B1"].value == 2026
    published = report_csv(annual_report(svc, STATS, 2026, publish=True))
    assert "applications.by_referrer_type,police,x," in published


def test_the_import_is_validated_line_by_line_and_all_or_nothing(svc: Services) -> None:
    bad = (
        b"year,metric,key,value\n2024,applications.total,,478\n1999,applications.total,,1\n"
        b"2024,applications.by_referrer_type,martians,3\n2024,decisions.total,,-4\n"
        b"2024,applications.total,,479\n2024,x\n"
    )
    with pytest.raises(InvalidInput) as caught:
        import_published(svc, STATS, bad)
    assert caught.value.errors == {
        "line 3": "The year must be between 2000 and 2100.",
        "line 4": "Unknown figure applications.by_referrer_type.martians.",
        "line 5": "The value must be a whole number, 0 or more.",
        "line 6": "The same figure is on line 2.",
        "line 7": "Give four values: year, metric, key, value.",
    }
    assert imported_figures(svc, STATS) == []
    assert parse_import(b"a,b\n")[1] == {"file": "The first line must be: year,metric,key,value"}
    assert parse_import(b"\xff\xfe")[1] == {"file": "The file is not UTF-8 text."}
    assert parse_import(b"year,metric,key,value\n")[1] == {"file": "The file has no figures."}
    assert valid_path(("victimised_in_finland", "by_nationality", "NG"))
    assert not valid_path(("victimised_in_finland", "by_nationality", "Nigeria"))

    first = import_published(svc, STATS, GOOD, source="review 2024")
    assert (first.rows, first.years, first.replaced) == (5, (2023, 2024, 2025), 0)
    again = import_published(svc, STATS, b"\xef\xbb\xbfyear,metric,key,value\n2024,applications.total,,480\n")
    assert again.replaced == 1
    figures = {(f.year, f.metric, f.key): f.value for f in imported_figures(svc, STATS)}
    assert figures[(2024, "applications.total", "")] == 480 and len(figures) == 5
    with UnitOfWork(svc.sessions) as uow:
        logged = uow.session.query(AuditEvent).filter_by(action="statistics_imported").count()
    assert logged == 2

    carl = person(svc, "carl", ["caseworker"])
    with pytest.raises(Forbidden):
        import_published(svc, carl, GOOD)
    with pytest.raises(Forbidden):
        annual_report(svc, carl, 2026)
