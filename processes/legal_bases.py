"""Legal bases on which case data may leave the system (services/disclosures.py checks them).

A configurable code list: change or add an entry here (a process owner's decision with the data
protection officer), the service enforces whatever the list says. Defaults:

| code | when it is valid |
|---|---|
| `consent` | the client consented (the referral's consent) and has not withdrawn it |
| `child_welfare_act_25` | Child Welfare Act 417/2007 § 25 notification to child welfare: the client is a minor |
| `referrer_outcome_notice` | the referrer learns yes/no only: the fields sent are exactly `outcome` |
| `return_partner_with_consent` | a request to an assisted-return partner, with consent not withdrawn |

Statutory bases for police notifications (serious crime against a child, acute danger) are a
[GAP] in our sources: until confirmed they go under `child_welfare_act_25` or `consent`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegalBasis:
    code: str
    label: str
    needs_consent: bool = False  # valid only while the client's consent stands
    minors_only: bool = False
    exact_fields: frozenset[str] | None = None  # the fields sent must be exactly these


LEGAL_BASES: dict[str, LegalBasis] = {
    b.code: b
    for b in (
        LegalBasis("consent", "The client's consent (GDPR art. 6(1)(a), 9(2)(a))", needs_consent=True),
        LegalBasis(
            "child_welfare_act_25",
            "Child Welfare Act 417/2007 § 25: notification to child welfare",
            minors_only=True,
        ),
        LegalBasis(
            "referrer_outcome_notice",
            "Notice to the referrer: admitted or not, nothing else",
            exact_fields=frozenset({"outcome"}),
        ),
        LegalBasis(
            "return_partner_with_consent",
            "Request to an assisted-return partner, with the client's consent",
            needs_consent=True,
        ),
    )
}
