"""The chat protocol end to end with real websocket clients against a running server.

One journey per backend: bot answer → handoff → agent accepts with the whole context →
messages both ways with receipts → the customer drops and resumes without loss or
duplicates → resend is not stored twice → internal note stays internal → end → rating →
transcript.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.chat.conftest import Desk
from tests.chat.wsclient import ChatClient, Frame, ws_url

pytestmark = pytest.mark.integration

FAQ_QUESTION = "잔액이 부족하다며 결제가 거절돼요"


def _is_message(sender: str, **fields: object) -> Callable[[Frame], bool]:
    return lambda f: (
        f.get("type") == "message" and f.get("sender") == sender and all(f.get(k) == v for k, v in fields.items())
    )


async def _customer(desk: Desk, sub: str, **params: object) -> ChatClient:
    token = desk.customer_token(sub, email=f"{sub}@example.com")
    return await ChatClient.open(ws_url(desk.url, "/ws/chat", token=token, **params))


async def _agent(desk: Desk, staff_id: int) -> ChatClient:
    client = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.staff_token(staff_id)))
    await client.expect_type("hello")
    return client


async def test_bot_handoff_accept_talk_resume_end_rate_transcript(desk: Desk) -> None:
    customer = await _customer(desk, "journey-1")
    hello = await customer.expect_type("hello")
    assert hello["v"] == 1 and hello["conversation"]["status"] == "bot"
    conversation_id = hello["conversation"]["id"]
    greeting = await customer.expect(_is_message("bot"))
    assert greeting["seq"] == 1

    # The bot answers an FAQ question with the article and "도움이 되었나요?" buttons.
    await customer.send({"type": "message", "text": FAQ_QUESTION, "client_msg_id": "c-1"})
    echo = await customer.expect(_is_message("customer", client_msg_id="c-1"))
    answer = await customer.expect(_is_message("bot"))
    assert answer["seq"] == echo["seq"] + 1
    assert answer["bot_kind"] == "answer" and isinstance(answer["article_id"], int)
    assert {"helpful", "not_helpful"} <= {b["action"] for b in answer["buttons"]}

    agent = await _agent(desk, desk.agent_id)
    await customer.send({"type": "handoff"})
    await customer.expect_type("status", status="queued")
    place = await customer.expect_type("queue")
    assert place["position"] == 1 and place["eta_seconds"] > 0
    queue = await agent.expect(
        lambda f: f["type"] == "queue" and any(w["conversation"] == conversation_id for w in f["waiting"])
    )
    assert queue["length"] >= 1

    # Accepting hands the agent everything: the bot part of the chat, the profile, past inquiries.
    await agent.send({"type": "accept", "conversation": conversation_id})
    assigned = await agent.expect_type("assigned")
    assert assigned["conversation"]["id"] == conversation_id
    assert [m["text"] for m in assigned["transcript"] if m["sender"] == "customer"] == [FAQ_QUESTION]
    assert any(m["sender"] == "bot" and m.get("article_id") for m in assigned["transcript"])
    assert assigned["customer"]["name"] == "김고객" and "inquiries" in assigned
    joined = await customer.expect(_is_message("system"))
    assert "상담사" in joined["text"]
    await customer.expect_type("status", status="active", agent_id=desk.agent_id)

    # Both ways, with delivered and read receipts.
    await customer.send({"type": "message", "text": "두 번 결제된 것 같아요", "client_msg_id": "c-2"})
    from_customer = await agent.expect(_is_message("customer", client_msg_id="c-2"))
    await customer.received(lambda f: f.get("type") == "delivered" and f.get("seq") == from_customer["seq"])
    await agent.send({"type": "read", "conversation": conversation_id, "seq": from_customer["seq"]})
    await customer.expect_type("read", by="agent", seq=from_customer["seq"])
    await agent.send({"type": "typing", "conversation": conversation_id})
    await customer.expect_type("typing", by="agent")
    await agent.send(
        {"type": "message", "conversation": conversation_id, "text": "확인해 보겠습니다.", "client_msg_id": "a-1"}
    )
    reply = await customer.expect(_is_message("agent", client_msg_id="a-1"))
    assert reply["agent_name"] == "상담사 한결"
    await agent.received(lambda f: f.get("type") == "delivered" and f.get("seq") == reply["seq"])
    await agent.send({"type": "note", "conversation": conversation_id, "text": "이중결제 의심, 재무팀 확인 필요"})
    note = await agent.expect(lambda f: f.get("type") == "message" and f.get("internal") is True)

    # The customer drops; the agent keeps writing; the customer resumes from the last seq seen.
    last_seen = max(m["seq"] for m in customer.messages())
    await customer.close()
    for index in range(3):
        await agent.send(
            {
                "type": "message",
                "conversation": conversation_id,
                "text": f"안내 {index}",
                "client_msg_id": f"a-{index + 2}",
            }
        )
        await agent.expect(_is_message("agent", client_msg_id=f"a-{index + 2}"))
    resumed = await _customer(desk, "journey-1", conversation=conversation_id, after_seq=last_seen)
    await resumed.expect_type("hello")
    for index in range(3):
        await resumed.expect(_is_message("agent", text=f"안내 {index}"))
    await resumed.send({"type": "message", "text": "네 감사합니다", "client_msg_id": "c-3"})
    await resumed.expect(_is_message("customer", client_msg_id="c-3"))
    replayed = [m["seq"] for m in resumed.messages()]
    assert note["seq"] == last_seen + 1  # the note's number is a gap the customer never sees
    assert replayed == list(range(last_seen + 2, last_seen + 2 + len(replayed)))

    # A resend of an acknowledged message is answered but not stored or broadcast again.
    await resumed.send({"type": "message", "text": "두 번 결제된 것 같아요", "client_msg_id": "c-2"})
    duplicate = await resumed.expect_type("message", duplicate=True)
    assert duplicate["seq"] == from_customer["seq"]
    assert not [f for f in await agent.drain() if f.get("client_msg_id") == "c-2"]

    await agent.send({"type": "end", "conversation": conversation_id})
    ended = await resumed.expect(_is_message("system", rating_requested=True))
    await resumed.expect_type("status", status="ended")
    assert ended["seq"] > replayed[-1]
    await resumed.send({"type": "rate", "score": 5, "comment": "빨라요"})
    assert (await resumed.expect_type("rated"))["score"] == 5
    await resumed.send({"type": "rate", "score": 1})
    assert (await resumed.expect_type("error"))["code"] == "already_rated"
    await resumed.send({"type": "message", "text": "또 질문", "client_msg_id": "c-4"})
    assert (await resumed.expect_type("error"))["code"] == "chat_ended"

    headers = {"Authorization": f"Bearer {desk.customer_token('journey-1', email='journey-1@example.com')}"}
    async with httpx.AsyncClient(base_url=desk.url, headers=headers) as http:
        transcript = await http.get(f"/api/v1/chat/conversations/{conversation_id}/transcript.txt")
        history = await http.get("/api/v1/chat/conversations")
        emailed = await http.post(f"/api/v1/chat/conversations/{conversation_id}/transcript/email")
    assert transcript.status_code == 200
    assert FAQ_QUESTION in transcript.text and "확인해 보겠습니다." in transcript.text
    assert "재무팀" not in transcript.text  # internal notes never leave the console
    assert history.json()["items"][0]["rating"] == 5
    assert emailed.status_code == 202 and emailed.json()["to"].endswith("@example.com")
    await resumed.close()
    await agent.close()


async def test_every_bad_frame_gets_an_error_and_the_socket_stays_up(desk: Desk) -> None:
    customer = await _customer(desk, "bad-frames")
    await customer.expect_type("hello")
    checks: list[tuple[str | Frame, str]] = [
        ("{not json", "malformed_frame"),
        ({"type": "fly"}, "invalid_frame"),
        ({"type": "message"}, "invalid_frame"),
        ({"type": "message", "text": "x", "client_msg_id": "has space"}, "invalid_frame"),
        ({"type": "read", "seq": -1}, "invalid_frame"),
        ({"type": "message", "text": "가" * 2001}, "message_too_long"),
        ({"type": "message", "text": "   "}, "empty_message"),
        ({"type": "rate", "score": 5}, "chat_not_ended"),
        ("x" * 20_000, "frame_too_large"),
        ("[]", "invalid_frame"),
    ]
    for frame, code in checks:
        await customer.send(frame)
        error = await customer.expect_type("error")
        assert error["code"] == code, (frame if isinstance(frame, dict) else frame[:20], error)
        assert error["message"]
    await customer.socket.send(b"\x00\x01")
    assert (await customer.expect_type("error"))["code"] == "unsupported_frame"
    await customer.drain(2.5)  # let the rate bucket refill
    await customer.send({"type": "ping"})
    await customer.expect_type("pong")

    # A flood is refused frame by frame, then the bucket refills.
    for _ in range(30):
        await customer.send({"type": "typing"})
    limited = await customer.expect(lambda f: f.get("code") == "rate_limited")
    assert limited["retry_after"] > 0
    await customer.drain(2.5)
    await customer.send({"type": "ping"})
    await customer.expect_type("pong")
    await customer.close()


@pytest.mark.parametrize(
    ("params", "token_sub", "code"),
    [
        ({}, None, 4401),
        ({"token": "not-a-jwt"}, None, 4401),
        ({"conversation": "12abc"}, "stranger", 4400),
        ({"conversation": "2147483648"}, "stranger", 4400),  # past every id column: refused, not an overflow
        ({"conversation": "1", "after_seq": "99999999999"}, "stranger", 4400),
        ({"conversation": "²"}, "stranger", 4400),
    ],
)
async def test_refused_connections_close_with_a_code(
    desk: Desk, params: dict[str, str], token_sub: str | None, code: int
) -> None:
    from websockets.exceptions import ConnectionClosed

    if token_sub is not None:
        params = {**params, "token": desk.customer_token(token_sub)}
    client = await ChatClient.open(ws_url(desk.url, "/ws/chat", **params))
    error = await client.expect_type("error")
    with pytest.raises(ConnectionClosed) as closed:
        await client.drain(5)
        await client.socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code, error


async def test_another_customers_conversation_is_refused(desk: Desk) -> None:
    from websockets.exceptions import ConnectionClosed

    owner = await _customer(desk, "owner")
    conversation_id = (await owner.expect_type("hello"))["conversation"]["id"]
    intruder = await _customer(desk, "intruder", conversation=conversation_id, after_seq=0)
    assert (await intruder.expect_type("error"))["code"] == "forbidden"
    with pytest.raises(ConnectionClosed) as closed:
        await intruder.drain(5)
        await intruder.socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert not any(f.get("type") == "message" for f in intruder.frames)
    bad_agent = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.customer_token("owner")))
    assert (await bad_agent.expect_type("error"))["code"] == "unauthorized"
    await owner.send({"type": "end"})
    await owner.expect_type("status", status="ended")
    await owner.close()


async def test_no_agent_online_offers_options_and_files_an_inquiry(desk: Desk) -> None:
    customer = await _customer(desk, "offline-1")
    conversation_id = (await customer.expect_type("hello"))["conversation"]["id"]
    await customer.send({"type": "message", "text": "상담원 연결해 주세요", "client_msg_id": "o-1"})
    offer = await customer.expect(lambda f: f.get("type") == "message" and "options" in f)
    assert [o["action"] for o in offer["options"]] == ["leave_inquiry", "book_callback", "call"]
    assert offer["options"][1]["url"] == "/callbacks/new" and offer["options"][2]["phone"]
    await customer.send({"type": "leave_inquiry"})
    filed = await customer.expect(lambda f: f.get("type") == "message" and "inquiry" in f)
    await customer.expect_type("status", status="ended")
    headers = {"Authorization": f"Bearer {desk.customer_token('offline-1', email='offline-1@example.com')}"}
    async with httpx.AsyncClient(base_url=desk.url, headers=headers) as http:
        inquiry = (await http.get(f"/api/v1/inquiries/{filed['inquiry']['id']}")).json()
        staff = {"Authorization": f"Bearer {desk.staff_token(desk.supervisor_id)}"}
        seen_by_agent = (await http.get(f"/api/v1/agent/inquiries/{inquiry['id']}", headers=staff)).json()
    assert inquiry["title"] == "상담원 연결해 주세요" and "[" in inquiry["body"]  # the transcript, with times
    assert seen_by_agent["channel"] == "chat"
    assert filed["conversation"] == conversation_id
    await customer.send({"type": "leave_inquiry"})  # a repeat files nothing new
    assert not [f for f in await customer.drain(1.0) if "inquiry" in f]
    await customer.close()


async def test_a_frame_over_the_hard_limit_closes_with_1009(desk: Desk) -> None:
    from websockets.exceptions import ConnectionClosed

    customer = await _customer(desk, "huge-frame")
    await customer.expect_type("hello")
    await customer.send("x" * (64 * 1024 + 1))
    with pytest.raises(ConnectionClosed) as closed:
        await customer.drain(5)
        await customer.socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_error_frames_speak_the_sockets_language(desk: Desk) -> None:
    """The host token's locale names the language; without one, Korean without English glosses."""
    english = await ChatClient.open(
        ws_url(desk.url, "/ws/chat", token=desk.customer_token("lang-en", name="Jamie", locale="en"))
    )
    korean = await _customer(desk, "lang-ko")
    for client in (english, korean):
        await client.expect_type("hello")
        await client.send("{not json")
        await client.send({"type": "rate", "score": 5})
    assert [(await english.expect_type("error"))["message"] for _ in range(2)] == [
        "Not JSON",
        "Rate after the chat ends",
    ]
    assert [(await korean.expect_type("error"))["message"] for _ in range(2)] == [
        "JSON 형식이 아닙니다.",
        "상담이 끝난 뒤에 평가할 수 있습니다.",
    ]
    await english.close()
    await korean.close()


