"""What every callback event carries; webhooks receive exactly this."""

from __future__ import annotations

from typing import Any

from gogaek.phone.models import Callback
from gogaek.phone.numbers import mask_phone


def callback_event_data(callback: Callback, **extra: Any) -> dict[str, Any]:
    return {
        "callback_id": callback.id,
        "number": callback.number,
        "kind": callback.kind,
        "status": callback.status,
        "customer_id": callback.customer_id,
        "inquiry_id": callback.inquiry_id,
        "category_id": callback.category_id,
        "phone": mask_phone(callback.phone),
        "slot_start": callback.slot_start.isoformat() if callback.slot_start else None,
        "slot_end": callback.slot_end.isoformat() if callback.slot_end else None,
        "attempts": callback.attempts,
        **extra,
    }
