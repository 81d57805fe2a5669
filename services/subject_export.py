"""Data-subject access (GDPR art. 15): everything held about a client, as JSON and readable HTML.

The export gathers the case data (facts: the referral, client, decisions), the documents (metadata
and content, base64), the disclosures and the case's access log, labelled in the client's language
where we have one (Finnish or English; `LABELS`). It is a supervisor's action; the export is itself
written to the access log (via `export`) in the same transaction. A safe address stays hidden
unless the supervisor is a named user of the case (services/protection.py).
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from sqlalchemy import select

from services.access import require_case_access
from services.access_log import record_read
from services.context import Actor, Services
from services.errors import Forbidden, NotFound
from services.protection import redact_for
from services.uow import UnitOfWork
from store.models import AccessLogEntry, Case, Disclosure, Document

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Data held about you",
        "case": "Case",
        "client": "Client",
        "referral": "Referral",
        "decisions": "Decisions",
        "documents": "Documents",
        "disclosures": "Disclosures",
        "access_log": "Access log",
        "at": "Time",
        "who": "Who",
        "what": "What",
        "recipient": "Recipient",
        "basis": "Legal basis",
        "fields": "Fields",
        "filename": "File",
        "none": "None",
    },
    "fi": {
        "title": "Sinusta tallennetut tiedot",
        "case": "Asia",
        "client": "Asiakas",
        "referral": "Ohjaus",
        "decisions": "Päätökset",
        "documents": "Asiakirjat",
        "disclosures": "Tietojen luovutukset",
        "access_log": "Käyttöloki",
        "at": "Aika",
        "who": "Kuka",
        "what": "Mitä",
        "recipient": "Vastaanottaja",
        "basis": "Oikeusperuste",
        "fields": "Tiedot",
        "filename": "Tiedosto",
        "none": "Ei mitään",
    },
}


def _language(client: dict[str, Any]) -> str:
    for lang in client.get("languages") or []:
        if lang in LABELS:
            return str(lang)
    return "en"


def subject_export(svc: Services, actor: Actor, case_id: int) -> dict[str, Any]:
    """Everything held about the case's client, as JSON values; logs the export."""
    if not actor.has("supervisor"):
        raise Forbidden("only a supervisor may export a data subject's data")
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        s = uow.session
        case = s.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        require_case_access(s, actor, case)
        record_read(s, actor, case.id, "data-subject export", "export", at=now)
        s.flush()
        facts = redact_for(s, actor, case.id, dict(case.facts or {}))
        documents = s.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id)).all()
        disclosures = s.scalars(select(Disclosure).where(Disclosure.case_id == case.id).order_by(Disclosure.id)).all()
        log_rows = s.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.case_id == case.id)
            .order_by(AccessLogEntry.at, AccessLogEntry.id)
        ).all()
        client = facts.get("client") if isinstance(facts.get("client"), dict) else {}
        export = {
            "language": _language(client or {}),
            "exported_at": now.isoformat(),
            "case": {
                "id": case.id,
                "reference": case.reference,
                "status": case.status,
                "opened_at": case.opened_at.isoformat(),
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                "exit_reason": case.exit_reason,
            },
            "client": client,
            "referral": facts.get("referral") or {},
            "decisions": [d for d in facts.get("decisions", []) if isinstance(d, dict)],
            "documents": [
                {
                    "id": d.public_id,
                    "filename": d.filename,
                    "content_type": d.content_type,
                    "size": d.size,
                    "uploaded_at": d.uploaded_at.isoformat(),
                    "content_base64": base64.b64encode(d.content or b"").decode(),
                }
                for d in documents
            ],
            "disclosures": [
                {
                    "recipient": d.recipient,
                    "basis": d.basis,
                    "fields": list(d.fields or []),
                    "status": d.status,
                    "at": d.created_at.isoformat(),
                    "by": d.created_by,
                }
                for d in disclosures
            ],
            "access_log": [
                {"at": e.at.isoformat(), "who": e.username, "what": e.what, "via": e.via, "flagged": e.flagged}
                for e in log_rows
            ],
        }
        uow.commit()
    return export


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], none: str) -> str:
    if not rows:
        return f"<p>{html.escape(none)}</p>"
    head = "".join(f"<th>{html.escape(label)}</th>" for _key, label in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(row.get(key)))}</td>" for key, _label in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _pairs(values: dict[str, Any]) -> str:
    items = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_text(v))}</td></tr>" for k, v in values.items()
    )
    return f"<table>{items}</table>"


def render_html(export: dict[str, Any]) -> str:
    """The export as one self-contained, readable HTML page (escaped throughout)."""
    t = LABELS.get(export["language"], LABELS["en"])
    case = export["case"]
    parts = [
        f'<!doctype html><html lang="{export["language"]}"><head><meta charset="utf-8">',
        f"<title>{html.escape(t['title'])}</title></head><body>",
        f"<h1>{html.escape(t['title'])}</h1>",
        f"<h2>{html.escape(t['case'])}</h2>{_pairs(case)}",
        f"<h2>{html.escape(t['client'])}</h2>{_pairs(export['client'] or {})}",
        f"<h2>{html.escape(t['referral'])}</h2>{_pairs(export['referral'] or {})}",
        f"<h2>{html.escape(t['decisions'])}</h2>",
        _table(export["decisions"], [(k, k) for k in sorted({k for d in export["decisions"] for k in d})], t["none"]),
        f"<h2>{html.escape(t['documents'])}</h2>",
        _table(export["documents"], [("filename", t["filename"]), ("uploaded_at", t["at"])], t["none"]),
        f"<h2>{html.escape(t['disclosures'])}</h2>",
        _table(
            export["disclosures"],
            [("at", t["at"]), ("recipient", t["recipient"]), ("basis", t["basis"]), ("fields", t["fields"])],
            t["none"],
        ),
        f"<h2>{html.escape(t['access_log'])}</h2>",
        _table(export["access_log"], [("at", t["at"]), ("who", t["who"]), ("what", t["what"])], t["none"]),
        "</body></html>",
    ]
    return "".join(parts)
