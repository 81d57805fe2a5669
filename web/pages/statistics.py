"""`/statistics/{year}`: the annual statistics report (supervisors and statisticians), as the
published review shows it — tables, SVG charts, CSV and XLSX downloads, and the publication mode
(`?publish=true`: small cells hidden). `/statistics/import` takes earlier years' published figures.

Everything here is anonymous counts; nothing links to a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from processes.codelists import codelists
from services.errors import InvalidInput
from services.statistics import STAT_ROLES
from services.statistics_report import (
    MAX_IMPORT_BYTES,
    AnnualReport,
    annual_report,
    import_published,
    imported_figures,
    report_csv,
    report_xlsx,
)
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, require_role
from web.pages.statistics_charts import Chart, columns, horizontal
from web.templating import request_language

router = APIRouter(include_in_schema=False)

VF = "victimised_in_finland"
TOTAL_LABELS = {
    "total": N_("Total"),
    "admitted": N_("Positive (admitted)"),
    "adults": N_("Adults"),
    "minors": N_("Minors"),
    "cases": N_("Forms of exploitation (cases)"),
    "persons": N_("Persons"),
    "nationalities": N_("Nationalities"),
}
SPECIAL = {"unknown": N_("Unknown"), "stateless": N_("Stateless"), "other": N_("Other")}
IMPORTED_CSS = "bar--imported"


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    value: Any
    imported: bool = False
    secondary: Any = None  # the second column (secondary forms of exploitation)
    secondary_imported: bool = False

    @property
    def hidden(self) -> bool:
        return isinstance(self.value, str)


def _year(value: str) -> int:
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise InvalidInput("year out of range", {"year": "Give a year between 2000 and 2100."})
    return int(value)


class Labels:
    """Code -> label in the page's language (code lists; Babel's country names for nationalities)."""

    def __init__(self, lang: str, tr: Any) -> None:
        self.lang, self.tr = lang, tr
        self.countries = Locale.parse(lang).territories

    def code(self, codeset: str, code: str) -> str:
        if code in SPECIAL and (codeset == "nationality" or code not in codelists().sets.get(codeset, {})):
            return str(self.tr(SPECIAL[code]))
        if codeset == "nationality":
            return str(self.countries.get(code, code))
        entries = codelists().sets.get(codeset)
        return entries.label(code, self.lang) if entries is not None else code


def _lines(report: AnnualReport, labels: Labels, path: tuple[str, ...], codeset: str) -> list[Line]:
    node: dict[str, Any] = report.tables
    for part in path:
        node = node[part]
    dotted = ".".join(path)
    lines = [Line(k, labels.code(codeset, k), v, f"{dotted}.{k}" in report.imported) for k, v in node.items()]
    if codeset == "nationality":  # alphabetical by name, never ranked
        lines.sort(key=lambda line: line.label.casefold())
    return lines


def _totals(report: AnnualReport, labels: Labels, table: str, keys: tuple[str, ...]) -> list[Line]:
    return [
        Line(k, str(labels.tr(TOTAL_LABELS[k])), report.tables[table][k], f"{table}.{k}" in report.imported)
        for k in keys
    ]


def _bars(chart_id: str, title: str, lines: list[Line]) -> Chart:
    return horizontal(chart_id, title, [(ln.label, ln.value, IMPORTED_CSS if ln.imported else "") for ln in lines])


def consultation_sections(report: AnnualReport, labels: Labels) -> dict[str, list[Line]]:
    """The anonymous consultations (calls, not people: never counted as applications)."""
    path = "anonymous_consultations"
    return {
        "consultation_totals": _totals(report, labels, path, ("total",)),
        "consultation_referrers": _lines(report, labels, (path, "by_referrer_type"), "referrer_type"),
        "consultation_topics": _lines(report, labels, (path, "by_topic"), "consultation_topic"),
        "consultation_outcomes": _lines(report, labels, (path, "by_outcome"), "consultation_outcome"),
    }


def report_context(report: AnnualReport, lang: str, tr: Any) -> dict[str, Any]:
    labels = Labels(lang, tr)
    t = report.tables
    forms = [
        Line(
            code,
            labels.code("exploitation_form", code),
            cell["primary"],
            f"exploitation.by_form.{code}.primary" in report.imported,
            cell["secondary"],
            f"exploitation.by_form.{code}.secondary" in report.imported,
        )
        for code, cell in t["exploitation"]["by_form"].items()
    ]
    rejected = _lines(report, labels, ("decisions", "rejected"), "rejection_ground")
    sections = {
        "referrers": _lines(report, labels, ("applications", "by_referrer_type"), "referrer_type"),
        "decisions": [*_totals(report, labels, "decisions", ("total", "admitted")), *rejected],
        "new_totals": _totals(report, labels, "new_clients", ("total", "adults", "minors")),
        "age_groups": _lines(report, labels, ("new_clients", "by_age_group"), "age_group"),
        "new_genders": _lines(report, labels, ("new_clients", "by_gender"), "gender"),
        "exploitation_totals": _totals(report, labels, "exploitation", ("cases", "persons")),
        "forms": forms,
        "vf_totals": _totals(report, labels, VF, ("persons", "nationalities")),
        "nationalities": _lines(report, labels, (VF, "by_nationality"), "nationality"),
        "vf_genders": _lines(report, labels, (VF, "by_gender"), "gender"),
        "residence": _lines(report, labels, (VF, "by_residence_status"), "residence_status"),
        "year_end": _totals(report, labels, "clients_at_year_end", ("total", "adults", "minors")),
        **consultation_sections(report, labels),
    }
    imported_legend = [("bar--main", str(tr(N_("Counted by Auttamo")))), (IMPORTED_CSS, str(tr(N_("Imported"))))]
    charts = {
        "series": columns(
            "chart-series",
            str(tr(N_("Applications per year"))),
            [(str(p.year), p.value, IMPORTED_CSS if p.imported else "") for p in report.series],
            imported_legend,
        ),
        "referrers": _bars("chart-referrers", str(tr(N_("Applications by referring party"))), sections["referrers"]),
        "decisions": _bars("chart-decisions", str(tr(N_("Decisions"))), sections["decisions"][1:]),
        "age_groups": _bars("chart-age", str(tr(N_("New clients by age group"))), sections["age_groups"]),
        "forms": horizontal(
            "chart-forms",
            str(tr(N_("Forms of exploitation"))),
            [(f.label, (f.value, f.secondary), "") for f in forms],
            series=("primary", "secondary"),
            legend=[("bar--primary", str(tr(N_("Primary")))), ("bar--secondary", str(tr(N_("Secondary"))))],
        ),
        "residence": _bars("chart-residence", str(tr(N_("Residence status"))), sections["residence"]),
    }
    return {"report": report, "sections": sections, "charts": charts}


@router.get("/statistics")
def statistics_home(actor: ActorPage, svc: ServicesDep, year: str = "") -> Response:
    """The latest complete year's review (or the year chosen in the form)."""
    require_role(actor, *STAT_ROLES)
    chosen = _year(year) if year else svc.now().year - 1
    return redirect(f"/statistics/{chosen}")


