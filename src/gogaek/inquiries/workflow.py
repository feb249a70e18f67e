"""The inquiry workflow as a data table: who may move an inquiry from which status to which.

접수 received → 처리중 in_progress → 답변완료 answered (waiting on the customer) → 해결 resolved
→ 종료 closed (automatically some days after resolution). Anything the table does not list
is refused with 409, so a new rule is one line here rather than an ``if`` in a handler.
"""

from __future__ import annotations

from enum import StrEnum

from gogaek.errors import ProblemError
from gogaek.korean.jamo import direction_particle
from gogaek.web.i18n import N_, gettext


class Status(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Actor(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: N_("접수"),
    Status.IN_PROGRESS: N_("처리중"),
    Status.ANSWERED: N_("답변완료"),
    Status.RESOLVED: N_("해결"),
    Status.CLOSED: N_("종료"),
}

OPEN_STATUSES = frozenset({Status.RECEIVED, Status.IN_PROGRESS, Status.ANSWERED})
# While answered the inquiry waits on the customer: its resolution clock is stopped.
WAITING_ON_CUSTOMER = frozenset({Status.ANSWERED})

_A, _C, _S = Actor.AGENT, Actor.CUSTOMER, Actor.SYSTEM
TRANSITIONS: dict[tuple[Status, Status], frozenset[Actor]] = {
    (Status.RECEIVED, Status.IN_PROGRESS): frozenset({_A, _S}),
    (Status.RECEIVED, Status.ANSWERED): frozenset({_A}),
    (Status.RECEIVED, Status.RESOLVED): frozenset({_A, _C}),
    (Status.RECEIVED, Status.CLOSED): frozenset({_A, _S}),  # spam, merged duplicate
    (Status.IN_PROGRESS, Status.RECEIVED): frozenset({_A}),  # handed back to the queue
    (Status.IN_PROGRESS, Status.ANSWERED): frozenset({_A}),
    (Status.IN_PROGRESS, Status.RESOLVED): frozenset({_A, _C}),
    (Status.IN_PROGRESS, Status.CLOSED): frozenset({_A, _S}),
    (Status.ANSWERED, Status.IN_PROGRESS): frozenset({_A, _C}),  # the customer added information
    (Status.ANSWERED, Status.RESOLVED): frozenset({_A, _C}),  # "해결됐어요"
    (Status.ANSWERED, Status.CLOSED): frozenset({_A, _S}),
    (Status.RESOLVED, Status.IN_PROGRESS): frozenset({_A, _C}),  # reopened within the window
    (Status.RESOLVED, Status.CLOSED): frozenset({_A, _S}),
}


def allowed_targets(current: Status, actor: Actor) -> list[Status]:
    return [target for (source, target), actors in TRANSITIONS.items() if source == current and actor in actors]


def check_transition(current: str, target: str, actor: Actor) -> Status:
    """The target status when the table allows the move; otherwise a 409 naming the rule."""
    try:
        source, destination = Status(current), Status(target)
    except ValueError as exc:
        raise ProblemError(
            422, "unknown_status", gettext("알 수 없는 상태입니다: %(status)s") % {"status": target}
        ) from exc
    if actor not in TRANSITIONS.get((source, destination), frozenset()):
        before, after = gettext(STATUS_LABELS[source]), gettext(STATUS_LABELS[destination])
        raise ProblemError(
            409,
            "transition_not_allowed",
            gettext("'%(before)s' 상태에서 '%(after)s'%(ro)s 바꿀 수 없습니다.")
            % {"before": before, "after": after, "ro": direction_particle(after)},
        )
    return destination
