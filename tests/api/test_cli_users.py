"""`gogaek user …` and `gogaek token customer` as an operator runs them (tests/cli.py: in this
process, and each group once as a real `python -m gogaek`)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import jwt
import pyotp
import pytest

from gogaek.config import Settings
from gogaek.identity.customer_tokens import verify_customer_token
from tests.cli import run_cli, run_cli_process

PASSWORD = "a-long-password-9"


def totp_secret(output: str) -> str:
    found = re.search(r"secret=([A-Z2-7]+)", output)
    assert found is not None, output
    return found.group(1)


@pytest.mark.parametrize(
    "command", [["user", "create"], ["user", "enable-totp"], ["token"], ["token", "customer"]], ids=" ".join
)
def test_new_commands_have_help(command: list[str], tmp_path: Path) -> None:
    result = run_cli(Settings(env="test", data_dir=tmp_path), *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


async def test_each_role_can_be_created_and_signs_in(settings: Settings, client: httpx.AsyncClient) -> None:
    for role in ("agent", "supervisor"):
        email = f"{role}@example.com"
        result = run_cli(settings, "user", "create", "--role", role, "--email", email, "--password", PASSWORD)
        assert result.returncode == 0, result.stderr
        assert email in result.stdout and "secret" not in result.stdout
        login = await client.post("/api/v1/agent/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["staff"]["role"] == role
    named = run_cli(
        settings,
        "user",
        "create",
        "--role",
        "agent",
        "--email",
        "n@example.com",
        "--password",
        PASSWORD,
        "--name",
        "민지",
    )
    assert named.returncode == 0, named.stderr
    login = await client.post("/api/v1/agent/login", json={"email": "n@example.com", "password": PASSWORD})
    assert login.json()["staff"]["display_name"] == "민지"


async def test_admin_with_totp_prints_the_secret_once_and_needs_the_code(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    result = run_cli(
        settings, "user", "create", "--role", "admin", "--email", "sec@example.com", "--password", PASSWORD, "--totp"
    )
    assert result.returncode == 0, result.stderr
    assert "otpauth://totp/" in result.stdout
    secret = totp_secret(result.stdout)
    assert f"OTP 비밀 키: {secret}" in result.stdout
    body = {"email": "sec@example.com", "password": PASSWORD}
    assert (await client.post("/api/v1/agent/login", json=body)).json()["code"] == "totp_required"
    ok = await client.post("/api/v1/agent/login", json={**body, "totp": pyotp.TOTP(secret).now()})
    assert ok.status_code == 200


def test_an_admin_without_totp_is_warned_about_when_totp_is_required(settings: Settings) -> None:
    strict = run_cli(
        settings,
        *("user", "create", "--role", "admin", "--email", "a@example.com", "--password", PASSWORD),
        extra_env={"GOGAEK_ADMIN_TOTP_REQUIRED": "true"},
    )
    assert strict.returncode == 0, strict.stderr
    assert "경고" in strict.stderr and "gogaek user enable-totp --email a@example.com" in strict.stderr
    # the older command warns the same way
    legacy = run_cli(
        settings,
        *("user", "create-admin", "--email", "b@example.com", "--password", PASSWORD),
        extra_env={"GOGAEK_ADMIN_TOTP_REQUIRED": "true"},
    )
    assert legacy.returncode == 0 and "경고" in legacy.stderr
    relaxed = run_cli(settings, "user", "create", "--role", "admin", "--email", "c@example.com", "--password", PASSWORD)
    assert relaxed.returncode == 0 and "경고" not in relaxed.stderr


async def test_enable_totp_lets_a_blocked_admin_in(settings: Settings, client: httpx.AsyncClient) -> None:
    created = run_cli(
        settings, "user", "create", "--role", "admin", "--email", "ops@example.com", "--password", PASSWORD
    )
    assert created.returncode == 0, created.stderr
    enabled = run_cli(settings, "user", "enable-totp", "--email", "OPS@example.com")
    assert enabled.returncode == 0, enabled.stderr
    secret = totp_secret(enabled.stdout)
    body = {"email": "ops@example.com", "password": PASSWORD, "totp": pyotp.TOTP(secret).now()}
    assert (await client.post("/api/v1/agent/login", json=body)).status_code == 200
    unknown = run_cli(settings, "user", "enable-totp", "--email", "nobody@example.com")
    assert unknown.returncode == 1 and "nobody@example.com" in unknown.stderr


def test_user_create_refuses_bad_input(settings: Settings) -> None:
    role = run_cli(settings, "user", "create", "--role", "boss", "--email", "x@example.com", "--password", PASSWORD)
    assert role.returncode == 2 and "boss" in role.stderr
    weak = run_cli(settings, "user", "create", "--role", "agent", "--email", "x@example.com", "--password", "short")
    assert weak.returncode == 2 and "password" in weak.stderr
    missing_role = run_cli(settings, "user", "create", "--email", "x@example.com", "--password", PASSWORD)
    assert missing_role.returncode == 2
    first = run_cli(settings, "user", "create", "--role", "agent", "--email", "x@example.com", "--password", PASSWORD)
    assert first.returncode == 0, first.stderr
    again = run_cli(settings, "user", "create", "--role", "agent", "--email", "X@example.com", "--password", PASSWORD)
    assert again.returncode == 1 and "이미 등록된 이메일" in again.stderr


def test_customer_token_is_signed_like_the_host_app(settings: Settings) -> None:
    result = run_cli_process(
        settings,
        *("token", "customer", "--sub", "user-42", "--name", "김고객", "--phone", "010-1234-5678"),
        *("--email", "kim@example.com", "--ttl", "600"),
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = verify_customer_token(token, settings)
    assert (claims.sub, claims.name, claims.phone, claims.email) == (
        "user-42",
        "김고객",
        "010-1234-5678",
        "kim@example.com",
    )
    unverified = jwt.decode(token, options={"verify_signature": False})
    assert unverified["exp"] - unverified["iat"] == 600 and unverified["jti"]
    assert claims.verified_at is None
    checked = run_cli(settings, "token", "customer", "--sub", "user-42", "--verified")
    verified_at = verify_customer_token(checked.stdout.strip(), settings).verified_at
    assert verified_at is not None and abs(verified_at.timestamp() - unverified["iat"]) < 120


def test_customer_token_refuses_what_it_cannot_sign(settings: Settings) -> None:
    rs256 = run_cli(
        settings,
        *("token", "customer", "--sub", "user-42"),
        extra_env={"GOGAEK_CUSTOMER_TOKEN_ALGORITHM": "RS256"},
    )
    assert rs256.returncode == 2
    assert "RS256" in rs256.stderr and not rs256.stdout.strip()
    bad_ttl = run_cli(settings, "token", "customer", "--sub", "user-42", "--ttl", "0")
    assert bad_ttl.returncode == 2
    bad_sub = run_cli(settings, "token", "customer", "--sub", " padded ")
    assert bad_sub.returncode == 2 and "sub" in bad_sub.stderr
