"""The CTI push against a real server, from clients not written for Gogaek: the PyPI package
``py-zammad-cti`` and the curl examples of docs/phone-cti.md; the screen-pop on a real agent socket."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests  # type: ignore[import-untyped]  # py-zammad-cti's HTTP client, no stubs installed
from sqlalchemy import select
from zammad_cti import CTIClient  # type: ignore[import-untyped]  # no type hints shipped

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.identity.models import StaffUser
from gogaek.identity.security import StaffTokenSigner
from gogaek.phone.cti import token_hash
from gogaek.phone.models import Callback, CtiToken
from tests.chat.conftest import CHAT_ENV, prepared_database
from tests.chat.wsclient import ChatClient, ws_url
from tests.conftest import BACKENDS
from tests.e2e.conftest import running_server
from tests.phone.cti_helpers import CALLER, CENTER, add_customer
from tests.servers import local_http

DOC = Path(__file__).resolve().parents[2] / "docs" / "phone-cti.md"
AGENT_NAME = "상담사 한결"  # the chat desk's first agent (tests/chat/conftest.py)
EXTENSION = "201"


@dataclass(frozen=True)
class Line:
    url: str
    settings: Settings
    agent_id: int
    supervisor_id: int
    customer_id: int
    tokens: dict[str, str]  # plain, signed, spare (to revoke) → URL token
    secret: str
    spare_id: int

    def staff_token(self, staff_id: int) -> str:
        return StaffTokenSigner(self.settings.secret_key, self.settings.session_max_age_seconds).issue(staff_id)

    def push_url(self, name: str = "plain") -> str:
        return f"{self.url}/api/v1/cti/{self.tokens[name]}"


async def _prepare_phone(settings: Settings, agent_id: int) -> tuple[int, str, int]:
    """The agent's extension, a verified caller, and three tokens whose values the test knows."""
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        agent = await session.get(StaffUser, agent_id)
        assert agent is not None
        agent.phone_extension = EXTENSION
        customer = await add_customer(session, "live-caller", "010-1234-5678", name="박전화")
        secret = "live-signing-secret"
        rows = [
            CtiToken(name=name, token_hash=token_hash(f"live-{name}-token"), signing_secret=secret if signed else None)
            for name, signed in (("plain", False), ("signed", True), ("spare", False))
        ]
        session.add_all(rows)
        await session.commit()
        ids = (customer.id, secret, rows[2].id)
    await engine.dispose()
    return ids


@pytest.fixture(scope="module", params=BACKENDS)
def line(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path
) -> Iterator[Line]:
    data_dir = tmp_path_factory.mktemp(f"cti-{request.param}")
    with prepared_database(request.param, data_dir, embedding_cache) as (settings, (agent, _, supervisor, _)):
        customer_id, secret, spare_id = asyncio.run(_prepare_phone(settings, agent))
        tokens = {name: f"live-{name}-token" for name in ("plain", "signed", "spare")}
        with running_server(settings, CHAT_ENV) as url:
            yield Line(url, settings, agent, supervisor, customer_id, tokens, secret, spare_id)


async def _agent_socket(line: Line) -> ChatClient:
    client = await ChatClient.open(ws_url(line.url, "/ws/agent", token=line.staff_token(line.agent_id)))
    await client.expect_type("hello")
    return client


