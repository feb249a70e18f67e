"""Each fixture mail, parsed: what the email channel will store, thread and show to agents."""

from __future__ import annotations

import base64
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gogaek.mail.parsing import (
    MAX_PARTS,
    MailAttachment,
    MailParseError,
    ParsedMail,
    normalise_message_id,
    parse_mail,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "emails"
PNG_SIZE = 157
PDF_SIZE = 218
OUTLOOK_VISIBLE = "Hi,\n\nPlease send the invoice to accounting@contoso.example as well.\n\nBest regards,\nJohn"
SIGNATURE_VISIBLE = "법인카드로 결제한 건의 세금계산서를 발행해 주실 수 있나요?\n사업자등록번호는 123-45-67890입니다."


def parse(name: str, envelope_sender: str | None = None) -> ParsedMail:
    return parse_mail((FIXTURES / name).read_bytes(), envelope_sender=envelope_sender)


def shapes(mail: ParsedMail) -> list[tuple[str | None, str, int, bool]]:
    return [(a.filename, a.content_type, len(a.data), a.inline) for a in mail.attachments]


def test_every_fixture_is_described_in_the_readme_and_parses() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    names = sorted(path.name for path in FIXTURES.glob("*.eml"))
    assert len(names) >= 34
    for name in names:
        assert f"`{name}`" in readme
        assert isinstance(parse(name), ParsedMail)


def test_plain_utf8() -> None:
    mail = parse("plain_utf8.eml")
    assert mail.message_id == "<CAF=plain01+XyZ@mail.gmail.com>"
    assert mail.subject == "앱에서 결제가 두 번 됐어요"
    assert (mail.sender, mail.sender_name) == ("hong.gildong@example.com", "홍길동")
    assert mail.recipients == ("support@gogaek.example",)
    assert mail.date == datetime(2026, 12, 6, 6, 4, 12, tzinfo=UTC)
    assert mail.text.startswith("안녕하세요.\n오늘 오후 2시쯤")
    assert mail.visible_text == mail.text
    assert "\r" not in mail.text
    assert (mail.attachments, mail.automatic, mail.bounce_of, mail.in_reply_to) == ((), None, (), ())


def test_attachments_with_rfc2231_and_rfc2047_korean_names() -> None:
    mail = parse("multipart_with_attachments.eml")
    assert mail.subject == "결제 오류 화면과 거래내역서 보내드립니다"
    assert mail.text == "결제할 때 나온 오류 화면과 은행 거래내역서를 첨부합니다.\n확인 부탁드립니다."
    assert shapes(mail) == [
        ("화면캡처 2026-12-06.png", "image/png", PNG_SIZE, False),
        ("거래내역서.pdf", "application/pdf", PDF_SIZE, False),
    ]
    assert mail.attachments[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert mail.attachments[1].data.startswith(b"%PDF-1.4")
    assert mail.recipients == ("support@gogaek.example",)


@pytest.mark.parametrize(
    ("name", "subject", "sender_name", "text"),
    [
        ("euc_kr_body.eml", "배송 지연 문의", "이영희", "안녕하세요. 지난주에 주문한 상품(주문번호 A-1029)이"),
        ("cp949_body.eml", "똠햏 계정 결제 오류", "박똠", "똠방각하님, 햏 닉네임으로 가입한 계정인데"),
        ("iso_2022_kr_body.eml", "비밀번호 초기화", None, "비밀번호를 잊어버렸습니다.\n초기화 부탁드립니다."),
        ("wrong_charset_body.eml", "Re: order", None, "주문 취소가 되었는지 확인 부탁드립니다.\nCafé 쿠폰도"),
        ("quoted_printable_body.eml", "멤버십 해지", "Yoon", "고객센터 담당자님께,\n\n멤버십 해지를"),
    ],
)
def test_korean_bodies_decode_whatever_the_label_says(
    name: str, subject: str, sender_name: str | None, text: str
) -> None:
    mail = parse(name)
    assert mail.subject == subject
    assert mail.sender_name == sender_name
    assert mail.text.startswith(text)
    assert "\ufffd" not in mail.text


def test_quoted_printable_soft_breaks_inside_characters() -> None:
    mail = parse("quoted_printable_body.eml")
    assert mail.text.count("멤버십 해지를 요청드립니다.") == 4
    assert mail.text.endswith("해지 후 남은 포인트는 어떻게 되나요?")


@pytest.mark.parametrize(
    ("name", "subject", "sender", "sender_name"),
    [
        ("encoded_subject_split.eml", "환불 요청드립니다 (주문번호 A-1029)", "choi@example.com", "Choi"),
        ("mislabelled_subject.eml", "똠방각하 결제 문의", "dawoon@example.net", "정다운"),
        ("raw_8bit_header.eml", "환불 문의드립니다", "chulsoo@example.kr", "김철수"),
        ("subject_number_only.eml", "Re: 결제 취소 문의 [#20261206-000007]", "hong@example.com", "Hong"),
    ],
)
def test_broken_and_split_headers(name: str, subject: str, sender: str, sender_name: str) -> None:
    mail = parse(name)
    assert (mail.subject, mail.sender, mail.sender_name) == (subject, sender, sender_name)


def test_html_only_becomes_text_without_script_or_style() -> None:
    mail = parse("html_only.eml")
    assert mail.text == (
        "안녕하세요, 고객센터 담당자님.\n\n아래 주문의 결제 금액이 <영수증>과 다릅니다 & 확인 부탁드립니다.\n\n"
        "주문번호 금액\nA-1029 ₩9,900\n결제일: 12월 6일\n결제수단: 카드\n감사합니다.\n김하늘"
    )
    assert "document.cookie" not in mail.text
    assert "padding" not in mail.text
    assert "주문 내역\n" not in mail.text  # the <title>


def test_inline_image_referenced_by_content_id() -> None:
    mail = parse("html_inline_image.eml")
    assert mail.text == "결제 버튼을 누르면 이렇게 나옵니다:"
    assert shapes(mail) == [("image001.png", "image/png", PNG_SIZE, True)]


def test_forwarded_message_is_an_eml_attachment() -> None:
    mail = parse("forwarded_message.eml")
    assert mail.subject == "Fwd: [주문확인] 주문번호 A-1029"
    assert mail.visible_text == "쇼핑몰에서 받은 주문 확인 메일을 첨부합니다. 금액이 다르게 결제됐어요."
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content_type, attachment.inline) == (
        "[주문확인] 주문번호 A-1029.eml",
        "message/rfc822",
        False,
    )
    inner = parse_mail(attachment.data)
    assert inner.message_id == "<order-A-1029@shop.example>"
    assert inner.text == "주문이 접수되었습니다. 결제 금액: 9,900원"


def test_forwarded_inline_is_kept_as_evidence() -> None:
    mail = parse("forwarded_inline.eml")
    assert "---------- Forwarded message ---------" in mail.visible_text
    assert mail.visible_text.count("[승인] 9,900원") == 2
    assert "From: 카드사 <noreply@card.example>" in mail.visible_text


@pytest.mark.parametrize(
    ("name", "visible", "history"),
    [
        ("gmail_reply.eml", "Thanks, the refund arrived this morning.", "we have refunded"),
        ("gmail_reply_korean.eml", "네, 확인했습니다. 취소 처리 감사합니다!", "요청하신 결제 취소"),
        ("outlook_reply.eml", OUTLOOK_VISIBLE, "the invoice is attached"),
        ("outlook_reply_korean.eml", "영수증은 메일로 받고 싶습니다.\n\n감사합니다.", "영수증 수령 방법"),
        ("naver_reply.eml", "네 알겠습니다. 내일 다시 시도해 볼게요.", "최신 버전으로 업데이트"),
        ("signature.eml", SIGNATURE_VISIBLE, "재무팀 매니저"),
        ("iphone_signature.eml", "업데이트하니까 됩니다. 고맙습니다!", "iPhone에서 보냄"),
        ("quotes_old_thread_no_refs.eml", "지난달에도 같은 문제가 있었는데 또 두 번 결제됐습니다.", "중복 결제 건은"),
    ],
)
def test_replies_keep_only_what_the_customer_wrote_now(name: str, visible: str, history: str) -> None:
    mail = parse(name)
    assert mail.visible_text == visible
    assert history in mail.text
    assert history not in mail.visible_text


def test_replies_carry_their_threading_ids() -> None:
    mail = parse("reply_with_references.eml")
    assert mail.in_reply_to == ("<ack-7@gogaek.example>",)
    assert mail.references == ("<CAF=plain01+XyZ@mail.gmail.com>", "<ack-7@gogaek.example>")
    assert mail.recipients == ("support@gogaek.example", "hong@work.example")
    assert parse("naver_reply.eml").in_reply_to == ("<ack-11@gogaek.example>",)
    assert parse("naver_reply.eml").references == ()
    assert parse("subject_number_only.eml").in_reply_to == ()
    assert parse("quotes_old_thread_no_refs.eml").references == ()


def test_missing_message_id_and_duplicates() -> None:
    assert parse("no_message_id.eml").message_id is None
    first, again = parse("duplicate_a.eml"), parse("duplicate_b.eml")
    assert first.message_id == again.message_id == "<dup-1@example.com>"
    assert (first.subject, first.text) == (again.subject, again.text)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply_auto_submitted.eml", "auto-submitted"),
        ("auto_reply_x_autoreply.eml", "x-autoreply"),
        ("auto_reply_outlook_oof.eml", "auto-response-suppress"),
        ("precedence_bulk.eml", "precedence"),
        ("mailing_list.eml", "list"),
        ("bounce_dsn.eml", "bounce"),
        ("bounce_mailer_daemon_plain.eml", "mailer-daemon"),
        ("plain_utf8.eml", None),
        ("gmail_reply.eml", None),
        ("outlook_reply.eml", None),
    ],
)
def test_automatic_mail_is_recognised(name: str, reason: str | None) -> None:
    mail = parse(name)
    assert mail.automatic == reason
    if reason not in {"bounce", "mailer-daemon"}:
        assert mail.bounce_of == ()


