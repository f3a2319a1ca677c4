"""Organisation admins' pages: members, invitations, join requests, domains, profile.

Every page starts with `organisation_get_for_admin` (404 for outsiders, 403 for members);
rows are then looked up inside that organisation, so another organisation's ids are not found.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from apps.organisations import selectors, services
from apps.organisations.forms import (
    DomainForm,
    InvitationForm,
    OptionalReasonForm,
    OrganisationProfileForm,
)
from apps.organisations.models import Affiliation, OrganisationDomain
from apps.organisations.selectors import organisation_get_for_admin
from apps.organisations.views.common import (
    GET_POST,
    form_data,
    form_errors,
    form_files,
    page_of,
)

# --- Organisation admins --------------------------------------------------------------------


def _manage_context(organisation, tab: str, **extra) -> dict:
    return {"organisation": organisation, "tab": tab, **extra}


@login_required
@GET_POST
def manage_profile(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    form = OrganisationProfileForm(form_data(request), form_files(request), instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.organisation_update(
                organisation=organisation, actor=request.user, data=data, request=request
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, "The profile was saved.")
            return redirect("organisations:manage_profile", slug=organisation.slug)
    organisation.refresh_from_db()
    return render(
        request,
        "organisations/manage_profile.html",
        _manage_context(organisation, "profile", form=form),
    )


@login_required
def manage_members(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    members = selectors.organisation_members(organisation)
    return render(
        request,
        "organisations/manage_members.html",
        _manage_context(
            organisation,
            "members",
            page_obj=page_of(request, members),
            sole_admin=selectors.admin_count(organisation) == 1,
        ),
    )


MEMBER_ACTIONS = {
    "promote": (services.affiliation_promote, "Make {name} an admin", "{name} is now an admin."),
    "demote": (services.affiliation_demote, "Make {name} a member", "{name} is now a member."),
    "remove": (
        services.affiliation_end,
        "Remove {name}",
        "{name} was removed; their access through the organisation has stopped.",
    ),
}


@login_required
@GET_POST
def member_action(request, slug, pk, action):
    organisation = organisation_get_for_admin(request.user, slug)
    if action not in MEMBER_ACTIONS:
        raise Http404
    affiliation = get_object_or_404(
        Affiliation.objects.current().select_related("user"), pk=pk, organisation=organisation
    )
    service, title, done = MEMBER_ACTIONS[action]
    name = affiliation.user.display_name
    if request.method == "POST":
        try:
            service(affiliation=affiliation, actor=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done.format(name=name))
        return redirect("organisations:manage_members", slug=organisation.slug)
    return render(
        request,
        "organisations/confirm.html",
        _manage_context(
            organisation,
            "members",
            title=title.format(name=name),
            question=f"{title.format(name=name)} ({affiliation.user.email}) in {organisation.name}?",
            button=title.format(name=name),
            danger=action != "promote",
            cancel_url=reverse("organisations:manage_members", args=[organisation.slug]),
        ),
    )


@login_required
@GET_POST
def manage_invitations(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    form = InvitationForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                organisation=organisation, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, f"An invitation was e-mailed to {invitation.email}.")
            return redirect("organisations:manage_invitations", slug=organisation.slug)
    invitations = selectors.organisation_invitations(organisation)
    return render(
        request,
        "organisations/manage_invitations.html",
        _manage_context(
            organisation, "invitations", form=form, page_obj=page_of(request, invitations)
        ),
    )


@login_required
@GET_POST
def invitation_revoke(request, slug, pk):
    organisation = organisation_get_for_admin(request.user, slug)
    invitation = get_object_or_404(selectors.organisation_invitations(organisation), pk=pk)
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
        return redirect("organisations:manage_invitations", slug=organisation.slug)
    return render(
        request,
        "organisations/confirm.html",
        _manage_context(
            organisation,
            "invitations",
            title="Withdraw the invitation",
            question=f"Withdraw the invitation to {invitation.email}? Its link stops working.",
            button="Withdraw the invitation",
            danger=True,
            cancel_url=reverse("organisations:manage_invitations", args=[organisation.slug]),
        ),
    )


@login_required
def manage_join_requests(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    join_requests = selectors.organisation_join_requests(organisation)
    return render(
        request,
        "organisations/manage_join_requests.html",
        _manage_context(organisation, "join_requests", page_obj=page_of(request, join_requests)),
    )


def _approve_join(join_request, *, actor, reason, request):
    return services.join_request_approve(join_request=join_request, actor=actor, request=request)


def _reject_join(join_request, *, actor, reason, request):
    return services.join_request_reject(
        join_request=join_request, actor=actor, reason=reason, request=request
    )


# decision → (service, title, question, button, done); {name}, {email}, {org} are filled in.
JOIN_DECISIONS = {
    "approve": (
        _approve_join,
        "Approve {name}'s request",
        "Add {name} ({email}) to {org} as a member?",
        "Approve",
        "{name} joined {org}.",
    ),
    "reject": (
        _reject_join,
        "Decline {name}'s request",
        "Decline {name} ({email}) for {org}? They can see your reason.",
        "Decline",
        "{name}'s request was declined.",
    ),
}


@login_required
@GET_POST
def join_request_decide(request, slug, pk, decision):
    organisation = organisation_get_for_admin(request.user, slug)
    if decision not in JOIN_DECISIONS:
        raise Http404
    join_request = get_object_or_404(selectors.organisation_join_requests(organisation), pk=pk)
    service, title, question, button, done = JOIN_DECISIONS[decision]
    words = {
        "name": join_request.user.display_name,
        "email": join_request.user.email,
        "org": organisation.name,
    }
    form = OptionalReasonForm(form_data(request))
    back = reverse("organisations:manage_join_requests", args=[organisation.slug])
    if request.method == "POST" and form.is_valid():
        try:
            service(
                join_request,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done.format(**words))
        return redirect(back)
    context = _manage_context(
        organisation,
        "join_requests",
        form=form if decision == "reject" else None,
        title=title.format(**words),
        question=question.format(**words),
        button=button,
        danger=decision == "reject",
        cancel_url=back,
    )
    return render(request, "organisations/confirm.html", context)


@login_required
@GET_POST
def manage_domains(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    form = DomainForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_domain_add(
                organisation=organisation,
                actor=request.user,
                domain=form.cleaned_data["domain"],
                request=request,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['domain']} was added.")
            return redirect("organisations:manage_domains", slug=organisation.slug)
    return render(
        request,
        "organisations/manage_domains.html",
        _manage_context(organisation, "domains", form=form, domains=organisation.domains.all()),
    )


@login_required
@GET_POST
def domain_remove(request, slug, pk):
    organisation = organisation_get_for_admin(request.user, slug)
    domain = get_object_or_404(OrganisationDomain, pk=pk, organisation=organisation)
    if request.method == "POST":
        services.organisation_domain_remove(domain=domain, actor=request.user, request=request)
        messages.success(request, f"{domain.domain} was removed.")
        return redirect("organisations:manage_domains", slug=organisation.slug)
    return render(
        request,
        "organisations/confirm.html",
        _manage_context(
            organisation,
            "domains",
            title=f"Remove {domain.domain}",
            question=f"Stop affiliating people who verify an address at {domain.domain}? "
            "People already affiliated stay members.",
            button="Remove the domain",
            danger=True,
            cancel_url=reverse("organisations:manage_domains", args=[organisation.slug]),
        ),
    )
