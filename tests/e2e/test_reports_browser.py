"""A supervisor reads the report dashboard in Debian's chromium, against a real server.

The database holds generated history (inquiries, chats, searches, callbacks, calls); the
supervisor opens 리포트 from the console menu, sees every chart drawn, narrows to one channel,
downloads a CSV and checks the print layout hides the controls.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from gogaek.config import Settings
from gogaek.db import create_engine
from gogaek.demo.generate import GeneratePlan, generate_history
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.reports.service import BUILDERS
from tests.e2e.conftest import demo_database, running_server, screenshot, staff_sign_in, watch_console

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "lead@example.com", "lead-password-123"


async def _prepare(settings: Settings) -> None:
    async with demo_database(settings) as session:
        data = StaffCreate(email=EMAIL, password=PASSWORD, display_name="박팀장", role=StaffRole.SUPERVISOR)
        await create_staff_user(session, data)
    engine = create_engine(settings)
    try:
        await generate_history(engine, settings, GeneratePlan(inquiries=400, days=30, seed=5))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("e2e-reports")
    settings = Settings(
        env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache, search_semantic=False
    )
    asyncio.run(_prepare(settings))
    with running_server(settings, {"GOGAEK_SEARCH_SEMANTIC": "false"}) as url:
        yield url


def test_supervisor_reads_the_dashboard(server: str, chromium: Browser, tmp_path: Path) -> None:
    laptop = chromium.new_context(locale="ko-KR", viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = laptop.new_page()
    problems = watch_console(page)
    staff_sign_in(page, f"{server}/console", EMAIL, PASSWORD)
    page.locator("#nav-console-reports").click()
    expect(page).to_have_url(re.compile(r"/console/reports$"))
    charts = page.locator("figure.report-chart svg.report-chart")
    expect(charts).to_have_count(len(BUILDERS))
    for key in ("volume_channel", "first_response", "sla", "csat", "chat", "phone"):
        figure = page.locator(f"figure.report-chart[data-chart={key}]")
        expect(figure.locator("svg")).to_be_visible()
        expect(figure.locator("rect.chart-bar, circle.chart-point").first).to_be_attached()
    expect(page.locator("figure[data-chart=first_response] line.chart-reference")).to_be_attached()
    width = page.locator("figure[data-chart=volume_channel] svg").bounding_box()
    assert width is not None and width["width"] > 600  # readable on a laptop
    screenshot(page, "reports-dashboard.png")

    page.locator("#filter-channel").select_option("web")
    page.locator("#filter-submit").click()
    expect(page).to_have_url(re.compile(r"channel=web"))
    expect(page.locator("figure[data-chart=volume_channel] .report-summary")).to_contain_text("접수 합계")

    with page.expect_download() as download_info:
        page.locator("figure[data-chart=sla] a.report-csv").click()
    path = tmp_path / "sla.csv"
    download_info.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines()[0].startswith("주 시작일,접수,첫 답변 준수")

    page.emulate_media(media="print")
    expect(page.locator("#report-filter")).to_be_hidden()
    expect(page.locator("a.report-csv").first).to_be_hidden()
    expect(charts.first).to_be_visible()
    assert problems == []
    laptop.close()
