"""Charset decoding: the label is a hint, the bytes decide; nothing here may raise."""

from __future__ import annotations

import base64

import pytest

from gogaek.mail.charsets import (
    canonical_charset,
    decode_base64,
    decode_header_value,
    decode_text,
    parse_parameters,
)

KOREAN = "한글 결제 취소 문의"
CP949_ONLY = "똠방각하 햏 뷁"


def b_word(data: bytes, charset: str = "utf-8") -> bytes:
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(data) + b"?="


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("euc-kr", "cp949"),
        ("EUC-KR", "cp949"),
        ("ks_c_5601-1987", "cp949"),
        ('"x-windows-949"', "cp949"),
        ("ksc5601", "cp949"),
        ("UTF8", "utf-8"),
        ("utf-8*ko", "utf-8"),
        ("ISO-2022-KR", "iso2022_kr"),
        ("iso-8859-1", "latin-1"),
        ("x-no-such-charset", None),
        ("unicode_escape", None),
        ("base64", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_charset(label: str | None, codec: str | None) -> None:
    result = canonical_charset(label)
    if codec == "latin-1":
        assert result in {"latin-1", "iso8859-1"}
    else:
        assert result == codec


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (KOREAN.encode(), "utf-8", KOREAN),
        (KOREAN.encode("euc-kr"), "euc-kr", KOREAN),
        (CP949_ONLY.encode("cp949"), "euc-kr", CP949_ONLY),
        (CP949_ONLY.encode("cp949"), "ks_c_5601-1987", CP949_ONLY),
        (CP949_ONLY.encode("cp949"), None, CP949_ONLY),
        (KOREAN.encode(), None, KOREAN),
        (KOREAN.encode(), "iso-8859-1", KOREAN),
        (KOREAN.encode(), "euc-kr", KOREAN),
        (KOREAN.encode("cp949"), "iso-8859-1", KOREAN),
        (KOREAN.encode("cp949"), "utf-8", KOREAN),
        (KOREAN.encode("iso2022_kr"), None, KOREAN),
        (KOREAN.encode("iso2022_kr"), "us-ascii", KOREAN),
        ("café".encode("latin-1"), "iso-8859-1", "café"),
        (KOREAN.encode(), "x-unknown-thing", KOREAN),
        (KOREAN.encode("utf-16"), "utf-16", KOREAN),
        (b"\xef\xbb\xbfBOM", "utf-8", "BOM"),
        (b"plain ascii", "unicode_escape", "plain ascii"),
        (b"", "utf-8", ""),
    ],
)
def test_decode_text(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_text(data, declared) == expected


def test_undecodable_bytes_give_replacement_characters_not_errors() -> None:
    text = decode_text(b"ok \xff\xfe\x80 ok", "utf-8")
    assert text.startswith("ok ")
    assert text.endswith(" ok")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b_word(KOREAN.encode()), KOREAN),
        (b_word(KOREAN.encode("cp949"), "ks_c_5601-1987"), KOREAN),
        (b_word(CP949_ONLY.encode("cp949"), "euc-kr"), CP949_ONLY),
        (b_word(KOREAN.encode(), "iso-8859-1"), KOREAN),
        (b"=?UTF-8?Q?=ED=95=9C=EA=B8=80_=EB=AC=B8=EC=9D=98?=", "한글 문의"),
        (b"Re: " + b_word("결제".encode()) + b" [#20261206-000007]", "Re: 결제 [#20261206-000007]"),
        (b_word("한".encode()) + b"\r\n " + b_word("글".encode()), "한글"),
        (b_word("결제 ".encode()) + b"  \t" + b_word("문의".encode()), "결제 문의"),
        ("환불 문의".encode(), "환불 문의"),
        ("환불 문의".encode("cp949"), "환불 문의"),
        ("환불 문의", "환불 문의"),
        ("환불".encode().decode("ascii", "surrogateescape"), "환불"),
        (b"=?x-unknown?B?" + base64.b64encode("한글".encode()) + b"?=", "한글"),
        (b"=?utf-8?X?nonsense?= stays", "=?utf-8?X?nonsense?= stays"),
        (b"a\r\n\tb\x00c", "a b c"),
        (b"", ""),
    ],
)
def test_decode_header_value(raw: bytes | str, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_garbage_encoded_words_decode_to_something() -> None:
    assert isinstance(decode_header_value(b"=?utf-8?B?broken?= =?utf-8?Q?=ZZ=?="), str)
    assert decode_header_value(b"=?utf-8?B?" + b"A" * 10_000 + b"?=").count("\x00") == 0


def test_a_character_split_across_encoded_words_is_joined() -> None:
    data = "환불 요청".encode()
    split = b_word(data[:4]) + b"\r\n " + b_word(data[4:])  # 4 bytes: the second character is cut in two
    assert decode_header_value(split) == "환불 요청"
    unpadded = base64.b64encode(data).decode()
    words = f"=?utf-8?b?{unpadded[:5]}?= =?UTF-8?B?{unpadded[5:]}?="  # cut inside a base64 quantum
    assert decode_header_value(words) == "환불 요청"


def test_decode_base64_is_lenient() -> None:
    data = "한글 첨부".encode()
    encoded = base64.b64encode(data)
    assert decode_base64(encoded) == data
    assert decode_base64(encoded[:8] + b"\r\n!!" + encoded[8:]) == data
    assert decode_base64(encoded.rstrip(b"=")) == data
    assert decode_base64(base64.b64encode(b"ab") + base64.b64encode(b"cd")) == b"abcd"
    assert decode_base64(b"=") == b""
    assert decode_base64(b"A") == b""


@pytest.mark.parametrize(
    ("raw", "main", "params"),
    [
        (b"text/plain; charset=euc-kr", "text/plain", {"charset": "euc-kr"}),
        (b'Text/HTML; charset="UTF-8"; format=flowed', "text/html", {"charset": "UTF-8", "format": "flowed"}),
        (b"attachment; filename*=UTF-8''%ED%95%9C%EA%B8%80.pdf", "attachment", {"filename": "한글.pdf"}),
        (
            b"attachment; filename*0*=ks_c_5601-1987''%C7%D1; filename*1*=%B1%DB; filename*2=\".txt\"",
            "attachment",
            {"filename": "한글.txt"},
        ),
        (b"attachment; filename=\"plain.pdf\"; filename*=UTF-8''%ED%95%9C.pdf", "attachment", {"filename": "한.pdf"}),
        (b'inline; filename="a;b.png"', "inline", {"filename": "a;b.png"}),
        (b'attachment; filename="' + "견적서.pdf".encode("cp949") + b'"', "attachment", {"filename": "견적서.pdf"}),
        (b'attachment; filename="unterminated', "attachment", {"filename": "unterminated"}),
        (b'multipart/mixed;\r\n boundary="=_b\\"q"', "multipart/mixed", {"boundary": '=_b"q'}),
        (b"; =; junk", "", {}),
    ],
)
def test_parse_parameters(raw: bytes, main: str, params: dict[str, str]) -> None:
    assert parse_parameters(raw) == (main, params)
