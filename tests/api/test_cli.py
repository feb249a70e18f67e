"""The `gogaek` command as an operator uses it (in this process, and once as `python -m gogaek`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gogaek.config import Settings
from tests.cli import run_cli, run_cli_process

COMMANDS = [
    [],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["faq"],
    ["faq", "import"],
    ["faq", "export"],
    ["faq", "search"],
    ["user"],
    ["user", "create-admin"],
    ["calendar"],
    ["calendar", "add"],
    ["calendar", "between"],
    ["calendar", "holidays"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "gogaek")
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = run_cli(Settings(env="test", data_dir=tmp_path), *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


async def test_create_admin_then_sign_in_through_the_api(settings: Settings, client: httpx.AsyncClient) -> None:
    result = run_cli_process(
        settings, "user", "create-admin", "--email", "Ops@Example.com", "--password", "a-long-password-1"
    )
    assert result.returncode == 0, result.stderr
    login = await client.post("/api/v1/admin/login", json={"email": "ops@example.com", "password": "a-long-password-1"})
    assert login.status_code == 200
    assert login.json()["staff"]["role"] == "admin"

    again = run_cli(settings, "user", "create-admin", "--email", "ops@example.com", "--password", "x" * 12)
    assert again.returncode == 1
    assert "이미 등록된 이메일" in again.stderr


def test_create_admin_refuses_weak_input(settings: Settings) -> None:
    short = run_cli(settings, "user", "create-admin", "--email", "a@b.co", "--password", "short")
    assert short.returncode == 2
    assert "password" in short.stderr
    bad_email = run_cli(settings, "user", "create-admin", "--email", "not-an-email", "--password", "x" * 12)
    assert bad_email.returncode == 2


async def test_admin_with_totp_needs_the_code(settings: Settings, client: httpx.AsyncClient) -> None:
    import re

    import pyotp

    result = run_cli(
        settings, "user", "create-admin", "--email", "sec@example.com", "--password", "a-long-password-2", "--totp"
    )
    assert result.returncode == 0, result.stderr
    secret = re.search(r"secret=([A-Z2-7]+)", result.stdout)
    assert secret is not None
    body = {"email": "sec@example.com", "password": "a-long-password-2"}
    assert (await client.post("/api/v1/admin/login", json=body)).json()["code"] == "totp_required"
    wrong = await client.post("/api/v1/admin/login", json={**body, "totp": "000000"})
    assert wrong.json()["code"] in ("totp_invalid",)
    code = pyotp.TOTP(secret.group(1)).now()
    assert (await client.post("/api/v1/admin/login", json={**body, "totp": code})).status_code == 200
