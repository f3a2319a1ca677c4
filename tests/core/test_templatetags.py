import pytest
from django import forms
from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory


def render(source: str, **context) -> str:
    return Template("{% load stratum %}" + source).render(Context(context))


class EverythingForm(forms.Form):
    title = forms.CharField(help_text="A short, descriptive title.")
    kind = forms.ChoiceField(choices=[("a", "Alpha"), ("b", "Beta")])
    tier = forms.ChoiceField(
        choices=[("public", "Public"), ("controlled", "Controlled")], widget=forms.RadioSelect
    )
    terms = forms.MultipleChoiceField(
        choices=[("NCU", "Not for commercial use"), ("PUB", "Publication required")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    agree = forms.BooleanField(label="I agree to the terms")
    upload = forms.FileField(required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("These dates overlap another milestone.")


def render_form(form) -> str:
    return Template('{% include "includes/form.html" with form=form %}').render(
        Context({"form": form})
    )


def test_unbound_form_renders_labelled_bootstrap_controls_without_a_summary():
    html = render_form(EverythingForm())
    assert "data-error-summary" not in html
    assert '<label class="form-label fw-semibold" for="id_title">Title</label>' in html
    assert 'class="form-control"' in html
    assert 'aria-describedby="id_title_helptext"' in html
    assert 'id="id_title_helptext"' in html
    assert '<select name="kind" class="form-select"' in html
    assert '<legend class="form-label fs-6 fw-semibold">Tier</legend>' in html
    assert 'id="id_tier_0"' in html and 'id="id_tier_1"' in html
    assert 'type="checkbox" name="terms" value="NCU" id="id_terms_0"' in html
    assert 'class="form-check-input" aria-describedby' not in html
    assert '<label class="form-check-label" for="id_agree">I agree to the terms</label>' in html
    assert 'type="file" name="upload" class="form-control"' in html
    assert '<input type="hidden" name="token" id="id_token">' in html
    assert 'Upload <span class="optional">(optional)</span>' in html


def test_bound_form_with_errors_has_a_linked_summary_and_inline_errors():
    form = EverythingForm(data={"title": "", "tier": "nonsense"})
    form.is_valid()
    html = render_form(form)
    assert 'role="alert"' in html and "There is a problem" in html
    assert "<li>These dates overlap another milestone.</li>" in html
    assert '<a href="#id_title" class="alert-link">This field is required.</a>' in html
    # Radio groups link to their first option, which exists on the page.
    assert '<a href="#id_tier_0" class="alert-link">Select a valid choice.' in html
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_agree_error"' in html
    assert 'class="form-control is-invalid"' in html


def test_form_keeps_what_was_typed_after_an_error():
    form = EverythingForm(data={"title": "RESPIRE work plan", "kind": "b"})
    form.is_valid()
    html = render_form(form)
    assert 'value="RESPIRE work plan"' in html
    assert '<option value="b" selected>Beta</option>' in html


@pytest.mark.parametrize(
    ("query", "href", "spoken"),
    [
        ("", "?q=lung&sort=title", "activate to sort ascending"),
        ("sort=title", "?q=lung&sort=-title", "sorted ascending, activate to sort descending"),
        ("sort=-title", "?q=lung&sort=title", "sorted descending, activate to sort ascending"),
    ],
)
def test_sort_link_toggles_direction_keeps_filters_and_drops_the_page(query, href, spoken):
    request = RequestFactory().get(f"/projects/?q=lung&page=3&{query}")
    html = render('{% sort_link "title" "Title" %}', request=request)
    assert f'href="{href.replace("&", "&amp;")}"' in html
    assert f"({spoken})" in html
    assert ">Title<" in html


def test_aria_sort_marks_only_the_sorted_column():
    request = RequestFactory().get("/projects/?sort=-title")
    assert render('{% aria_sort "title" %}', request=request) == 'aria-sort="descending"'
    assert render('{% aria_sort "acronym" %}', request=request) == ""


@pytest.mark.parametrize(
    ("status", "tone"),
    [("approved", "success"), ("pending", "warning"), ("revoked", "danger"), ("weird", "neutral")],
)
def test_status_badge_always_carries_the_text(status, tone):
    html = Template(
        '{% include "includes/status_badge.html" with status=status label=label %}'
    ).render(Context({"status": status, "label": f"Label for {status}"}))
    assert html.strip() == f'<span class="badge status-badge tone-{tone}">Label for {status}</span>'


def test_pagination_keeps_the_query_and_marks_the_current_page():
    request = RequestFactory().get("/projects/?q=lung&page=2")
    page_obj = Paginator(list(range(95)), 10).page(2)
    html = Template('{% include "includes/pagination.html" with page_obj=page_obj %}').render(
        RequestContext(request, {"page_obj": page_obj})
    )
    assert "Showing 11–20 of 95" in html
    assert 'href="?q=lung&amp;page=1" rel="prev"' in html
    assert 'href="?q=lung&amp;page=3" rel="next"' in html
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2<' in html
    assert "…" in html


def test_a_single_page_shows_no_pagination_controls():
    page_obj = Paginator([1, 2, 3], 10).page(1)
    html = Template('{% include "includes/pagination.html" with page_obj=page_obj %}').render(
        RequestContext(RequestFactory().get("/"), {"page_obj": page_obj})
    )
    assert "<nav" not in html
    assert "Showing 3 of 3" in html


def test_empty_state_says_what_to_do_next():
    html = Template(
        '{% include "includes/empty_state.html" with message="No datasets yet." '
        'action_url="/datasets/new/" action_label="Add a dataset" %}'
    ).render(Context())
    assert "No datasets yet." in html
    assert '<a class="btn btn-primary" href="/datasets/new/">Add a dataset</a>' in html


def test_confirmation_include_posts_to_the_action_with_a_way_back():
    class ReasonForm(forms.Form):
        reason = forms.CharField()

    form = ReasonForm(data={})
    form.is_valid()
    html = Template(
        '{% include "includes/confirm.html" with question="Remove Pat?" action_url="/x/" '
        'action_label="Remove" cancel_url="/back/" form=form %}'
    ).render(Context({"form": form, "csrf_token": "token"}))
    assert '<form method="post" action="/x/" novalidate>' in html
    assert '<button type="submit" class="btn btn-danger">Remove</button>' in html
    assert '<a class="btn btn-link" href="/back/">Cancel</a>' in html
    assert '<a href="#id_reason" class="alert-link">This field is required.</a>' in html


# --- link and asset: {% url %} and {% static %} worked out once per process ---------------
BASE_LINKS = [
    "home",
    "search:search",
    "search:suggest",
    "accounts:home",
    "security:account_security",
    "mfa_index",
    "tokens:list",
    "notifications:preferences",
    "account_logout",
    "account_login",
    "api-docs",
    "audit:event_list",
    "admin:index",
]


def test_link_gives_what_url_gives_on_first_and_later_use():
    for name in BASE_LINKS:
        expected = Template(f"{{% url '{name}' %}}").render(Context())
        for _ in range(2):
            assert render(f"{{% link '{name}' %}}") == expected


def test_link_follows_the_script_prefix():
    from django.urls import get_script_prefix, set_script_prefix

    before = get_script_prefix()
    assert render("{% link 'home' %}") == "/"
    try:
        set_script_prefix("/portal/")
        assert render("{% link 'home' %}") == "/portal/"
    finally:
        set_script_prefix(before)
    assert render("{% link 'home' %}") == "/"


def test_asset_gives_what_static_gives_and_follows_a_settings_change(settings):
    static = "{% load static %}{% static 'css/site.css' %}"
    assert render("{% asset 'css/site.css' %}") == Template(static).render(Context())
    settings.STATIC_URL = "/assets/"
    assert render("{% asset 'css/site.css' %}").startswith("/assets/css/site")
    assert render("{% asset 'css/site.css' %}") == Template(static).render(Context())
