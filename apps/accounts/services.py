from django.db import transaction

from apps.accounts.models import User
from apps.audit.services import audit_record

PROFILE_FIELDS = ("first_name", "last_name", "job_title", "orcid", "time_zone")


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    first_name: str,
    last_name: str,
    job_title: str,
    orcid: str,
    time_zone: str,
    request=None,
) -> User:
    """Save a person's own profile; records which fields changed (not their values)."""
    new_values = {
        "first_name": first_name,
        "last_name": last_name,
        "job_title": job_title,
        "orcid": orcid,
        "time_zone": time_zone,
    }
    changed = sorted(name for name, value in new_values.items() if getattr(user, name) != value)
    if not changed:
        return user
    for name in changed:
        setattr(user, name, new_values[name])
    user.full_clean()
    user.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=user,
        action="account.profile_update",
        target=user,
        request=request,
        details={"fields": changed},
    )
    return user
