"""The referral document (DESIGN.md section 4): what a partner system, the public form or intake sends.

One model for every channel, so the API, the HTML form and the `referral` process agree on names and
codes. Codes are checked against `codelists.json`; every string has a length limit and unknown fields
are refused, because a referral comes from outside and ends up in a secret case file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from processes.codelists import CodeSetName, code_set, codelists, is_language, is_nationality
from processes.script_helpers import age_on

ADULT_AGE = 18


def _code(name: CodeSetName) -> AfterValidator:
    def check(value: str) -> str:
        if value not in code_set(name):
            raise ValueError(f"unknown code {value!r}; expected one of: {', '.join(code_set(name).codes)}")
        return value

    return AfterValidator(check)


def _nationality(value: str) -> str:
    if not is_nationality(value):
        raise ValueError("use an ISO 3166-1 alpha-2 code in upper case (e.g. 'NG'), or 'stateless' / 'unknown'")
    return value


def _language(value: str) -> str:
    if not is_language(value):
        raise ValueError("use an ISO 639-1 code in lower case (e.g. 'en')")
    return value


def _county(value: str) -> str:
    if value not in codelists().wellbeing_counties:
        raise ValueError("unknown wellbeing services county")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("list each code once")
    return values


ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[0-9+()\-. /]+$")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Nationality = Annotated[str, Field(min_length=1, max_length=9), AfterValidator(_nationality)]
Language = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_language)]


class _Strict(BaseModel):
    # Unknown fields are refused rather than dropped: a typo must not silently lose what was sent.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Referrer(_Strict):
    type: Annotated[str, Field(max_length=40), _code("referrer_type")]
    organisation: ShortText | None = None
    name: ShortText | None = None
    phone: Phone | None = None
    email: Email | None = None


class Client(_Strict):
    given_names: ShortText | None = None
    family_name: ShortText | None = None
    birth_date: dt.date | None = None
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    gender: Annotated[str, Field(max_length=20), _code("gender")] = "unknown"
    nationalities: Annotated[list[Nationality], Field(max_length=10), AfterValidator(_unique)] = Field(
        default_factory=list
    )
    languages: Annotated[list[Language], Field(max_length=20), AfterValidator(_unique)] = Field(default_factory=list)
    interpreter_needed: bool | None = None

    @model_validator(mode="after")
    def _birth_consistent(self) -> Client:
        if self.birth_date is not None and self.birth_year is not None and self.birth_date.year != self.birth_year:
            raise ValueError("birth_date and birth_year disagree; send one of them")
        return self

    def min_age_on(self, day: dt.date) -> int | None:
        """The youngest the client can be on `day`; None when neither birth date nor year is known.

        With only a birth year the age is uncertain by one; taking the lower bound means a person who
        may still be a minor is treated as a child (presumption of minority)."""
        if self.birth_date is not None:
            return age_on(self.birth_date, day)
        if self.birth_year is not None:
            return day.year - self.birth_year - 1
        return None


class Consent(_Strict):
    given: bool
    date: dt.date | None = None
    method: Annotated[str, Field(max_length=40), _code("consent_method")] | None = None
    guardian_consent: bool | None = None
    child_consent: bool | None = None

    @field_validator("given")
    @classmethod
    def _required(cls, given: bool) -> bool:
        # "Anyone may refer a person, but only with the person's consent."
        if given is not True:
            raise ValueError("the person's consent is required for a referral")
        return given


class ReferralDocument(_Strict):
    """The referral document of DESIGN.md section 4."""

    referrer: Referrer
    client: Client
    residence_status: Annotated[str, Field(max_length=40), _code("residence_status")] | None = None
    has_municipality_of_residence: bool | None = None
    wellbeing_county: Annotated[str, Field(max_length=60), AfterValidator(_county)] | None = None
    reception_centre: ShortText | None = None
    client_category: Annotated[str, Field(max_length=40), _code("client_category")] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    suspected_exploitation: Annotated[
        list[Annotated[str, Field(max_length=40), _code("exploitation_form")]],
        Field(max_length=10),
        AfterValidator(_unique),
    ] = Field(default_factory=list)
    exploited_in: Annotated[str, Field(max_length=20), _code("exploited_in")] | None = None
    urgent: bool = False
    consent: Consent
    received_at: AwareDatetime | None = Field(
        default=None, description="when the referral was received; only intake may back-date it (default: now)"
    )

    def is_child(self, on: dt.datetime) -> bool:
        """A minor at `on` (or the minor child of a client): child cases are always urgent."""
        if self.client_category == "child_of_client":
            return True
        age = self.client.min_age_on(on.astimezone(dt.UTC).date())
        return age is not None and age < ADULT_AGE

    def as_json(self) -> dict[str, Any]:
        """The document as plain JSON values (dates as ISO strings), for case facts and task data."""
        return self.model_dump(mode="json")
