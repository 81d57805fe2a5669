"""Decision letters through the services layer, with the real BPMN and engine: an admission, a rejection on
each ground and a removal are signed by a decider; the letter is frozen at the signature in the case's
language (HTML and PDF), other languages on first download; need-to-know, the access log, escaping of
hostile text, and a template change that does not alter a letter already produced."""

from __future__ import annotations

import re
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError
from sqlalchemy import delete, select
from support import FakeClock

from services.context import Actor, Services
from services.errors import Forbidden, NotFound
from services.letters import FACTS_FIELD, SignedDecision, get_letter, signed_decisions
from services.uow import UnitOfWork
from store.models import AccessLogEntry, Case, Document

sys.path.append(str(Path(__file__).resolve().parents[1] / "processes"))  # casekit drives the real processes
from casekit import (
    World,
    accept_referral,
    admit,
    advance,
    advance_to,
    assess,
    complete,
    record_consent,
    refer,
    world,
)

HOSTILE = 'Assessed with the client. <script>alert("x")</script> & more'


@pytest.fixture
def w(svc: Services, clock: FakeClock) -> World:
    return world(svc, clock)


def pdf_text(data: bytes) -> str:
    """The text shown by a PDF of ours: fpdf2 writes it as (literal) Tj strings in Flate streams."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue  # not a content stream (fonts are built in)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return " ".join(shown)


def signed(
    w: World,
    case_id: int,
    *,
    reasoning: str = HOSTILE,
    outcome: str = "admitted",
    ground: str | None = None,
    language: str = "en",
) -> str:
    """Draft a decision on an assessed case and have the decider sign it; returns the decision's id."""
    draft = {"decision": {"outcome": outcome, "rejection_ground": ground, "reasoning": reasoning}}
    complete(w, w.caseworker, case_id, "draft_decision", {**draft, "letter_language": language})
    complete(w, w.decider, case_id, "approve_decision", {"approval": "approved"})
    decisions = decisions_of(w, case_id)
    assert len(decisions) >= 1
    return decisions[-1].id


def assessed(w: World) -> int:
    case_id = refer(w)
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id)
    return case_id


def decisions_of(w: World, case_id: int) -> list[SignedDecision]:
    with UnitOfWork(w.svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        return signed_decisions(uow.session, case)


def letter_reads(w: World, case_id: int) -> list[str]:
    with UnitOfWork(w.svc.sessions) as uow:
        return list(
            uow.session.scalars(
                select(AccessLogEntry.what).where(AccessLogEntry.case_id == case_id).order_by(AccessLogEntry.id)
            )
        )


def test_an_admission_letter_is_frozen_at_the_signature_in_the_case_language(w: World) -> None:
    case_id = assessed(w)
    decision_id = signed(w, case_id, language="en")
    [decision] = decisions_of(w, case_id)
    assert (decision.kind, decision.decider, decision.language) == ("admission", "dora", "en")
    assert sorted((d.field, d.content_type) for d in decision.letters) == [
        ("decision_letter.en", "application/pdf"),
        ("decision_letter.en", "text/html"),
    ]
    html = get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="html", via="api")
    assert (html.language, html.content_type, html.filename) == (
        "en",
        "text/html",
        "decision-AUT-2026-000001-2026-03-02.en.html",
    )
    text = html.content.decode("utf-8")
    for expected in (
        "You are admitted to the National Assistance System",
        "identification as a victim of human trafficking",
        "AUT-2026-000001",
        "Maria Example",
        "17 May 1994",
        "2 March 2026",
        "<b>Decision-maker:</b> dora",
        "<b>Presented by:</b> carl",
        "746/2011, as amended",
        "HOW TO APPEAL",
        "within 30 days of the day you were notified",
        "Supreme Administrative Court only if",
        "Eastern Finland Administrative Court",
    ):
        assert expected in text, expected
    # Hostile reasoning is text, never markup; the only <style> is ours and the CSP allows just its hash.
    assert "<script>" not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in text
    assert "default-src &#39;none&#39;; style-src &#39;sha256-" in text
    pdf = get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="pdf", via="api")
    assert pdf.content_type == "application/pdf" and pdf.filename.endswith(".en.pdf")
    shown = pdf_text(pdf.content)
    for expected in ("DECISION", "You are admitted", "AUT-2026-000001", "dora", "carl", "HOW TO APPEAL", "30 days"):
        assert expected in shown, expected
    assert '<script>alert("x")</script> & more' in shown
    assert letter_reads(w, case_id) == [
        f"decision letter {decision_id} (en, html)",
        f"decision letter {decision_id} (en, pdf)",
    ]


