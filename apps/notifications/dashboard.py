"""Home page: my unread notifications (order 60)."""

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from apps.core.dashboard import DashboardItem, DashboardSection, register_section
from apps.notifications.selectors import inbox_for

SHOWN = 5


@register_section(order=60)
def unread_notifications(user) -> DashboardSection:
    unread = list(inbox_for(user, unread_only=True)[:SHOWN])
    return DashboardSection(
        title="Unread notifications",
        items=[
            DashboardItem(
                label=n.subject,
                url=reverse("notifications:open", args=[n.pk]),
                meta=f"{n.get_event_type_display()} · {date_format(localtime(n.created_at), 'j M Y, H:i')}",
            )
            for n in unread
        ],
        empty="You have read all your notifications.",
        more_url=reverse("notifications:inbox"),
    )
