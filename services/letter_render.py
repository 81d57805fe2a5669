"""Render a decision letter from its facts: HTML with Jinja2 (autoescape on), PDF with fpdf2.

Both formats come from the same template (processes/letters/): the HTML download is a complete,
self-contained document, its stylesheet embedded in a <style> element and allowed by a CSP hash
(the same policy is in the document's meta element and in the download's header, so no script or
external resource can ever run or load, even when the file is opened from disk). The PDF is the
template's body laid out by fpdf2's HTML subset with the PDF core fonts: pure Python, no system font
needed. Core fonts cover Latin-1, which holds Finnish, Swedish and English; any other character in a
name or in the reasoning is transliterated (Cyrillic by the Finnish SFS 4900 scheme, accented Latin
letters to their base letter) or, failing that, shown as "?". The HTML letter keeps the exact spelling.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from processes.letters import APPEAL, TEMPLATE_DIR, LetterKind
from processes.rules import as_date

CSS_TEMPLATE = "letter.css"
# Everything but the embedded stylesheet is refused; the header adds what a meta element cannot carry.
_CSP = "default-src 'none'; style-src '{hash}'; img-src 'none'; base-uri 'none'; form-action 'none'"
HEADER_CSP_EXTRA = "; frame-ancestors 'none'; sandbox"

_PUNCTUATION = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2026": "...", "\u2022": "*", "\u20ac": "EUR", "\u2009": " ", "\u202f": " ", "\u200b": "",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i", "\u0152": "OE", "\u0153": "oe",
}  # fmt: skip
# SFS 4900 (Russian, with the Ukrainian and Belarusian additions), lower case; upper case is derived.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "jo", "ж": "ž", "з": "z", "и": "i",
    "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "tš", "ш": "š", "щ": "štš", "ъ": "'", "ы": "y", "ь": "'",
    "э": "e", "ю": "ju", "я": "ja", "і": "i", "є": "je", "ї": "ji", "ґ": "g", "ў": "u",
}  # fmt: skip


def latin1(text: str) -> str:
    """`text` in characters the PDF core fonts can show (see the module docstring)."""
    out: list[str] = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
        elif ch in _PUNCTUATION:
            out.append(_PUNCTUATION[ch])
        elif ch.lower() in _CYRILLIC:
            mapped = _CYRILLIC[ch.lower()]
            out.append(latin1(mapped.capitalize() if ch.isupper() else mapped))
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256 and c.isprintable())
            out.append(base or "?")
    return "".join(out)


def paragraphs(text: Any) -> Markup:
    """Free text (the reasoning) as escaped paragraphs: a blank line separates them, a newline breaks."""
    parts = [p.strip() for p in str(text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    if not parts:
        return Markup("<p>–</p>")
    return Markup("\n").join(
        Markup("<p>%s</p>") % Markup("<br>").join(escape(line) for line in p.split("\n")) for p in parts
    )


@pass_context
def day(context: Context, value: Any) -> str:
    """A date in the letter's language: 5.3.2026 / 5 March 2026 / 5 mars 2026 (a bare year stays a year)."""
    text = str(value)
    if text.isdigit():
        return text
    d = as_date(text)
    lang = context.get("lang", "fi")
    return f"{d.day}.{d.month}.{d.year}" if lang == "fi" else format_date(d, "d MMMM y", locale=lang)


@cache
def environment(override_dir: str | None) -> Environment:
    """Our templates, each replaceable by a file of the same name in `override_dir` (a deployment's).

    Sandboxed: a letter template is text that people outside development edit (legal wording, the
    appeal instructions), rendered with a client's facts inside the server. The sandbox keeps it to
    reading those facts: no attribute walk from `self` or a filter to Python's globals, os or files."""
    loaders = [FileSystemLoader(override_dir)] if override_dir else []
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATE_DIR)]),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt fact is an error at production, not a blank in a sent letter
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = day
    env.filters["paragraphs"] = paragraphs
    return env


def style_hash(css: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")


def header_csp(css_hashes: list[str]) -> str:
    """The download's Content-Security-Policy for a letter whose <style> elements hash to `css_hashes`."""
    allowed = " ".join(f"'{h}'" for h in css_hashes) or "'none'"
    return _CSP.replace("'{hash}'", allowed) + HEADER_CSP_EXTRA


def letter_csp(html: bytes) -> str:
    """The Content-Security-Policy header for a stored HTML letter: exactly its own stylesheets."""
    styles = re.findall(r"<style>(.*?)</style>", html.decode("utf-8"), re.S)
    return header_csp([style_hash(css) for css in styles])


def _context(kind: LetterKind, lang: str, facts: dict[str, Any], env: Environment, *, pdf: bool) -> dict[str, Any]:
    css = "" if pdf else env.loader.get_source(env, CSS_TEMPLATE)[0] if env.loader else ""
    return {
        "facts": facts,
        "kind": kind,
        "lang": lang,
        "pdf": pdf,
        "css": Markup(css),  # noqa: S704 - our own stylesheet (or the deployment's), never case data
        "csp": _CSP.replace("{hash}", style_hash(css)),
        "authority": APPEAL.authority[lang],
        "court": APPEAL.court[lang],
    }


def template_name(kind: LetterKind, lang: str) -> str:
    return f"decision_{kind}.{lang}.html.j2"


def render_html(kind: LetterKind, lang: str, facts: dict[str, Any], *, override_dir: Path | None = None) -> str:
    env = environment(str(override_dir) if override_dir else None)
    return env.get_template(template_name(kind, lang)).render(_context(kind, lang, facts, env, pdf=False))


@cache
def _pdf_class() -> type[Any]:
    """fpdf2 takes a third of a second to import: only a PDF being rendered pays for it."""
    from fpdf import FPDF

    class LetterPdf(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("helvetica", size=8)
            self.cell(0, 8, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="R")

    return LetterPdf


def render_pdf(
    kind: LetterKind, lang: str, facts: dict[str, Any], *, produced_at: datetime, override_dir: Path | None = None
) -> bytes:
    env = environment(str(override_dir) if override_dir else None)
    body = env.get_template(template_name(kind, lang)).render(_context(kind, lang, facts, env, pdf=True))
    from fpdf.fonts import TextStyle

    pdf = _pdf_class()(format="A4")
    pdf.footer_text = latin1(str(facts.get("reference") or ""))
    pdf.set_margins(25, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_creation_date(produced_at)  # the same facts give the same bytes
    pdf.set_creator("Auttamo")
    pdf.set_title(latin1(f"{facts.get('reference')} {facts.get('decided_on')}"))
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.set_font("times", size=11)
    black = "#000000"
    pdf.write_html(
        latin1(body),
        font_family="times",
        tag_styles={
            "h1": TextStyle(font_style="B", color=black, font_size_pt=15, t_margin=2, b_margin=3),
            "h2": TextStyle(font_style="B", color=black, font_size_pt=11.5, t_margin=4, b_margin=1),
        },
    )
    return bytes(pdf.output())
