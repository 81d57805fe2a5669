"""Decision letters: which signed task is a decision, the facts its letter states, and the appeal defaults.

A decision is the completion of a *signing task* by a decider: `approve_decision` with
`approval = "approved"` (admission: admitted, or rejected on the ground no_trafficking / no_need) and
`decide_removal` with `removal_decision = "remove"` (removal from the system). The presenter is whoever
last completed the task's `separateFrom` element (the draft, or the review that proposed the removal).
The BPMN stays as the process owner drew it: no letter element in the diagram; the services layer
produces the letter right after the signature (services/letters.py), so it is frozen at that moment.

The Jinja2 templates are next to this file (`decision_admission.fi.html.j2` ...). The appeal
instructions are their own template part (`_appeal_instructions.<lang>.html.j2`); a deployment replaces
any template by putting a file of the same name in the directory named by `AUTTAMO_LETTER_TEMPLATES`.
Defaults, and what they rest on (notes/domain.md 1.2):
- appeal to the administrative court within `RULES.appeal_window_days` (30) days of notification
  (Administrative Judicial Procedure Act 808/2019 § 13) [GK]; further appeal to the Supreme
  Administrative Court only with leave (808/2019 § 107) [GK];
- the court: Itä-Suomen hallinto-oikeus, the court of the decision-maker's seat (Joutseno reception
  centre, Lappeenranta) [GK: verify; `AppealDefaults.court`];
- no prior rectification request (oikaisuvaatimus) [GAP]: `AppealDefaults.rectification_first` = False;
  set it True and the instructions tell the client to ask the assistance system for rectification first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from processes.rules import RULES, as_date

LETTER_LANGUAGES: tuple[str, ...] = ("fi", "en", "sv")
DEFAULT_LANGUAGE = "fi"
TEMPLATE_DIR = Path(__file__).resolve().parent

LetterKind = Literal["admission", "removal"]


@dataclass(frozen=True)
class SigningTask:
    """A user task whose completion with `field == signed_value` is a decision that needs a letter."""

    kind: LetterKind
    process_id: str
    bpmn_id: str
    field: str
    signed_value: str
    presenter_element: str  # the task whose completer presented the matter (the separateFrom element)

    def signs(self, data: Mapping[str, Any]) -> bool:
        return data.get(self.field) == self.signed_value


SIGNING_TASKS: tuple[SigningTask, ...] = (
    SigningTask("admission", "decision", "approve_decision", "approval", "approved", "draft_decision"),
    SigningTask("removal", "client_case", "decide_removal", "removal_decision", "remove", "review_need"),
)


def signing_task(process_id: str, bpmn_id: str) -> SigningTask | None:
    return next((s for s in SIGNING_TASKS if (s.process_id, s.bpmn_id) == (process_id, bpmn_id)), None)


@dataclass(frozen=True)
class AppealDefaults:
    """What the appeal instructions say unless a deployment overrides the template part."""

    window_days: int = RULES.appeal_window_days
    rectification_first: bool = False  # [GAP] whether an oikaisuvaatimus must come first
    court: Mapping[str, str] = field(
        default_factory=lambda: {
            "fi": "Itä-Suomen hallinto-oikeus",
            "en": "Eastern Finland Administrative Court (Itä-Suomen hallinto-oikeus)",
            "sv": "Östra Finlands förvaltningsdomstol (Itä-Suomen hallinto-oikeus)",
        }
    )
    authority: Mapping[str, str] = field(
        default_factory=lambda: {
            "fi": "Ihmiskaupan uhrien auttamisjärjestelmä, Joutsenon vastaanottokeskus (Maahanmuuttovirasto)",
            "en": "National Assistance System for Victims of Human Trafficking, Joutseno Reception Centre "
            "(Finnish Immigration Service)",
            "sv": "Hjälpsystemet för offer för människohandel, Joutseno förläggning (Migrationsverket)",
        }
    )


APPEAL = AppealDefaults()


def preferred_language(data: Mapping[str, Any], client: Mapping[str, Any]) -> str:
    """The letter's language: the one chosen on the draft (`letter_language`), else the client's first
    language we write letters in, else Finnish. Any other language is a choice at download."""
    chosen = data.get("letter_language")
    if isinstance(chosen, str) and chosen in LETTER_LANGUAGES:
        return chosen
    spoken = client.get("languages")
    for lang in spoken if isinstance(spoken, list) else []:
        if lang in LETTER_LANGUAGES:
            return str(lang)
    return DEFAULT_LANGUAGE


def languages_from(first: str) -> list[str]:
    """Every letter language, `first` (a decision's own) first."""
    return [first, *(lang for lang in LETTER_LANGUAGES if lang != first)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def letter_facts(
    signing: SigningTask,
    data: Mapping[str, Any],
    *,
    decision_id: str,
    reference: str,
    client: Mapping[str, Any],
    decided_on: Any,
    decider: str,
    presenter: str | None,
) -> dict[str, Any]:
    """Everything a letter states, as plain JSON values (codes, not labels: the template words them)."""
    name = " ".join(p for p in (_text(client.get("given_names")), _text(client.get("family_name"))) if p)
    birth = _text(client.get("birth_date")) or (str(client["birth_year"]) if client.get("birth_year") else None)
    facts: dict[str, Any] = {
        "kind": signing.kind,
        "decision_id": decision_id,
        "reference": reference,
        "client_name": name or None,
        "client_birth": birth,
        "decided_on": as_date(decided_on).isoformat(),
        "decider": decider,
        "presenter": presenter,
        "appeal_window_days": APPEAL.window_days,
        "rectification_first": APPEAL.rectification_first,
    }
    if signing.kind == "admission":
        decision = data.get("decision") if isinstance(data.get("decision"), Mapping) else {}
        assert isinstance(decision, Mapping)
        outcome = decision.get("outcome")
        facts |= {
            "outcome": outcome,
            "rejection_ground": decision.get("rejection_ground") if outcome == "rejected" else None,
            "reasoning": _text(decision.get("reasoning")) or "",
            "expert_group_consulted": data.get("expert_group_consulted") is True,
        }
    else:
        hearing = data.get("hearing") if isinstance(data.get("hearing"), Mapping) else {}
        assert isinstance(hearing, Mapping)
        facts |= {
            "outcome": "removed",
            "removal_ground": _text(data.get("removal_ground")),
            "reasoning": _text(data.get("removal_reasoning")) or "",
            "proposed_on": _text(data.get("removal_proposed_on")),
            "hearing_deadline": _text(data.get("hearing_deadline")),
            "statement_given": hearing.get("statement_given") is True,
            "heard_on": _text(hearing.get("heard_on")),
        }
    return facts
