"""E-mailed, single-use, expiring invitations. Only a SHA-256 of each token is stored: the
link in the e-mail is the one place the token exists, so a database leak invites nobody."""

import hashlib
import logging
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.audit.services import audit_record
from apps.core.public_url import public_url
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Invitation,
    Organisation,
)

INVITATION_VALID_DAYS = 14
logger = logging.getLogger(__name__)


class InvitationError(ValidationError):
    """Why an invitation link cannot be used; `code` is one of the class constants."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    WRONG_ACCOUNT = "wrong_account"
    ORGANISATION_UNAVAILABLE = "organisation_unavailable"


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str, request=None) -> str:
    """The absolute link for the e-mail, on the site's public URL (whatever host the admin
    reached us by: behind a proxy that may be an internal name)."""
    return public_url(reverse("organisations:invitation_accept", args=[token]))


@transaction.atomic
def invitation_create(
    *,
    organisation: Organisation,
    actor,
    email: str,
    role: str = AffiliationRole.MEMBER,
    request=None,
) -> tuple[Invitation, str]:
    """Invite `email`; returns the invitation and the token (never stored: only its hash).

    An earlier open invitation to the same address is revoked, so one link works at a time.
    The e-mail is sent after commit; an existing account also gets an in-app notification.
    """
    email = email.strip().lower()
    if not organisation.is_approved:
        raise ValidationError(f"{organisation.name} must be approved before it can invite people.")
    if _is_current_member(organisation, email):
        raise ValidationError({"email": f"{email} is already a member of {organisation.name}."})
    _revoke_open_for(organisation, email, actor=actor, request=request)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_VALID_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        actor=actor,
        action="invitation.create",
        target=invitation,
        request=request,
        organisation_id=organisation.pk,
        to_state="open",
        details={"email": email, "role": role},
    )
    _notify_invitee(invitation, token, request)
    return invitation, token


def _is_current_member(organisation: Organisation, email: str) -> bool:
    return (
        Affiliation.objects.current()
        .filter(organisation=organisation, user__email__iexact=email)
        .exists()
    )


def _revoke_open_for(organisation: Organisation, email: str, *, actor, request) -> None:
    for earlier in Invitation.objects.open().filter(organisation=organisation, email=email):
        _revoke(earlier, actor=actor, request=request, reason="Replaced by a new invitation")


def _notify_invitee(invitation: Invitation, token: str, request) -> None:
    url = invitation_url(token, request)
    context = {"invitation": invitation, "url": url, "days": INVITATION_VALID_DAYS}
    subject = (
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Join {invitation.organisation.name} on Stratum"
    )
    body = render_to_string("organisations/email/invitation.txt", context)
    transaction.on_commit(lambda: _send(subject, body, invitation.email))
    existing = get_user_model().objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        # The in-app record links to "my organisations", never to the token itself.
        notification_emit(
            event_type=EventType.INVITATION,
            recipients=[existing],
            subject=f"You are invited to join {invitation.organisation.name}",
            body="Open the link in the invitation e-mail to accept.",
            url=reverse("organisations:mine"),
            target=invitation.organisation,
        )


def _send(subject: str, body: str, address: str) -> None:
    """Runs after commit. The invitation already exists, so a mail-server failure must not
    turn the admin's page into an error: it is logged, and the admin can send a new one.
    (Not a Celery task on purpose: the token would sit in the broker in clear.)"""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception:
        logger.exception("Could not e-mail an invitation to %s", address)


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link points at, whatever its state; InvitationError if there is none."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationError(
            "This invitation link is not valid. Check that you copied the whole link, "
            "or ask the organisation's admin for a new invitation.",
            code=InvitationError.INVALID,
        )
    return invitation


def _day(moment) -> str:
    return date_format(timezone.localtime(moment))


def invitation_problem(invitation: Invitation, user=None) -> InvitationError | None:
    """Why `user` cannot accept `invitation` now, or None when they can."""
    admin_hint = "Ask the organisation's admin to invite you again."
    if invitation.accepted_at is not None:
        return InvitationError(
            f"This invitation was already used on {_day(invitation.accepted_at)}. "
            "Each invitation link works once.",
            code=InvitationError.USED,
        )
    if invitation.revoked_at is not None:
        return InvitationError(
            f"This invitation was withdrawn by {invitation.organisation.name}. {admin_hint}",
            code=InvitationError.REVOKED,
        )
    if invitation.expires_at <= timezone.now():
        return InvitationError(
            f"This invitation expired on {_day(invitation.expires_at)}. {admin_hint}",
            code=InvitationError.EXPIRED,
        )
    if not invitation.organisation.is_approved:
        return InvitationError(
            f"{invitation.organisation.name} is not accepting members at the moment.",
            code=InvitationError.ORGANISATION_UNAVAILABLE,
        )
    if user is not None and user.is_authenticated and not _owns_address(user, invitation.email):
        return InvitationError(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            f"Sign out, then sign in or create an account with {invitation.email}.",
            code=InvitationError.WRONG_ACCOUNT,
        )
    return None


def _owns_address(user, email: str) -> bool:
    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, token: str, user, request=None) -> Affiliation:
    """Use the invitation a link points at, once: the row is locked, so two clicks cannot both
    succeed. Raises InvitationError saying why when it cannot be used."""
    return _accept(invitation_for_token(token), user, request=request, via="link")


@transaction.atomic
def invitation_accept_as_addressee(*, invitation: Invitation, user, request=None) -> Affiliation:
    """Accept from "My organisations": a verified address of the person's proves that the
    invitation is theirs just as the e-mailed link does."""
    return _accept(invitation, user, request=request, via="my_organisations")


def _accept(found: Invitation, user, *, request, via: str) -> Affiliation:
    invitation = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=found.pk)
    )
    problem = invitation_problem(invitation, user)
    if problem is not None:
        raise problem
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(
        actor=user,
        action="invitation.accept",
        target=invitation,
        request=request,
        organisation_id=invitation.organisation_id,
        from_state="open",
        to_state="accepted",
        details={"via": via},
    )
    from apps.organisations.services.affiliations import affiliation_create

    return affiliation_create(
        user=user,
        organisation=invitation.organisation,
        role=invitation.role,
        actor=user,
        source="invitation",
        request=request,
    )


def _revoke(invitation: Invitation, *, actor, request, reason: str = "") -> Invitation:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=actor,
        action="invitation.revoke",
        target=invitation,
        request=request,
        organisation_id=invitation.organisation_id,
        from_state="open",
        to_state="revoked",
        reason=reason,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor, request=None) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != "open":
        raise ValidationError(f"This invitation is already {locked.state}.")
    return _revoke(locked, actor=actor, request=request)
