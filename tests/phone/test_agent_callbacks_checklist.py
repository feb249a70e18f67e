"""The call checklist's admin API on both backends: built-in questions until an admin stores some."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.phone.checklist import DEFAULT_QUESTIONS
from tests.api.test_agent_auth import audit_actions
from tests.phone.factories import Desk, claim, desk, make_callback

__all__ = ["desk"]  # the shared fixture
URL = "/api/v1/admin/call-checklist"


async def test_admins_replace_the_built_in_questions(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str], desk: Desk
) -> None:
    first = (await client.get(URL, headers=admin_headers)).json()
    assert first == {"items": [], "questions": list(DEFAULT_QUESTIONS), "defaults_in_use": True}

    asked = await client.post(URL, headers=admin_headers, json={"question": "  가입 이메일  "})
    assert asked.status_code == 201, asked.text
    item = asked.json()
    assert item["question"] == "가입 이메일" and item["position"] == 1 and item["is_active"] is True
    second = await client.post(URL, headers=admin_headers, json={"question": "최근 로그인 기기", "position": 0})
    assert second.status_code == 201
    listed = (await client.get(URL, headers=admin_headers)).json()
    assert listed["questions"] == ["최근 로그인 기기", "가입 이메일"] and listed["defaults_in_use"] is False

    callback = await make_callback(session, desk.customer, desk.category)
    assert (await claim(client, desk, callback))["checklist"] == ["최근 로그인 기기", "가입 이메일"]

    off = await client.patch(f"{URL}/{item['id']}", headers=admin_headers, json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await client.get(URL, headers=admin_headers)).json()["questions"] == ["최근 로그인 기기"]
    renamed = await client.patch(f"{URL}/{item['id']}", headers=admin_headers, json={"question": "가입 메일 주소"})
    assert renamed.json()["question"] == "가입 메일 주소" and renamed.json()["is_active"] is False

    for stored in (item["id"], second.json()["id"]):
        assert (await client.delete(f"{URL}/{stored}", headers=admin_headers)).status_code == 204
    assert (await client.get(URL, headers=admin_headers)).json()["defaults_in_use"] is True
    actions = [action for action in await audit_actions(session) if action.startswith("call_checklist.")]
    assert actions == ["call_checklist.create"] * 2 + ["call_checklist.update"] * 2 + ["call_checklist.delete"] * 2


async def test_checklist_refusals(client: httpx.AsyncClient, admin_headers: dict[str, str], desk: Desk) -> None:
    assert (await client.get(URL, headers=desk.headers)).status_code == 403
    assert (await client.post(URL, headers=desk.headers, json={"question": "성함"})).status_code == 403
    assert (await client.get(URL)).status_code == 401
    for body in ({"question": "   "}, {"question": "가" * 201}, {"question": "성함", "position": -1}, {}):
        response = await client.post(URL, headers=admin_headers, json=body)
        assert response.status_code == 422, body
    assert (await client.patch(f"{URL}/999", headers=admin_headers, json={"is_active": False})).status_code == 404
    assert (await client.delete(f"{URL}/999", headers=admin_headers)).status_code == 404
