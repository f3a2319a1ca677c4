"""Organisation pages: directory, profile, proposal, joining, management and the staff console.

Every organisation is reached through `apps.organisations.permissions`; rows belonging to one
(affiliations, invitations, join requests, domains) are looked up inside that organisation, so
an id from another organisation is simply not found.
"""

import mimetypes
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apps.organisations import selectors, services
from apps.organisations.forms import (
    DomainForm,
    ImportForm,
    InvitationForm,
    JoinRequestForm,
    OptionalReasonForm,
    OrganisationProfileForm,
    OrganisationProposeForm,
    ReasonForm,
)
from apps.organisations.models import (
    Affiliation,
    JoinRequest,
    OrganisationDomain,
    OrganisationKind,
    OrganisationStatus,
)
from apps.organisations.permissions import (
    can_manage,
    can_see_members,
    organisation_get_for_admin,
    organisation_get_for_user,
)

PAGE_SIZE = 25
STAFF_QUEUE_SHOWN = 50
GET_POST = require_http_methods(["GET", "POST"])


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.is_active):
            raise PermissionDenied("Only portal staff can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def _form_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _data(request):
    """Bind forms on every POST, even an empty one (`request.POST or None` would not)."""
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- Public pages ---------------------------------------------------------------------------


def directory(request):
    params = {key: request.GET.get(key, "").strip() for key in ("q", "kind", "country", "sort")}
    organisations = selectors.directory_organisations(request.user, **params)
    context = {
        "page_obj": _page(request, organisations),
        "params": params,
        "kinds": OrganisationKind.choices,
        "countries": selectors.directory_countries(),
    }
    return render(request, "organisations/directory.html", context)


def profile(request, slug):
    organisation = organisation_get_for_user(request.user, slug)
    show_members = can_see_members(request.user, organisation)
    context = {
        "organisation": organisation,
        "domains": organisation.domains.all(),
        "projects": selectors.organisation_projects(request.user, organisation),
        "members": selectors.organisation_members(organisation) if show_members else None,
        "can_manage": can_manage(request.user, organisation),
        **selectors.my_standing(request.user, organisation),
    }
    return render(request, "organisations/profile.html", context)


def logo(request, slug):
    """The logo through the same visibility rule as the profile, whatever the storage backend."""
    organisation = organisation_get_for_user(request.user, slug)
    if not organisation.logo:
        raise Http404("No logo.")
    content_type = mimetypes.guess_type(organisation.logo.name)[0] or "application/octet-stream"
    response = FileResponse(organisation.logo.open("rb"), content_type=content_type)
    public = organisation.is_approved
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response


# --- A person's own organisations -----------------------------------------------------------


@login_required
@GET_POST
def propose(request):
    form = OrganisationProposeForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_propose(
                proposer=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
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
    form = JoinRequestForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.join_request_create(
                user=request.user, organisation=organisation, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
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


# --- Organisation admins --------------------------------------------------------------------


def _manage_context(organisation, tab: str, **extra) -> dict:
    return {"organisation": organisation, "tab": tab, **extra}


@login_required
@GET_POST
def manage_profile(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    form = OrganisationProfileForm(_data(request), _files(request), instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.organisation_update(
                organisation=organisation, actor=request.user, data=data, request=request
            )
        except ValidationError as error:
            _form_errors(form, error)
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
        _manage_context(organisation, "members", page_obj=_page(request, members)),
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
    form = InvitationForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                organisation=organisation, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"An invitation was e-mailed to {invitation.email}.")
            return redirect("organisations:manage_invitations", slug=organisation.slug)
    invitations = selectors.organisation_invitations(organisation)
    return render(
        request,
        "organisations/manage_invitations.html",
        _manage_context(
            organisation, "invitations", form=form, page_obj=_page(request, invitations)
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
        _manage_context(organisation, "join_requests", page_obj=_page(request, join_requests)),
    )


@login_required
@GET_POST
def join_request_decide(request, slug, pk, decision):
    organisation = organisation_get_for_admin(request.user, slug)
    if decision not in ("approve", "reject"):
        raise Http404
    join_request = get_object_or_404(selectors.organisation_join_requests(organisation), pk=pk)
    form = OptionalReasonForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            if decision == "approve":
                services.join_request_approve(
                    join_request=join_request, actor=request.user, request=request
                )
            else:
                services.join_request_reject(
                    join_request=join_request,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            verb = "approved" if decision == "approve" else "declined"
            messages.success(request, f"{join_request.user.display_name}'s request was {verb}.")
        return redirect("organisations:manage_join_requests", slug=organisation.slug)
    name = join_request.user.display_name
    return render(
        request,
        "organisations/confirm.html",
        _manage_context(
            organisation,
            "join_requests",
            form=form if decision == "reject" else None,
            title=f"{'Approve' if decision == 'approve' else 'Decline'} {name}'s request",
            question=f"{'Add' if decision == 'approve' else 'Decline'} {name} "
            f"({join_request.user.email}) {'to' if decision == 'approve' else 'for'} "
            f"{organisation.name}?",
            button="Approve" if decision == "approve" else "Decline",
            danger=decision == "reject",
            cancel_url=reverse("organisations:manage_join_requests", args=[organisation.slug]),
        ),
    )


@login_required
@GET_POST
def manage_domains(request, slug):
    organisation = organisation_get_for_admin(request.user, slug)
    form = DomainForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_domain_add(
                organisation=organisation,
                actor=request.user,
                domain=form.cleaned_data["domain"],
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
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


# --- Portal staff ---------------------------------------------------------------------------


@staff_required
def staff_console(request):
    params = {key: request.GET.get(key, "").strip() for key in ("q", "status", "sort")}
    queue = selectors.staff_queue()
    context = {
        # The queue comes first but stays short; the full list below filters by status.
        "queue": queue[:STAFF_QUEUE_SHOWN],
        "queue_count": queue.count(),
        "page_obj": _page(request, selectors.staff_organisations(**params)),
        "params": params,
        "statuses": OrganisationStatus.choices,
    }
    return render(request, "organisations/staff_console.html", context)


STAFF_DECISIONS = {
    "approve": (services.organisation_approve, None, "Approve", "{name} is approved."),
    "reject": (services.organisation_reject, ReasonForm, "Reject", "{name} was rejected."),
    "suspend": (
        services.organisation_suspend,
        ReasonForm,
        "Suspend",
        "{name} is suspended; its people's access through it has stopped.",
    ),
    "reinstate": (
        services.organisation_reinstate,
        OptionalReasonForm,
        "Reinstate",
        "{name} is approved again.",
    ),
}


@staff_required
@GET_POST
def staff_decide(request, slug, decision):
    organisation = organisation_get_for_user(request.user, slug)
    if decision not in STAFF_DECISIONS:
        raise Http404
    service, form_class, verb, done = STAFF_DECISIONS[decision]
    form = form_class(_data(request)) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        kwargs = {"reason": form.cleaned_data["reason"]} if form else {}
        try:
            service(organisation=organisation, actor=request.user, request=request, **kwargs)
        except ValidationError as error:
            if form is None or not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("organisations:staff_console")
            _form_errors(form, error)
        else:
            messages.success(request, done.format(name=organisation.name))
            return redirect("organisations:staff_console")
    return render(
        request,
        "organisations/staff_decide.html",
        {"organisation": organisation, "form": form, "verb": verb, "decision": decision},
    )


@staff_required
@GET_POST
def staff_import(request):
    form = ImportForm(_data(request), _files(request))
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.organisations_import(
            text=form.cleaned_data["file"],
            actor=request.user,
            dry_run=form.cleaned_data["dry_run"],
            request=request,
        )
        if report.written:
            messages.success(
                request,
                f"Imported: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged.",
            )
            return redirect("organisations:staff_console")
    return render(request, "organisations/staff_import.html", {"form": form, "report": report})
