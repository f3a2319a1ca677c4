"""Partner organisations: the coordinator's partners page, and the organisation admin's
invitations (accept / decline) and leaving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.access.policy import Action, can, get_for_user, visible
from apps.organisations.models import Organisation
from apps.projects import selectors
from apps.projects.forms import PartnerInviteForm, ReasonForm, apply_service_errors
from apps.projects.models import Partner, PartnerStatus
from apps.projects.services import partner_accept, partner_decline, partner_invite, partner_leave
from apps.projects.views.common import done, insider_projects, posted, project_for_manager


@login_required
def partners(request, slug):
    project = project_for_manager(request, slug)
    form = PartnerInviteForm(
        posted(request), organisations=selectors.invitable_organisations(project)
    )
    if request.method == "POST":
        # Any organisation may be named in the POST; the service explains why it cannot be
        # invited (not approved, already a partner) instead of a bare "invalid choice".
        form.fields["organisation"].queryset = _any_organisation()
        if form.is_valid():
            try:
                partner = partner_invite(
                    actor=request.user, project=project, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return done(request, f"{partner.organisation.name} is invited.", request.path)
        form.fields["organisation"].queryset = selectors.invitable_organisations(project)
    context = {
        "project": project,
        "form": form,
        "partners": selectors.project_partners(request.user, project),
    }
    status = 400 if form.errors else 200
    return render(request, "projects/partners.html", context, status=status)


def _any_organisation():
    return Organisation.objects.all()


@login_required
def invitations(request):
    context = {"invitations": selectors.invitations_for_admin(request.user)}
    return render(request, "projects/invitations.html", context)


@login_required
@require_POST
def invitation_answer(request, pk, answer):
    if answer not in ("accept", "decline"):
        raise Http404("No such answer")
    partner = get_for_user(
        request.user,
        Partner.objects.filter(status=PartnerStatus.INVITED).select_related(
            "project", "organisation"
        ),
        pk=pk,
        action=Action.MANAGE,
    )
    service = partner_accept if answer == "accept" else partner_decline
    try:
        service(actor=request.user, partner=partner, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("projects:invitations")
    verb = "joined" if answer == "accept" else "declined to join"
    return done(
        request,
        f"{partner.organisation.name} {verb} {partner.project.acronym}.",
        partner.project.get_absolute_url() if answer == "accept" else "/projects/invitations/",
    )


@login_required
def partner_leave_view(request, slug, pk):
    """A coordinator removes a partner or withdraws an invitation; an organisation admin takes
    their organisation out. Confirmation page on GET, the change on POST."""
    project = get_for_user(request.user, insider_projects(request.user), slug=slug)
    partner = get_for_user(
        request.user,
        visible(request.user, project.partners.select_related("organisation")),
        pk=pk,
    )
    if not (can(request.user, Action.MANAGE, partner) or can(request.user, Action.MANAGE, project)):
        raise PermissionDenied
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            partner_leave(
                actor=request.user,
                partner=partner,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(
                request,
                f"{partner.organisation.name} is no longer part of {project.acronym}.",
                project.get_absolute_url(),
            )
    context = {"project": project, "partner": partner, "form": form}
    status = 400 if form.errors else 200
    return render(request, "projects/partner_leave.html", context, status=status)
