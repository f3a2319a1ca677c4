"""Home-page section from accounts: a nudge for people who cannot take part yet."""

from apps.core.dashboard import DashboardSection, register_section


@register_section(order=900)
def join_an_organisation(user) -> DashboardSection | None:
    # Without a current affiliation to an approved organisation a person can join no project,
    # so the home page says why and where to go; everyone else never sees this section.
    # Portal staff act for the portal, not for an organisation.
    if user.is_staff or user.affiliations.active().exists():
        return None
    return DashboardSection(
        title="Join your organisation",
        empty=(
            "You are not affiliated to an approved organisation yet, so you cannot join "
            "projects. Accept an invitation from your organisation's administrator, or "
            "register your organisation for approval."
        ),
        more_url="/organisations/",
        more_label="Find or register your organisation",
    )
