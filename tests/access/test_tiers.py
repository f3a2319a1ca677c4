"""Tier validation is one rule for every shared kind: each case runs for datasets and protocols
through their own create and update services."""

import pytest
from django.core.exceptions import ValidationError

from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.datasets.services import dataset_create, dataset_update
from apps.documents.models import Protocol
from apps.documents.services import protocol_create, protocol_update
from apps.organisations.models import OrganisationStatus
from apps.projects.models import PartnerStatus
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import PartnerFactory


def _create_dataset(*, project, actor, steward, **kwargs):
    return dataset_create(
        project=project,
        actor=actor,
        title="Sputum cytokines",
        steward_organisation=steward,
        **kwargs,
    )


def _create_protocol(*, project, actor, steward, **kwargs):
    return protocol_create(project=project, actor=actor, title="Spirometry SOP", **kwargs)


KINDS = {
    "dataset": (Dataset, _create_dataset, lambda item, **kw: dataset_update(dataset=item, **kw)),
    "protocol": (
        Protocol,
        _create_protocol,
        lambda item, **kw: protocol_update(protocol=item, **kw),
    ),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request):
    return KINDS[request.param]


def _errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def test_named_tier_stores_the_named_partner(kind, project, coordinator, lead_org, partner_org):
    _, create, _ = kind
    item = create(
        project=project,
        actor=coordinator,
        steward=lead_org,
        access_tier=AccessTier.ORGANISATIONS,
        allowed_organisations=[partner_org],
    )
    assert list(item.allowed_organisations.all()) == [partner_org]


def test_named_tier_without_names_is_refused_and_nothing_is_saved(
    kind, project, coordinator, lead_org
):
    model, create, _ = kind
    with pytest.raises(ValidationError) as exc:
        create(
            project=project,
            actor=coordinator,
            steward=lead_org,
            access_tier=AccessTier.ORGANISATIONS,
            allowed_organisations=[],
        )
    assert _errors(exc) == {
        "allowed_organisations": ["Name at least one organisation for this tier."]
    }
    assert not model.objects.exists()


def test_an_organisation_outside_the_project_cannot_be_named(
    kind, project, coordinator, lead_org, other_org
):
    model, create, _ = kind
    with pytest.raises(ValidationError) as exc:
        create(
            project=project,
            actor=coordinator,
            steward=lead_org,
            access_tier=AccessTier.ORGANISATIONS,
            allowed_organisations=[other_org],
        )
    assert _errors(exc) == {
        "allowed_organisations": ["Named organisations must be active partners."]
    }
    assert not model.objects.exists()


@pytest.mark.parametrize(
    "make_ineligible",
    [
        pytest.param(lambda org, partner: _suspend(org), id="suspended-organisation"),
        pytest.param(lambda org, partner: _leave(partner), id="partner-left"),
    ],
)
def test_a_suspended_or_departed_partner_cannot_be_named(
    kind, make_ineligible, project, coordinator, lead_org
):
    """The forms never offered such an organisation; the services (and so the API) refuse it
    too — both kinds used to accept a suspended one."""
    model, create, _ = kind
    organisation = OrganisationFactory(name="Fading Labs")
    partner = PartnerFactory(project=project, organisation=organisation)
    make_ineligible(organisation, partner)
    with pytest.raises(ValidationError) as exc:
        create(
            project=project,
            actor=coordinator,
            steward=lead_org,
            access_tier=AccessTier.ORGANISATIONS,
            allowed_organisations=[organisation],
        )
    assert "allowed_organisations" in _errors(exc)
    assert not model.objects.exists()


def _suspend(organisation):
    organisation.status = OrganisationStatus.SUSPENDED
    organisation.save(update_fields=["status"])


def _leave(partner):
    partner.status = PartnerStatus.LEFT
    partner.save(update_fields=["status"])


def test_names_are_dropped_when_the_tier_moves_away_from_named(
    kind, project, coordinator, lead_org, partner_org
):
    _, create, update = kind
    item = create(
        project=project,
        actor=coordinator,
        steward=lead_org,
        access_tier=AccessTier.ORGANISATIONS,
        allowed_organisations=[partner_org],
    )
    update(item, actor=coordinator, access_tier=AccessTier.CONSORTIUM)
    item.refresh_from_db()
    assert (item.access_tier, list(item.allowed_organisations.all())) == (
        AccessTier.CONSORTIUM,
        [],
    )


def test_an_unknown_tier_is_refused_with_the_kinds_own_choices(
    kind, project, coordinator, lead_org
):
    model, create, _ = kind
    with pytest.raises(ValidationError) as exc:
        create(project=project, actor=coordinator, steward=lead_org, access_tier="secret")
    message = _errors(exc)["access_tier"][0]
    assert message.startswith(f"{model._meta.verbose_name_plural.capitalize()} can be public")
    assert not model.objects.exists()


def test_only_datasets_take_the_controlled_tier(project, coordinator, lead_org):
    dataset = _create_dataset(
        project=project, actor=coordinator, steward=lead_org, access_tier=AccessTier.CONTROLLED
    )
    assert dataset.access_tier == AccessTier.CONTROLLED
    with pytest.raises(ValidationError) as exc:
        _create_protocol(
            project=project, actor=coordinator, steward=None, access_tier=AccessTier.CONTROLLED
        )
    assert _errors(exc) == {
        "access_tier": [
            "Protocols can be public, registered members, consortium or named organisations."
        ]
    }
    assert not Protocol.objects.exists()


def test_a_dataset_steward_must_be_an_approved_active_partner(project, coordinator, other_org):
    with pytest.raises(ValidationError) as exc:
        _create_dataset(project=project, actor=coordinator, steward=other_org)
    assert _errors(exc) == {
        "steward_organisation": ["The steward must be an active partner of the project."]
    }
    assert not Dataset.objects.exists()
