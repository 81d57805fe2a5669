"""The UI in Finnish and English: the language choice, the catalogs, and their completeness."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from page_helpers import make_user, page_client, page_token, sign_in

from services.context import Services
from services.uow import UnitOfWork
from store.models import User
from web.i18n import LOCALE_DIR, Catalogs, choose_language

WEB = Path(__file__).resolve().parents[2] / "web"


def _message_ids() -> set[str | tuple[str, ...]]:
    """Every message the web layer marks for translation (templates: _/ngettext; Python: tr(req, msg), N_)."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "tr": (2,)}
    method_map = [("templates/**.j2", "jinja2"), ("**.py", "python")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map=method_map, keywords=keywords, options_map=options
    ):
        found.add(message)
    return found


def test_every_ui_text_has_a_finnish_translation() -> None:
    ids = _message_ids()
    assert len(ids) > 150
    with (LOCALE_DIR / "fi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fi")
    missing = []
    for msgid in ids:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)) or (entry and entry.fuzzy):
            missing.append(msgid)
    assert missing == []
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        english = read_po(fh, locale="en")
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in english if m.id} >= {
        m if isinstance(m, str) else m[0] for m in ids
    }


def test_catalogs_compile_in_memory() -> None:
    catalogs = Catalogs()
    assert catalogs.gettext("fi", "Sign in") == "Kirjaudu sisään"
    assert catalogs.gettext("en", "Sign in") == "Sign in"
    assert catalogs.gettext("fi", "Page %(page)s of %(pages)s", page=2, pages=5) == "Sivu 2 / 5"
    assert catalogs.get("fi").ngettext("%(num)d task", "%(num)d tasks", 3) == "%(num)d tehtävää"


def test_language_choice_order() -> None:
    assert choose_language("en", "fi", "fi") == "en"
    assert choose_language(None, "en", "fi") == "en"
    assert choose_language(None, None, "sv-SE,en;q=0.8,fi;q=0.5") == "en"
    assert choose_language("xx", None, None) == "fi"


def test_the_finnish_ui_shows_finnish_labels(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        login = client.get("/login")
        assert '<html lang="fi">' in login.text
        assert "Kirjaudu sisään" in login.text and "Käyttäjätunnus" in login.text and "Salasana" in login.text
        english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in english.text and "Username" in english.text
        sign_in(client, "carl")
        inbox = client.get("/inbox").text
        assert "Omat tehtävät" in inbox and "Tiimin vapaat tehtävät" in inbox and "Kirjaudu ulos" in inbox
        assert 'lang="fi" selected' in inbox


def test_switching_language_sets_the_cookie_and_remembers_it_for_the_user(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        anonymous = client.post("/lang", data={"lang": "en", "__csrf": page_token(client, "/login"), "next": "/login"})
        assert anonymous.status_code == 200 and "Username" in anonymous.text
        sign_in(client, "carl")
        assert "My tasks" in client.get("/inbox").text
        form = {"lang": "fi", "__csrf": page_token(client), "next": "/inbox"}
        r = client.post("/lang", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/inbox"
        assert "auttamo_lang=fi" in r.headers["set-cookie"]
        assert "Omat tehtävät" in client.get("/inbox").text
    with UnitOfWork(svc.sessions, write=True) as uow:
        user = uow.session.query(User).filter_by(username="carl").one()
        assert user.locale == "fi"
        user.locale = "en"
        uow.commit()
    with page_client(svc) as fresh:  # no language cookie: the user's own language applies after sign-in
        sign_in(fresh, "carl")
        assert "My tasks" in fresh.get("/inbox").text
