"""Imports every capability's tables so that metadata and migrations see them all."""

from gogaek.appeals import models as appeal_models
from gogaek.audit import models as audit_models
from gogaek.calendar import models as calendar_models
from gogaek.chat import models as chat_models
from gogaek.helpcenter import models as helpcenter_models
from gogaek.identity import models as identity_models
from gogaek.inquiries import models as inquiry_models
from gogaek.jobs import models as job_models
from gogaek.mail import models as mail_models
from gogaek.notify import models as notify_models
from gogaek.phone import models as phone_models
from gogaek.privacy import models as privacy_models
from gogaek.runtime_settings import models as runtime_settings_models
from gogaek.search import models as search_models

__all__ = [
    "appeal_models",
    "audit_models",
    "calendar_models",
    "chat_models",
    "helpcenter_models",
    "identity_models",
    "inquiry_models",
    "job_models",
    "mail_models",
    "notify_models",
    "phone_models",
    "privacy_models",
    "runtime_settings_models",
    "search_models",
]
