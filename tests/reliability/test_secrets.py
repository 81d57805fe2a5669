"""Secrets come only from the environment or a file outside the repository (issue 7, security review).

The repository holds no key material; production refuses to start without the session secret and the
encryption key; both can be read from files (AUTTAMO_*_FILE) kept outside the tree; the development
key that `make run` generates lands in the git-ignored var/ folder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support import ROOT

from config import Settings
from config.settings import DEV_KEY_FILE, SettingsError
from store.crypto import generate_key, parse_key

# An assignment of a value to a secret-looking name, in any file we track (code, config, docs, CI).
ASSIGNED_SECRET = re.compile(
    r"(?i)\b(AUTTAMO_(SECRET|ENCRYPTION)_KEY|AUTTAMO_ENCRYPTION_OLD_KEYS|PASSWORD|API_KEY)\s*[=:]\s*['\"]?([A-Za-z0-9_\-+/=]{16,})"
)
PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name and not name.startswith("node_modules/")]


def test_no_key_material_in_tracked_files() -> None:
    found = []
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for match in ASSIGNED_SECRET.finditer(text):
            value = match.group(3)
            if value.startswith(("test", "bench", "x" * 8)) or value.lower() in {"changeme", "required"}:
                continue
            found.append(f"{path.relative_to(ROOT)}: {match.group(0)[:60]}")
        if PEM.search(text):
            found.append(f"{path.relative_to(ROOT)}: a PEM private key")
    assert found == []


def test_the_development_key_file_is_git_ignored() -> None:
    relative = DEV_KEY_FILE.relative_to(ROOT)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(relative)], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{relative} would be committed"


def test_production_takes_secrets_only_from_the_environment_or_files(tmp_path: Path) -> None:
    base = {"AUTTAMO_ENV": "production", "DATABASE_URL": "sqlite:///:memory:"}
    with pytest.raises(SettingsError, match="AUTTAMO_SECRET_KEY"):
        Settings.from_env(base)
    with pytest.raises(SettingsError, match="AUTTAMO_ENCRYPTION_KEY"):
        Settings.from_env({**base, "AUTTAMO_SECRET_KEY": "s" * 48})
    assert not tmp_path.is_relative_to(ROOT)  # the files live outside the repository
    secret_file, key_file = tmp_path / "secret", tmp_path / "key"
    secret_file.write_text("f" * 48 + "\n")
    key = generate_key()
    key_file.write_text(key + "\n")
    settings = Settings.from_env(
        {**base, "AUTTAMO_SECRET_KEY_FILE": str(secret_file), "AUTTAMO_ENCRYPTION_KEY_FILE": str(key_file)}
    )
    assert settings.secret_key == "f" * 48
    assert parse_key(settings.encryption_key) == parse_key(key)
    assert "f" * 48 not in repr(settings) and key not in repr(settings)  # never printed with the settings
