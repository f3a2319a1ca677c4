"""Receivers: sign-in audit and session records, MFA audit, e-mail on token creation."""

from allauth.mfa import signals as mfa_signals
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.accounts.models import ApiToken
from apps.audit.services import audit_record
from apps.security import services


@receiver(user_logged_in, dispatch_uid="security.signin_succeeded")
def on_signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.user_session_start(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="security.signin_failed")
def on_signin_failed(sender, credentials, request=None, **kwargs):
    login = credentials.get("email") or credentials.get("username") or ""
    user = get_user_model().objects.filter(email__iexact=login.strip()).first() if login else None
    services.signin_failed_record(login=login, user=user, request=request)


def _mfa_audit(action: str, request, user, authenticator, **details):
    audit_record(
        actor=user,
        action=action,
        target=user,
        request=request,
        details={"type": authenticator.type, **details},
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="security.mfa_added")
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    _mfa_audit("mfa.add", request, user, authenticator)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="security.mfa_removed")
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    _mfa_audit("mfa.remove", request, user, authenticator)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="security.mfa_reset")
def on_mfa_reset(sender, request, user, authenticator, **kwargs):
    _mfa_audit("mfa.regenerate", request, user, authenticator)


@receiver(mfa_signals.authenticator_used, dispatch_uid="security.mfa_used")
def on_mfa_used(sender, request, user, authenticator, **kwargs):
    _mfa_audit(
        "mfa.use",
        request,
        user,
        authenticator,
        reauthenticated=bool(kwargs.get("reauthenticated")),
    )


@receiver(post_save, sender=ApiToken, dispatch_uid="security.token_created_email")
def on_token_created(sender, instance, created, **kwargs):
    if not created:
        return
    person = instance.created_by or instance.user
    services.token_created_notify(token=instance, person=person)


@receiver(post_save, sender=LogEntry, dispatch_uid="security.admin_action_audit")
def on_admin_action(sender, instance, created, **kwargs):
    if created:
        services.admin_action_record(log_entry=instance)
