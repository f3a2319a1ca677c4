from django.conf import settings
from django.db import models

from apps.core.models import BaseModel


class UserSession(BaseModel):
    """One signed-in browser session, so that a person can see where they are signed in and
    end every session at once ("sign out everywhere"), and so that a sign-in from a browser we
    have not seen before can be announced by e-mail.

    The row's id is kept inside the session itself: the session key changes on sign-in and on
    password change, the row does not.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    session_key = models.CharField(max_length=40, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="security_session_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} on {self.user_agent[:60] or 'an unknown browser'}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