def test_envelope_sender_decides_too() -> None:
    assert parse("plain_utf8.eml", envelope_sender="").automatic == "null-sender"
    assert parse("plain_utf8.eml", envelope_sender="<>").automatic == "null-sender"
    assert parse("plain_utf8.eml", envelope_sender="MAILER-DAEMON@mx.example").automatic == "mailer-daemon"
    assert parse("plain_utf8.eml", envelope_sender="hong.gildong@example.com").automatic is None


def test_dsn_names_the_message_that_bounced() -> None:
    mail = parse("bounce_dsn.eml")
    assert mail.bounce_of == ("<reply-42@gogaek.example>",)
    assert mail.sender == "mailer-daemon@mx.customer-isp.example"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        (None, "message/delivery-status"),
        (None, "text/rfc822-headers"),
    ]
    assert b"Status: 5.1.1" in mail.attachments[0].data
    assert "550 5.1.1 User unknown" in mail.visible_text


def test_plain_bounce_names_the_quoted_original() -> None:
    mail = parse("bounce_mailer_daemon_plain.eml")
    assert mail.bounce_of == ("<reply-43@gogaek.example>",)
    assert mail.date == datetime(2026, 12, 6, 8, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "<abc@example.com>"),
        ("  <abc@example.com> (Hong's mail)  ", "<abc@example.com>"),
        ("(comment) < abc@example.com >", "<abc@example.com>"),
        ("abc@example.com", "<abc@example.com>"),
        ("<CAF=x+y/z@mail.gmail.com>", "<CAF=x+y/z@mail.gmail.com>"),
        ("", None),
        ("garbage", None),
        ("<no-at-sign>", None),
        ("<a@b> <c@d>", "<a@b>"),
        ("<" + "x" * 2000 + "@example.com>", None),
    ],
)
def test_normalise_message_id(value: str, expected: str | None) -> None:
    assert normalise_message_id(value) == expected