async def test_a_widget_socket_may_ask_for_english_and_the_token_still_wins(desk: Desk) -> None:
    """The embeddable widget has no cookie of ours: ``?lang=`` is the host page's choice, below the
    token's ``locale`` claim, as a page's switch is."""
    plain = desk.customer_token("chat-lang-en")
    asked = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=plain, lang="en"))
    await asked.expect_type("hello")
    assert (await asked.expect(_is_message("bot")))["text"].startswith("Hello! I'm the help center's chatbot.")
    korean_token = desk.customer_token("chat-lang-ko", locale="ko")
    overruled = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=korean_token, lang="en"))
    await overruled.expect_type("hello")
    assert (await overruled.expect(_is_message("bot")))["text"].startswith("안녕하세요")
    for client in (asked, overruled):
        await client.close()


async def test_a_chat_keeps_its_language_when_the_customer_comes_back_in_korean(desk: Desk) -> None:
    """Started in English; a later socket without a locale (Korean) still gets English from the bot."""
    english = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=desk.customer_token("chat-back", locale="en")))
    conversation_id = (await english.expect_type("hello"))["conversation"]["id"]
    await english.expect(_is_message("bot"))
    await english.close()
    korean_socket = ws_url(desk.url, "/ws/chat", token=desk.customer_token("chat-back"), conversation=conversation_id)
    back = await ChatClient.open(korean_socket)
    await back.expect_type("hello")
    await back.send({"type": "message", "text": FAQ_QUESTION, "client_msg_id": "b-1"})
    answer = await back.expect(lambda f: f.get("type") == "message" and f.get("bot_kind") == "answer")
    assert answer["text"].endswith("\n\nWas this helpful?")
    await back.close()


