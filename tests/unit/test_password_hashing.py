"""The cheap argon2 profile is for GOGAEK_ENV=test only; hashes of either profile keep verifying."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from gogaek.identity.security import hash_password, password_needs_rehash, verify_password


@pytest.mark.parametrize("env", ["production", "development", None])
def test_outside_tests_passwords_get_argon2s_full_parameters(monkeypatch: pytest.MonkeyPatch, env: str | None) -> None:
    if env is None:
        monkeypatch.delenv("GOGAEK_ENV", raising=False)
    else:
        monkeypatch.setenv("GOGAEK_ENV", env)
    parameters = extract_parameters(hash_password("a-long-password-1"))
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)


def test_hashes_of_one_profile_verify_under_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGAEK_ENV", "production")
    strong = hash_password("a-long-password-1")
    monkeypatch.setenv("GOGAEK_ENV", "test")
    cheap = hash_password("a-long-password-1")
    assert extract_parameters(cheap).memory_cost < extract_parameters(strong).memory_cost
    assert verify_password(strong, "a-long-password-1") and not verify_password(strong, "wrong")
    monkeypatch.setenv("GOGAEK_ENV", "production")
    assert verify_password(cheap, "a-long-password-1") and not verify_password(cheap, "wrong")
    # a test-profile hash that reaches a real installation is upgraded at the next sign-in
    assert password_needs_rehash(cheap) and not password_needs_rehash(strong)
