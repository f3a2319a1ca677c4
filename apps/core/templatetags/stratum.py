"""Shared template helpers: `{% load stratum %}`.

Documented for the other apps in templates/includes/README.md.
"""

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms import BoundField
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

register = template.Library()

# Widgets (BoundField.widget_type) whose options are rendered one by one in a <fieldset>.
CHOICE_LIST_WIDGETS = {"radioselect", "checkboxselectmultiple"}
SELECT_WIDGETS = {"select", "selectmultiple", "nullbooleanselect", "longselect"}

# Status value → colour tone of its badge. The badge always shows the status in words too.
STATUS_TONES = {
    "success": {
        "approved",
        "active",
        "achieved",
        "verified",
        "completed",
        "granted",
        "published",
    },
    "info": {"proposed", "submitted", "in_review", "in_progress", "in_preparation", "planned"},
    "warning": {
        "pending",
        "returned",
        "deferred",
        "draft",
        "expiring",
        "suspended",
        "unverified",
    },
    "danger": {"rejected", "refused", "revoked", "missed", "expired", "overdue", "withdrawn"},
    "neutral": {"archived", "superseded", "ended", "left"},
}
_TONE_BY_STATUS = {status: tone for tone, statuses in STATUS_TONES.items() for status in statuses}


# --- The header's links and assets, worked out once per process ------------------------------
# `base.html` is around every page, and reversing its dozen links and hashing its asset names
# cost more than the rest of it. A URL without arguments depends only on the URLconf, the
# script prefix, the language and the current application; an asset's URL only on the
# storage's manifest, fixed for a deploy.
_LINKS: dict[tuple, str] = {}
_ASSETS: dict[str, str] = {}


@receiver(setting_changed)
def _forget_links_and_assets(**kwargs) -> None:  # tests that swap URLconfs or storages
    _LINKS.clear()
    _ASSETS.clear()


def _current_app(context) -> str | None:
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    if current_app is None:
        current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
    return current_app


@register.simple_tag(takes_context=True)
def link(context, view_name: str) -> str:
    """`{% url view_name %}` for a URL that takes no arguments, reversed once per process."""
    current_app = _current_app(context)
    key = (
        view_name,
        current_app,
        settings.ROOT_URLCONF,
        get_urlconf(),
        get_script_prefix(),
        translation.get_language(),
    )
    url = _LINKS.get(key)
    if url is None:
        url = _LINKS[key] = reverse(view_name, current_app=current_app)
    return url


@register.simple_tag
def asset(path: str) -> str:
    """`{% static path %}`, looked up in the storage once per process."""
    url = _ASSETS.get(path)
    if url is None:
        url = _ASSETS[path] = staticfiles_storage.url(path)
    return url


@register.filter
def status_tone(status) -> str:
    """The badge tone for a status value (`neutral` for anything unknown)."""
    return _TONE_BY_STATUS.get(str(status or "").lower(), "neutral")


@register.filter
def field_anchor(field: BoundField) -> str:
    """The id an error-summary link should jump to: the control itself, or its first option."""
    if field.widget_type in CHOICE_LIST_WIDGETS:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


def _described_by(field: BoundField) -> list[str]:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return ids


@register.filter
def described_by(field: BoundField) -> str:
    """Space-separated ids of the field's help text and error message (for aria-describedby)."""
    return " ".join(_described_by(field))


@register.simple_tag
def form_control(field: BoundField, **extra_attrs) -> SafeString:
    """Render a field's widget with Bootstrap classes, error state and aria-describedby.

    `{% form_control form.title placeholder="…" %}` adds extra attributes.
    """
    widget_type = field.widget_type
    if widget_type == "checkbox":
        css = "form-check-input"
    elif widget_type in SELECT_WIDGETS:
        css = "form-select"
    else:
        css = "form-control"
    existing = field.field.widget.attrs.get("class", "")
    classes = [c for c in (existing, css, "is-invalid" if field.errors else "") if c]
    attrs = {"class": " ".join(classes), **extra_attrs}
    if ids := _described_by(field):
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


def _query_with(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


def _current_sort(context) -> str:
    request = context.get("request")
    return request.GET.get("sort", "") if request else ""


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> SafeString:
    """A table-header link that sorts by `field`, toggling ascending ↔ descending.

    Keeps the other query parameters, drops `page` (a new order starts at page 1) and says in
    words, for screen readers, how the column is sorted now and what activating it does.
    """
    request = context["request"]
    current = _current_sort(context)
    if current == field:
        target, state, arrow = f"-{field}", "sorted ascending", "▲"
        action = "activate to sort descending"
    elif current == f"-{field}":
        target, state, arrow = field, "sorted descending", "▼"
        action = "activate to sort ascending"
    else:
        target, state, arrow = field, "", ""
        action = "activate to sort ascending"
    hidden = f"{state}, {action}" if state else action
    return format_html(
        '<a class="sort-link" href="{}">{}<span class="visually-hidden"> ({})</span>'
        '<span class="sort-arrow" aria-hidden="true">{}</span></a>',
        _query_with(request, sort=target, page=None),
        label,
        hidden,
        arrow,
    )


@register.simple_tag(takes_context=True)
def aria_sort(context, field: str) -> SafeString:
    """`aria-sort="…"` for the <th> of the column currently sorted by `field` (else nothing)."""
    current = _current_sort(context)
    if current == field:
        return format_html('aria-sort="{}"', "ascending")
    if current == f"-{field}":
        return format_html('aria-sort="{}"', "descending")
    return SafeString("")


@register.simple_tag(takes_context=True)
def nav_current(context, prefix: str, exclude: str = "", exact: bool = False) -> SafeString:
    """`aria-current="page"` plus the `active` class for navigation links under `prefix`.

    `exclude` names a sub-path that has its own navigation link (e.g. the staff console);
    `exact` marks a section's overview, current only on its own page.
    """
    request = context.get("request")
    path = request.path if request else ""
    is_current = path == prefix if (prefix == "/" or exact) else path.startswith(prefix)
    if exclude and path.startswith(exclude):
        is_current = False
    if is_current:
        return SafeString('aria-current="page" class="nav-link active"')
    return SafeString('class="nav-link"')


@register.filter
def elided_page_range(paginator, number):
    """Page numbers around the current one, with `paginator.ELLIPSIS` for the gaps."""
    return paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)


# Django message level tag → Bootstrap alert colour.
_MESSAGE_TONES = {"error": "danger", "debug": "secondary"}


@register.filter
def message_tone(level_tag: str) -> str:
    return _MESSAGE_TONES.get(level_tag, level_tag or "info")


@register.filter
def allauth_button_class(tags) -> str:
    """Bootstrap classes for allauth's `{% element button tags="…" %}` (its tags are hints)."""
    tags = set(tags or ())
    if "link" in tags:
        return "btn btn-link"
    if "danger" in tags:
        return (
            "btn btn-outline-danger"
            if "delete" in tags and "panel" not in tags
            else "btn btn-danger"
        )
    if "outline" in tags and "primary" in tags:
        return "btn btn-outline-primary"
    if tags & {"secondary", "minor", "outline", "cancel"}:
        return "btn btn-outline-secondary"
    return "btn btn-primary"
