import pytest
from django.core.exceptions import ValidationError

from apps.accounts.services import user_update_profile
from apps.audit.models import AuditEvent
from tests.accounts.factories import UserFactory


def profile(**changes) -> dict:
    base = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "job_title": "",
        "orcid": "",
        "time_zone": "",
    }
    return {**base, **changes}


@pytest.mark.django_db
def test_the_service_validates_the_model_even_without_a_form():
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    with pytest.raises(ValidationError) as error:
        user_update_profile(user=user, **profile(orcid="0000-0002-1825-0098"))
    assert "orcid" in error.value.message_dict
    user.refresh_from_db()
    assert user.orcid == ""
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_the_audit_event_names_changed_fields_but_not_their_values():
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    user_update_profile(user=user, **profile(job_title="Head of biomarkers"))
    event = AuditEvent.objects.get(action="account.profile_update")
    assert event.details == {"fields": ["job_title"]}
    assert "Head of biomarkers" not in str(event.details)
