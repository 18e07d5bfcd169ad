"""Production settings pass Django's deployment checks with no warning."""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

from channels.crypto import generate_key_entry


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "diplomacy_hub.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "hub.example.org",
        "CREDENTIALS_KEYS": generate_key_entry("prod1"),
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a test switch; production never has it
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_setting_read_from_the_environment_is_documented_in_the_readme():
    """README.md promises a configuration table with every setting: a new one goes there too."""
    read = set()
    for module in (settings.BASE_DIR / "diplomacy_hub" / "settings").glob("*.py"):
        read |= set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", module.read_text()))
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "SECRET_KEY" in read  # the pattern does find them
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert not missing, f"Document these settings in README.md's configuration table: {missing}"
