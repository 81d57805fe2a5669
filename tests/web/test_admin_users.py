"""User and team administration pages (admins only) and their use cases."""

from __future__ import annotations

import re

import pytest
from page_helpers import PASSWORD, make_user, page_client, post, session_cookie, sign_in
from sqlalchemy import select

from services.admin import create_user, list_users, set_active, update_user
from services.context import Actor, Services
from services.errors import Conflict, Forbidden, InvalidInput
from services.uow import UnitOfWork
from store.models import ROLES, AuditEvent, User
from web.pages.admin import ROLE_LABELS

ADMIN = Actor("adam", frozenset({"admin"}))


def _user_id(svc: Services, username: str) -> int:
    with UnitOfWork(svc.sessions) as uow:
        found = uow.session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def _audit(svc: Services) -> list[tuple[str, str]]:
    with UnitOfWork(svc.sessions) as uow:
        return [(e.actor, e.action) for e in uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_admin_pages_are_for_admins_only(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    for name, roles in {"sue": ["supervisor"], "carl": ["caseworker"], "olga": ["process_owner"]}.items():
        make_user(svc, name, roles)
        with page_client(svc) as client:
            sign_in(client, name)
            for path in ("/admin/users", "/admin/users/new", "/admin/teams", f"/admin/users/{_user_id(svc, name)}"):
                r = client.get(path)
                assert r.status_code == 403 and "text/html" in r.headers["content-type"], (name, path)
            assert post(client, "/admin/teams", {"name": "Oulu"}).status_code == 403
            assert 'data-testid="nav-users"' not in client.get("/inbox").text
    with page_client(svc) as client:
        assert sign_in(client, "adam").headers["location"] == "/"
        assert client.get("/", follow_redirects=False).headers["location"] == "/admin/users"
        page = client.get("/admin/users")
        assert page.status_code == 200 and 'data-username="sue"' in page.text
        assert 'data-testid="nav-users"' in page.text and 'data-testid="nav-inbox"' not in page.text
    assert set(ROLE_LABELS) == set(ROLES)  # every role has a label on the page


def test_create_a_user_with_roles_and_a_team(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "adam")
        assert post(client, "/admin/teams", {"name": "Helsinki"}).status_code == 303
        new = client.get("/admin/users/new").text
        assert 'id="user-role-caseworker"' in new and '<label for="user-role-caseworker">' in new
        team_id = re.search(r'<option value="(\d+)">Helsinki</option>', new)
        assert team_id
        form = [
            ("username", "cecilia"),
            ("display_name", "Cecilia C"),
            ("roles", "caseworker"),
            ("roles", "decider"),
            ("team", team_id.group(1)),
            ("password", "a long initial password"),
        ]
        r = post(client, "/admin/users", form, token_from="/admin/users")
        assert r.status_code == 303 and r.headers["location"] == "/admin/users"
        listing = client.get("/admin/users").text
        assert "Käyttäjä cecilia luotu." in listing
        row = re.search(r'data-username="cecilia">(.*?)</tr>', listing, re.S)
        assert row and "Asiantuntija, Päättäjä" in row.group(1) and "Helsinki" in row.group(1)
        assert "Ei koskaan" in row.group(1)  # never signed in
    with page_client(svc) as client:
        assert sign_in(client, "cecilia", "a long initial password").status_code == 303
    assert ("admin:adam", "user_created") in _audit(svc)
    assert next(u for u in list_users(svc, ADMIN) if u.username == "cecilia").last_sign_in is not None


def test_a_short_password_is_refused_next_to_the_field_and_the_input_kept(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "adam")
        form = [("username", "bob"), ("display_name", "Bob <b>"), ("roles", "intake"), ("password", "short")]
        r = post(client, "/admin/users", form, token_from="/admin/users")
        assert r.status_code == 422
        assert '<p class="field__error" id="user-password-error">Vähintään 12 merkkiä.</p>' in r.text
        assert 'value="bob"' in r.text and 'value="Bob &lt;b&gt;"' in r.text
        assert re.search(r'id="user-role-intake"[^>]*checked', r.text)
        r = post(client, "/admin/users", [("username", "bob"), ("password", "x" * 12)], token_from="/admin/users")
        assert r.status_code == 422 and "Valitse vähintään yksi rooli." in r.text
    assert "bob" not in {u.username for u in list_users(svc, ADMIN)}


def test_edit_roles_and_team(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    carl = _user_id(svc, "carl")
    with page_client(svc) as client:
        sign_in(client, "adam")
        page = client.get(f"/admin/users/{carl}").text
        assert re.search(r'id="user-role-caseworker"[^>]*checked', page)
        form = [("display_name", "Carl C"), ("roles", "caseworker"), ("roles", "supervisor"), ("team", "")]
        r = post(client, f"/admin/users/{carl}", form, token_from="/admin/users")
        assert r.status_code == 303
    row = next(u for u in list_users(svc, ADMIN) if u.username == "carl")
    assert row.roles == ("caseworker", "supervisor") and row.team is None and row.display_name == "Carl C"
    assert ("admin:adam", "user_changed") in _audit(svc)
    with pytest.raises(InvalidInput):
        update_user(svc, ADMIN, _user_id(svc, "adam"), display_name="", roles=["intake"], team_id=None)


def test_deactivation_ends_the_users_sessions_and_reactivation_restores_sign_in(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    make_user(svc, "carl", ["caseworker"])
    carl = _user_id(svc, "carl")
    with page_client(svc) as victim, page_client(svc) as admin:
        sign_in(victim, "carl")
        assert victim.get("/inbox").status_code == 200
        sign_in(admin, "adam")
        r = post(admin, f"/admin/users/{carl}/active", {"active": "0"}, token_from="/admin/users")
        assert r.status_code == 303
        r = victim.get("/inbox", follow_redirects=False)
        assert r.status_code == 303 and session_cookie(victim) is None
        assert sign_in(victim, "carl").status_code == 401
        assert "Poistettu käytöstä" in admin.get(f"/admin/users/{carl}").text
        post(admin, f"/admin/users/{carl}/active", {"active": "1"}, token_from="/admin/users")
        assert sign_in(victim, "carl").status_code == 303
    assert [a for _, a in _audit(svc)] == ["user_deactivated", "user_reactivated"]
    with pytest.raises(Conflict):
        set_active(svc, ADMIN, _user_id(svc, "adam"), False)


def test_reset_password(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    make_user(svc, "carl", ["caseworker"])
    carl = _user_id(svc, "carl")
    with page_client(svc) as victim, page_client(svc) as admin:
        sign_in(victim, "carl")
        sign_in(admin, "adam")
        r = post(admin, f"/admin/users/{carl}/password", {"password": "short"}, token_from="/admin/users")
        assert r.status_code == 422 and 'id="user-new_password-error"' in r.text
        r = post(admin, f"/admin/users/{carl}/password", {"password": "a brand new secret"}, token_from="/admin/users")
        assert r.status_code == 303
        assert victim.get("/inbox", follow_redirects=False).status_code == 303  # signed out
        assert sign_in(victim, "carl", PASSWORD).status_code == 401
        assert sign_in(victim, "carl", "a brand new secret").status_code == 303
    assert ("admin:adam", "password_reset") in _audit(svc)


def test_teams_create_and_rename(svc: Services) -> None:
    make_user(svc, "adam", ["admin"])
    with page_client(svc) as client:
        sign_in(client, "adam")
        assert post(client, "/admin/teams", {"name": "Helsinki"}, token_from="/admin/teams").status_code == 303
        assert post(client, "/admin/teams", {"name": "Tampere"}, token_from="/admin/teams").status_code == 303
        dup = post(client, "/admin/teams", {"name": "Helsinki"}, token_from="/admin/teams")
        assert dup.status_code == 422 and "Tämänniminen tiimi on jo olemassa." in dup.text
        page = client.get("/admin/teams").text
        team_id = re.search(r'action="/admin/teams/(\d+)"[^>]*>\s*<input[^>]*>\s*<label[^>]*>[^<]*Helsinki', page)
        assert team_id
        r = post(client, f"/admin/teams/{team_id.group(1)}", {"name": "Helsinki 1"}, token_from="/admin/teams")
        assert r.status_code == 303 and 'value="Helsinki 1"' in client.get("/admin/teams").text
        r = post(client, f"/admin/teams/{team_id.group(1)}", {"name": "Tampere"}, token_from="/admin/teams")
        assert r.status_code == 422 and 'id="team-name-' in r.text
    assert [a for _, a in _audit(svc)] == ["team_created", "team_created", "team_renamed"]


def test_the_use_cases_refuse_non_admins(svc: Services) -> None:
    sue = Actor("sue", frozenset({"supervisor"}))
    with pytest.raises(Forbidden):
        list_users(svc, sue)
    with pytest.raises(Forbidden):
        create_user(svc, sue, username="x", display_name="", roles=["admin"], team_id=None, password="x" * 12)
