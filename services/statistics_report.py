"""The annual statistics as a report: the published review's tables, imported figures marked, the
lawful-stay share, and CSV/XLSX exports; plus the import of earlier years' published figures.

Imported figures (table `stat_imported`, one row per year/metric/key) are what was published before
this system held the cases. In a year's report an imported cell replaces the computed one and is
marked as imported; `applications.total` of earlier years completes the five-year series.

The lawful-stay share of the victimised in Finland counts the residence statuses of
codelists `lawful_residence_statuses`. In publication mode it is withheld when any residence-status
cell (or the total) is hidden, since a share and a total give back a count.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from processes.codelists import codelists, is_nationality
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.projection import audit
from services.statistics import STAT_ROLES, annual_statistics
from services.uow import UnitOfWork
from store.models import StatImported

IMPORT_ROLES = STAT_ROLES
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 20_000
IMPORT_HEADER = ("year", "metric", "key", "value")
VF = "victimised_in_finland"
SCALARS = {
    ("applications", "total"),
    ("decisions", "total"),
    ("decisions", "admitted"),
    ("new_clients", "total"),
    ("new_clients", "adults"),
    ("new_clients", "minors"),
    ("exploitation", "cases"),
    ("exploitation", "persons"),
    (VF, "persons"),
    (VF, "nationalities"),
    ("clients_at_year_end", "total"),
    ("clients_at_year_end", "adults"),
    ("clients_at_year_end", "minors"),
}
CATEGORIES = {
    ("applications", "by_referrer_type"): "referrer_type",
    ("decisions", "rejected"): "rejection_ground",
    ("new_clients", "by_age_group"): "age_group",
    ("new_clients", "by_gender"): "gender",
    (VF, "by_gender"): "gender",
    (VF, "by_residence_status"): "residence_status",
    (VF, "by_nationality"): "nationality",
}


@dataclass(frozen=True)
class SeriesPoint:
    year: int
    value: int | str
    imported: bool


@dataclass(frozen=True)
class AnnualReport:
    year: int
    published: bool
    tables: dict[str, Any]
    series: list[SeriesPoint]
    imported: frozenset[str]  # dotted paths of this year's cells taken from imported figures
    hidden: dict[str, list[str]]
    lawful_share: int | None  # percent of the victimised in Finland staying lawfully; None: none or hidden
    finnish_share: int | None  # percent who are Finnish citizens
    generated_at: datetime


@dataclass(frozen=True)
class ImportedFigure:
    year: int
    metric: str
    key: str
    value: int
    source: str
    imported_by: str
    imported_at: datetime


@dataclass(frozen=True)
class ImportResult:
    rows: int
    years: tuple[int, ...]
    replaced: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def _require(actor: Actor) -> None:
    if not actor.has(*STAT_ROLES):
        raise Forbidden("you may not read the statistics")


def valid_path(path: tuple[str, ...]) -> bool:
    """Whether `path` names one cell of the DESIGN.md tables."""
    if path in SCALARS:
        return True
    if len(path) == 3 and path[:2] in CATEGORIES:
        name = CATEGORIES[path[:2]]
        if name == "nationality":
            return is_nationality(path[2])
        return path[2] in codelists()[name] or path[2] in ("unknown", "other")  # type: ignore[index]
    if len(path) == 4 and path[:2] == ("exploitation", "by_form"):
        return path[2] in codelists()["exploitation_form"] and path[3] in ("primary", "secondary")
    return False


def _path(metric: str, key: str) -> tuple[str, ...]:
    return tuple(p for p in (*metric.strip().split("."), *key.strip().split(".")) if p)


def _put(tables: dict[str, Any], path: tuple[str, ...], value: int) -> None:
    node = tables
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _get(tables: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = tables
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _share(tables: dict[str, Any], hidden: set[str], codes: set[str]) -> int | None:
    vf = tables[VF]
    if f"{VF}.persons" in hidden or any(p.startswith(f"{VF}.by_residence_status.") for p in hidden):
        return None
    persons = vf["persons"]
    if not isinstance(persons, int) or persons == 0:
        return None
    part = sum(v for k, v in vf["by_residence_status"].items() if k in codes and isinstance(v, int))
    return round(100 * part / persons)


def annual_report(svc: Services, actor: Actor, year: int, *, publish: bool = False) -> AnnualReport:
    """The year's tables with imported cells overlaid, the series and the shares."""
    _require(actor)
    stats = annual_statistics(svc, actor, year, publish=publish)
    tables = copy.deepcopy(stats.tables)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(StatImported).where(StatImported.year == year)).all()
        imported_paths = []
        for r in rows:
            path = _path(r.metric, r.key)
            if valid_path(path):
                _put(tables, path, r.value)
                imported_paths.append(".".join(path))
    if "applications.total" in imported_paths:  # the series shows this year's published total too
        tables["applications_by_year"][str(year)] = tables["applications"]["total"]
    imported_years = set(stats.imported_years) | ({year} if "applications.total" in imported_paths else set())
    hidden = {*stats.hidden.get("primary", []), *stats.hidden.get("secondary", [])} - set(imported_paths)
    lawful = set(codelists().lawful_residence_statuses)
    return AnnualReport(
        year=year,
        published=stats.published,
        tables=tables,
        series=[
            SeriesPoint(int(y), v, int(y) in imported_years) for y, v in sorted(tables["applications_by_year"].items())
        ],
        imported=frozenset(imported_paths),
        hidden=stats.hidden,
        lawful_share=_share(tables, hidden, lawful),
        finnish_share=_share(tables, hidden, {"finnish_citizen"}),
        generated_at=svc.now(),
    )