async def _call(line: Line, call_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {line.staff_token(line.agent_id)}"}
    async with httpx.AsyncClient(base_url=line.url, headers=headers) as http:
        calls = (await http.get("/api/v1/agent/calls", params={"limit": 200})).json()["items"]
    found: list[dict[str, Any]] = [c for c in calls if c["call_id"] == call_id]
    assert len(found) == 1, calls
    return found[0]


async def test_py_zammad_cti_rings_the_agents_console_and_fills_the_call_log(line: Line) -> None:
    socket = await _agent_socket(line)
    pbx = CTIClient(url=line.push_url())
    try:
        ringing = await asyncio.to_thread(
            pbx.new_call, _from=CALLER, to=CENTER, direction="in", call_id="pzc-1", user=[AGENT_NAME], queue="support"
        )
        assert ringing == {}
        pop = await socket.expect(lambda f: f.get("type") == "call_ringing")
        assert pop["call"]["call_id"] == "pzc-1" and pop["call"]["queue"] == "support"
        assert pop["call"]["customer"]["id"] == line.customer_id and pop["call"]["customer"]["phone"] == "010-****-5678"
        assert pop["call"]["matches"] == 1

        answered = await asyncio.to_thread(
            pbx.answer, _from=CALLER, to=CENTER, direction="in", call_id="pzc-1", answering_number=EXTENSION
        )
        assert answered == {}
        pop = await socket.expect(lambda f: f.get("type") == "call_answered")
        assert pop["call"]["state"] == "answered"
        await asyncio.to_thread(
            pbx.hangup, _from=CALLER, to=CENTER, direction="in", call_id="pzc-1", cause="normalClearing"
        )
    finally:
        await socket.close()
    call = await _call(line, "pzc-1")
    assert (call["state"], call["cause"], call["missed"]) == ("ended", "normalClearing", False)
    assert call["agent"]["id"] == line.agent_id and call["customer"]["id"] == line.customer_id


async def test_py_zammad_cti_missed_call_becomes_one_callback_task(line: Line) -> None:
    pbx = CTIClient(url=line.push_url())
    await asyncio.to_thread(pbx.new_call, _from=CALLER, to=CENTER, direction="in", call_id="pzc-2", user=AGENT_NAME)
    for _ in range(2):  # a PBX that repeats its hangup
        assert (
            await asyncio.to_thread(
                pbx.hangup, _from=CALLER, to=CENTER, direction="in", call_id="pzc-2", cause="cancel"
            )
            == {}
        )
    call = await _call(line, "pzc-2")
    assert call["missed"] is True and call["callback_id"] is not None
    engine = create_engine(line.settings)
    try:
        async with create_sessionmaker(engine)() as session:
            tasks = (await session.scalars(select(Callback).where(Callback.call_id == "pzc-2"))).all()
    finally:
        await engine.dispose()
    assert [(t.id, t.kind, t.customer_id) for t in tasks] == [(call["callback_id"], "missed_call", line.customer_id)]


def test_py_zammad_cti_sees_refusals_as_http_errors(line: Line) -> None:
    with pytest.raises(requests.HTTPError) as unknown:
        CTIClient(url=f"{line.url}/api/v1/cti/no-such-token").new_call(
            _from=CALLER, to=CENTER, direction="in", call_id="pzc-3"
        )
    assert unknown.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as unsigned:
        CTIClient(url=line.push_url("signed")).new_call(_from=CALLER, to=CENTER, direction="in", call_id="pzc-3")
    assert unsigned.value.response.json()["code"] == "signature_required"


def _doc_examples() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_documented_curl_examples_work_against_a_live_server(line: Line) -> None:
    examples = _doc_examples()
    assert len(examples) >= 8 and all("curl" in example for example in examples)
    env = {
        **os.environ,
        "GOGAEK": line.url,
        "CTI_TOKEN": line.tokens["plain"],
        "SIGNED_TOKEN": line.tokens["signed"],
        "CTI_SECRET": line.secret,
        "ADMIN_TOKEN": line.staff_token(line.supervisor_id),
        "AGENT_TOKEN": line.staff_token(line.agent_id),
        "CTI_TOKEN_ID": str(line.spare_id),
    }
    for example in examples:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", example], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{example}\n{done.stdout}\n{done.stderr}"
    call = asyncio.run(_call(line, "doc-call-1"))
    assert (call["state"], call["answering_number"], call["cause"]) == ("ended", EXTENSION, "normalClearing")
    assert call["user_names"] == [AGENT_NAME] and call["agent"]["id"] == line.agent_id
    signed = asyncio.run(_call(line, "doc-call-2"))
    assert signed["customer"]["id"] == line.customer_id and signed["inquiry_id"] is not None  # the note's inquiry
    revoked = local_http().post(f"{line.url}/api/v1/cti/{line.tokens['spare']}", data={"event": "newCall"})
    assert revoked.status_code == 404
