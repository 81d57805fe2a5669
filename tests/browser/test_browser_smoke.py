"""The browser harness itself: headless Chromium reaches the live app."""

from __future__ import annotations

from support import shot


def test_health_page_in_chromium(page: object, live_server: str) -> None:
    page.goto(f"{live_server}/health")  # type: ignore[attr-defined]
    assert '"status":"ok"' in page.content().replace(" ", "")  # type: ignore[attr-defined]
    shot(page, "health")
