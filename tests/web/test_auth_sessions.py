"""Signing in and out over real HTTP: cookie flags, session fixation, idle and absolute expiry, rate limits."""

from __future__ import annotations

from datetime import timedelta

from page_helpers import PASSWORD, csrf_in, make_user, page_client, post, session_cookie, sign_in
from sqlalchemy import func, select
from support import FakeClock

from services.context import Services
from services.sessions import digest
from services.uow import UnitOfWork
from store.models import LoginAttempt, WebSession
from web.pages.common import safe_next
from web.sessions import SESSION_COOKIE


def _sessions(svc: Services) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalar(select(func.count(WebSession.id))) or 0


def test_the_app_opens_on_the_sign_in_page(svc: Services) -> None:
    with page_client(svc) as client:
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        page = client.get("/login")
        assert page.status_code == 200
        assert 'id="login-username"' in page.text and '<label for="login-username">' in page.text
        assert 'id="login-password"' in page.text and 'type="password"' in page.text
        assert 'href="#main"' in page.text  # skip link
        assert "content-security-policy" in page.headers


def test_sign_in_sets_a_safe_session_cookie_and_stores_only_its_hash(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    with page_client(svc) as client:
        r = sign_in(client, "carl", next_path="/inbox?view=team")
        assert r.status_code == 303 and r.headers["location"] == "/inbox?view=team"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http in development
        token = session_cookie(client)
        assert token
        with UnitOfWork(svc.sessions) as uow:
            row = uow.session.scalars(select(WebSession)).one()
            assert row.token_sha256 == digest(token) and token not in row.token_sha256
        assert client.get("/inbox").status_code == 200


def test_the_cookie_is_secure_over_https(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc, base_url="https://testserver") as client:
        r = sign_in(client, "carl")
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_failed_sign_in_says_the_same_for_unknown_users_and_wrong_passwords(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        wrong = sign_in(client, "carl", "not the password")
        unknown = sign_in(client, "nobody", "not the password")
        for r in (wrong, unknown):
            assert r.status_code == 401
            assert "Wrong username or password." in r.text or "Väärä käyttäjätunnus tai salasana." in r.text
            assert session_cookie(client) is None
        assert 'value="nobody"' in unknown.text  # the username is kept, the password never
        assert "not the password" not in unknown.text
    assert _sessions(svc) == 0


def test_every_sign_in_opens_a_new_session(svc: Services) -> None:
    """Session fixation: whatever cookie came in, signing in gives a new id and drops the old one."""
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
        sign_in(client, "carl")
        first = session_cookie(client)
        assert first and first != "planted-by-an-attacker"
        sign_in(client, "carl")
        second = session_cookie(client)
        assert second and second != first
    assert _sessions(svc) == 1  # the first session was replaced, not kept
    with page_client(svc) as other:
        other.cookies.set(SESSION_COOKIE, first or "", domain="testserver.local")
        r = other.get("/inbox", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/inbox")


def test_sign_out_deletes_the_session(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        token = session_cookie(client)
        r = post(client, "/logout", {})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert any(c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))
        assert "Olet kirjautunut ulos." in client.get("/login").text  # the flash, in the default language
        assert "Olet kirjautunut ulos." not in client.get("/login").text  # shown once
    assert _sessions(svc) == 0
    with page_client(svc) as replay:
        replay.cookies.set(SESSION_COOKIE, token or "", domain="testserver.local")
        assert replay.get("/inbox", follow_redirects=False).status_code == 303


def test_idle_timeout_and_absolute_lifetime(svc: Services, clock: FakeClock) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        clock.advance(minutes=29)
        assert client.get("/inbox", follow_redirects=False).status_code == 200  # activity moves last_seen on
        clock.advance(minutes=29)
        assert client.get("/inbox", follow_redirects=False).status_code == 200
        clock.advance(minutes=31)
        r = client.get("/inbox", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/inbox"
        assert session_cookie(client) is None  # the dead cookie was cleared
    assert _sessions(svc) == 0

    with page_client(svc) as client:
        sign_in(client, "carl")
        signed_in_at = clock.now
        for _ in range(12 * 3 + 1):  # busy all day: a request every 20 minutes
            clock.advance(minutes=20)
            if client.get("/inbox", follow_redirects=False).status_code != 200:
                break
        else:
            raise AssertionError("the session outlived its absolute lifetime")
        assert clock.now - signed_in_at == timedelta(hours=12)


def test_last_seen_is_written_at_most_once_a_minute(svc: Services, clock: FakeClock) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")

        def last_seen() -> object:
            with UnitOfWork(svc.sessions) as uow:
                return uow.session.scalars(select(WebSession.last_seen_at)).one()

        start = last_seen()
        clock.advance(seconds=30)
        client.get("/inbox")
        assert last_seen() == start
        clock.advance(seconds=31)
        client.get("/inbox")
        assert last_seen() == clock.now


def test_too_many_failures_for_a_username_are_refused_for_a_while(svc: Services, clock: FakeClock) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        for _ in range(5):
            assert sign_in(client, "carl", "wrong password!").status_code == 401
        r = sign_in(client, "carl")  # even the right password waits
        assert r.status_code == 429 and r.headers["retry-after"] == "900"
        assert "15" in r.text and session_cookie(client) is None
        for _ in range(5):  # an unknown name is counted the same way, with the same answer
            sign_in(client, "ghost", "wrong password!")
        assert sign_in(client, "ghost", "whatever").status_code == 429
        clock.advance(minutes=15, seconds=1)
        assert sign_in(client, "carl").status_code == 303


def test_too_many_failures_from_one_address(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        for i in range(20):
            assert sign_in(client, f"user{i}", "wrong password!").status_code == 401
        assert sign_in(client, "carl").status_code == 429
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count(LoginAttempt.id))) == 20


def test_a_success_resets_the_username_count(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        for _ in range(4):
            sign_in(client, "carl", "wrong password!")
        assert sign_in(client, "carl").status_code == 303
        for _ in range(4):
            assert sign_in(client, "carl", "wrong password!").status_code == 401
        assert sign_in(client, "carl").status_code == 303


def test_anonymous_pages_redirect_to_sign_in_and_back(svc: Services) -> None:
    make_user(svc, "sue", ["supervisor"])
    with page_client(svc) as client:
        for path in ("/inbox", "/tasks/abc", "/cases/1", "/supervision/access-log", "/admin/users", "/admin/teams"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}", path
        r = client.get("/login?next=/supervision/access-log")
        token = csrf_in(r.text)
        data = {"username": "sue", "password": PASSWORD, "__csrf": token, "next": "/supervision/access-log"}
        r = client.post("/login", data=data, follow_redirects=False)
        assert r.headers["location"] == "/supervision/access-log"


def test_next_must_be_a_local_path() -> None:
    assert safe_next("/cases/3?x=1") == "/cases/3?x=1"
    for hostile in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "inbox", ""):
        assert safe_next(hostile) == "/inbox", hostile
    assert safe_next("/login") == "/inbox"


def test_a_signed_in_browser_may_call_the_api_with_its_session(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        r = client.get("/api/v1/tasks?scope=mine")
        assert r.status_code == 200, r.text
        assert client.post("/api/v1/saved-filters", json={"name": "x", "query": {}}).status_code == 403  # no token
        token = client.get("/inbox").text.split('name="csrf-token" content="')[1].split('"')[0]
        r = client.post("/api/v1/saved-filters", json={"name": "x", "query": {}}, headers={"X-CSRF-Token": token})
        assert r.status_code == 201, r.text