@pytest.mark.parametrize(
    ("ground", "finnish", "english"),
    [
        ("no_trafficking", "Peruste:</b> ei ihmiskauppaa", "Ground:</b> no trafficking"),
        ("no_need", "Peruste:</b> ei avuntarvetta auttamisjärjestelmästä", "Ground:</b> no need for assistance"),
    ],
)
def test_a_rejection_states_its_ground_in_finnish_and_english(
    w: World, ground: str, finnish: str, english: str
) -> None:
    case_id = assessed(w)
    decision_id = signed(w, case_id, outcome="rejected", ground=ground, reasoning="Ei edellytyksiä.", language="fi")
    fi = get_letter(w.svc, w.decider, case_id, decision_id, fmt="html", via="page")
    assert fi.language == "fi"  # the draft's letter language is the default
    text = fi.content.decode("utf-8")
    assert "Teitä ei oteta ihmiskaupan uhrien auttamisjärjestelmään" in text and finnish in text
    assert "VALITUSOSOITUS" in text and "30 päivän kuluessa päätöksen tiedoksisaannista" in text
    assert "Ei edellytyksiä." in text and "korkeimmalta hallinto-oikeudelta vain, jos" in text
    en = get_letter(w.svc, w.decider, case_id, decision_id, fmt="html", lang="en", via="page")
    assert english in en.content.decode("utf-8") and "not admitted" in en.content.decode("utf-8")
    shown = pdf_text(get_letter(w.svc, w.decider, case_id, decision_id, fmt="pdf", lang="fi", via="page").content)
    assert "Teitä ei oteta" in shown and "VALITUSOSOITUS" in shown and "Päätöksen tekijä:" in shown
    [decision] = decisions_of(w, case_id)
    assert {(d.field, d.content_type) for d in decision.letters} == {  # English produced on demand, then kept
        ("decision_letter.fi", "text/html"),
        ("decision_letter.fi", "application/pdf"),
        ("decision_letter.en", "text/html"),
    }


def test_a_returned_draft_has_no_letter_until_the_decider_signs(w: World) -> None:
    case_id = assessed(w)
    draft = {"decision": {"outcome": "admitted", "reasoning": "Short."}, "letter_language": "fi"}
    complete(w, w.caseworker, case_id, "draft_decision", draft)
    with UnitOfWork(w.svc.sessions) as uow:
        pending = uow.session.scalars(select(Document.id).where(Document.case_id == case_id)).all()
    assert pending == [] and decisions_of(w, case_id) == []
    complete(w, w.decider, case_id, "approve_decision", {"approval": "returned", "return_reason": "More."})
    assert decisions_of(w, case_id) == []
    decision_id = signed(w, case_id, reasoning="Longer reasoning.", language="fi")
    assert [d.id for d in decisions_of(w, case_id)] == [decision_id]
    assert (
        "Longer reasoning."
        in get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="html", via="api").content.decode()
    )


def test_need_to_know_and_unknown_decisions(w: World) -> None:
    case_id = assessed(w)
    decision_id = signed(w, case_id)
    outsider = Actor("olga", frozenset({"caseworker"}), team_id=None)
    with pytest.raises(Forbidden):
        get_letter(w.svc, outsider, case_id, decision_id, via="api")
    with pytest.raises(Forbidden):  # a process owner sees no case data at all
        get_letter(w.svc, Actor("owen", frozenset({"process_owner"})), case_id, decision_id, via="api")
    with pytest.raises(NotFound):
        get_letter(w.svc, w.caseworker, case_id, "00000000-0000-0000-0000-000000000000", via="api")
    with pytest.raises(NotFound):
        get_letter(w.svc, w.caseworker, case_id + 99, decision_id, via="api")
    with pytest.raises(NotFound):
        get_letter(w.svc, w.caseworker, case_id, decision_id, lang="de", via="api")
    assert letter_reads(w, case_id) == []  # nothing was read


def removal_proposed(w: World, ground: str, by: Actor) -> int:
    """An admitted client whose first review (due 2026-09-02) proposes removal on `ground`."""
    case_id = admit(w)
    advance_to(w, "2026-09-03")
    review = {"review_outcome": "propose_removal", "removal_ground": ground, "review_notes": "Reviewed."}
    complete(w, by, case_id, "review_need", review)
    return case_id


def test_a_removal_letter_names_the_ground_and_the_hearing(w: World) -> None:
    case_id = removal_proposed(w, "left_finland", w.caseworker2)
    advance_to(w, "2026-09-17", hour=23)
    advance(w, days=0.1)  # the hearing deadline passes without a statement
    assert decisions_of(w, case_id)[-1].kind == "admission"
    complete(w, w.decider2, case_id, "decide_removal", {"removal_decision": "remove", "removal_reasoning": "Left."})
    removal = decisions_of(w, case_id)[-1]
    assert (removal.kind, removal.decider, removal.language) == ("removal", "dan", "en")
    text = get_letter(w.svc, w.caseworker, case_id, removal.id, fmt="html", via="api").content.decode()
    for expected in (
        "You are removed from the National Assistance System",
        "Ground:</b> you have left Finland permanently",
        "proposed on 3 September 2026",
        "You did not give a statement by the deadline",
        "<b>Decision-maker:</b> dan",
        "<b>Presented by:</b> cecilia",
        "within 30 days",
    ):
        assert expected in text, expected
    finnish = get_letter(w.svc, w.caseworker, case_id, removal.id, fmt="pdf", lang="fi", via="api")
    assert "Teidät poistetaan ihmiskaupan uhrien auttamisjärjestelmästä" in pdf_text(finnish.content)


