"""The anonymous-consultation log over HTTP: intake's page (CSRF, roles, corrections) and the JSON API."""

from __future__ import annotations

import re

from page_helpers import make_user, page_client, post, post_form, sign_in
from support_api import user

from services.context import Services


def test_intake_records_a_consultation_on_the_page(svc: Services) -> None:
    make_user(svc, "ida", ["intake"])
    with page_client(svc) as client:
        sign_in(client, "ida")
        page = client.get("/consultations")
        assert page.status_code == 200
        assert 'data-testid="nav-consultations"' in page.text
        assert 'type="date" id="f-consulted_on" name="consulted_on" value="2026-03-02"' in page.text  # today
        assert len(re.findall(r"<select id=\"f-(referrer_type|topic|outcome)\"", page.text)) == 3
        assert "<textarea" not in page.text and 'data-testid="consultations-empty"' in page.text

        fields = {"consulted_on": "2026-03-01", "referrer_type": "police", "topic": "child_case"}
        missing = post(client, "/consultations", fields, token_from="/consultations")
        assert missing.status_code == 422 and 'data-testid="error-summary"' in missing.text
        assert 'value="child_case" selected' in missing.text  # the choices are kept

        done = post(client, "/consultations", {**fields, "outcome": "referral_to_follow"}, token_from="/consultations")
        assert (done.status_code, done.headers["location"]) == (303, "/consultations")
        listed = client.get("/consultations").text
        assert listed.count('data-testid="consultation-row"') == 1
        assert "Lapsen asia" in listed and "Esitys tulossa" in listed  # Finnish labels by default

        refused = post_form(client, "/consultations", list({**fields, "outcome": "advice_given"}.items()))
        assert refused.status_code == 403  # no CSRF token
        assert client.get("/consultations").text.count('data-testid="consultation-row"') == 1


def test_the_recorder_corrects_and_deletes_on_the_page(svc: Services) -> None:
    make_user(svc, "ida", ["intake"])
    with page_client(svc) as client:
        sign_in(client, "ida")
        fields = {"consulted_on": "", "referrer_type": "ngo", "topic": "safety", "outcome": "advice_given"}
        assert post(client, "/consultations", fields, token_from="/consultations").status_code == 303
        row_id = re.search(r'data-testid="consultation-row" data-id="(\d+)"', client.get("/consultations").text)
        assert row_id is not None
        entry = row_id.group(1)
        edit = client.get(f"/consultations?edit={entry}")
        assert f'action="/consultations/{entry}"' in edit.text and 'value="safety" selected' in edit.text
        correction = {**fields, "topic": "residence_permit"}
        fixed = post(client, f"/consultations/{entry}", correction, token_from="/consultations")
        assert fixed.status_code == 303
        assert "Oleskelulupa" in client.get("/consultations").text
        gone = post(client, f"/consultations/{entry}/delete", {}, token_from="/consultations")
        assert gone.status_code == 303
        assert 'data-testid="consultations-empty"' in client.get("/consultations").text


def test_roles_on_the_page(svc: Services) -> None:
    make_user(svc, "sue", ["supervisor"])
    make_user(svc, "stella", ["statistician"])
    make_user(svc, "dora", ["decider"])
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get("/consultations")
        assert page.status_code == 200 and 'data-testid="consultation-form"' not in page.text  # reads, never records
    for name in ("stella", "dora"):
        with page_client(svc) as client:
            sign_in(client, name)
            assert client.get("/consultations").status_code == 403
            assert 'data-testid="nav-consultations"' not in client.get("/inbox").text


def test_the_json_api(svc: Services) -> None:
    intake = user(svc, "ida", ["intake"])
    caseworker = user(svc, "carl", ["caseworker"])
    statistician = user(svc, "stella", ["statistician"])
    with page_client(svc) as client:
        body = {"consulted_on": "2026-02-28", "referrer_type": "police", "topic": "safety", "outcome": "advice_given"}
        created = client.post("/api/v1/consultations", json=body, headers=intake)
        assert created.status_code == 201
        assert created.json() | {"id": 0, "recorded_at": ""} == {
            **body,
            "id": 0,
            "recorded_by": "ida",
            "recorded_at": "",
            "editable": True,
        }
        today = client.post("/api/v1/consultations", json={**body, "consulted_on": None}, headers=caseworker)
        assert today.status_code == 201 and today.json()["consulted_on"] == "2026-03-02"

        bad = client.post("/api/v1/consultations", json={**body, "topic": "gossip", "outcome": ""}, headers=intake)
        assert bad.status_code == 422 and set(bad.json()["detail"]["errors"]) == {"topic", "outcome"}
        note = client.post("/api/v1/consultations", json={**body, "note": "caller was Anna"}, headers=intake)
        assert note.status_code == 422 and "note" in note.json()["detail"]["errors"]  # no free text, ever
        future = client.post("/api/v1/consultations", json={**body, "consulted_on": "2026-03-03"}, headers=intake)
        assert future.status_code == 422 and "consulted_on" in future.json()["detail"]["errors"]

        listed = client.get("/api/v1/consultations?start=2026-03-01", headers=intake).json()
        assert [e["consulted_on"] for e in listed] == ["2026-03-02"]
        assert len(client.get("/api/v1/consultations", headers=intake).json()) == 2
        assert [e["recorded_by"] for e in client.get("/api/v1/consultations", headers=caseworker).json()] == ["carl"]
        assert client.get("/api/v1/consultations", headers=statistician).status_code == 403
        assert client.post("/api/v1/consultations", json=body, headers=statistician).status_code == 403
        assert client.get("/api/v1/consultations").status_code == 401

        paths = client.get("/openapi.json").json()["paths"]
        assert set(paths["/api/v1/consultations"]) == {"get", "post"}


def test_the_statistics_page_shows_the_consultations(svc: Services) -> None:
    intake = user(svc, "ida", ["intake"])
    make_user(svc, "sue", ["supervisor"])
    with page_client(svc) as client:
        for topic in ("safety",) * 6 + ("other",) * 2:
            body = {"referrer_type": "ngo", "topic": topic, "outcome": "advice_given"}
            assert client.post("/api/v1/consultations", json=body, headers=intake).status_code == 201
        sign_in(client, "sue")
        page = client.get("/statistics/2026").text
        assert 'data-testid="consultations-total">8<' in page
        published = client.get("/statistics/2026?publish=true").text
        assert 'data-testid="consultations-total">8<' in published
        topics = published[published.index('data-testid="table-consultation-topics"') :]
        row = (
            '<tr data-key="{}"><th scope="row">{}</th><td class="num">'
            + '<span class="cell--hidden" data-testid="hidden-cell">'
        )
        assert row.format("other", "Muu") + "&lt;5<" in topics
        assert row.format("safety", "Turvallisuus") + "x<" in topics  # else other = total - safety
        csv = client.get("/statistics/2026/export.csv").text
        assert "anonymous_consultations.by_topic,safety,6," in csv
