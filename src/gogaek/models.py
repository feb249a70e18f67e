"""Imports every capability's tables so that metadata and migrations see them all."""

from gogaek.helpcenter import models as helpcenter_models
from gogaek.identity import models as identity_models

__all__ = ["helpcenter_models", "identity_models"]
