"""GA4GH Passport endpoints (#18): the published keys, and the signed-in person's visas."""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.access.models import AccessGrant
from apps.access.policy import visible
from apps.access.visas import jwks, visa_for
from apps.audit.services import audit_record

LIVE_GRANT_QS = AccessGrant.objects.select_related("dataset", "dataset__project")


@require_GET
def jwks_view(request):
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def passport_view(request):
    """`{"ga4gh_passport_v1": [visa, …]}`: one visa per grant that is live right now (active
    and inside its dates — the same test the download check makes)."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": "Sign in to fetch your passport."}, status=401)
    now = timezone.now()
    grants = list(
        visible(user, LIVE_GRANT_QS)
        .filter(user_id=user.pk, status="active", valid_from__lte=now, valid_until__gt=now)
        .order_by("valid_from")
    )
    visas = [visa_for(grant, now=now) for grant in grants]
    if grants:
        audit_record(
            actor=user,
            action="ga4gh.passport.issue",
            target=user,
            request=request,
            details={"grants": [str(g.pk) for g in grants]},
        )
    response = JsonResponse({"ga4gh_passport_v1": visas})
    response["Cache-Control"] = "no-store"
    return response
