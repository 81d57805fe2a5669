"""`auttamo serve` believes X-Forwarded-For only from AUTTAMO_TRUSTED_PROXIES. Without it, a client that
names its own address in the header still counts as its real address for the per-address rate limits;
with it, each client behind the proxy has its own count instead of sharing the proxy's."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bench.load.procs import Launcher, Server, settings_env
from config import Settings

TOKEN = re.compile(r'name="__csrf" value="([^"]+)"')


def _look_up(client: httpx.Client, forwarded_for: str) -> int:
    page = client.get("/refer/status")
    found = TOKEN.search(page.text)
    assert found, page.text[:300]
    form = {"reference": "AUT-2026-000001", "code": "NOT-THE-CODE", "__csrf": found.group(1)}
    return client.post("/refer/status", data=form, headers={"X-Forwarded-For": forwarded_for}).status_code


def _answers(settings: Settings, tmp_path: Path, **env: str) -> list[int]:
    environment = settings_env(settings, AUTTAMO_REFERRAL_STATUS_MAX_PER_ADDRESS="2", **env)
    with Launcher(environment) as launcher:
        server = Server(launcher, tmp_path / f"server-{len(env)}.log").start().wait_ready()
        try:
            with httpx.Client(base_url=server.url, timeout=10.0) as client:
                return [_look_up(client, f"203.0.113.{n}") for n in range(1, 5)]
        finally:
            server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_forwarded_addresses_count_only_from_trusted_proxies(settings: Settings, tmp_path: Path) -> None:
    # Four look-ups, each claiming another client address, from one real peer (127.0.0.1).
    assert _answers(settings, tmp_path) == [200, 200, 429, 429]  # the header is not believed
    assert _answers(settings, tmp_path, AUTTAMO_TRUSTED_PROXIES="127.0.0.1") == [200, 200, 200, 200]
