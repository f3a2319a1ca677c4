"""A person's own organisations: proposing one, joining, leaving, accepting invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.organisations import selectors, services
from apps.organisations.forms import JoinRequestForm, OrganisationProposeForm
from apps.organisations.models import Affiliation, JoinRequest
from apps.organisations.selectors import organisation_get_for_user
from apps.organisations.views.common import (
    GET_POST,
    form_data,
    form_errors,
)

# --- A person's own organisations -----------------------------------------------------------


@login_required
@GET_POST
def propose(request):
    form = OrganisationProposeForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_propose(
                proposer=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request,
                f"Thank you: {organisation.name} is awaiting approval by portal staff. "
                "You will be its first admin.",
            )
            return redirect("organisations:profile", slug=organisation.slug)
    return render(request, "organisations/propose.html", {"form": form})


@login_required
def mine(request):
    context = {
        "invitations": selectors.invitations_for_user(request.user),
        "affiliations": selectors.my_affiliations(request.user),
        "join_requests": selectors.my_join_requests(request.user),
    }
    return render(request, "organisations/mine.html", context)


@login_required
@GET_POST
def join(request, slug):
    organisation = organisation_get_for_user(request.user, slug)
    form = JoinRequestForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.join_request_create(
                user=request.user, organisation=organisation, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, f"Your request to join {organisation.name} was sent.")
            return redirect("organisations:mine")
    return render(request, "organisations/join.html", {"organisation": organisation, "form": form})


@login_required
@require_POST
def join_withdraw(request, slug, pk):
    organisation = organisation_get_for_user(request.user, slug)
    join_request = get_object_or_404(
        JoinRequest, pk=pk, organisation=organisation, user=request.user
    )
    try:
        services.join_request_withdraw(
            join_request=join_request, user=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You withdrew your request to join {organisation.name}.")
    return redirect("organisations:mine")


@login_required
@GET_POST
def leave(request, slug):
    organisation = organisation_get_for_user(request.user, slug)
    affiliation = get_object_or_404(
        Affiliation.objects.current(), organisation=organisation, user=request.user
    )
    if request.method == "POST":
        try:
            services.affiliation_end(affiliation=affiliation, actor=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("organisations:mine")
        messages.success(request, f"You left {organisation.name}.")
        return redirect("organisations:mine")
    return render(
        request,
        "organisations/confirm.html",
        {
            "organisation": organisation,
            "title": f"Leave {organisation.name}",
            "question": f"Leave {organisation.name}? You lose the access that came through it, "
            "including access granted to datasets.",
            "button": "Leave the organisation",
            "danger": True,
            "cancel_url": reverse("organisations:mine"),
        },
    )


# --- Invitations ----------------------------------------------------------------------------


@login_required
@require_POST
def invitation_accept_mine(request, pk):
    invitation = get_object_or_404(selectors.invitations_for_user(request.user), pk=pk)
    try:
        services.invitation_accept_as_addressee(
            invitation=invitation, user=request.user, request=request
        )
    except services.InvitationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("organisations:mine")
    messages.success(request, f"Welcome to {invitation.organisation.name}.")
    return redirect("organisations:profile", slug=invitation.organisation.slug)


@GET_POST
def invitation_accept(request, token):
    """Shows what the link is for and why it cannot be used; accepting needs a signed-in
    person whose address the invitation names."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationError as error:
        return _invitation_error(request, error, None)
    problem = services.invitation_problem(invitation, request.user)
    if problem is not None:
        return _invitation_error(request, problem, invitation)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(token=token, user=request.user, request=request)
        except services.InvitationError as error:
            return _invitation_error(request, error, invitation)
        messages.success(request, f"Welcome to {invitation.organisation.name}.")
        return redirect("organisations:profile", slug=invitation.organisation.slug)
    return render(request, "organisations/invitation_accept.html", {"invitation": invitation})


# Gone for links that worked once; 403 for the wrong account; 404 for links that never did.
INVITATION_ERROR_STATUS = {"expired": 410, "used": 410, "revoked": 410, "wrong_account": 403}


def _invitation_error(request, error, invitation):
    context = {"error": error, "code": error.code, "invitation": invitation}
    status = INVITATION_ERROR_STATUS.get(error.code, 404)
    return render(request, "organisations/invitation_error.html", context, status=status)
