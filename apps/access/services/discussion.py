"""Discussion on a request (#18): the committee's own thread and the thread with the requester.
Each post is audited (who, which thread; the text stays in the thread, not in the audit log)
and notifies the thread's other participants; `notification_emit` asks the policy who may see
the message, so a committee-only message never reaches the requester or a conflicted member."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.access.exceptions import NotAllowed
from apps.access.models import RequestMessage, Thread
from apps.access.policy import can
from apps.access.policy.committee_work import DISCUSS_COMMITTEE, DISCUSS_REQUESTER
from apps.access.selectors import request_deciders
from apps.access.services.request_base import lock_request, request_audit, request_url
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit

THREAD_ACTIONS = {Thread.COMMITTEE: DISCUSS_COMMITTEE, Thread.REQUESTER: DISCUSS_REQUESTER}
MAX_MESSAGE_LENGTH = 10_000


@transaction.atomic
def request_message_post(
    *, access_request, actor, thread: str, body: str, request=None
) -> RequestMessage:
    if thread not in THREAD_ACTIONS:
        raise ValidationError({"thread": "Choose a thread."})
    locked = lock_request(access_request)
    if not can(actor, THREAD_ACTIONS[thread], locked):
        raise NotAllowed("You cannot post in this discussion.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError({"body": f"Keep a message under {MAX_MESSAGE_LENGTH:,} characters."})
    message = RequestMessage(request=locked, thread=thread, author=actor, body=body)
    message.full_clean()
    message.save()
    request_audit(
        locked,
        actor=actor,
        action=f"request.message.{thread}",
        request=request,
        from_state=locked.status,
        details={"message": str(message.pk), "thread": thread},
    )
    recipients = list(request_deciders(locked))
    if thread == Thread.REQUESTER:
        recipients.append(locked.requester)
    where = "the committee's discussion" if thread == Thread.COMMITTEE else "a question thread"
    notification_emit(
        event_type=EventType.REQUEST_MESSAGE,
        recipients=[u for u in recipients if u.pk != actor.pk],
        subject=f"New message in {where} about access to {locked.dataset.title}",
        body=body if thread == Thread.REQUESTER else "",
        url=request_url(locked) + f"#thread-{thread}",
        target=message,
        project=locked.dataset.project,
    )
    return message
