"""Work packages and biomarker records: coordinator-maintained parts of a project."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.guard import system_reads
from apps.organisations.models import OrganisationStatus
from apps.projects.models import Biomarker, Membership, PartnerStatus, Project, WorkPackage
from apps.projects.services.common import audit, require_editable, require_manager

BIOMARKER_FIELDS = (
    "name",
    "kind",
    "stratum",
    "assay",
    "diagnostic_partner",
    "development_stage",
    "regulatory_status",
)


@system_reads("a work package service checks its leads and members before writing")
def _check_work_package_people(project: Project, lead_organisations, members) -> None:
    partner_ids = set(
        project.partners.filter(status=PartnerStatus.ACTIVE).values_list(
            "organisation_id", flat=True
        )
    )
    strangers = [org.name for org in lead_organisations if org.pk not in partner_ids]
    if strangers:
        raise ValidationError(
            {"lead_organisations": f"Not active partners: {', '.join(sorted(strangers))}."}
        )
    member_ids = set(
        Membership.objects.current().filter(project=project).values_list("user_id", flat=True)
    )
    outsiders = [str(user) for user in members if user.pk not in member_ids]
    if outsiders:
        raise ValidationError(
            {"members": f"Not current project members: {', '.join(sorted(outsiders))}."}
        )


def _check_number_free(project: Project, number: int, exclude_pk=None) -> None:
    clash = (
        project.work_packages.filter(number=number)
        .exclude(pk=exclude_pk)
        .system("a work package service checks that the number is free before writing")
    )
    if clash.exists():
        raise ValidationError({"number": f"The project already has a WP{number}."})


@transaction.atomic
def work_package_create(
    *,
    actor,
    project: Project,
    number: int,
    title: str,
    description: str = "",
    lead_organisations=(),
    members=(),
    request=None,
) -> WorkPackage:
    require_manager(actor, project)
    require_editable(project)
    _check_number_free(project, number)
    _check_work_package_people(project, lead_organisations, members)
    work_package = WorkPackage(
        project=project, number=number, title=title.strip(), description=description.strip()
    )
    work_package.full_clean()
    work_package.save()
    work_package.lead_organisations.set(lead_organisations)
    work_package.members.set(members)
    audit(actor, "work_package.create", work_package, project, request)
    return work_package


@transaction.atomic
def work_package_update(
    *,
    actor,
    work_package: WorkPackage,
    number: int,
    title: str,
    description: str = "",
    lead_organisations=(),
    members=(),
    request=None,
) -> WorkPackage:
    project = work_package.project
    require_manager(actor, project)
    require_editable(project)
    _check_number_free(project, number, exclude_pk=work_package.pk)
    _check_work_package_people(project, lead_organisations, members)
    work_package.number, work_package.title = number, title.strip()
    work_package.description = description.strip()
    work_package.full_clean()
    work_package.save()
    work_package.lead_organisations.set(lead_organisations)
    work_package.members.set(members)
    audit(actor, "work_package.update", work_package, project, request)
    return work_package


@transaction.atomic
def work_package_delete(*, actor, work_package: WorkPackage, request=None) -> None:
    """Delete an empty work package; one that milestones or deliverables hang on is kept."""
    project = work_package.project
    require_manager(actor, project)
    require_editable(project)
    # Any milestone or deliverable keeps it, whether or not the actor may see that row.
    hanging = (work_package.milestones, work_package.deliverables)
    if any(rows.system("a work package with work on it is kept").exists() for rows in hanging):
        raise ValidationError(
            f"WP{work_package.number} still has milestones or deliverables; move or delete "
            "them first."
        )
    audit(actor, "work_package.delete", work_package, project, request)
    work_package.delete()


def _check_diagnostic_partner(organisation) -> None:
    if organisation is not None and organisation.status != OrganisationStatus.APPROVED:
        raise ValidationError(
            {"diagnostic_partner": f"{organisation.name} is not an approved organisation."}
        )


@transaction.atomic
def biomarker_create(*, actor, project: Project, request=None, **fields) -> Biomarker:
    require_manager(actor, project)
    require_editable(project)
    _check_diagnostic_partner(fields.get("diagnostic_partner"))
    biomarker = Biomarker(project=project, **_biomarker_fields(fields))
    biomarker.full_clean()
    biomarker.save()
    audit(actor, "biomarker.create", biomarker, project, request)
    return biomarker


@transaction.atomic
def biomarker_update(*, actor, biomarker: Biomarker, request=None, **fields) -> Biomarker:
    require_manager(actor, biomarker.project)
    require_editable(biomarker.project)
    _check_diagnostic_partner(fields.get("diagnostic_partner"))
    for name, value in _biomarker_fields(fields).items():
        setattr(biomarker, name, value)
    biomarker.full_clean()
    biomarker.save()
    audit(actor, "biomarker.update", biomarker, biomarker.project, request)
    return biomarker


@transaction.atomic
def biomarker_delete(*, actor, biomarker: Biomarker, request=None) -> None:
    require_manager(actor, biomarker.project)
    require_editable(biomarker.project)
    audit(actor, "biomarker.delete", biomarker, biomarker.project, request)
    biomarker.delete()


def _biomarker_fields(fields: dict) -> dict:
    unknown = set(fields) - set(BIOMARKER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown biomarker fields: {sorted(unknown)}")
    return {
        name: (value.strip() if isinstance(value, str) else value) for name, value in fields.items()
    }