async def test_the_chat_speaks_the_customers_language_whoever_acts(desk: Desk) -> None:
    """The host token says English: the bot, the offline options and the accepting agent's join
    message (written while the agent acts) are English; a Korean chat carries no English glosses."""
    token = desk.customer_token("chat-en", name="Jamie", email="chat-en@example.com", locale="en")
    english = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=token))
    conversation_id = (await english.expect_type("hello"))["conversation"]["id"]
    greeting = await english.expect(_is_message("bot"))
    assert greeting["text"].startswith("Hello! I'm the help center's chatbot.") and '"agent"' in greeting["text"]
    await english.send({"type": "message", "text": FAQ_QUESTION, "client_msg_id": "e-1"})
    answer = await english.expect(lambda f: f.get("type") == "message" and f.get("bot_kind") == "answer")
    assert answer["text"].endswith("\n\nWas this helpful?")
    assert [b["label"] for b in answer["buttons"]] == ["Yes, it helped", "No", "Talk to an agent"]

    agent = await _agent(desk, desk.agent_id)
    await english.send({"type": "handoff"})
    connecting = await english.expect(_is_message("system"))
    assert connecting["text"] == "Connecting you to an agent. One moment, please."
    await english.expect_type("status", status="queued")
    await agent.send({"type": "accept", "conversation": conversation_id})
    joined = await english.expect(lambda f: _is_message("system")(f) and "joined" in f["text"])
    assert joined["text"].endswith(" has joined. How can I help?")
    await english.send({"type": "end"})
    ended = await english.expect(lambda f: _is_message("system")(f) and "ended" in f["text"])
    assert ended["text"] == "The chat has ended. How was it? Please leave a rating."

    korean = await _customer(desk, "chat-ko")
    await korean.expect_type("hello")
    await korean.send({"type": "message", "text": FAQ_QUESTION, "client_msg_id": "k-1"})
    korean_answer = await korean.expect(lambda f: f.get("type") == "message" and f.get("bot_kind") == "answer")
    assert korean_answer["text"].endswith("\n\n도움이 되었나요?")
    assert [b["label"] for b in korean_answer["buttons"]] == ["네, 도움이 됐어요", "아니요", "상담원 연결"]
    greeting_ko = next(f for f in korean.frames if _is_message("bot")(f))
    assert "(Hello" not in greeting_ko["text"] and greeting_ko["text"].startswith("안녕하세요")
    for client in (english, korean, agent):
        await client.close()
