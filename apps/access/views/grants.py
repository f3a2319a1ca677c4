"""Grants: the holder's page, revoke / suspend / reinstate, renewal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.access import selectors, services
from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.forms import (
    GrantActionForm,
    apply_service_errors,
)
from apps.access.forms_committee import RenewalForm
from apps.access.models import (
    AccessGrant,
    RequestStatus,
)
from apps.access.policy import Action, can, get_for_user, visible

# --- Grants -----------------------------------------------------------------------------------
GRANT_QS = AccessGrant.objects.select_related(
    "dataset", "dataset__project", "user", "organisation", "request", "policy", "status_changed_by"
)


@login_required
def grant_detail(request, pk):
    grant = get_for_user(request.user, GRANT_QS, pk=pk)
    return render(
        request,
        "access/grant_detail.html",
        {
            "grant": grant,
            "is_live": selectors.grant_is_live(grant),
            "can_manage": can(request.user, Action.MANAGE, grant),
            "is_holder": grant.user_id == request.user.pk,
            "renewal": visible(
                request.user, grant.renewals.exclude(status=RequestStatus.WITHDRAWN)
            ).first(),
            "policy_lines": selectors.policy_lines(grant.policy),
            "obligations": selectors.grant_obligations(grant),
            "revoke_form": GrantActionForm(initial={"action": GrantActionForm.REVOKE}),
            "suspend_form": GrantActionForm(initial={"action": GrantActionForm.SUSPEND}),
            "reinstate_form": GrantActionForm(initial={"action": GrantActionForm.REINSTATE}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def grant_manage(request, pk):
    """GET: a confirmation page for one change (?action=revoke|suspend|reinstate); POST: do it.
    The grant page posts here directly; an invalid form re-renders this page with its errors."""
    grant = get_for_user(request.user, GRANT_QS, action=Action.MANAGE, pk=pk)
    wanted = request.GET.get("action", GrantActionForm.REVOKE)
    form = GrantActionForm(request.POST or None, initial={"action": wanted})
    url = reverse("access:grant_detail", kwargs={"pk": pk})
    if request.method == "POST" and form.is_valid():
        service = {
            GrantActionForm.REVOKE: services.grant_revoke,
            GrantActionForm.SUSPEND: services.grant_suspend,
            GrantActionForm.REINSTATE: services.grant_reinstate,
        }[form.cleaned_data["action"]]
        try:
            service(
                grant=grant, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except (ValidationError, TransitionError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return HttpResponseRedirect(url)
        messages.success(request, "The grant was updated.")
        return HttpResponseRedirect(url)
    action = form.data.get("action", wanted) if form.is_bound else wanted
    return render(
        request,
        "access/grant_manage.html",
        {"grant": grant, "form": form, "action": action},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def grant_renew(request, pk):
    """The holder's renewal: a short report, then a request the committee decides; approval
    extends this same grant. The 30- and 7-day notices link here."""
    grant = get_for_user(request.user, GRANT_QS, pk=pk)
    existing = visible(request.user, grant.renewals.exclude(status=RequestStatus.WITHDRAWN)).first()
    if existing is not None and existing.is_open:
        return redirect("access:request_detail", pk=existing.pk)
    form = RenewalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.access_request_renew(
                grant=grant, actor=request.user, report=form.cleaned_data["report"], request=request
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                "Your renewal is drafted from your grant's request: check it and submit it.",
            )
            return redirect("access:request_detail", pk=draft.pk)
    return render(
        request,
        "access/grant_renew.html",
        {"grant": grant, "form": form, "is_holder": grant.user_id == request.user.pk},
        status=400 if form.errors else 200,
    )
