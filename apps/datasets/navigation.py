"""Links into pages other engineers own, resolved by name so a renamed route fails softly."""

from django.urls import NoReverseMatch, reverse


def _first_reverse(candidates, fallback: str) -> str:
    for name, kwargs in candidates:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return fallback


def project_url(project) -> str:
    return _first_reverse(
        [("projects:detail", {"slug": project.slug}), ("projects:detail", {"pk": project.pk})],
        "/projects/",
    )


def dataset_policy_url(dataset) -> str:
    """The access engineer's DUO policy editor."""
    return _first_reverse(
        [("access:policy_edit", {"pk": dataset.pk})], f"/access/datasets/{dataset.pk}/policy/"
    )


def request_access_url(dataset) -> str:
    return _first_reverse(
        [("access:request_create", {"pk": dataset.pk})], f"/access/datasets/{dataset.pk}/request/"
    )