def test_garbage_header_values_become_none() -> None:
    raw = (
        b"From: \r\nTo: not an address\r\nDate: yesterday-ish\r\nMessage-ID: garbage\r\n"
        b"Subject: =?unknown-charset?B?7ZWc6riA?=\r\n\r\nbody\r\n"
    )
    mail = parse_mail(raw)
    assert (mail.sender, mail.sender_name, mail.date, mail.message_id, mail.recipients) == (None, None, None, None, ())
    assert mail.subject == "한글"  # unknown label: the bytes still decode
    assert mail.text == mail.visible_text == "body"


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just some text\nwithout headers\n", b"\x00\xff\xfe"])
def test_bytes_that_are_not_a_mail(raw: bytes) -> None:
    with pytest.raises(MailParseError) as caught:
        parse_mail(raw)
    assert "(" in str(caught.value)  # Korean first, the English in parentheses


def test_too_deep_nesting_is_cut_or_refused() -> None:
    def nested(depth: int) -> bytes:
        head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
        return b"From: a@example.com\r\nSubject: deep\r\n" + head + b"Content-Type: text/plain\r\n\r\ndeep text\r\n"

    assert parse_mail(nested(5)).text == "deep text"
    assert parse_mail(nested(60)).text == ""  # deeper than MAX_DEPTH: ignored
    with pytest.raises(MailParseError):
        parse_mail(nested(1500))


