"""Where a notice stands in its publish window, as the admin list shows it (docs/pages.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gogaek.helpcenter.models import Notice, PublishStatus


@dataclass(frozen=True, slots=True)
class PublishState:
    key: str  # draft | scheduled | published | ended: the badge's CSS class
    label: str


DRAFT = PublishState("draft", "초안")
SCHEDULED = PublishState("scheduled", "게시 예정")
PUBLISHED = PublishState("published", "게시중")
ENDED = PublishState("ended", "게시 종료")


def notice_state(notice: Notice, now: datetime) -> PublishState:
    """ "게시중" only while customers can see it: published and inside its window, the same test as
    the help center's (``queries._visible_notices``: from ≤ now < until)."""
    if notice.status != PublishStatus.PUBLISHED.value:
        return DRAFT
    if notice.publish_from is not None and notice.publish_from > now:
        return SCHEDULED
    if notice.publish_until is not None and notice.publish_until <= now:
        return ENDED
    return PUBLISHED
