"""Fixtures for the forms tests: the exploitation example form and a real Jinja environment."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest

import forms

DATA = Path(__file__).parent / "data"


@pytest.fixture
def schema() -> dict[str, Any]:
    return forms.load_form_schema(DATA / "exploitation-schema.json")


@pytest.fixture
def ui() -> dict[str, Any]:
    return forms.load_ui_schema(DATA / "exploitation-uischema.json")


@pytest.fixture
def env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(forms.template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@pytest.fixture
def render(env: jinja2.Environment) -> Callable[[list[forms.FieldView]], str]:
    page = env.from_string('{% from "forms/_form_fields.html.j2" import render_fields %}{{ render_fields(fields) }}')

    def _render(fields: list[forms.FieldView]) -> str:
        return page.render(fields=fields)

    return _render


class Tags(HTMLParser):
    """Every start tag with its attributes, in document order (stdlib parser: no extra dependency)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def parse() -> Callable[[str], Tags]:
    def _parse(html: str) -> Tags:
        tags = Tags()
        tags.feed(html)
        return tags

    return _parse


class Browser(HTMLParser):
    """The pairs a browser would post for the rendered fields (successful controls, document order).

    Skips <template> content, disabled controls, unticked boxes and buttons (no button was pressed).
    """

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._template = 0
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "template":
            self._template += 1
        if self._template or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name is not None:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("file", "submit"):
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "select" and name is not None:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name is not None:
            self._textarea = (name, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [options[0][0]]
            self.pairs.append((name, chosen[-1]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.pairs.append((name, text.removeprefix("\n")))  # HTML drops the newline after <textarea>
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)


@pytest.fixture
def submit() -> Callable[[str], list[tuple[str, str]]]:
    def _submit(html: str) -> list[tuple[str, str]]:
        browser = Browser()
        browser.feed(html)
        browser.close()
        return browser.pairs

    return _submit
