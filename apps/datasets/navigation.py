"""Links into pages other engineers own, resolved by name so a renamed route fails softly."""

from django.urls import NoReverseMatch, reverse


def project_url(project) -> str:
    for kwargs in ({"slug": project.slug}, {"pk": project.pk}):
        try:
            return reverse("projects:detail", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return "/projects/"


def dataset_policy_url(dataset) -> str:
    """The access engineer's DUO policy editor."""
    return f"/access/datasets/{dataset.pk}/policy/"


def request_access_url(dataset) -> str:
    for name in ("access:request_create", "access:request_new"):
        try:
            return reverse(name, kwargs={"dataset_pk": dataset.pk})
        except NoReverseMatch:
            continue
    return f"/access/datasets/{dataset.pk}/request/"
