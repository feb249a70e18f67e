"""Who may use each route: the decision table the access matrix checks the app against.

Every HTTP route and page of the app must appear here (method + path template); a route
without a decision fails ``test_every_route_has_a_decision`` with its name. See the
"Access matrix" section of docs/architecture.md for how to add one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CUSTOMER_A = "customer_a"  # owns the inquiry, chat, notification and attachment used as ids
    CUSTOMER_B = "customer_b"  # another host-app customer
    VISITOR = "visitor"  # a web visitor signed in with a one-time code
    AGENT = "agent"  # team 1; the chat used as id is theirs
    OTHER_TEAM_AGENT = "other_team_agent"  # team 2
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    DEACTIVATED = "deactivated"  # an agent deactivated after signing in
    DEMOTED = "demoted"  # a supervisor demoted to agent after signing in


class Expect(Enum):
    ALLOW = "allowed (not 401/403, never 5xx, no sign-in redirect)"
    DENY = "refused (401/403 or a redirect to sign-in)"
    HIDDEN = "404, as if it did not exist"


Policy = Mapping[Role, Expect]

CUSTOMER_ROLES = frozenset({Role.CUSTOMER_A, Role.CUSTOMER_B, Role.VISITOR})
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
STAFF_ROLES = frozenset({Role.AGENT, Role.OTHER_TEAM_AGENT, Role.DEMOTED}) | MANAGER_ROLES


def policy(allowed: frozenset[Role], hidden: frozenset[Role] = frozenset()) -> Policy:
    return {
        role: Expect.ALLOW if role in allowed else Expect.HIDDEN if role in hidden else Expect.DENY for role in Role
    }


EVERYONE = policy(frozenset(Role))
# Server-to-server routes signed by the host app (an HMAC, not a role).
NOBODY = policy(frozenset())
CUSTOMERS = policy(CUSTOMER_ROLES)
# Customer A's rows: other customers must not learn that they exist (404, never 403).
OWNER = policy(frozenset({Role.CUSTOMER_A}), hidden=frozenset({Role.CUSTOMER_B, Role.VISITOR}))
STAFF = policy(STAFF_ROLES)
MANAGERS = policy(MANAGER_ROLES)
ADMINS = policy(frozenset({Role.ADMIN}))
# The chat's agent and supervisors (docs/api.md: "the chat's agent or a supervisor").
CHAT_AGENT = policy(frozenset({Role.AGENT}) | MANAGER_ROLES)
# Sending into a chat is for the agent who has it (docs/api.md: "own active chat only").
CHAT_HOLDER = policy(frozenset({Role.AGENT}))
# A staff member's own notification; colleagues get 404.
STAFF_OWNER = policy(frozenset({Role.AGENT}), hidden=STAFF_ROLES - {Role.AGENT})
# The customer's chat image is also shown to staff in the console.
CHAT_IMAGE = {**OWNER, **{role: Expect.ALLOW for role in STAFF_ROLES}}

# Every agent sees every inquiry (docs/api.md: "a support centre shares one queue"), so the
# inquiry routes of the agent API and console are STAFF, not scoped by team.
ACCESS: dict[tuple[str, str], Policy] = {
    # framework and health
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/redoc"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    # staff sign-in (API)
    ("POST", "/api/v1/admin/login"): EVERYONE,
    ("POST", "/api/v1/agent/login"): EVERYONE,
    ("GET", "/api/v1/admin/me"): STAFF,
    ("GET", "/api/v1/agent/me"): STAFF,
    ("PUT", "/api/v1/agent/me/availability"): STAFF,
    # help center (API)
    ("GET", "/api/v1/faq/search"): EVERYONE,
    ("GET", "/api/v1/faq/suggest"): EVERYONE,
    ("GET", "/api/v1/faq/categories"): EVERYONE,
    ("GET", "/api/v1/faq/articles"): EVERYONE,
    ("GET", "/api/v1/faq/articles/{article_id}"): EVERYONE,
    ("POST", "/api/v1/faq/articles/{article_id}/votes"): EVERYONE,
    ("GET", "/api/v1/notices"): EVERYONE,
    ("GET", "/api/v1/notices/{notice_id}"): EVERYONE,
    ("POST", "/api/v1/admin/categories"): MANAGERS,
    ("PATCH", "/api/v1/admin/categories/{category_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/categories/{category_id}"): MANAGERS,
    ("GET", "/api/v1/admin/articles"): MANAGERS,
    ("POST", "/api/v1/admin/articles"): MANAGERS,
    ("GET", "/api/v1/admin/articles/{article_id}"): MANAGERS,
    ("PATCH", "/api/v1/admin/articles/{article_id}"): MANAGERS,
    ("POST", "/api/v1/admin/articles/{article_id}/{action}"): MANAGERS,
    ("DELETE", "/api/v1/admin/articles/{article_id}"): MANAGERS,
    ("GET", "/api/v1/admin/notices"): MANAGERS,
    ("POST", "/api/v1/admin/notices"): MANAGERS,
    ("PATCH", "/api/v1/admin/notices/{notice_id}"): MANAGERS,
    ("POST", "/api/v1/admin/notices/{notice_id}/{action}"): MANAGERS,
    ("DELETE", "/api/v1/admin/notices/{notice_id}"): MANAGERS,
    # customer inquiries (API)
    ("POST", "/api/v1/inquiries"): CUSTOMERS,
    ("GET", "/api/v1/inquiries"): CUSTOMERS,
    ("GET", "/api/v1/inquiries/{inquiry_id}"): OWNER,
    ("POST", "/api/v1/inquiries/{inquiry_id}/messages"): OWNER,
    ("POST", "/api/v1/inquiries/{inquiry_id}/resolve"): OWNER,
    ("POST", "/api/v1/inquiries/{inquiry_id}/reopen"): OWNER,
    ("POST", "/api/v1/inquiries/{inquiry_id}/feedback"): OWNER,
    ("GET", "/api/v1/inquiries/{inquiry_id}/attachments/{attachment_id}"): OWNER,
    ("GET", "/api/v1/inquiries/{inquiry_id}/attachments/{attachment_id}/preview"): OWNER,
    # webhooks and notifications
    ("POST", "/api/v1/admin/webhooks"): MANAGERS,
    ("GET", "/api/v1/admin/webhooks"): MANAGERS,
    ("GET", "/api/v1/admin/webhooks/{endpoint_id}"): MANAGERS,
    ("PATCH", "/api/v1/admin/webhooks/{endpoint_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/webhooks/{endpoint_id}"): MANAGERS,
    ("POST", "/api/v1/admin/webhooks/{endpoint_id}/test"): MANAGERS,
    ("GET", "/api/v1/notifications"): CUSTOMERS,
    ("POST", "/api/v1/notifications/read-all"): CUSTOMERS,
    ("POST", "/api/v1/notifications/{notification_id}/read"): OWNER,
    ("GET", "/api/v1/agent/notifications"): STAFF,
    ("POST", "/api/v1/agent/notifications/read-all"): STAFF,
    ("POST", "/api/v1/agent/notifications/{notification_id}/read"): STAFF_OWNER,
    # jobs
    ("GET", "/api/v1/admin/jobs"): MANAGERS,
    ("GET", "/api/v1/admin/jobs/{job_id}"): MANAGERS,
    ("POST", "/api/v1/admin/jobs/{job_id}/retry"): MANAGERS,
    ("DELETE", "/api/v1/admin/jobs/{job_id}"): MANAGERS,
    # agent inquiries (API)
    ("GET", "/api/v1/agent/inquiries"): STAFF,
    ("GET", "/api/v1/agent/inquiries/{inquiry_id}"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/viewing"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/replies"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/status"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/assign"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/priority"): STAFF,
    ("PUT", "/api/v1/agent/inquiries/{inquiry_id}/tags"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/merge"): STAFF,
    ("GET", "/api/v1/agent/inquiries/{inquiry_id}/attachments/{attachment_id}"): STAFF,
    ("GET", "/api/v1/agent/inquiries/{inquiry_id}/attachments/{attachment_id}/preview"): STAFF,
    ("GET", "/api/v1/agent/macros"): STAFF,
    ("GET", "/api/v1/agent/inquiries/{inquiry_id}/emails"): STAFF,
    ("GET", "/api/v1/agent/inquiries/{inquiry_id}/emails/{mail_id}/raw"): STAFF,
    ("POST", "/api/v1/agent/inquiries/{inquiry_id}/macros/{macro_id}/preview"): STAFF,
    # configuration
    ("GET", "/api/v1/admin/sla-policies"): MANAGERS,
    ("POST", "/api/v1/admin/sla-policies"): MANAGERS,
    ("PATCH", "/api/v1/admin/sla-policies/{policy_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/sla-policies/{policy_id}"): MANAGERS,
    ("GET", "/api/v1/admin/macros"): MANAGERS,
    ("POST", "/api/v1/admin/macros"): MANAGERS,
    ("GET", "/api/v1/admin/macros/{macro_id}"): MANAGERS,
    ("PATCH", "/api/v1/admin/macros/{macro_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/macros/{macro_id}"): MANAGERS,
    ("GET", "/api/v1/admin/staff"): MANAGERS,
    ("POST", "/api/v1/admin/staff"): MANAGERS,
    ("GET", "/api/v1/admin/staff/{staff_id}"): MANAGERS,
    ("PATCH", "/api/v1/admin/staff/{staff_id}"): MANAGERS,
    ("POST", "/api/v1/admin/staff/{staff_id}/deactivate"): MANAGERS,
    ("POST", "/api/v1/admin/staff/{staff_id}/reactivate"): MANAGERS,
    ("GET", "/api/v1/admin/staff/{staff_id}/skills"): MANAGERS,
    ("PUT", "/api/v1/admin/staff/{staff_id}/skills"): MANAGERS,
    ("GET", "/api/v1/admin/teams"): MANAGERS,
    ("POST", "/api/v1/admin/teams"): MANAGERS,
    ("GET", "/api/v1/admin/teams/{team_id}"): MANAGERS,
    ("PATCH", "/api/v1/admin/teams/{team_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/teams/{team_id}"): MANAGERS,
    ("POST", "/api/v1/admin/teams/{team_id}/members"): MANAGERS,
    ("DELETE", "/api/v1/admin/teams/{team_id}/members/{staff_id}"): MANAGERS,
    ("PUT", "/api/v1/admin/teams/{team_id}/categories"): MANAGERS,
    ("GET", "/api/v1/admin/days-off"): MANAGERS,
    ("POST", "/api/v1/admin/days-off"): MANAGERS,
    ("DELETE", "/api/v1/admin/days-off/{day}"): MANAGERS,
    ("GET", "/api/v1/admin/audit"): MANAGERS,
    # chat (API)
    ("GET", "/api/v1/chat/conversations"): CUSTOMERS,
    ("GET", "/api/v1/chat/conversations/{conversation_id}"): OWNER,
    ("GET", "/api/v1/chat/conversations/{conversation_id}/transcript.txt"): OWNER,
    ("POST", "/api/v1/chat/conversations/{conversation_id}/transcript/email"): OWNER,
    ("POST", "/api/v1/chat/conversations/{conversation_id}/rating"): OWNER,
    ("POST", "/api/v1/chat/conversations/{conversation_id}/images"): OWNER,
    ("GET", "/api/v1/chat/conversations/{conversation_id}/messages/{seq}/image"): CHAT_IMAGE,
    ("GET", "/api/v1/agent/chats/live"): MANAGERS,
    ("GET", "/api/v1/agent/chats/canned"): STAFF,
    ("GET", "/api/v1/agent/chats/{conversation_id}"): CHAT_AGENT,
    ("GET", "/api/v1/agent/chats/{conversation_id}/transcript.txt"): CHAT_AGENT,
    ("POST", "/api/v1/agent/chats/{conversation_id}/images"): CHAT_HOLDER,
    # phone system (CTI): the push is authenticated by the secret token in its URL, not by a role
    ("POST", "/api/v1/cti/{token}"): EVERYONE,
    ("GET", "/api/v1/phone/wait"): EVERYONE,
    ("GET", "/api/v1/admin/cti-tokens"): MANAGERS,
    ("POST", "/api/v1/admin/cti-tokens"): MANAGERS,
    ("DELETE", "/api/v1/admin/cti-tokens/{cti_token_id}"): MANAGERS,
    ("GET", "/api/v1/agent/calls"): STAFF,
    ("GET", "/api/v1/agent/calls/{call_log_id}"): STAFF,
    ("POST", "/api/v1/agent/calls/{call_log_id}/notes"): STAFF,
    # customers' callbacks (docs/phone.md): slots are public, bookings are the customer's own
    ("GET", "/api/v1/callbacks/slots"): EVERYONE,
    ("POST", "/api/v1/callbacks"): CUSTOMERS,
    ("GET", "/api/v1/callbacks"): CUSTOMERS,
    ("GET", "/api/v1/callbacks/{callback_id}"): OWNER,
    ("POST", "/api/v1/callbacks/{callback_id}/cancel"): OWNER,
    ("POST", "/api/v1/callbacks/{callback_id}/reschedule"): OWNER,
    ("GET", "/api/v1/verification"): CUSTOMERS,
    ("POST", "/api/v1/verification/phone"): CUSTOMERS,
    ("POST", "/api/v1/verification/phone/confirm"): CUSTOMERS,
    ("GET", "/api/v1/admin/callback-roster"): MANAGERS,
    ("POST", "/api/v1/admin/callback-roster/entries"): MANAGERS,
    ("DELETE", "/api/v1/admin/callback-roster/entries/{entry_id}"): MANAGERS,
    ("POST", "/api/v1/admin/callback-roster/overrides"): MANAGERS,
    ("DELETE", "/api/v1/admin/callback-roster/overrides/{override_id}"): MANAGERS,
    ("GET", "/callbacks/new"): CUSTOMERS,
    ("POST", "/callbacks"): CUSTOMERS,
    ("GET", "/callbacks"): CUSTOMERS,
    ("GET", "/callbacks/{callback_id}"): OWNER,
    ("POST", "/callbacks/{callback_id}/cancel"): OWNER,
    ("POST", "/callbacks/{callback_id}/reschedule"): OWNER,
    ("GET", "/verify/phone"): CUSTOMERS,
    ("POST", "/verify/phone"): CUSTOMERS,
    ("POST", "/verify/phone/confirm"): CUSTOMERS,
    # suspension appeals (docs/appeals.md): customers file and read their own, any agent decides
    ("GET", "/appeal"): CUSTOMERS,
    ("POST", "/appeal"): CUSTOMERS,
    # customers' data rights (docs/privacy.md): the host's calls are signed, no role may make them
    ("POST", "/api/v1/privacy/export"): NOBODY,
    ("POST", "/api/v1/privacy/erasure"): NOBODY,
    ("POST", "/api/v1/me/export"): CUSTOMERS,
    ("GET", "/api/v1/admin/privacy/retention"): MANAGERS,
    ("POST", "/my-data/export"): CUSTOMERS,
    ("POST", "/api/v1/appeals"): CUSTOMERS,
    ("GET", "/api/v1/appeals"): CUSTOMERS,
    ("GET", "/api/v1/appeals/{appeal_id}"): OWNER,
    ("GET", "/api/v1/agent/appeals/{inquiry_id}"): STAFF,
    ("POST", "/api/v1/agent/appeals/{inquiry_id}/decision"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/appeal"): STAFF,
    # phone agents' callbacks: every agent works the one board (docs/phone-agents.md)
    ("GET", "/api/v1/agent/callbacks"): STAFF,
    ("GET", "/api/v1/agent/callbacks/{callback_id}"): STAFF,
    ("POST", "/api/v1/agent/callbacks/{callback_id}/claim"): STAFF,
    ("POST", "/api/v1/agent/callbacks/{callback_id}/release"): STAFF,
    ("POST", "/api/v1/agent/callbacks/{callback_id}/identity-check"): STAFF,
    ("POST", "/api/v1/agent/callbacks/{callback_id}/outcome"): STAFF,
    ("GET", "/api/v1/admin/call-checklist"): MANAGERS,
    ("POST", "/api/v1/admin/call-checklist"): MANAGERS,
    ("PATCH", "/api/v1/admin/call-checklist/{checklist_item_id}"): MANAGERS,
    ("DELETE", "/api/v1/admin/call-checklist/{checklist_item_id}"): MANAGERS,
    # sign-in pages
    ("GET", "/admin/login"): EVERYONE,
    ("GET", "/console/login"): EVERYONE,
    ("POST", "/admin/login"): EVERYONE,
    ("POST", "/admin/logout"): EVERYONE,
    ("GET", "/auth/customer"): EVERYONE,
    ("GET", "/auth/login"): EVERYONE,
    ("POST", "/auth/login"): EVERYONE,
    ("GET", "/auth/verify"): EVERYONE,
    ("POST", "/auth/verify"): EVERYONE,
    ("POST", "/auth/logout"): EVERYONE,
    # customer pages
    ("GET", "/inquiries/new"): CUSTOMERS,
    ("POST", "/inquiries"): CUSTOMERS,
    ("GET", "/inquiries"): CUSTOMERS,
    ("GET", "/inquiries/{inquiry_id}"): OWNER,
    ("POST", "/inquiries/{inquiry_id}/messages"): OWNER,
    ("POST", "/inquiries/{inquiry_id}/resolve"): OWNER,
    ("POST", "/inquiries/{inquiry_id}/reopen"): OWNER,
    ("POST", "/inquiries/{inquiry_id}/feedback"): OWNER,
    ("GET", "/chat"): CUSTOMERS,
    ("GET", "/chat/widget-texts.js"): EVERYONE,  # the widget's words, loaded by host sites
    ("GET", "/chat/{conversation_id}/transcript"): OWNER,
    # agent console
    ("GET", "/console"): STAFF,
    ("POST", "/console/availability"): STAFF,
    ("GET", "/console/inquiries/{inquiry_id}"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/macro"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/reply"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/status"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/assign"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/priority"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/tags"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/merge"): STAFF,
    ("GET", "/console/inquiries/{inquiry_id}/attachments/{attachment_id}"): STAFF,
    ("GET", "/console/inquiries/{inquiry_id}/attachments/{attachment_id}/preview"): STAFF,
    ("POST", "/console/inquiries/{inquiry_id}/viewing"): STAFF,
    ("GET", "/console/inquiries/{inquiry_id}/emails"): STAFF,
    ("GET", "/console/inquiries/{inquiry_id}/emails/{mail_id}/raw"): STAFF,
    ("GET", "/console/chats"): STAFF,
    ("GET", "/console/chats/live"): MANAGERS,
    ("GET", "/console/callbacks"): STAFF,
    # reports (docs/reports.md): supervisors and admins
    ("GET", "/console/reports"): MANAGERS,
    ("GET", "/console/reports/csv"): MANAGERS,
    ("GET", "/api/v1/admin/reports"): MANAGERS,
    ("GET", "/console/callbacks/{callback_id}"): STAFF,
    ("POST", "/console/callbacks/{callback_id}/claim"): STAFF,
    ("POST", "/console/callbacks/{callback_id}/release"): STAFF,
    ("POST", "/console/callbacks/{callback_id}/identity-check"): STAFF,
    ("POST", "/console/callbacks/{callback_id}/outcome"): STAFF,
    # admin pages
    ("GET", "/admin"): MANAGERS,
    ("GET", "/admin/articles/new"): MANAGERS,
    ("GET", "/admin/articles/{article_id}/edit"): MANAGERS,
    ("POST", "/admin/articles/new"): MANAGERS,
    ("POST", "/admin/articles/{article_id}/edit"): MANAGERS,
    ("POST", "/admin/articles/{article_id}/publish"): MANAGERS,
    ("POST", "/admin/articles/{article_id}/unpublish"): MANAGERS,
    ("POST", "/admin/articles/{article_id}/delete"): MANAGERS,
    ("GET", "/admin/notices/new"): MANAGERS,
    ("GET", "/admin/notices/{notice_id}/edit"): MANAGERS,
    ("POST", "/admin/notices/new"): MANAGERS,
    ("POST", "/admin/notices/{notice_id}/edit"): MANAGERS,
    ("POST", "/admin/notices/{notice_id}/delete"): MANAGERS,
    ("GET", "/admin/categories"): MANAGERS,
    ("GET", "/admin/categories/new"): MANAGERS,
    ("GET", "/admin/categories/{category_id}/edit"): MANAGERS,
    ("POST", "/admin/categories/new"): MANAGERS,
    ("POST", "/admin/categories/{category_id}/edit"): MANAGERS,
    ("POST", "/admin/categories/{category_id}/delete"): MANAGERS,
    ("GET", "/admin/search-insights"): MANAGERS,
    ("GET", "/admin/search-insights/query"): MANAGERS,
    ("POST", "/admin/search-insights/alternates"): MANAGERS,
    ("GET", "/admin/synonyms"): MANAGERS,
    ("POST", "/admin/synonyms"): MANAGERS,
    ("POST", "/admin/synonyms/reset"): MANAGERS,
    # configuration pages (docs/pages.md, "Configuration pages"); a TOTP reset is for admins only
    ("GET", "/admin/login/totp"): EVERYONE,
    ("POST", "/admin/login/totp"): EVERYONE,
    ("GET", "/admin/staff"): MANAGERS,
    ("GET", "/admin/staff/new"): MANAGERS,
    ("POST", "/admin/staff/new"): MANAGERS,
    ("GET", "/admin/staff/{staff_id}"): MANAGERS,
    ("POST", "/admin/staff/{staff_id}/edit"): MANAGERS,
    ("POST", "/admin/staff/{staff_id}/deactivate"): MANAGERS,
    ("POST", "/admin/staff/{staff_id}/reactivate"): MANAGERS,
    ("POST", "/admin/staff/{staff_id}/totp-reset"): ADMINS,
    ("POST", "/admin/staff/{staff_id}/skills"): MANAGERS,
    ("GET", "/admin/bot"): MANAGERS,
    ("POST", "/admin/bot"): MANAGERS,
    ("POST", "/admin/bot/reset"): MANAGERS,
    ("GET", "/admin/callback-roster"): MANAGERS,
    ("POST", "/admin/callback-roster/entries"): MANAGERS,
    ("POST", "/admin/callback-roster/entries/{entry_id}/delete"): MANAGERS,
    ("POST", "/admin/callback-roster/overrides"): MANAGERS,
    ("POST", "/admin/callback-roster/overrides/{override_id}/delete"): MANAGERS,
    ("GET", "/admin/notification-templates"): MANAGERS,
    ("POST", "/admin/notification-templates"): MANAGERS,
    ("POST", "/admin/notification-templates/reset"): MANAGERS,
    ("GET", "/admin/notification-providers"): MANAGERS,
    ("POST", "/admin/notification-providers/test-email"): MANAGERS,
    ("POST", "/admin/notification-providers/test-sms"): MANAGERS,
    ("GET", "/admin/teams"): MANAGERS,
    ("GET", "/admin/teams/new"): MANAGERS,
    ("POST", "/admin/teams/new"): MANAGERS,
    ("GET", "/admin/teams/{team_id}"): MANAGERS,
    ("POST", "/admin/teams/{team_id}/edit"): MANAGERS,
    ("POST", "/admin/teams/{team_id}/delete"): MANAGERS,
    ("POST", "/admin/teams/{team_id}/members"): MANAGERS,
    ("POST", "/admin/teams/{team_id}/members/{staff_id}/remove"): MANAGERS,
    ("POST", "/admin/teams/{team_id}/categories"): MANAGERS,
    ("GET", "/admin/macros"): MANAGERS,
    ("GET", "/admin/macros/new"): MANAGERS,
    ("POST", "/admin/macros/new"): MANAGERS,
    ("GET", "/admin/macros/{macro_id}/edit"): MANAGERS,
    ("POST", "/admin/macros/{macro_id}/edit"): MANAGERS,
    ("POST", "/admin/macros/{macro_id}/delete"): MANAGERS,
    ("GET", "/admin/sla"): MANAGERS,
    ("POST", "/admin/sla/new"): MANAGERS,
    ("GET", "/admin/sla/{policy_id}/edit"): MANAGERS,
    ("POST", "/admin/sla/{policy_id}/edit"): MANAGERS,
    ("POST", "/admin/sla/{policy_id}/delete"): MANAGERS,
    ("GET", "/admin/hours"): MANAGERS,
    ("POST", "/admin/hours/days-off"): MANAGERS,
    ("POST", "/admin/hours/days-off/{day}/delete"): MANAGERS,
    ("GET", "/admin/audit"): MANAGERS,
    ("GET", "/admin/audit.csv"): MANAGERS,
    ("GET", "/admin/webhooks"): MANAGERS,
    ("GET", "/admin/webhooks/new"): MANAGERS,
    ("POST", "/admin/webhooks/new"): MANAGERS,
    ("GET", "/admin/webhooks/{endpoint_id}"): MANAGERS,
    ("POST", "/admin/webhooks/{endpoint_id}/edit"): MANAGERS,
    ("POST", "/admin/webhooks/{endpoint_id}/delete"): MANAGERS,
    ("POST", "/admin/webhooks/{endpoint_id}/test"): MANAGERS,
    ("GET", "/admin/api-keys"): MANAGERS,
    ("POST", "/admin/api-keys/new"): MANAGERS,
    ("POST", "/admin/api-keys/{cti_token_id}/revoke"): MANAGERS,
    ("GET", "/admin/jobs"): MANAGERS,
    ("POST", "/admin/jobs/{job_id}/retry"): MANAGERS,
    ("POST", "/admin/jobs/{job_id}/drop"): MANAGERS,
    ("POST", "/admin/hours/weekly"): MANAGERS,
    ("POST", "/admin/hours/weekly/reset"): MANAGERS,
    # public help-center pages
    ("GET", "/"): EVERYONE,
    ("GET", "/categories/{slug}"): EVERYONE,
    ("GET", "/articles/{article_id}"): EVERYONE,
    ("POST", "/articles/{article_id}/vote"): EVERYONE,
    ("GET", "/search"): EVERYONE,
    ("GET", "/notices"): EVERYONE,
    ("GET", "/notices/{notice_id}"): EVERYONE,
    ("GET", "/contact"): EVERYONE,
    ("GET", "/language/{code}"): EVERYONE,
}

# Sign-in routes may answer with a redirect to a sign-in page even when they are allowed.
SIGN_IN_ROUTES = frozenset(
    path for method, path in ACCESS if path.startswith(("/auth/", "/admin/log", "/console/login"))
)
