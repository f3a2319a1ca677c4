from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.access.policy import get_for_user
from apps.notifications.forms import PreferencesForm
from apps.notifications.models import EventType, Notification
from apps.notifications.preferences import preferences_of
from apps.notifications.selectors import inbox_for, unread_count
from apps.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_set,
    notification_unsubscribe,
)
from apps.notifications.tokens import DIGEST, unsubscribe_read

PAGE_SIZE = 25


@login_required
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(inbox_for(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page_obj": page,
        "notifications": page.object_list,
        "unread_only": unread_only,
        "unread_notifications_count": unread_count(request.user),
    }
    return render(request, "notifications/inbox.html", context)


def _own(request, notification_id) -> Notification:
    return get_for_user(request.user, Notification.objects.all(), pk=notification_id)


@login_required
@require_POST
def mark_read(request, notification_id):
    notification = notification_mark_read(notification=_own(request, notification_id))
    if request.htmx:
        context = {
            "notification": notification,
            "unread_notifications_count": unread_count(request.user),
        }
        return render(request, "notifications/_mark_read_response.html", context)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = notification_mark_all_read(user=request.user)
    if request.htmx:
        response = render(
            request, "notifications/_unread_badge.html", {"unread_notifications_count": 0}
        )
        response["HX-Refresh"] = "true"
        return response
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:inbox")


@login_required
def open_notification(request, notification_id):
    """Follow a notification's link, marking it read on the way (same-site links only)."""
    notification = notification_mark_read(notification=_own(request, notification_id))
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, current=preferences_of(request.user))
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, deliveries=form.deliveries())
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


def _scope_label(scope: str) -> str:
    if scope == DIGEST:
        return "the daily digest"
    return f"“{EventType(scope).label}”" if scope in EventType.values else "these e-mails"


# One-click unsubscribe (RFC 8058): mail clients POST without a session or CSRF token. The
# signed token is the credential, and all it can do is turn that person's e-mails off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        link = unsubscribe_read(token)
    except signing.BadSignature:
        return _bad_unsubscribe(request)
    if request.method == "GET":
        return render(
            request, "notifications/unsubscribe.html", {"scope_label": _scope_label(link.scope)}
        )
    try:
        _user, changed = notification_unsubscribe(unsubscribe=link)
    except LookupError:
        return _bad_unsubscribe(request)
    return render(
        request,
        "notifications/unsubscribed.html",
        {"scope_label": _scope_label(link.scope), "changed": [EventType(e).label for e in changed]},
    )


def _bad_unsubscribe(request):
    html = render(request, "notifications/unsubscribe_invalid.html").content
    return HttpResponseBadRequest(html)
