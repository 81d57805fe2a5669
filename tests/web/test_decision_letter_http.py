"""Decision letters over real HTTP: the decider signs through the JSON API, the case view links the letter,
and the letter downloads as an HTML or PDF attachment in Finnish and English, logged, need-to-know."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from page_helpers import make_user, page_client, sign_in
from support import FakeClock
from support_api import access_rows

from services.context import Services
from services.users import issue_token

sys.path.append(str(Path(__file__).resolve().parents[1] / "processes"))  # casekit drives the real processes
from casekit import TEAM, World, accept_referral, assess, record_consent, refer, world

Headers = dict[str, str]


@dataclass
class Http:
    client: TestClient
    w: World
    carl: Headers
    dora: Headers

    def complete(self, who: Headers, case_id: int, name: str, data: dict[str, Any]) -> None:
        rows = self.client.get("/api/v1/tasks?scope=team", headers=who).json()
        [task] = [r for r in rows if r["case_id"] == case_id and r["name"] == name]
        done = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=who)
        assert done.status_code == 200, done.text

    def assessed(self) -> int:
        case_id = refer(self.w)
        accept_referral(self.w, case_id)
        record_consent(self.w, case_id)
        assess(self.w, case_id)
        return case_id

    def signed(self, outcome: str, ground: str | None, reasoning: str = "Assessed with the client.") -> int:
        case_id = self.assessed()
        decision = {"outcome": outcome, "rejection_ground": ground, "reasoning": reasoning}
        self.complete(self.carl, case_id, "draft_decision", {"decision": decision, "letter_language": "fi"})
        self.complete(self.dora, case_id, "approve_decision", {"approval": "approved"})
        return case_id

    def decisions(self, case_id: int, who: Headers | None = None) -> list[dict[str, Any]]:
        case = self.client.get(f"/api/v1/cases/{case_id}", headers=who or self.carl)
        assert case.status_code == 200, case.text
        found: list[dict[str, Any]] = case.json()["signed_decisions"]
        return found


def person(svc: Services, name: str, *roles: str, team: str | None = TEAM) -> Headers:
    make_user(svc, name, list(roles), team=team)
    return {"Authorization": f"Bearer {issue_token(svc, name)}"}


@pytest.fixture
def http(svc: Services, clock: FakeClock) -> Iterator[Http]:
    w = world(svc, clock)
    with page_client(svc) as client:
        yield Http(client, w, person(svc, "carl", "caseworker"), person(svc, "dora", "decider"))


def pdf_pages(body: bytes) -> int:
    assert body.startswith(b"%PDF-1.") and body.rstrip().endswith(b"%%EOF") and b"startxref" in body
    return len(re.findall(rb"/Type /Page\b(?!s)", body))


OUTCOMES = [
    ("admitted", None, "Teidät otetaan ihmiskaupan uhrien auttamisjärjestelmään", "You are admitted"),
    ("rejected", "no_trafficking", "Peruste:</b> ei ihmiskauppaa", "Ground:</b> no trafficking"),
    ("rejected", "no_need", "Peruste:</b> ei avuntarvetta", "Ground:</b> no need for assistance"),
]


@pytest.mark.parametrize(("outcome", "ground", "finnish", "english"), OUTCOMES)
def test_a_signed_decision_downloads_as_html_and_pdf_in_both_languages(
    http: Http, outcome: str, ground: str | None, finnish: str, english: str
) -> None:
    case_id = http.signed(outcome, ground)
    [decision] = http.decisions(case_id)
    assert (decision["kind"], decision["decider"], decision["outcome"], decision["ground"], decision["language"]) == (
        "admission",
        "dora",
        outcome,
        ground,
        "fi",
    )
    assert list(decision["letters"]) == ["fi", "en", "sv"]  # the decision's own language first
    assert sorted(d["filename"] for d in decision["documents"]) == [
        "decision-AUT-2026-000001-2026-03-02.fi.html",
        "decision-AUT-2026-000001-2026-03-02.fi.pdf",
    ]
    for lang, wording in (("fi", finnish), ("en", english)):
        html = http.client.get(decision["letters"][lang]["html"], headers=http.carl)
        assert html.status_code == 200, html.text
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert html.headers["content-disposition"] == (
            f'attachment; filename="decision-AUT-2026-000001-2026-03-02.{lang}.html"; '
            f"filename*=UTF-8''decision-AUT-2026-000001-2026-03-02.{lang}.html"
        )
        assert html.headers["cache-control"] == "no-store" and html.headers["x-content-type-options"] == "nosniff"
        assert html.headers["x-document-sha256"] == hashlib.sha256(html.content).hexdigest()
        [css] = re.findall(r"<style>(.*?)</style>", html.text, re.S)
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        policy = html.headers["content-security-policy"]
        assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy and "sandbox" in policy
        assert "script" not in policy and "<script" not in html.text
        for expected in (wording, "AUT-2026-000001", "Maria Example", "Dora", "Carl", "30 ", "746/2011"):
            assert expected in html.text, (lang, expected)
        assert ("VALITUSOSOITUS" if lang == "fi" else "HOW TO APPEAL") in html.text
        pdf = http.client.get(decision["letters"][lang]["pdf"], headers=http.carl)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment; filename=")
        assert pdf.headers["cache-control"] == "no-store"
        assert pdf_pages(pdf.content) in (1, 2, 3)
    reads = [(r.username, r.what, r.via) for r in access_rows(http.w.svc, case_id=case_id)]
    letters = [r for r in reads if r[1].startswith("decision letter")]
    assert letters == [
        ("carl", f"decision letter {decision['id']} ({lang}, {fmt})", "api")
        for lang in ("fi", "en")
        for fmt in ("html", "pdf")
    ]
    # A second download serves the same frozen bytes.
    again = http.client.get(decision["letters"]["en"]["pdf"], headers=http.carl)
    assert again.content == pdf.content


def test_hostile_reasoning_is_text_in_the_letter(http: Http) -> None:
    case_id = http.signed("admitted", None, reasoning='<script>alert(1)</script><img src=x onerror="y">')
    [decision] = http.decisions(case_id)
    html = http.client.get(decision["letters"]["en"]["html"], headers=http.carl).text
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;y&#34;&gt;" in html


def test_who_may_download_and_what_is_not_a_decision(http: Http) -> None:
    case_id = http.assessed()
    draft = {"decision": {"outcome": "admitted", "reasoning": "Yes."}, "letter_language": "en"}
    http.complete(http.carl, case_id, "draft_decision", draft)
    pending = http.client.get("/api/v1/tasks?scope=team", headers=http.dora).json()
    [approval] = [r for r in pending if r["name"] == "approve_decision"]
    not_signed = http.client.get(f"/api/v1/cases/{case_id}/decisions/{approval['id']}/letter", headers=http.carl)
    assert not_signed.status_code == 404 and "no signed decision" in not_signed.json()["detail"]
    assert http.decisions(case_id) == []
    http.complete(http.dora, case_id, "approve_decision", {"approval": "approved"})
    [decision] = http.decisions(case_id)
    url = decision["letters"]["en"]["pdf"]
    outsider = person(http.w.svc, "olga", "caseworker", team="Tampere")
    owner = person(http.w.svc, "owen", "process_owner", team=None)
    assert http.client.get(url, headers=outsider).status_code == 403
    assert http.client.get(url, headers=owner).status_code == 403
    assert http.client.get(url).status_code == 401
    base = f"/api/v1/cases/{case_id}/decisions"
    assert http.client.get(f"{base}/{'0' * 36}/letter", headers=http.carl).status_code == 404
    assert (
        http.client.get(
            f"/api/v1/cases/{case_id + 50}/decisions/{decision['id']}/letter", headers=http.carl
        ).status_code
        == 404
    )
    assert http.client.get(f"{base}/{decision['id']}/letter?format=docx", headers=http.carl).status_code == 422
    assert http.client.get(f"{base}/{decision['id']}/letter?lang=de", headers=http.carl).status_code == 422
    assert [r.username for r in access_rows(http.w.svc, case_id=case_id) if "letter" in r.what] == []
    assert http.client.get(url, headers=http.dora).status_code == 200  # the decider of the team may


def test_the_case_page_links_the_letters_for_people_with_access(http: Http) -> None:
    case_id = http.signed("rejected", "no_need")
    make_user(http.w.svc, "cara", ["caseworker"], team=TEAM)
    sign_in(http.client, "cara")
    page = http.client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert 'data-testid="signed-decision"' in page.text and "Päätöskirje" in page.text
    link = re.search(r'href="([^"]+)" download data-testid="letter-pdf-fi"', page.text)
    assert link is not None
    letter = http.client.get(link.group(1).replace("&amp;", "&"))  # the session signs the download in
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF-")
    assert [r.what for r in access_rows(http.w.svc, case_id=case_id, username="cara")][-1].startswith("decision letter")
