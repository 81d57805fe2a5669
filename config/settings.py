"""Runtime settings. Read from the environment once, by `Settings.from_env()`, never at import."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_SQLITE = "sqlite:///var/auttamo.sqlite3"


class SettingsError(ValueError):
    """A setting is missing or unsafe for the chosen environment."""


DEV_KEY_FILE = Path(__file__).resolve().parent.parent / "var" / "encryption.key"


def _encryption_key(e: Mapping[str, str], environment: str) -> str:
    """AUTTAMO_ENCRYPTION_KEY (or _FILE); outside production a key generated once into var/ (git-ignored),
    so development data stays readable across restarts and no key is ever in the repository."""
    key = e.get("AUTTAMO_ENCRYPTION_KEY", "")
    key_file = e.get("AUTTAMO_ENCRYPTION_KEY_FILE")
    if not key and key_file:
        key = Path(key_file).read_text().strip()
    if key:
        return key
    if environment == "production":
        raise SettingsError("AUTTAMO_ENCRYPTION_KEY (or AUTTAMO_ENCRYPTION_KEY_FILE) is required in production")
    if not DEV_KEY_FILE.is_file():
        import base64

        DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_KEY_FILE.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=") + "\n")
        DEV_KEY_FILE.chmod(0o600)
    return DEV_KEY_FILE.read_text().strip()


@dataclass(frozen=True)
class Settings:
    environment: str = "development"  # development | test | production
    database_url: str = DEFAULT_SQLITE
    secret_key: str = field(default="", repr=False)
    encryption_key: str = field(default="", repr=False)  # AES-256 key for data at rest (store.crypto)
    encryption_old_keys: str = field(default="", repr=False)  # comma-separated, still opened until rotated
    return_partner_url: str | None = None
    return_partner_token: str | None = field(default=None, repr=False)
    script_time_limit: float = 1.0
    worker_poll_seconds: float = 1.0
    worker_batch_size: int = 50
    outbox_max_attempts: int = 5
    outbox_backoff_seconds: float = 30.0
    http_timeout_seconds: float = 10.0
    sqlite_synchronous: str = "FULL"
    session_idle_minutes: int = 30  # a signed-in session ends after this long without a request
    session_absolute_hours: int = 12  # ... and after this long whatever the activity
    login_window_minutes: int = 15  # failed sign-ins are counted over this window
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 20
    sign_in_log_days: int = 90  # sign-in attempts are kept this long (each user's last success always)
    # Behind a reverse proxy: the proxies' addresses (comma-separated) whose X-Forwarded-For is believed, so
    # rate limits count each client rather than the proxy. Empty: the peer address is the client.
    trusted_proxies: str = ""
    # The public referral form and its status page: submissions / look-ups per client address and window.
    public_referral_window_minutes: int = 10
    public_referral_max_per_address: int = 5
    referral_status_max_per_address: int = 10
    # Where a referral's yes/no outcome is POSTed for partner-system referrals without their own callback URL.
    referrer_webhook_url: str | None = None
    referrer_webhook_token: str | None = field(default=None, repr=False)
    # Hosts a partner may name in a referral's callback_url (comma-separated); empty: any https host.
    referrer_callback_hosts: tuple[str, ...] = ()
    # A deployment's decision-letter templates: a file here replaces ours of the same name (processes/letters/).
    letter_templates_dir: Path | None = None
    project_root: Path = Path(__file__).resolve().parent.parent

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (AUTTAMO_*, DATABASE_URL)."""
        e = os.environ if env is None else env
        environment = e.get("AUTTAMO_ENV", "development")
        secret = e.get("AUTTAMO_SECRET_KEY", "")
        secret_file = e.get("AUTTAMO_SECRET_KEY_FILE")
        if not secret and secret_file:
            secret = Path(secret_file).read_text().strip()
        if not secret:
            if environment == "production":
                raise SettingsError("AUTTAMO_SECRET_KEY (or AUTTAMO_SECRET_KEY_FILE) is required in production")
            secret = secrets.token_urlsafe(32)  # development: a fresh key per process, nothing in the repo
        if environment == "production" and len(secret) < 32:
            raise SettingsError("AUTTAMO_SECRET_KEY must be at least 32 characters in production")
        encryption_key = _encryption_key(e, environment)
        settings = cls(
            environment=environment,
            encryption_key=encryption_key,
            encryption_old_keys=e.get("AUTTAMO_ENCRYPTION_OLD_KEYS", ""),
            database_url=e.get("DATABASE_URL", DEFAULT_SQLITE),
            secret_key=secret,
            return_partner_url=e.get("AUTTAMO_RETURN_PARTNER_URL") or None,
            return_partner_token=e.get("AUTTAMO_RETURN_PARTNER_TOKEN") or None,
            script_time_limit=float(e.get("AUTTAMO_SCRIPT_TIME_LIMIT", "1.0")),
            worker_poll_seconds=float(e.get("AUTTAMO_WORKER_POLL_SECONDS", "1.0")),
            outbox_max_attempts=int(e.get("AUTTAMO_OUTBOX_MAX_ATTEMPTS", "5")),
            outbox_backoff_seconds=float(e.get("AUTTAMO_OUTBOX_BACKOFF_SECONDS", "30")),
            http_timeout_seconds=float(e.get("AUTTAMO_HTTP_TIMEOUT_SECONDS", "10")),
            sqlite_synchronous=e.get("AUTTAMO_SQLITE_SYNCHRONOUS", "FULL"),
            session_idle_minutes=int(e.get("AUTTAMO_SESSION_IDLE_MINUTES", "30")),
            session_absolute_hours=int(e.get("AUTTAMO_SESSION_ABSOLUTE_HOURS", "12")),
            login_window_minutes=int(e.get("AUTTAMO_LOGIN_WINDOW_MINUTES", "15")),
            login_max_failures_per_user=int(e.get("AUTTAMO_LOGIN_MAX_FAILURES_PER_USER", "5")),
            login_max_failures_per_address=int(e.get("AUTTAMO_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
            sign_in_log_days=int(e.get("AUTTAMO_SIGN_IN_LOG_DAYS", "90")),
            trusted_proxies=e.get("AUTTAMO_TRUSTED_PROXIES", "").strip(),
            public_referral_window_minutes=int(e.get("AUTTAMO_PUBLIC_REFERRAL_WINDOW_MINUTES", "10")),
            public_referral_max_per_address=int(e.get("AUTTAMO_PUBLIC_REFERRAL_MAX_PER_ADDRESS", "5")),
            referral_status_max_per_address=int(e.get("AUTTAMO_REFERRAL_STATUS_MAX_PER_ADDRESS", "10")),
            referrer_webhook_url=e.get("AUTTAMO_REFERRER_WEBHOOK_URL") or None,
            referrer_webhook_token=e.get("AUTTAMO_REFERRER_WEBHOOK_TOKEN") or None,
            referrer_callback_hosts=tuple(
                h.strip().lower() for h in e.get("AUTTAMO_REFERRER_CALLBACK_HOSTS", "").split(",") if h.strip()
            ),
            letter_templates_dir=Path(e["AUTTAMO_LETTER_TEMPLATES"]) if e.get("AUTTAMO_LETTER_TEMPLATES") else None,
        )
        return settings.resolved()

    def resolved(self) -> Settings:
        """Make a relative SQLite path relative to the project root, so any working dir works."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and not self.database_url.startswith(prefix + "/"):
            rel = self.database_url[len(prefix) :]
            if rel and rel != ":memory:":
                return replace(self, database_url=prefix + str(self.project_root / rel))
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
