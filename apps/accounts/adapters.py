from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.core.public_url import public_url

# The links allauth puts in its e-mails' context (confirmation, password reset, sign-up).
EMAIL_LINK_KEYS = ("activate_url", "password_reset_url", "signup_url")


class AccountAdapter(DefaultAccountAdapter):
    """allauth's behaviour with Stratum's wording, and a plain answer for a taken address."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_taken": (
            "An account already uses this e-mail address. Sign in instead, or reset your "
            "password if you have forgotten it."
        ),
    }

    def is_open_for_signup(self, request) -> bool:
        return True

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth builds its links from the request's host; e-mails carry the public URL.
        for key in EMAIL_LINK_KEYS:
            if context.get(key):
                context[key] = public_url(context[key])
        super().send_mail(template_prefix, email, context)

    def save_user(self, request, user, form, commit=True):
        # allauth stores the names; the optional ORCID iD (validated by the form) is ours.
        user = super().save_user(request, user, form, commit=False)
        user.orcid = form.cleaned_data.get("orcid") or ""
        if commit:
            user.save()
        return user

    def validate_unique_email(self, email: str) -> str:
        # ACCOUNT_PREVENT_ENUMERATION stays on for sign-in and password reset, but sign-up and
        # "add an e-mail address" say plainly that an address is taken (issue 2, acceptance 5):
        # a person who already has an account is told to sign in instead of waiting for an
        # e-mail. Sign-up is rate-limited per IP, which bounds what this reveals.
        taken = (
            EmailAddress.objects.filter(email__iexact=email).exists()
            or get_user_model().objects.filter(email__iexact=email).exists()
        )
        if taken:
            raise self.validation_error("email_taken")
        return email

    def pre_authenticate(self, request, **credentials) -> None:
        # allauth re-renders the form when the failed-sign-in limit (ACCOUNT_RATE_LIMITS
        # "login_failed": 5 per account per 5 minutes) is reached; the sixth try answers
        # 429 with the friendly page instead, so clients and monitoring see a rate limit.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            raise ImmediateHttpResponse(respond_429(request)) from None
