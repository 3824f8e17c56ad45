"""Shift ends found every minute, and each one's report emailed once to the outgoing and incoming
on-call people.

Once per (schedule, shift end), across workers and retries: the beat task inserts a HandoffReport
row per end it finds, and the unique constraint lets exactly one insert win, however many beat runs
overlap. The email is then claimed on the row (`sent_at`), as reminder emails are
(notifications/reminders.py): a mail server failing for now releases the claim for the task's
retry, which mails only the people not yet mailed.
"""
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from config.celery import send_after_commit
from oncall.models import Membership, Schedule
from oncall.schedules.maths import schedule_maths

from ..channels import ChannelNotConfigured, DeliveryError, channel_for
from ..channels.base import Message
from ..models import HandoffReport
from .report import ShiftReport, handoff_report
from .shifts import MAX_PERIOD, shift_ends

log = logging.getLogger(__name__)

# How far back a run looks for shift ends. Every minute would do; the margin lets reports catch up
# after beat or the workers were down for up to this long. Older ends go unreported: a hand-off
# mail hours late is noise.
LOOKBACK = timedelta(hours=2)
# An unsent report whose task message was lost is enqueued again after this long.
RESEND_AFTER = timedelta(minutes=2)


def handoff_reports_due(*, now: datetime | None = None) -> list[int]:
    """Record every shift that ended within LOOKBACK (and after its schedule was created) and
    has no report yet, and enqueue the email of each report not sent yet. Returns the new rows' ids."""
    now = now or timezone.now()
    created = []
    # Every schedule over the short window says which had a shift end; only those are then read
    # over the month behind it, for the start of the shift that ended.
    nearby = schedule_maths(Schedule.objects.all(), start=now - LOOKBACK - timedelta(minutes=1),
                            end=now + timedelta(minutes=1))
    ended = [m.schedule.pk for m in nearby if shift_ends(m, after=_after(m.schedule, now), until=now,
                                                         reach=timedelta(minutes=1))]
    for maths in schedule_maths(Schedule.objects.filter(pk__in=ended), start=now - LOOKBACK - MAX_PERIOD,
                                end=now + timedelta(minutes=1)):
        for end in shift_ends(maths, after=_after(maths.schedule, now), until=now):
            try:
                with transaction.atomic():
                    row = HandoffReport.objects.create(
                        schedule=maths.schedule, started_at=end.started_at, ended_at=end.at,
                        outgoing_id=end.outgoing, incoming_id=end.incoming, created_at=now)
            except IntegrityError:
                continue  # another run reported this shift end
            created.append(row.pk)
            send_after_commit("notifications.handoff_report_send", args=[row.pk])
    lost = HandoffReport.objects.filter(sent_at__isnull=True, created_at__gte=now - LOOKBACK,
                                        created_at__lte=now - RESEND_AFTER).values_list("pk", flat=True)
    for pk in lost:
        send_after_commit("notifications.handoff_report_send", args=[pk])
    return created


def _after(schedule: Schedule, now: datetime) -> datetime:
    # A shift that "ended" before its schedule existed (a new layer starting in the past) is no hand-off.
    return max(now - LOOKBACK, schedule.created_at)


def handoff_email(report: ShiftReport, *, row: HandoffReport) -> tuple[str, str, str]:
    """(subject, text, html) of a shift's report."""
    zone = row.schedule.time_zone
    context = {"report": report, "row": row, "zone": zone,
               "url": settings.PUBLIC_URL + reverse("schedule-handoff", args=[row.schedule_id])
               + f"?from={report.start:%Y-%m-%dT%H:%M:%SZ}&to={report.end:%Y-%m-%dT%H:%M:%SZ}"}
    ended = row.ended_at.astimezone(ZoneInfo(zone))
    subject = f"[Vigil] Hand-off: {row.schedule.name}, shift ended {ended:%a %d %b %H:%M}"
    if report.quiet:
        subject += " (quiet shift)"
    text = render_to_string("notifications/handoff/email.txt", context)
    html = render_to_string("notifications/handoff/email.html", context)
    return subject[:255], text, html


def handoff_report_send(*, report_id: int) -> bool:
    """Email one shift's report to its outgoing and incoming on-call people who are still members
    of the schedule's team. Returns whether this call owned the send."""
    claimed = HandoffReport.objects.filter(pk=report_id, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False
    row = HandoffReport.objects.select_related("schedule", "outgoing", "incoming").get(pk=report_id)
    members = set(Membership.objects.filter(team_id=row.schedule.team_id).values_list("user_id", flat=True))
    recipients = [u for u in dict.fromkeys(u for u in (row.outgoing, row.incoming) if u is not None)
                  if u.is_active and u.email and u.pk in members and u.pk not in row.emailed_to]
    if not recipients:
        return True
    try:
        channel = channel_for("email")
    except ChannelNotConfigured:
        log.warning("hand-off report %s: email is not configured; nobody was told", row.pk)
        return True
    report = handoff_report(schedule=row.schedule, start=row.started_at, end=row.ended_at)
    subject, text, html = handoff_email(report, row=row)
    done = list(row.emailed_to)
    for user in recipients:
        try:
            channel.send(Message(user=user, kind="email", to=user.email, subject=subject, text=text, html=html))
        except DeliveryError as e:
            if not e.permanent:
                HandoffReport.objects.filter(pk=row.pk).update(sent_at=None, emailed_to=done)
                raise
            log.warning("hand-off report %s: %s's address was refused: %s", row.pk, user.pk, e.message)
        done.append(user.pk)
    HandoffReport.objects.filter(pk=row.pk).update(emailed_to=done)
    return True
