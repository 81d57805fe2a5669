"""UI languages: Babel `.po` catalogs under web/locale, compiled in memory at app start (no build step).

Message ids are the English texts; the `en` catalog may leave msgstr empty (the id is shown).
The language of a request: the `auttamo_lang` cookie, else the signed-in user's own, else the
browser's Accept-Language, else Finnish.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("fi", "en")
DEFAULT_LANGUAGE = "fi"
LANG_COOKIE = "auttamo_lang"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message


def _display_zone() -> tzinfo:
    try:
        return ZoneInfo("Europe/Helsinki")
    except ZoneInfoNotFoundError:  # a machine without the tz database still shows times, in UTC
        return UTC


DISPLAY_TZ = _display_zone()


def load_translations(lang: str, directory: Path = LOCALE_DIR) -> Translations:
    """Read `<directory>/<lang>/LC_MESSAGES/messages.po` and compile it in memory (fuzzy entries are skipped)."""
    path = directory / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


class Catalogs:
    """One compiled Translations object per UI language, built once by the app factory."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self._translations = {lang: load_translations(lang, directory) for lang in LANGUAGES}

    def get(self, lang: str) -> Translations:
        return self._translations.get(lang) or self._translations[DEFAULT_LANGUAGE]

    def gettext(self, lang: str, message: str, **params: object) -> str:
        """`message` in `lang`, with %(name)s placeholders filled in."""
        text = self.get(lang).gettext(message)
        return text % params if params else text


def choose_language(cookie: str | None, user_locale: str | None, accept_language: str | None) -> str:
    """The UI language for one request (see the module docstring)."""
    for candidate in (cookie, user_locale):
        if candidate in LANGUAGES:
            return candidate
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().split("-")[0].lower()
        if lang not in LANGUAGES:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if best is None or quality > best[0]:
            best = (quality, lang)
    return best[1] if best else DEFAULT_LANGUAGE


def format_moment(value: datetime | None, lang: str, *, what: str = "datetime") -> str:
    """A UTC datetime shown in Finnish time: "datetime" (short), "date", or "time" (with seconds)."""
    if value is None:
        return ""
    local = value.astimezone(DISPLAY_TZ)
    if what == "date":
        return format_date(local.date(), format="short", locale=lang)
    if what == "time":
        return format_time(local.time(), format="HH:mm:ss", locale=lang)
    return format_datetime(local, format="short", tzinfo=DISPLAY_TZ, locale=lang)
