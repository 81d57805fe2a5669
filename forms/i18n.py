"""Pick the text for a language: schema `title` + `x-title: {"fi": ..., "en": ...}`, and our own few words.

Lookup order: the exact language ("fi-FI"), its primary subtag ("fi"), then the plain keyword (`title`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Words the widgets need that no schema supplies. Swedish is welcome, so it is here too.
_WORDS: dict[str, dict[str, str]] = {
    "en": {"yes": "Yes", "no": "No", "add": "Add row", "remove": "Remove row", "choose": "Choose…"},
    "fi": {"yes": "Kyllä", "no": "Ei", "add": "Lisää rivi", "remove": "Poista rivi", "choose": "Valitse…"},
    "sv": {"yes": "Ja", "no": "Nej", "add": "Lägg till rad", "remove": "Ta bort rad", "choose": "Välj…"},
}


def pick(value: object, lang: str) -> str | None:
    """A string as is, or the entry for `lang` in a {lang: text} mapping; None when there is none."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in (lang, lang.split("-")[0].lower()):
            text = value.get(key)
            if isinstance(text, str):
                return text
    return None


def localized(node: Mapping[str, Any], key: str, lang: str) -> str:
    """`x-<key>` in `lang`, else `<key>`, else "" (e.g. key="title" or "description")."""
    text = pick(node.get(f"x-{key}"), lang) if isinstance(node.get(f"x-{key}"), Mapping) else None
    if text is None:
        text = pick(node.get(key), lang)
    return text or ""


def word(name: str, lang: str) -> str:
    """One of our own widget words ("yes", "no", "add", "remove", "choose") in `lang`, English fallback."""
    words = _WORDS.get(lang) or _WORDS.get(lang.split("-")[0].lower()) or _WORDS["en"]
    return words[name]
