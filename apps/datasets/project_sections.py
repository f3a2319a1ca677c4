"""The "Datasets" section of the project page."""

from apps.access.policy import Action, can
from apps.datasets.selectors import datasets_visible_to
from apps.projects.sections import project_section

SECTION_LIMIT = 10


@project_section(order=70, title="Datasets", template="datasets/_project_datasets.html")
def datasets(*, project, user, request) -> dict | None:
    visible_datasets = datasets_visible_to(user, project=project)
    return {
        "datasets": list(visible_datasets[:SECTION_LIMIT]),
        "total": visible_datasets.count(),
        "can_contribute": can(user, Action.CONTRIBUTE, project),
    }
