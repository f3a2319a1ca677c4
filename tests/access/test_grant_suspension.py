"""Leaving or suspension of the organisation suspends the grants that came through it."""

from apps.access.models import GrantStatus
from apps.access.services import grants_suspend_for_affiliation, grants_suspend_for_organisation
from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation
from tests.access.factories import AccessGrantFactory
from tests.organisations.factories import OrganisationFactory


def test_suspending_an_organisation_suspends_its_peoples_grants_and_audits_each(
    staff, partner_member, partner_org
):
    grant = AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    elsewhere = AccessGrantFactory(request__organisation=OrganisationFactory())

    suspended = grants_suspend_for_organisation(
        organisation=partner_org, actor=staff, reason="Organisation suspended"
    )

    grant.refresh_from_db()
    elsewhere.refresh_from_db()
    assert suspended == [grant]
    assert grant.status == GrantStatus.SUSPENDED
    assert grant.status_reason == "Organisation suspended"
    assert elsewhere.status == GrantStatus.ACTIVE
    event = AuditEvent.objects.get(target_id=str(grant.pk))
    assert (event.from_state, event.to_state, event.actor) == ("active", "suspended", staff)


def test_leaving_suspends_only_the_grants_through_that_affiliation(partner_member, partner_org):
    through_partner = AccessGrantFactory(
        request__requester=partner_member, request__organisation=partner_org
    )
    through_other = AccessGrantFactory(
        request__requester=partner_member, request__organisation=OrganisationFactory()
    )
    affiliation = Affiliation.objects.get(user=partner_member, organisation=partner_org)

    grants_suspend_for_affiliation(
        affiliation=affiliation, actor=partner_member, reason="Left the organisation"
    )

    through_partner.refresh_from_db()
    through_other.refresh_from_db()
    assert through_partner.status == GrantStatus.SUSPENDED
    assert through_other.status == GrantStatus.ACTIVE


def test_suspending_twice_changes_nothing_the_second_time(staff, partner_org):
    AccessGrantFactory(request__organisation=partner_org)
    grants_suspend_for_organisation(organisation=partner_org, actor=staff, reason="First")
    assert grants_suspend_for_organisation(organisation=partner_org, actor=staff, reason="x") == []


def test_an_organisation_turning_for_profit_loses_its_grants_on_npu_datasets_only(
    staff, controlled_dataset, coordinator, partner_member, partner_org, respiratory
):
    from apps.access.services import data_use_policy_set, grants_suspend_for_npu_breach
    from apps.organisations.models import OrganisationKind
    from tests.access.factories import ControlledDatasetFactory

    open_grant = AccessGrantFactory(
        request__dataset=controlled_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
        policy=controlled_dataset.policies.get(),
    )
    npu_dataset = ControlledDatasetFactory(project=controlled_dataset.project)
    npu_policy = data_use_policy_set(
        dataset=npu_dataset, permission="GRU", modifiers={"NPU": None}, actor=coordinator
    )
    npu_grant = AccessGrantFactory(
        request__dataset=npu_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
        policy=npu_policy,
    )
    assert grants_suspend_for_npu_breach(organisation=partner_org, actor=staff) == []

    partner_org.kind = OrganisationKind.DIAGNOSTICS
    partner_org.save()
    assert grants_suspend_for_npu_breach(organisation=partner_org, actor=staff) == [npu_grant]
    open_grant.refresh_from_db()
    assert open_grant.status == GrantStatus.ACTIVE


def _npu_grant(controlled_dataset, coordinator, partner_member, partner_org):
    from apps.access.services import data_use_policy_set
    from tests.access.factories import ControlledDatasetFactory

    npu_dataset = ControlledDatasetFactory(project=controlled_dataset.project)
    npu_policy = data_use_policy_set(
        dataset=npu_dataset, permission="GRU", modifiers={"NPU": None}, actor=coordinator
    )
    return AccessGrantFactory(
        request__dataset=npu_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
        policy=npu_policy,
    )


def test_editing_an_organisation_to_a_for_profit_kind_suspends_its_npu_grants_at_once(
    staff, controlled_dataset, coordinator, partner_member, partner_org
):
    from apps.organisations.models import OrganisationKind
    from apps.organisations.services import organisation_update

    npu_grant = _npu_grant(controlled_dataset, coordinator, partner_member, partner_org)
    organisation_update(organisation=partner_org, actor=staff, data={"description": "New text"})
    npu_grant.refresh_from_db()
    assert npu_grant.status == GrantStatus.ACTIVE

    organisation_update(
        organisation=partner_org, actor=staff, data={"kind": OrganisationKind.DIAGNOSTICS}
    )

    npu_grant.refresh_from_db()
    assert npu_grant.status == GrantStatus.SUSPENDED
    assert AuditEvent.objects.filter(
        action="grant.suspend.npu_breach", target_id=str(npu_grant.pk)
    ).exists()


def test_a_csv_import_that_makes_an_organisation_for_profit_suspends_its_npu_grants(
    staff, controlled_dataset, coordinator, partner_member, partner_org
):
    from apps.organisations.services.imports import organisations_import

    npu_grant = _npu_grant(controlled_dataset, coordinator, partner_member, partner_org)
    csv_text = f"name,kind,country\n{partner_org.name},diagnostics,{partner_org.country}\n"

    report = organisations_import(text=csv_text, actor=staff, dry_run=False)

    assert report.written, report
    npu_grant.refresh_from_db()
    assert npu_grant.status == GrantStatus.SUSPENDED


def test_an_admin_edit_of_the_kind_to_for_profit_suspends_npu_grants(
    client, staff, controlled_dataset, coordinator, partner_member, partner_org
):
    from django.urls import reverse

    npu_grant = _npu_grant(controlled_dataset, coordinator, partner_member, partner_org)
    url = reverse("admin:organisations_organisation_change", args=[partner_org.pk])
    client.force_login(staff)
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data.update(
        {
            "kind": "pharma",
            "country": str(partner_org.country),
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    npu_grant.refresh_from_db()
    assert npu_grant.status == GrantStatus.SUSPENDED
