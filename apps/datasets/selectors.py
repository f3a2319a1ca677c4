"""Reads for datasets. Visibility always comes from the policy module, as one SQL filter."""

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from apps.access.policy import Action, get_for_user, visible
from apps.access.policy.items import FILES_OF_VISIBLE_DATASETS
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile
from apps.items.selectors import item_get_for_user, part_get_for_download
from apps.organisations.models import Affiliation
from apps.projects.models import Membership, Partner, PartnerStatus, Project

SUGGESTIONS = 20  # at most this many type-ahead suggestions per keystroke

SORTABLE = {
    "title": ("title",),
    "project": ("project__acronym", "title"),
    "tier": ("access_tier", "title"),
    "published": ("published_at", "title"),
    "steward": ("steward_organisation__name", "title"),
}


def dataset_list_queryset() -> QuerySet:
    return Dataset.objects.select_related("project", "steward_organisation")


def datasets_visible_to(
    user,
    *,
    project=None,
    project_name: str = "",
    disease_area=None,
    tier: str = "",
    search: str = "",
    sort: str = "title",
    match_nothing: bool = False,
) -> QuerySet:
    """Datasets `user` may see, filtered; one statement (visibility is embedded subqueries).

    `project` is one project (already checked visible); `project_name` matches the acronym or
    title of projects `user` may see, so the text can never probe a hidden project's title.
    `match_nothing`: a filter value was refused (e.g. a project `user` may not see)."""
    datasets = dataset_list_queryset()
    if project is not None:
        # Before `visible`: the policy can then use what it knows of this one project.
        datasets = datasets.filter(project=project)
    datasets = visible(user, datasets)
    if match_nothing:
        datasets = datasets.none()
    if project is None and project_name:
        named = visible(user, Project.objects.filter(name_matches_q(project_name)), Action.VIEW)
        datasets = datasets.filter(project__in=named.values("pk"))
    if disease_area is not None:
        # A subquery, not a join through the M2M: a project in two areas must not list twice.
        datasets = datasets.filter(
            project__in=Project.objects.filter(disease_areas=disease_area).values("pk")
        )
    if tier:
        datasets = datasets.filter(access_tier=tier)
    if search:
        datasets = datasets.filter(Q(title__icontains=search) | Q(description__icontains=search))
    descending = sort.startswith("-")
    fields = SORTABLE.get(sort.lstrip("-"), SORTABLE["title"])
    ordering = [f"-{field}" if descending else field for field in fields]
    return datasets.order_by(*ordering, "pk")


def dataset_get_for_user(user, pk, *, action: str = Action.VIEW) -> Dataset:
    """404 when not visible; 403 when visible but `action` is refused."""
    return item_get_for_user(user, Dataset, pk, action=action, related=("steward_organisation",))


def dataset_file_get_for_download(user, *, dataset_pk, file_pk) -> DatasetFile:
    """The file when `user` may download it; otherwise 404 whatever the reason."""
    return part_get_for_download(user, DatasetFile, item_pk=dataset_pk, pk=file_pk)


def dataset_files(dataset) -> QuerySet:
    """The files of a dataset the caller was allowed to see (`dataset_get_for_user`)."""
    return (
        dataset.files.system(FILES_OF_VISIBLE_DATASETS)
        .select_related("uploaded_by")
        .order_by("file_name", "created_at")
    )


def dataset_current_policy(dataset):
    """The newest data-use policy version, or None; `policy.rows` lists its conditions with
    their values as display text (permission first)."""
    policy = dataset.policies.order_by("-version").first()
    if policy is None:
        return None
    conditions = policy.conditions.select_related("term").order_by("-term__kind", "term__shorthand")
    policy.rows = [
        {"term": condition.term, "value": condition_value_text(condition.value)}
        for condition in conditions
    ]
    return policy


def condition_value_text(value) -> str:
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def dataset_named_organisations(dataset) -> list:
    if dataset.access_tier != AccessTier.ORGANISATIONS:
        return []
    return list(dataset.allowed_organisations.order_by("name"))


def dataset_publication_audience(dataset) -> QuerySet:
    """People told about a publication: the project's current members and everyone affiliated
    to its active partner organisations. The notifications service filters by the policy."""
    partner_orgs = Partner.objects.filter(
        project_id=dataset.project_id, status=PartnerStatus.ACTIVE
    ).values("organisation_id")
    affiliated = Affiliation.objects.filter(
        ended_at__isnull=True, organisation_id__in=partner_orgs
    ).values("user_id")
    members = Membership.objects.current().filter(project_id=dataset.project_id).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=affiliated) | Q(pk__in=members))
        .order_by("pk")
    )


def project_dataset_counts(user, project) -> dict:
    """Counts by status of the project's datasets that `user` may see (one query)."""
    rows = (
        visible(user, Dataset.objects.filter(project=project))
        .values("status")
        .annotate(total=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["total"] for row in rows}


def project_get_for_user(user, project_pk, action=Action.VIEW_DETAILS):
    """The project when `user` may see its details (else 404), and may `action` (else 403)."""
    detailed = visible(user, Project.objects.all(), Action.VIEW_DETAILS)
    return get_for_user(user, detailed, action=action, pk=project_pk)


def member_organisation_id(user, project):
    """The organisation through which `user` takes part in `project` (the form's default
    steward), or None."""
    return (
        visible(user, Membership.objects.current().filter(project=project, user_id=user.pk))
        .values_list("organisation_id", flat=True)
        .first()
    )


def name_matches_q(text: str) -> Q:
    return Q(acronym__icontains=text) | Q(title__icontains=text)


def suggested_projects(user, text: str, limit: int = SUGGESTIONS) -> QuerySet:
    """Type-ahead for the list's project filter: up to `limit` projects `user` may see, with
    a dataset `user` may see, whose acronym or title contains `text`; acronyms starting with
    it first. The text narrows the projects before their datasets are looked at, so the cost
    follows the matching projects, not the 100,000 datasets."""
    datasets = visible(user, Dataset.objects.filter(project_id=OuterRef("pk")))
    projects = visible(user, Project.objects.filter(name_matches_q(text)), Action.VIEW)
    starts = Case(
        When(acronym__istartswith=text, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        projects.filter(Exists(datasets))
        .only("acronym", "title")
        .order_by(starts, "acronym")[:limit]
    )