def flat_cells(tables: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every cell as (path, value), in the tables' order."""
    out: list[tuple[tuple[str, ...], Any]] = []
    for key, value in tables.items():
        if isinstance(value, dict):
            out.extend(flat_cells(value, (*prefix, str(key))))
        else:
            out.append(((*prefix, str(key)), value))
    return out


def report_rows(report: AnnualReport) -> list[tuple[str, str, Any, str]]:
    """(table, key, value, imported) rows, as `auttamo stats --format csv` plus the imported mark."""
    rows = []
    for path, value in flat_cells(report.tables):
        dotted = ".".join(path)
        imported = dotted in report.imported or (
            path[0] == "applications_by_year" and any(p.year == int(path[1]) and p.imported for p in report.series)
        )
        rows.append(
            (
                ".".join(path[:-1]) if len(path) > 1 else path[0],
                path[-1] if len(path) > 1 else "",
                value,
                "imported" if imported else "",
            )
        )
    shares = (("lawful_stay_percent", report.lawful_share), ("finnish_citizen_percent", report.finnish_share))
    for name, share in shares:
        rows.append((VF, name, share if share is not None else "", ""))
    return rows


def report_csv(report: AnnualReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", "key", "value", "imported"])
    writer.writerows(report_rows(report))
    return out.getvalue()


def report_xlsx(report: AnnualReport, labels: dict[str, str] | None = None) -> bytes:
    """A workbook: a summary sheet and one sheet per table (key, label, value, imported); `labels`
    maps a key (a code) to its label in the reader's language."""
    from openpyxl import Workbook  # type: ignore[import-untyped]  # imported on use: only the export needs it

    labels = labels or {}
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["Year", report.year])
    summary.append(["Publication mode", "yes" if report.published else "no"])
    summary.append(["Generated", report.generated_at.isoformat(timespec="seconds")])
    summary.append(["Lawful stay %", report.lawful_share if report.lawful_share is not None else ""])
    summary.append(["Finnish citizens %", report.finnish_share if report.finnish_share is not None else ""])
    sheets: dict[str, Any] = {}
    for table, key, value, imported in report_rows(report):
        top = table.split(".")[0][:31]
        sheet = sheets.get(top)
        if sheet is None:
            sheet = sheets[top] = book.create_sheet(top)
            sheet.append(["table", "key", "label", "value", "imported"])
        sheet.append([table, key, labels.get(key, key), value, imported])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- importing published figures -----------------------------------------------------------------


def parse_import(content: bytes) -> tuple[list[tuple[int, str, str, int]], dict[str, str]]:
    """Rows (year, metric, key, value) of a CSV `year,metric,key,value`, and errors by line."""
    if len(content) > MAX_IMPORT_BYTES:
        return [], {"file": f"The file is larger than {MAX_IMPORT_BYTES // 1024} kB."}
    try:
        text_content = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], {"file": "The file is not UTF-8 text."}
    reader = csv.reader(io.StringIO(text_content))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != IMPORT_HEADER:
        return [], {"file": "The first line must be: year,metric,key,value"}
    rows: list[tuple[int, str, str, int]] = []
    errors: dict[str, str] = {}
    seen: dict[tuple[int, tuple[str, ...]], int] = {}
    for number, line in enumerate(reader, start=2):
        if not any(cell.strip() for cell in line):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            errors["file"] = f"At most {MAX_IMPORT_ROWS} rows at once."
            break
        if len(line) != 4:
            errors[f"line {number}"] = "Give four values: year, metric, key, value."
            continue
        year_text, metric, key, value_text = (c.strip() for c in line)
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            errors[f"line {number}"] = "The year must be between 2000 and 2100."
            continue
        path = _path(metric, key)
        if not valid_path(path):
            errors[f"line {number}"] = f"Unknown figure {'.'.join(path) or '(empty)'}."
            continue
        if not value_text.isdigit() or int(value_text) > 10_000_000:
            errors[f"line {number}"] = "The value must be a whole number, 0 or more."
            continue
        marker = (int(year_text), path)
        if marker in seen:
            errors[f"line {number}"] = f"The same figure is on line {seen[marker]}."
            continue
        seen[marker] = number
        rows.append(
            (
                int(year_text),
                ".".join(path[:-1]) if path not in SCALARS else ".".join(path),
                path[-1] if path not in SCALARS else "",
                int(value_text),
            )
        )
    if not rows and not errors:
        errors["file"] = "The file has no figures."
    return rows, errors


