"""The signed-in home page's "what needs me?" sections, contributed by each app.

An app adds a section by defining `apps/<app>/dashboard.py`:

    from apps.core.dashboard import DashboardItem, DashboardSection, register_section

    @register_section(order=20)
    def decisions_awaiting_me(user) -> DashboardSection | None:
        requests = AccessRequest.objects.awaiting_decision_by(user)[:5]
        return DashboardSection(
            title="Access requests awaiting your decision",
            items=[DashboardItem(label=r.title, url=r.get_absolute_url(), meta="…") for r in requests],
            empty="No access requests await your decision.",
            more_url="/access/reviews/",
        )

Return None when the section does not apply to this person (e.g. staff-only queues); return a
section with no items to say "nothing needs you here". Sections appear in `order` (low first);
see templates/includes/README.md for the orders in use. A section must run a fixed number of
queries whatever its size (slice, select_related), because the home page's budget is pinned.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules
from django.utils.text import slugify


@dataclass(frozen=True)
class DashboardItem:
    label: str
    url: str
    meta: str = ""


@dataclass(frozen=True)
class DashboardSection:
    title: str
    items: list[DashboardItem] = field(default_factory=list)
    empty: str = "Nothing needs you here."
    more_url: str = ""
    more_label: str = "See all"

    def as_dict(self) -> dict:
        return {
            "id": slugify(self.title),
            "title": self.title,
            "items": [vars(item) for item in self.items],
            "empty": self.empty,
            "more_url": self.more_url,
            "more_label": self.more_label,
        }


SectionProvider = Callable[..., "DashboardSection | dict | None"]

_providers: list[tuple[int, str, SectionProvider]] = []
_discovered = False


def register_section(order: int) -> Callable[[SectionProvider], SectionProvider]:
    """Add a section provider, called with the signed-in user on every home page view."""

    def decorator(provider: SectionProvider) -> SectionProvider:
        key = f"{provider.__module__}.{provider.__qualname__}"
        # Re-importing a module (autoreload, tests) must not list the section twice.
        _providers[:] = [entry for entry in _providers if entry[1] != key]
        _providers.append((order, key, provider))
        _providers.sort(key=lambda entry: (entry[0], entry[1]))
        return provider

    return decorator


def discover() -> None:
    """Import every installed app's `dashboard` module once, so their sections register."""
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True


def _normalise(section: "DashboardSection | dict") -> dict:
    if isinstance(section, DashboardSection):
        return section.as_dict()
    # Plain dicts are accepted too: {"title", "items": [{"label", "url", "meta"}], "empty", "more_url"}.
    return DashboardSection(
        title=section["title"],
        items=[DashboardItem(**item) for item in section.get("items", [])],
        empty=section.get("empty", DashboardSection.empty),
        more_url=section.get("more_url", ""),
        more_label=section.get("more_label", DashboardSection.more_label),
    ).as_dict()


def sections_for(user) -> list[dict]:
    """The sections that apply to `user`, in order, as plain dicts for the template."""
    discover()
    sections = []
    for _order, _key, provider in list(_providers):
        section = provider(user)
        if section is not None:
            sections.append(_normalise(section))
    return sections