@router.get("/statistics/import")
def import_page(request: Request, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep) -> Response:
    require_role(actor, *STAT_ROLES)
    figures = imported_figures(svc, actor)
    context = {"figures": figures, "errors": {}, "source": "", "max_kb": MAX_IMPORT_BYTES // 1024}
    return templates.render(request, "statistics/import.html.j2", context)


@router.post("/statistics/import")
async def import_upload(
    request: Request,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    file: Annotated[UploadFile | None, File()] = None,
    source: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    require_role(actor, *STAT_ROLES)
    content = await file.read(MAX_IMPORT_BYTES + 1) if file is not None else b""
    try:
        result = import_published(svc, actor, content, source=source)
    except InvalidInput as exc:
        context = {
            "figures": imported_figures(svc, actor),
            "errors": exc.errors,
            "source": source,
            "max_kb": MAX_IMPORT_BYTES // 1024,
        }
        return templates.render(request, "statistics/import.html.j2", context, status_code=422)
    response = redirect("/statistics/import")
    years = ", ".join(str(y) for y in result.years)
    flash(
        request,
        response,
        templates.tr(request, "%(rows)s figures imported for %(years)s.", rows=result.rows, years=years),
    )
    return response


@router.get("/statistics/{year}")
def report_page(
    request: Request, year: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, publish: str = ""
) -> Response:
    require_role(actor, *STAT_ROLES)
    published = publish.lower() in ("1", "true", "yes", "on")
    report = annual_report(svc, actor, _year(year), publish=published)
    lang = request_language(request)
    context = report_context(report, lang, lambda m: templates.tr(request, m))
    return templates.render(request, "statistics/report.html.j2", context)


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


@router.get("/statistics/{year}/export.csv")
def export_csv(year: str, actor: ActorPage, svc: ServicesDep, publish: str = "") -> Response:
    require_role(actor, *STAT_ROLES)
    published = publish.lower() in ("1", "true", "yes", "on")
    report = annual_report(svc, actor, _year(year), publish=published)
    name = f"auttamo-statistics-{report.year}{'-published' if published else ''}.csv"
    return _download(report_csv(report), "text/csv; charset=utf-8", name)


@router.get("/statistics/{year}/export.xlsx")
def export_xlsx(
    request: Request, year: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep, publish: str = ""
) -> Response:
    require_role(actor, *STAT_ROLES)
    published = publish.lower() in ("1", "true", "yes", "on")
    report = annual_report(svc, actor, _year(year), publish=published)
    context = report_context(report, request_language(request), lambda m: templates.tr(request, m))
    labels = {line.key: line.label for section in context["sections"].values() for line in section}
    name = f"auttamo-statistics-{report.year}{'-published' if published else ''}.xlsx"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(report_xlsx(report, labels), xlsx, name)