def import_published(svc: Services, actor: Actor, content: bytes, *, source: str = "") -> ImportResult:
    """Store earlier years' published figures; all or nothing. A figure imported again is replaced."""
    if not actor.has(*IMPORT_ROLES):
        raise Forbidden("you may not import statistics")
    rows, errors = parse_import(content)
    if errors:
        raise InvalidInput("the file has errors; nothing was imported", errors)
    source = " ".join(source.split())[:300]
    now = svc.now()
    years = tuple(sorted({r[0] for r in rows}))
    with UnitOfWork(svc.sessions, write=True) as uow:
        replaced = 0
        for year, metric, key, value in rows:
            result = uow.session.execute(
                delete(StatImported).where(
                    StatImported.year == year, StatImported.metric == metric, StatImported.key == key
                )
            )
            replaced += int(getattr(result, "rowcount", 0) or 0)
            uow.session.add(
                StatImported(
                    year=year,
                    metric=metric,
                    key=key,
                    value=value,
                    source=source,
                    imported_by=actor.username,
                    imported_at=now,
                )
            )
        audit(
            uow.session,
            actor=actor.username,
            action="statistics_imported",
            now=now,
            details={"rows": len(rows), "years": list(years), "replaced": replaced, "source": source},
        )
        uow.commit()
    return ImportResult(len(rows), years, replaced)


def imported_figures(svc: Services, actor: Actor) -> list[ImportedFigure]:
    """Every imported figure, newest year first."""
    _require(actor)
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(
            select(StatImported).order_by(StatImported.year.desc(), StatImported.metric, StatImported.key)
        ).all()
        return [ImportedFigure(r.year, r.metric, r.key, r.value, r.source, r.imported_by, r.imported_at) for r in rows]
