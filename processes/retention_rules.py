"""Retention rules per record type (services/retention.py applies them), configurable here.

The statutory retention period of the assistance system's client data is a [GAP] in our sources
(Act 615/2020 has per-purpose rules that must be confirmed), so every period is a setting, not a
fact: change `years` here once the controller has confirmed it. The period counts from the end of
the client relationship: the case's `closed_at`, or else the exit date of its statistics record.
A case whose relationship has not ended is never erased.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionRule:
    code: str
    record_type: str
    years: int
    counts_from: str = "client_relationship_end"


# record type -> rule. `client_case`: all personal data of a case (facts, process instances and
# their tasks, drafts and outbox payloads, documents, audit details, search keys, named users).
RETENTION_RULES: dict[str, RetentionRule] = {
    "client_case": RetentionRule("client_case_5y", "client_case", years=5),  # [GAP] period to be confirmed
}
HOLD_KINDS = ("appeal", "prosecution", "legal")