def test_a_24_mb_mail_parses_without_copying_its_payload_many_times() -> None:
    payload = bytes(range(256)) * (24 * 1024 * 1024 // 256)
    encoded = base64.encodebytes(payload)
    raw = (
        b"From: big@example.com\r\nTo: support@gogaek.example\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n'
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="dump.bin"\r\n\r\n' + encoded + b"--b--\r\n"
    )
    del encoded
    tracemalloc.start()
    try:
        mail = parse_mail(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mail.attachments == (MailAttachment("dump.bin", "application/octet-stream", payload, False),)
    assert peak < 4 * len(raw), f"peak {peak / 2**20:.0f} MiB for a {len(raw) / 2**20:.0f} MiB mail"


def test_recipients_from_every_delivery_header_once_in_order() -> None:
    raw = (
        b"Delivered-To: Support@Gogaek.example\r\nX-Original-To: help@gogaek.example\r\n"
        b"From: a@example.com\r\nTo: =?utf-8?B?6rOg6rCd7IS87YSw?= <support@gogaek.example>, b@example.com\r\n"
        b'Cc: "Kim, Minji" <MINJI@example.com>, broken@@, <>\r\nSubject: x\r\n\r\nbody\r\n'
    )
    mail = parse_mail(raw)
    assert mail.recipients == (
        "support@gogaek.example",
        "b@example.com",
        "minji@example.com",
        "help@gogaek.example",
    )


def test_a_return_path_of_null_marks_machine_mail_when_the_envelope_is_unknown() -> None:
    raw = (FIXTURES / "plain_utf8.eml").read_bytes()
    assert parse_mail(b"Return-Path: <>\r\n" + raw).automatic == "null-sender"
    assert parse_mail(b"Return-Path: <>\r\n" + raw, envelope_sender="hong.gildong@example.com").automatic is None


def test_parts_after_the_cap_are_ignored() -> None:
    part = b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nx\r\n"
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + part * (MAX_PARTS + 50)
    mail = parse_mail(raw + b"--b--\r\n")
    assert len(mail.attachments) == MAX_PARTS - 1  # the multipart itself is the first part
