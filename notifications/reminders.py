"""Reminding a person through their own notification rules, outside any escalation.

The one way Vigil nudges a single person about something that is not a page: an overdue status
update (the incident's commander), a resolved incident (its acknowledger and followers), a
major-incident call-out, an overdue postmortem action item, an on-call readiness gap. The
person's rules for the urgency decide the contact methods and delays, and the deliveries go
through the paging engine (notifications/delivery.py): claimed by one worker, retried with
backoff, and a failure brings the person's next rule forward.
"""
import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.celery import send_after_commit
from oncall.models import NotificationRule

from .channels import ChannelNotConfigured, DeliveryError, channel_for
from .channels.base import Message
from .channels.twilio_sms import shorten_for_sms
from .models import Delivery, Reminder

log = logging.getLogger(__name__)
SMS_LIMIT = 306  # two concatenated GSM-7 segments


def person_remind(
    *, user: User, subject: str, text: str, dedup_key: str, link: str = "", urgency: str = "low",
    email_if_no_rule: bool = False, now: datetime | None = None,
) -> Reminder | None:
    """Remind `user` through their notification rules for `urgency` ("low" or "high").

    Contract:
    - `dedup_key` names the occasion, and one occasion reminds once, ever: a second call with the
      same key (a beat task running every minute, a retried task, two workers at once) sends
      nothing and returns None. To remind again later, put the window in the key, e.g.
      f"status-update-due:{incident.pk}:{due_at:%Y%m%dT%H%M}". Keys are at most 200 characters.
    - Returns the new Reminder, with one Delivery per usable rule (verified, enabled contact
      method), each due after its rule's delay; they are enqueued after commit and found by the
      sweep if that message is lost. A person with no usable rule for the urgency gets a
      Reminder with no deliveries (the occasion still counts as reminded), and, with
      `email_if_no_rule`, one email to their account's address instead (task
      "notifications.reminder_email", at most once): right for news a stakeholder asked for,
      wrong for anything that must wake someone.
    - `subject` heads an email; `text` is the message itself, plain text, with `link` (an
      absolute URL to act on) appended on its own line. Nothing here writes to an incident's
      timeline: callers say what they reminded whom about where it belongs.
    - Safe inside the caller's transaction; nothing is sent before it commits.
    """
    now = now or timezone.now()
    if urgency not in NotificationRule.Urgency.values:
        raise ValueError(f"urgency must be one of {NotificationRule.Urgency.values}, not {urgency!r}")
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                user=user, dedup_key=dedup_key[:200], urgency=urgency, subject=subject[:255], text=text,
                link=link[:500], created_at=now)
    except IntegrityError:
        return None  # reminded already for this occasion
    rules = NotificationRule.objects.filter(
        user_id=user.pk, urgency=urgency, contact_method__verified_at__isnull=False,
        contact_method__disabled_at__isnull=True,
    ).select_related("contact_method").order_by("delay_minutes", "id")
    deliveries = Delivery.objects.bulk_create([
        Delivery(reminder=reminder, contact_method=rule.contact_method, rule=rule, kind=rule.contact_method.kind,
                 due_at=now + timedelta(minutes=rule.delay_minutes))
        for rule in rules
    ])
    for delivery in deliveries:
        send_after_commit("notifications.deliver", args=[delivery.pk],
                          countdown=max(0.0, (delivery.due_at - timezone.now()).total_seconds()))
    if not deliveries and email_if_no_rule and user.email:
        send_after_commit("notifications.reminder_email", args=[reminder.pk])
    return reminder


def reminder_email_send(*, reminder_id: int) -> bool:
    """Email a reminder to its person's account address, once: claimed before the send, released
    again (and DeliveryError raised, for the task to retry) if the mail server failed for now."""
    claimed = Reminder.objects.filter(pk=reminder_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("user").get(pk=reminder_id)
    try:
        channel = channel_for("email")
    except ChannelNotConfigured:
        log.warning("reminder %s: email is not configured; %s was not reminded", reminder.pk, reminder.user_id)
        return False
    message = Message(user=reminder.user, kind="email", to=reminder.user.email,
                      subject=f"[Vigil] {reminder.subject}"[:255],
                      text=f"{reminder.text}\n{reminder.link}" if reminder.link else reminder.text)
    try:
        channel.send(message)
    except DeliveryError as e:
        if not e.permanent:
            Reminder.objects.filter(pk=reminder.pk).update(emailed_at=None)
            raise
        log.warning("reminder %s: the address was refused: %s", reminder.pk, e.message)
        return False
    return True


def reminder_message(delivery: Delivery) -> Message:
    """What a reminder's delivery says: its own words, whatever the contact method."""
    reminder = delivery.reminder
    text = reminder.text
    if delivery.kind == "sms":
        # Two segments at most, a reminder is not worth more; the words give way, not the link.
        text = shorten_for_sms(text, limit=max(40, SMS_LIMIT - len(reminder.link) - 1))
    text = f"{text}\n{reminder.link}" if reminder.link else text
    return Message(user=reminder.user, kind=delivery.kind, to=delivery.contact_method.value,
                   subject=f"[Vigil] {reminder.subject}"[:255], text=text)
