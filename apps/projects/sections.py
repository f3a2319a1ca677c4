"""The project page is assembled from sections that each app contributes.

An app registers a section in its `apps/<app>/project_sections.py` (discovered at start-up):

    from apps.projects.sections import project_section

    @project_section(order=70, title="Datasets", template="datasets/_project_datasets.html")
    def datasets(*, project, user, request) -> dict | None:
        rows = visible(user, Dataset.objects.filter(project=project))
        return {"datasets": rows}

The function decides what `user` may see (through `apps.access.policy`) and returns the
template context, or None to hide the section. The template receives that context plus
`project`, `section` (title, slug) and `can_manage`. Sections are cached for signed-in people
(`apps.projects.page_cache`), so they get no request (`request` is None) and their templates
no context processors: nothing of one request — CSRF token, nonce, messages — may be in them,
and every table they read must bump the project's content version
(`apps.projects.content_versions`; `tests/projects/test_page_cache.py` checks it). Sections run only for
people who may see the project's details. Orders: overview 10, partners 20, members 30,
biomarkers 40, work packages 50, protocols 60, datasets 70, committee 80, milestones 90,
deliverables 100.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import slugify

from apps.access.policy import known_project, project_facts

SectionFunc = Callable[..., dict | None]


@dataclass(frozen=True)
class ProjectSection:
    order: int
    title: str
    template: str
    func: SectionFunc
    slug: str


@dataclass(frozen=True)
class RenderedSection:
    title: str
    slug: str
    html: SafeString


_SECTIONS: dict[str, ProjectSection] = {}


def project_section(*, order: int, title: str, template: str, slug: str = ""):
    """Register `func(*, project, user, request) -> dict | None` as a project-page section."""

    def register(func: SectionFunc) -> SectionFunc:
        key = slug or slugify(title)
        existing = _SECTIONS.get(key)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise RuntimeError(f"Two project sections are called {key!r}")
        _SECTIONS[key] = ProjectSection(order, title, template, func, key)
        return func

    return register


def registered_sections() -> list[ProjectSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.slug))


def render_sections(*, project, user, can_manage: bool) -> list[RenderedSection]:
    """Every section that has something to show `user`, rendered in page order. The policy
    is told `user`'s standing in `project` once, for the sections' statements about it."""
    with known_project(project_facts(user, project)):
        return _render(project=project, user=user, can_manage=can_manage)


def _render(*, project, user, can_manage: bool) -> list[RenderedSection]:
    rendered = []
    for section in registered_sections():
        context = section.func(project=project, user=user, request=None)
        if context is None:
            continue
        context = {
            **context,
            "project": project,
            "section": section,
            "can_manage": can_manage,
        }
        html = render_to_string(section.template, context)
        rendered.append(RenderedSection(section.title, section.slug, html))
    return rendered
