"""Home-page sections: requests awaiting my decision, and my grants ending soon."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.access.models import AccessGrant, GrantStatus
from apps.access.policy import visible
from apps.access.selectors import requests_awaiting_decision_by
from apps.core.dashboard import DashboardItem, DashboardSection, register_section

SHOWN = 5


@register_section(order=20)
def decisions_awaiting_me(user) -> DashboardSection | None:
    awaiting = list(requests_awaiting_decision_by(user)[:SHOWN])
    if not awaiting:
        return None  # only people who decide see this section
    return DashboardSection(
        title="Access requests awaiting your decision",
        items=[
            DashboardItem(
                label=f"{r.dataset.title} — {r.requester.display_name}",
                url=reverse("access:request_detail", kwargs={"pk": r.pk}),
                meta=f"{r.organisation.name}, submitted {date_format(timezone.localtime(r.submitted_at), 'j M Y')}"
                if r.submitted_at
                else r.organisation.name,
            )
            for r in awaiting
        ],
        more_url=reverse("access:index"),
    )


@register_section(order=45)
def grants_ending_soon(user) -> DashboardSection | None:
    now = timezone.now()
    ending = list(
        visible(
            user,
            AccessGrant.objects.filter(
                user_id=user.pk,
                status=GrantStatus.ACTIVE,
                valid_until__gt=now,
                valid_until__lte=now + datetime.timedelta(days=30),
            ),
        )
        .select_related("dataset")
        .order_by("valid_until")[:SHOWN]
    )
    if not ending:
        return None
    return DashboardSection(
        title="Access grants ending soon",
        items=[
            DashboardItem(
                label=g.dataset.title,
                url=reverse("access:grant_detail", kwargs={"pk": g.pk}),
                meta=f"ends {date_format(timezone.localtime(g.valid_until), 'j M Y')}",
            )
            for g in ending
        ],
        more_url=reverse("access:grant_list"),
    )