def test_a_client_who_stays_gets_no_removal_letter(w: World) -> None:
    case_id = removal_proposed(w, "other", w.caseworker)
    complete(
        w,
        w.caseworker,
        case_id,
        "hear_client",
        {"hearing": {"heard_on": "2026-09-05", "statement_given": True, "statement": "I still need help."}},
    )
    complete(w, w.decider, case_id, "decide_removal", {"removal_decision": "continue", "removal_reasoning": "Stays."})
    assert [d.kind for d in decisions_of(w, case_id)] == ["admission"]


def test_a_sent_letter_stays_the_same_after_a_template_change(w: World, tmp_path: Path) -> None:
    case_id = assessed(w)
    decision_id = signed(w, case_id, language="en")
    before = get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="html", via="api")
    before_pdf = get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="pdf", via="api")
    (tmp_path / "decision_admission.en.html.j2").write_text("CHANGED {{ facts.reference }}", encoding="utf-8")
    (tmp_path / "decision_admission.fi.html.j2").write_text("MUUTETTU {{ facts.reference }}", encoding="utf-8")
    changed = replace(w.svc, settings=replace(w.svc.settings, letter_templates_dir=tmp_path))
    after = get_letter(changed, w.caseworker, case_id, decision_id, fmt="html", via="api")
    assert after.content == before.content and after.sha256 == before.sha256
    assert get_letter(changed, w.caseworker, case_id, decision_id, fmt="pdf", via="api").content == before_pdf.content
    # A language never produced before is rendered now, from the facts frozen at the signature.
    assert get_letter(changed, w.caseworker, case_id, decision_id, fmt="html", lang="fi", via="api").content == (
        b"MUUTETTU AUT-2026-000001"
    )


def test_a_template_error_does_not_undo_the_signature(w: World, tmp_path: Path) -> None:
    (tmp_path / "decision_admission.fi.html.j2").write_text("{{ facts.no_such_fact }}", encoding="utf-8")
    broken = replace(w.svc, settings=replace(w.svc.settings, letter_templates_dir=tmp_path))
    case_id = assessed(w)
    complete(
        w,
        w.caseworker,
        case_id,
        "draft_decision",
        {"decision": {"outcome": "admitted", "reasoning": "Yes."}, "letter_language": "fi"},
    )
    w.svc = broken
    complete(w, w.decider, case_id, "approve_decision", {"approval": "approved"})
    [decision] = decisions_of(w, case_id)
    assert decision.letters == ()  # the facts are frozen, the letter is not rendered yet
    (tmp_path / "decision_admission.fi.html.j2").unlink()
    letter = get_letter(broken, w.caseworker, case_id, decision.id, fmt="html", via="api")
    assert "Teidät otetaan ihmiskaupan uhrien auttamisjärjestelmään" in letter.content.decode()


def test_a_decision_signed_before_letters_existed_gets_its_letter_on_first_download(w: World) -> None:
    case_id = assessed(w)
    decision_id = signed(w, case_id, reasoning="Old reasoning.", language="fi")
    with UnitOfWork(w.svc.sessions, write=True) as uow:  # as if signed by an earlier version of Auttamo
        uow.session.execute(delete(Document).where(Document.case_id == case_id))
        uow.commit()
    [decision] = decisions_of(w, case_id)  # still a signed decision: the audit trail says so
    assert (decision.id, decision.letters, decision.language) == (decision_id, (), "en")  # the client speaks en
    letter = get_letter(w.svc, w.caseworker, case_id, decision_id, fmt="html", via="api")
    assert letter.language == "fi"  # the draft's choice, read from the engine with the facts
    assert "Old reasoning." in letter.content.decode() and "carl" in letter.content.decode()
    with UnitOfWork(w.svc.sessions) as uow:
        fields = uow.session.scalars(select(Document.field).where(Document.case_id == case_id)).all()
    assert sorted(fields) == [FACTS_FIELD, "decision_letter.fi"]


def test_a_deployments_template_cannot_reach_past_the_facts(w: World, tmp_path: Path) -> None:
    """Letter templates are edited outside development: they may read the facts, not Python's internals."""
    case_id = assessed(w)
    decision_id = signed(w, case_id, language="en")
    (tmp_path / "decision_admission.fi.html.j2").write_text(
        "{{ self.__init__.__globals__.__builtins__.__import__('os').getcwd() }}", encoding="utf-8"
    )
    (tmp_path / "decision_admission.sv.html.j2").write_text("{{ facts.update({'outcome': 'x'}) }}", encoding="utf-8")
    hostile = replace(w.svc, settings=replace(w.svc.settings, letter_templates_dir=tmp_path))
    for lang in ("fi", "sv"):
        with pytest.raises(SecurityError):
            get_letter(hostile, w.caseworker, case_id, decision_id, fmt="html", lang=lang, via="api")
