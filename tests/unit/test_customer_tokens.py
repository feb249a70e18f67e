"""Host-app customer tokens: what is accepted, and every way a forged or broken token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.identity.customer_tokens import (
    MAX_TOKEN_LENGTH,
    CustomerTokenError,
    issue_customer_token,
    verify_customer_token,
    verify_request_token,
)
from gogaek.web.i18n import in_language_of

SECRET = "host-app-shared-secret-for-tests-0123456789"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def hs_settings() -> Settings:
    return Settings(env="test", customer_token_secret=SECRET)


@pytest.fixture
def rs_settings(public_pem: str) -> Settings:
    return Settings(env="test", customer_token_algorithm="RS256", customer_token_public_key=public_pem)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": "user-42", "exp": _now() + 600, "iat": _now()}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _hs(claims: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def _refused(token: str, settings: Settings, code: str = "token_invalid") -> CustomerTokenError:
    with pytest.raises(CustomerTokenError) as caught:
        verify_customer_token(token, settings)
    error = caught.value
    assert isinstance(error, ProblemError)
    assert (error.status, error.code) == (401, code)
    assert error.headers == {"WWW-Authenticate": "Bearer"}
    assert "앱에서" in error.message and "(" not in error.message  # Korean, no English gloss
    assert in_language_of("en", error.message).startswith(("Sign-in", "Invalid sign-in"))  # English from the catalogue
    return error


def test_an_issued_hs256_token_round_trips(hs_settings: Settings) -> None:
    verified = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    token = issue_customer_token(
        hs_settings, sub="user-42", name="김고객", phone="010-1234-5678", email="kim@example.com", verified_at=verified
    )
    claims = verify_customer_token(token, hs_settings)
    assert (claims.sub, claims.name, claims.phone) == ("user-42", "김고객", "010-1234-5678")
    assert claims.email == "kim@example.com"
    assert claims.verified_at == verified
    assert claims.expires_at.tzinfo is UTC
    assert claims.token_id
    another = issue_customer_token(hs_settings, sub="user-42")
    assert verify_customer_token(another, hs_settings).token_id != claims.token_id


def test_optional_claims_are_none_when_absent_or_blank(hs_settings: Settings) -> None:
    claims = verify_customer_token(_hs(_claims(name="  ", email="")), hs_settings)
    assert [claims.name, claims.phone, claims.email, claims.verified_at, claims.token_id] == [None] * 5


def test_the_secret_key_is_used_when_no_token_secret_is_set() -> None:
    settings = Settings(env="test", secret_key=SECRET)
    assert verify_customer_token(_hs(_claims()), settings).sub == "user-42"


def test_a_host_signed_rs256_token_is_accepted(rsa_key: rsa.RSAPrivateKey, rs_settings: Settings) -> None:
    token = jwt.encode(_claims(name="이순신"), rsa_key, algorithm="RS256")
    claims = verify_customer_token(token, rs_settings)
    assert (claims.sub, claims.name) == ("user-42", "이순신")


def test_the_rs256_public_key_may_be_a_file(rsa_key: rsa.RSAPrivateKey, public_pem: str, tmp_path: Path) -> None:
    key_file = tmp_path / "host.pem"
    key_file.write_text(public_pem, encoding="utf-8")
    settings = Settings(env="test", customer_token_algorithm="RS256", customer_token_public_key=str(key_file))
    assert verify_customer_token(jwt.encode(_claims(), rsa_key, algorithm="RS256"), settings).sub == "user-42"


def test_a_broken_public_key_is_a_configuration_error_not_a_401() -> None:
    settings = Settings(
        env="test",
        customer_token_algorithm="RS256",
        customer_token_public_key="-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
    )
    with pytest.raises(ValueError) as caught:
        verify_customer_token(_hs(_claims()), settings)
    assert not isinstance(caught.value, ProblemError)


def test_an_expired_token_says_expired(hs_settings: Settings) -> None:
    _refused(_hs(_claims(exp=_now() - 3600, iat=_now() - 7200)), hs_settings, "token_expired")


def test_expiry_allows_the_configured_leeway(hs_settings: Settings) -> None:
    token = _hs(_claims(exp=_now() - 5))
    assert verify_customer_token(token, hs_settings).sub == "user-42"
    strict = Settings(env="test", customer_token_secret=SECRET, customer_token_leeway_seconds=0)
    _refused(token, strict, "token_expired")


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_token_from_the_future_is_refused(hs_settings: Settings, claim: str) -> None:
    _refused(_hs(_claims(**{claim: _now() + 3600})), hs_settings)


def test_alg_none_is_refused(hs_settings: Settings) -> None:
    token = f"{_b64_json({'alg': 'none', 'typ': 'JWT'})}.{_b64_json(_claims())}."
    _refused(token, hs_settings)


def test_a_tampered_payload_is_refused(hs_settings: Settings) -> None:
    header, _, signature = _hs(_claims(sub="user-42")).split(".")
    forged = f"{header}.{_b64_json(_claims(sub='admin'))}.{signature}"
    _refused(forged, hs_settings)


def test_a_token_signed_with_another_secret_is_refused(hs_settings: Settings) -> None:
    _refused(_hs(_claims(), secret="some-other-secret-of-sufficient-length-42"), hs_settings)


def test_an_hs256_token_is_refused_under_rs256(rs_settings: Settings) -> None:
    _refused(_hs(_claims()), rs_settings)


def test_an_rs256_token_is_refused_under_hs256(rsa_key: rsa.RSAPrivateKey, hs_settings: Settings) -> None:
    _refused(jwt.encode(_claims(), rsa_key, algorithm="RS256"), hs_settings)


def test_the_public_key_cannot_be_used_as_an_hmac_secret(public_pem: str, rs_settings: Settings) -> None:
    """The classic confusion attack: the public key is public, so an HS256 forgery with it must fail."""
    signing_input = f"{_b64_json({'alg': 'HS256', 'typ': 'JWT'})}.{_b64_json(_claims(sub='admin'))}"
    signature = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    _refused(f"{signing_input}.{_b64(signature)}", rs_settings)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "x" * (MAX_TOKEN_LENGTH + 1), "한글.토큰.값"],
)
def test_malformed_strings_are_refused(hs_settings: Settings, token: str) -> None:
    _refused(token, hs_settings)


def test_an_oversized_token_is_refused_even_if_correctly_signed(hs_settings: Settings) -> None:
    token = _hs(_claims(padding="p" * MAX_TOKEN_LENGTH))
    _refused(token, hs_settings)
    assert verify_customer_token(_hs(_claims(padding="p" * 100)), hs_settings).sub == "user-42"


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": None},
        {"exp": None},
        {"sub": ""},
        {"sub": "   "},
        {"sub": " user-42"},
        {"sub": 42},
        {"sub": "u" * 129},
        {"sub": "user\n42"},
        {"exp": "soon"},
        {"name": "가" * 101},
        {"name": 7},
        {"name": "김\x00고객"},
        {"phone": 1012345678},
        {"phone": "0" * 33},
        {"email": "not-an-email"},
        {"email": "kim@example.com, victim@example.com"},  # an address list would mail a stranger
        {"email": "Kim <kim@example.com>"},
        {"email": "kim@example.com;victim@example.com"},
        {"email": "kim@localhost"},
        {"email": "a" * 250 + "@x.kr"},
        {"jti": 123},
        {"jti": "j" * 129},
        {"verified_at": True},
        {"verified_at": "yesterday"},
        {"verified_at": "2024-05-01T09:00:00"},
        {"verified_at": [2024, 5, 1]},
        {"verified_at": 10**20},
    ],
)
def test_bad_claims_are_refused(hs_settings: Settings, overrides: dict[str, Any]) -> None:
    claims = _claims()
    claims.update(overrides)
    _refused(_hs({key: value for key, value in claims.items() if value is not None}), hs_settings)


def test_the_longest_allowed_values_are_accepted(hs_settings: Settings) -> None:
    claims = verify_customer_token(_hs(_claims(sub="u" * 128, name="가" * 100)), hs_settings)
    assert (len(claims.sub), len(claims.name or "")) == (128, 100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714521600, datetime(2024, 5, 1, tzinfo=UTC)),
        (1714521600.5, datetime(2024, 5, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-01T09:00:00+09:00", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T00:00:00Z", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_verified_at_accepts_epoch_seconds_and_iso_8601(
    hs_settings: Settings, value: object, expected: datetime
) -> None:
    verified_at = verify_customer_token(_hs(_claims(verified_at=value)), hs_settings).verified_at
    assert verified_at == expected
    assert verified_at is not None and verified_at.utcoffset() == timedelta(0)


def test_issuer_is_checked_when_configured() -> None:
    settings = Settings(env="test", customer_token_secret=SECRET, customer_token_issuer="https://pay.example")
    assert verify_customer_token(_hs(_claims(iss="https://pay.example")), settings).sub == "user-42"
    _refused(_hs(_claims(iss="https://evil.example")), settings)
    _refused(_hs(_claims()), settings)


def test_audience_is_checked_when_configured(hs_settings: Settings) -> None:
    settings = Settings(env="test", customer_token_secret=SECRET, customer_token_audience="gogaek")
    assert verify_customer_token(_hs(_claims(aud="gogaek")), settings).sub == "user-42"
    assert verify_customer_token(_hs(_claims(aud=["wallet", "gogaek"])), settings).sub == "user-42"
    _refused(_hs(_claims(aud="wallet")), settings)
    _refused(_hs(_claims()), settings)
    # RFC 7519 §4.1.3: a token addressed to someone must be refused by a verifier that cannot say it is them.
    _refused(_hs(_claims(aud="wallet")), hs_settings)


def test_issued_tokens_carry_the_configured_issuer_and_audience() -> None:
    settings = Settings(
        env="test", customer_token_secret=SECRET, customer_token_issuer="dev-cli", customer_token_audience="gogaek"
    )
    token = issue_customer_token(settings, sub="user-42", ttl_seconds=60)
    assert verify_customer_token(token, settings).sub == "user-42"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert (payload["iss"], payload["aud"], payload["exp"] - payload["iat"]) == ("dev-cli", "gogaek", 60)


def test_issuing_is_refused_under_rs256(rs_settings: Settings) -> None:
    with pytest.raises(ValueError, match="RS256"):
        issue_customer_token(rs_settings, sub="user-42")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sub": ""},
        {"sub": "u" * 129},
        {"sub": "user-42", "name": "가" * 101},
        {"sub": "user-42", "ttl_seconds": 0},
        {"sub": "user-42", "verified_at": datetime(2024, 5, 1)},  # naive: ambiguous
    ],
)
def test_issuing_refuses_what_verification_would_reject(hs_settings: Settings, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        issue_customer_token(hs_settings, **kwargs)


def test_a_request_verifies_its_token_once_and_never_answers_for_another(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path, customer_token_secret=SECRET)
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": []})
    first, second = (issue_customer_token(settings, sub=sub) for sub in ("memo-1", "memo-2"))
    claims = verify_request_token(request, first, settings)
    assert verify_request_token(request, first, settings) is claims  # the rate limit's, reused
    assert verify_request_token(request, second, settings).sub == "memo-2"  # another token: verified
    with pytest.raises(CustomerTokenError):
        verify_request_token(request, first[:-4] + "AAAA", settings)  # a forged one is never served from it
