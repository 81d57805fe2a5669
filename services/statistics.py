"""The annual statistics (DESIGN.md section 4), as SQL over the anonymous statistics facts.

Counting rules: an application counts in the year it was received; a decision in the year it was
made; a new client in the year of the admission decision, with the age at that date; clients at
year end are those admitted by 31 December and not gone by then, with the age on 31 December.
A person whose age is unknown counts as an adult (and in the age group "unknown"). A person with
several nationalities counts once under each. Nationalities are listed alphabetically, never ranked.
Anonymous consultations (services/consultations.py) count in the year of the consultation; they are
calls, not people or cases, so they never count as applications.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from processes.codelists import codelists
from processes.disclosure import Equation, suppress
from services.consultations import yearly_counts as consultation_counts
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.uow import UnitOfWork
from store.models import StatDecision, StatExploitation, StatImported, StatRecord

STAT_ROLES = ("supervisor", "statistician")  # statisticians read the figures, never case data
ADULT_GROUPS = ("18_29", "30_39", "40_49", "50_plus")
FINLAND = ("finland", "both")
SERIES_YEARS = 5


@dataclass(frozen=True)
class AnnualStatistics:
    year: int
    tables: dict[str, Any]
    imported_years: tuple[int, ...] = ()  # years of the series taken from imported published figures
    published: bool = False
    hidden: dict[str, list[str]] = field(default_factory=dict)  # "primary"/"secondary" -> dotted paths


def _age_group(age: int | None) -> str:
    if age is None:
        return "unknown"
    for code in codelists()["age_group"]:
        info = codelists()["age_group"].attribute(code, "min"), codelists()["age_group"].attribute(code, "max")
        if info[0] is not None and info[0] <= age <= info[1]:
            return code
    return "unknown"


def _year_range(column: Any, year: int) -> Any:
    return and_(column >= date(year, 1, 1), column < date(year + 1, 1, 1))


def _counter(keys: list[str], values: list[str | None], *, default: str = "unknown") -> dict[str, int]:
    counts = Counter(v or default for v in values)
    return {k: counts.get(k, 0) for k in keys} | {k: n for k, n in counts.items() if k not in keys}


def annual_statistics(svc: Services, actor: Actor, year: int, *, publish: bool = False) -> AnnualStatistics:
    """The yearly tables; `publish` applies small-cell suppression."""
    if not actor.has(*STAT_ROLES):
        raise Forbidden("you may not read the statistics")
    if not 2000 <= year <= 2100:
        raise InvalidInput("year out of range", {"year": "Give a year between 2000 and 2100."})
    with UnitOfWork(svc.sessions) as uow:
        s = uow.session
        referrer_types = list(codelists()["referrer_type"])
        applications = s.execute(select(StatRecord.referrer_type).where(_year_range(StatRecord.received_on, year)))
        by_type = _counter(referrer_types, [r[0] for r in applications], default="other")
        decisions = s.execute(
            select(StatDecision.outcome, StatDecision.rejection_ground).where(
                _year_range(StatDecision.decided_on, year)
            )
        ).all()
        new = s.execute(
            select(
                StatRecord.id,
                StatRecord.age_at_admission,
                StatRecord.gender,
                StatRecord.exploited_in,
                StatRecord.nationalities,
                StatRecord.residence_status,
            ).where(_year_range(StatRecord.admitted_on, year))
        ).all()
        new_ids = [r[0] for r in new]
        exploitation = s.execute(
            select(StatExploitation.record_id, StatExploitation.form, StatExploitation.primary)
            .join(StatRecord, StatRecord.id == StatExploitation.record_id)
            .where(_year_range(StatRecord.admitted_on, year))
        ).all()
        year_end = date(year, 12, 31)
        stock = s.execute(
            select(StatRecord.birth_year).where(
                StatRecord.admitted_on <= year_end, or_(StatRecord.exit_on.is_(None), StatRecord.exit_on > year_end)
            )
        ).all()
        series_rows = s.execute(
            select(func.extract("year", StatRecord.received_on).label("y"), func.count())
            .where(StatRecord.received_on >= date(year - SERIES_YEARS + 1, 1, 1), StatRecord.received_on <= year_end)
            .group_by("y")
        ).all()
        imported = {
            r.year: r.value
            for r in s.scalars(
                select(StatImported).where(
                    StatImported.metric == "applications.total",
                    StatImported.key == "",
                    StatImported.year.between(year - SERIES_YEARS + 1, year),
                )
            )
        }
        consultations = consultation_counts(s, year)  # anonymous: not people, never applications
    series = {int(y): int(n) for y, n in series_rows}
    applications_by_year = {str(y): imported.get(y, series.get(y, 0)) for y in range(year - SERIES_YEARS + 1, year + 1)}

    ages = [r[1] for r in new]
    genders = list(codelists()["gender"])
    finland = [r for r in new if r[3] in FINLAND]
    nat_counts = Counter(n for r in finland for n in (r[4] or ["unknown"]))
    exploitation_persons = {r[0] for r in exploitation}
    by_form = {code: {"primary": 0, "secondary": 0} for code in codelists()["exploitation_form"]}
    for _rid, form, is_primary in exploitation:
        by_form.setdefault(form, {"primary": 0, "secondary": 0})["primary" if is_primary else "secondary"] += 1
    stock_minors = sum(1 for (by,) in stock if by is not None and year - by < 18)

    tables: dict[str, Any] = {
        "applications": {"total": sum(by_type.values()), "by_referrer_type": by_type},
        "decisions": {
            "total": len(decisions),
            "admitted": sum(1 for o, _g in decisions if o == "admitted"),
            "rejected": {
                g: sum(1 for o, gr in decisions if o == "rejected" and gr == g) for g in ("no_trafficking", "no_need")
            },
        },
        "new_clients": {
            "total": len(new),
            "adults": sum(1 for a in ages if a is None or a >= 18),
            "minors": sum(1 for a in ages if a is not None and a < 18),
            "by_age_group": _counter(list(codelists()["age_group"]), [_age_group(a) for a in ages]),
            "by_gender": _counter(genders, [r[2] for r in new]),
        },
        "exploitation": {
            "cases": len(exploitation),
            "persons": len(exploitation_persons & set(new_ids)),
            "by_form": by_form,
        },
        "victimised_in_finland": {
            "persons": len(finland),
            "nationalities": len(nat_counts),
            "by_nationality": dict(sorted(nat_counts.items())),
            "by_gender": _counter(genders, [r[2] for r in finland]),
            "by_residence_status": _counter(list(codelists()["residence_status"]), [r[5] for r in finland]),
        },
        "clients_at_year_end": {"total": len(stock), "adults": len(stock) - stock_minors, "minors": stock_minors},
        "applications_by_year": applications_by_year,
        "anonymous_consultations": consultations,
    }
    imported_years = tuple(sorted(y for y in imported))
    if not publish:
        return AnnualStatistics(year, tables, imported_years)
    published, primary_cells, secondary_cells = suppress(tables, equations(tables, year), exempt=EXEMPT)
    return AnnualStatistics(
        year,
        published,
        imported_years,
        True,
        {
            "primary": sorted(".".join(p) for p in primary_cells),
            "secondary": sorted(".".join(p) for p in secondary_cells),
        },
    )


EXEMPT = [("victimised_in_finland", "nationalities")]  # a count of categories, not of people


def _parts(t: dict[str, Any], *path: str) -> tuple[tuple[str, ...], ...]:
    """The cells directly under `path`."""
    node: Any = t
    for key in path:
        node = node[key]
    return tuple((*path, k) for k in node)


def equations(t: dict[str, Any], year: int) -> list[Equation]:
    """Every 'total = sum of parts' the published tables show, so no hidden cell can be derived."""
    vf = "victimised_in_finland"
    forms = t["exploitation"]["by_form"]
    return [
        Equation(("applications", "total"), _parts(t, "applications", "by_referrer_type")),
        Equation(("applications", "total"), (("applications_by_year", str(year)),)),
        Equation(("decisions", "total"), (("decisions", "admitted"), *_parts(t, "decisions", "rejected"))),
        Equation(("new_clients", "total"), (("new_clients", "adults"), ("new_clients", "minors"))),
        Equation(("new_clients", "total"), _parts(t, "new_clients", "by_age_group")),
        Equation(("new_clients", "total"), _parts(t, "new_clients", "by_gender")),
        Equation(("new_clients", "minors"), (("new_clients", "by_age_group", "under_18"),)),
        Equation(
            ("new_clients", "adults"), tuple(("new_clients", "by_age_group", k) for k in (*ADULT_GROUPS, "unknown"))
        ),
        Equation(
            ("exploitation", "cases"),
            tuple(("exploitation", "by_form", f, k) for f in forms for k in ("primary", "secondary")),
        ),
        Equation((vf, "persons"), _parts(t, vf, "by_gender")),
        Equation((vf, "persons"), _parts(t, vf, "by_residence_status")),
        Equation(
            ("clients_at_year_end", "total"), (("clients_at_year_end", "adults"), ("clients_at_year_end", "minors"))
        ),
        *(
            Equation(("anonymous_consultations", "total"), _parts(t, "anonymous_consultations", part))
            for part in ("by_referrer_type", "by_topic", "by_outcome")
        ),
    ]
