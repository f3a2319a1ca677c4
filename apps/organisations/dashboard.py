"""Home-page sections: the approval queue for staff (first of all), join requests for admins."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.core.dashboard import DashboardItem, DashboardSection, register_section
from apps.organisations.models import Affiliation, AffiliationRole, JoinRequest, Organisation
from apps.organisations.selectors import invitations_for_user

SHOWN = 5


def _day(moment) -> str:
    return date_format(timezone.localtime(moment))


@register_section(order=0)
def organisations_awaiting_approval(user) -> DashboardSection | None:
    if not (user.is_staff and user.is_active):
        return None
    pending = list(
        Organisation.objects.pending().select_related("proposed_by").order_by("created_at")[:SHOWN]
    )
    return DashboardSection(
        title="Organisations awaiting approval",
        items=[
            DashboardItem(
                label=organisation.name,
                url=reverse("organisations:staff_decide", args=[organisation.slug, "approve"]),
                meta=f"{organisation.get_kind_display()}, proposed {_day(organisation.created_at)}"
                + (
                    f" by {organisation.proposed_by.display_name}"
                    if organisation.proposed_by
                    else ""
                ),
            )
            for organisation in pending
        ],
        empty="No organisation is waiting for approval.",
        more_url=reverse("organisations:staff_console"),
        more_label="Open the staff console",
    )


@register_section(order=40)
def join_requests_awaiting_me(user) -> DashboardSection | None:
    administered = list(
        Affiliation.objects.active()
        .filter(user=user, role=AffiliationRole.ADMIN)
        .values_list("organisation_id", flat=True)
    )
    if not administered:
        return None
    requests = list(
        JoinRequest.objects.filter(
            organisation_id__in=administered, status=JoinRequest.Status.PENDING
        )
        .select_related("user", "organisation")
        .order_by("created_at")[:SHOWN]
    )
    return DashboardSection(
        title="Requests to join your organisations",
        items=[
            DashboardItem(
                label=f"{request.user.display_name} asks to join {request.organisation.name}",
                url=reverse("organisations:manage_join_requests", args=[request.organisation.slug]),
                meta=f"sent {_day(request.created_at)}",
            )
            for request in requests
        ],
        empty="Nobody is waiting to join your organisations.",
        more_url=reverse("organisations:mine"),
        more_label="My organisations",
    )


@register_section(order=30)
def invitations_for_me(user) -> DashboardSection | None:
    invitations = list(invitations_for_user(user)[:SHOWN])
    if not invitations:
        return None
    return DashboardSection(
        title="Invitations to join an organisation",
        items=[
            DashboardItem(
                label=f"Join {invitation.organisation.name} as {invitation.get_role_display().lower()}",
                url=reverse("organisations:mine"),
                meta=f"until {_day(invitation.expires_at)}",
            )
            for invitation in invitations
        ],
        more_url=reverse("organisations:mine"),
        more_label="My organisations",
    )
