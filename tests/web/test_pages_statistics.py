"""The statistics report page: who sees it (a statistician sees it and no case), publication mode,
charts, exports, and the import of earlier years' published figures."""

from __future__ import annotations

import io
import re
from datetime import date

from monitoring_kit import stat_person
from page_helpers import csrf_in, make_case, make_user, page_client, sign_in
from support_api import user

from services.context import Services
from web.app import create_app


def _year(svc: Services) -> None:
    for n in range(7):
        stat_person(
            svc,
            received=date(2025, 3, 1 + n),
            decided=date(2025, 4, 1 + n),
            referrer_type="police" if n < 6 else "self",
            gender="female",
            age_at_admission=25,
            nationalities=["VN"] if n < 6 else ["DE"],  # Vietnam, Germany: "Saksa" sorts before "Vietnam"
            residence_status="residence_permit",
            exploited_in="finland",
        )


def test_a_statistics_only_user_sees_the_report_and_no_case(svc: Services) -> None:
    _year(svc)
    make_user(svc, "stella", ["statistician"])
    case_id = make_case(svc, "AUT-2026-000001", "Helsinki", {"given_names": "Anna"})
    with page_client(svc) as client:
        sign_in(client, "stella")
        assert client.get("/statistics", follow_redirects=False).headers["location"] == "/statistics/2025"
        page = client.get("/statistics/2025")
        assert page.status_code == 200 and 'data-testid="statistics-heading"' in page.text
        assert 'data-testid="nav-statistics"' in page.text and 'data-testid="nav-inbox"' not in page.text
        assert "/cases/" not in page.text and "AUT-2026" not in page.text
        for path in (f"/cases/{case_id}", "/inbox", "/monitoring", "/monitoring/instances", "/supervision/access-log"):
            assert client.get(path).status_code == 403, path
        assert client.get("/statistics/2025/export.csv").status_code == 200
    token = user(svc, "stats_api", ["statistician"])
    from fastapi.testclient import TestClient

    with TestClient(create_app(svc.settings, services=svc)) as api:
        assert api.get(f"/api/v1/cases/{case_id}", headers=token).status_code == 403
        assert api.get("/api/v1/statistics/annual/2025", headers=token).status_code == 200
        assert api.get("/api/v1/process-instances", headers=token).status_code == 403


def test_caseworkers_do_not_see_the_statistics(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    with page_client(svc) as client:
        sign_in(client, "carl")
        assert client.get("/statistics/2025").status_code == 403
        assert client.get("/statistics/import").status_code == 403
        assert 'data-testid="nav-statistics"' not in client.get("/inbox").text


def test_the_report_mirrors_the_review_and_publication_mode_hides_small_cells(svc: Services) -> None:
    _year(svc)
    make_user(svc, "sue", ["supervisor"])
    with page_client(svc) as client:
        sign_in(client, "sue")
        internal = client.get("/statistics/2025").text
        assert 'data-testid="hidden-cell"' not in internal
        for chart in (
            "chart-series",
            "chart-referrers",
            "chart-decisions",
            "chart-age",
            "chart-forms",
            "chart-residence",
        ):
            assert f'<svg id="{chart}"' in internal
        assert 'role="img"' in internal and "<script" not in internal.split("<main")[1]
        nationalities = re.search(r'data-testid="table-nationalities">(.*?)</table>', internal, re.S)
        assert nationalities and re.findall(r'data-key="([A-Z]+)"', nationalities.group(1)) == ["DE", "VN"]
        assert 'data-testid="lawful-share">100 %' in internal

        published = client.get("/statistics/2025?publish=true").text
        assert 'data-testid="publication-mode"' in published
        referrers = re.search(r'data-testid="table-referrers">(.*?)</table>', published, re.S)
        assert referrers is not None
        cells = dict(
            re.findall(
                r'data-key="(\w+)"><th scope="row">[^<]*</th><td class="num">(?:<span[^>]*>)?([^<]*)',
                referrers.group(1),
            )
        )
        assert cells["self"] == "&lt;5" and cells["police"] == "x"  # 1 hidden, and 6 with it: else 7 - 6 = 1
        assert 'data-testid="lawful-share">100 %' in published  # no residence-status cell is hidden
        csv_published = client.get("/statistics/2025/export.csv?publish=true")
        assert "applications.by_referrer_type,self,<5," in csv_published.text
        assert "auttamo-statistics-2025-published.csv" in csv_published.headers["content-disposition"]
        xlsx = client.get("/statistics/2025/export.xlsx")
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert xlsx.content[:2] == b"PK"


def test_importing_earlier_years_completes_the_series(svc: Services) -> None:
    _year(svc)
    make_user(svc, "stella", ["statistician"])
    good = b"year,metric,key,value\n2021,applications.total,,300\n2022,applications.total,,478\n"
    with page_client(svc) as client:
        sign_in(client, "stella")
        page = client.get("/statistics/import").text
        token = csrf_in(page)
        bad = client.post(
            "/statistics/import",
            files={"file": ("figures.csv", io.BytesIO(b"year,metric,key,value\n2022,nonsense,,1\n"), "text/csv")},
            data={"__csrf": token, "source": "review"},
        )
        assert bad.status_code == 422 and 'data-testid="import-errors"' in bad.text and "line 2" in bad.text
        ok = client.post(
            "/statistics/import",
            files={"file": ("figures.csv", io.BytesIO(good), "text/csv")},
            data={"__csrf": token, "source": "https://ihmiskauppa.fi"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/statistics/import"
        assert client.get("/statistics/import").text.count("<code>applications.total</code>") == 2
        report = client.get("/statistics/2025").text
        series = re.search(r'data-testid="table-series">(.*?)</table>', report, re.S)
        assert series is not None
        assert re.findall(r'data-key="(\d+)" data-imported="true"', series.group(1)) == ["2021", "2022"]
        assert report.count("bar bar--main bar--imported") == 2
        without_token = client.post(
            "/statistics/import", files={"file": ("f.csv", io.BytesIO(good), "text/csv")}, follow_redirects=False
        )
        assert without_token.status_code == 403
