"""The admin list says where each notice stands in its publish window (issue 15, rough edges):
a notice past its window is "게시 종료", not "게시중", and one not yet open is "게시 예정"."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.helpcenter.models import Notice
from gogaek.helpcenter.publishing import notice_state
from tests.api.test_pages import admin_user, browser, sign_in

__all__ = ["admin_user", "browser"]  # fixtures shared with test_pages.py
ROW = re.compile(
    r'<a href="/admin/notices/(\d+)/edit">.*?</a></td>\s*<td><span class="badge badge-(\w+)">([^<]+)</span>', re.S
)


@pytest.mark.usefixtures("admin_user")
async def test_admin_list_badges_follow_the_publish_window(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    now = utcnow()
    notices = {
        "ended": Notice(title="지난 점검", body_md="끝", status="published", publish_until=now - timedelta(hours=1)),
        "scheduled": Notice(title="다음 점검", body_md="곧", status="published", publish_from=now + timedelta(days=1)),
        "published": Notice(
            title="지금 점검",
            body_md="중",
            status="published",
            publish_from=now - timedelta(days=1),
            publish_until=now + timedelta(days=1),
        ),
        "draft": Notice(title="쓰는 중", body_md="초", status="draft"),
    }
    session.add_all(notices.values())
    await session.commit()
    await sign_in(browser)
    page = (await browser.get("/admin")).text
    badges = {int(found): (key, label) for found, key, label in ROW.findall(page)}
    assert badges[notices["ended"].id] == ("ended", "게시 종료")
    assert badges[notices["scheduled"].id] == ("scheduled", "게시 예정")
    assert badges[notices["published"].id] == ("published", "게시중")
    assert badges[notices["draft"].id] == ("draft", "초안")
    # The customer side agrees: only the 게시중 one is listed.
    listed = (await browser.get("/notices")).text
    assert "지금 점검" in listed and "지난 점검" not in listed and "다음 점검" not in listed


def test_window_edges_match_the_help_center() -> None:
    now = utcnow()
    assert notice_state(Notice(status="published", publish_until=now), now).label == "게시 종료"
    assert notice_state(Notice(status="published", publish_from=now), now).label == "게시중"
    assert notice_state(Notice(status="draft", publish_from=now - timedelta(days=1)), now).label == "초안"
