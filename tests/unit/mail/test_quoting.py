"""strip_quoted: the customer's new words stay, history and signatures go, forwarded evidence stays."""

from __future__ import annotations

import pytest

from gogaek.mail.html_text import html_to_text, referenced_content_ids
from gogaek.mail.quoting import strip_quoted

NEW = "환불 언제 되나요?"


@pytest.mark.parametrize(
    "history",
    [
        "On Sun, Dec 6, 2026 at 3:04 PM Gogaek Support <support@gogaek.example> wrote:\n> 안녕하세요",
        "On Sun, Dec 6, 2026 at 3:04 PM Gogaek Support <support@gogaek.example>\nwrote:\n> wrapped attribution",
        "2026년 12월 6일 (일) 오후 3:04, 홍길동 <a@b.com>님이 작성:\n> 안녕하세요",
        "-----Original Message-----\nFrom: support@gogaek.example\n이전 답변",
        "-----원본 메시지-----\n보낸 사람: 고객센터\n이전 답변",
        "------- Original Message -------\nFrom : 고객센터 <support@gogaek.example>\n이전 답변",
        "From: Gogaek Support <support@gogaek.example>\nSent: Sunday, December 6, 2026 3:04 PM\n"
        "To: Hong <hong@example.com>\nSubject: RE: 문의\n\n이전 답변",
        "________________________________\nFrom: Gogaek <support@gogaek.example>\nSent: Sunday\nTo: me\n"
        "Subject: x\n\n이전",
        "보낸 사람: 고객센터 <support@gogaek.example>\n보낸 날짜: 2026년 12월 6일 일요일 오후 3:04\n"
        "받는 사람: 홍길동\n제목: RE: 문의\n\n이전 답변",
        '-----Original Message-----\nFrom: "고객센터"<support@gogaek.example>\nTo: "홍길동"<a@naver.com>;\n이전',
        "> 그냥 인용만\n> 두 줄",
        "-- \n홍길동\n010-1234-5678",
        "--\n홍길동",
        "Sent from my iPhone",
        "iPhone에서 보냄",
        "Galaxy에서 보냄",
        "Samsung Galaxy 스마트폰에서 보냈습니다.",
    ],
)
def test_history_and_signatures_are_cut(history: str) -> None:
    assert strip_quoted(f"{NEW}\n\n{history}\n") == NEW


def test_inline_replies_keep_the_customers_lines() -> None:
    text = "> 주문번호를 알려주세요.\nA-1029입니다.\n> 결제 수단은요?\n카드입니다.\n"
    assert strip_quoted(text) == "A-1029입니다.\n카드입니다."


def test_an_attribution_over_quotes_goes_with_them() -> None:
    assert strip_quoted(f"{NEW}\n\n고객센터 wrote:\n> old\n") == NEW
    assert strip_quoted(f"{NEW}\n\n2026. 12. 6. 오후 3:04, 고객센터 <s@g.example> 작성:\n>\n> old") == NEW


@pytest.mark.parametrize(
    "marker",
    ["---------- Forwarded message ---------", "----- 전달된 메일 -----", "Begin forwarded message:"],
)
def test_forwarded_mail_is_evidence_not_history(marker: str) -> None:
    forwarded = f"{marker}\nFrom: 카드사 <noreply@card.example>\nDate: 2026년 12월 6일\nSubject: 결제 안내\n\n[승인]"
    assert strip_quoted(f"{NEW}\n\n{forwarded}") == f"{NEW}\n\n{forwarded}"


def test_a_signature_above_a_forward_goes_but_the_forward_stays() -> None:
    text = f"{NEW}\n\n-- \n홍길동\n\n---------- Forwarded message ---------\nFrom: a@b.example\n\n증거"
    assert strip_quoted(text) == f"{NEW}\n\n---------- Forwarded message ---------\nFrom: a@b.example\n\n증거"


def test_ordinary_text_is_untouched() -> None:
    text = "From: 제 계좌에서 출금됐습니다.\n-- 서명 아님\n----------\n결제일: 12월 6일  \n\n\n끝"
    assert strip_quoted(text) == "From: 제 계좌에서 출금됐습니다.\n-- 서명 아님\n----------\n결제일: 12월 6일\n\n끝"
    assert strip_quoted("") == ""
    assert strip_quoted("> only quotes") == ""  # parse_mail falls back to the whole text then


def test_html_to_text() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body><script>x()</script>"
        "<p>첫 문단&nbsp;&amp;</p><div>a<br>b</div><ul><li>하나</li><li>둘</li></ul>"
        "<table><tr><td>주문</td><td>&lt;1&gt;</td></tr></table>"
        "<blockquote>인용<blockquote>더 깊은</blockquote></blockquote><pre>  x\n  y</pre></body></html>"
    )
    assert html_to_text(html) == "첫 문단 &\n\na\nb\n하나\n둘\n주문 <1>\n> 인용\n> > 더 깊은\n  x\n  y"
    assert html_to_text("<p>unclosed <b>bold <script>never") == "unclosed bold"
    assert html_to_text("") == ""


def test_content_ids_shown_by_html() -> None:
    assert referenced_content_ids("<img src=\"cid:Image001.PNG@01DB\"><img src='cid:<x@y>'>") == {
        "image001.png@01db",
        "x@y",
    }
