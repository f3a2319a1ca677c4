"""Access services (writes). Split by sub-domain; import from here."""

from apps.access.services.grants import (  # noqa: F401
    grants_suspend_for_affiliation,
    grants_suspend_for_organisation,
)
