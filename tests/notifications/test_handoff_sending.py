"""Shift ends found by the beat task and each one's report emailed once (issue 12 §5): a layer's
hand-over and an override both end a shift, a run twice or two at once report once, and the mail
goes to the outgoing and incoming people of the schedule's team."""
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connections

from notifications.channels import DeliveryError
from notifications.channels.email import Email
from notifications.handoff.sending import handoff_report_send, handoff_reports_due
from notifications.models import HandoffReport
from notifications.tasks import handoff_reports
from oncall.models import Membership, Schedule
from tests.factories import LayerFactory, MembershipFactory, OverrideFactory, ScheduleFactory, UserFactory
from tests.notifications.handoff_helpers import incident_at, page_at, rota


def utc(day, hour, minute=0, second=0):
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


# Rota from Sunday 22 March 2026: Bob Friday 27 09:00 → Saturday 28 09:00 Berlin (08:00 UTC), then Alice.
HANDOVER = utc(28, 8)


@pytest.fixture
def r(db, settings):
    settings.EMAIL_ENABLED = True
    world = rota(start_date=date(2026, 3, 22))
    Schedule.objects.filter(pk=world.schedule.pk).update(created_at=utc(1, 0))
    world.schedule.refresh_from_db()
    return world


def rows():
    return list(HandoffReport.objects.order_by("ended_at").values_list(
        "ended_at", "started_at", "outgoing__username", "incoming__username"))


def test_a_layers_hand_over_is_reported_to_the_outgoing_and_incoming_person(r, django_capture_on_commit_callbacks,
                                                                            sent_tasks):
    incident = incident_at(r.service, utc(27, 22), "Ledger lag")
    page_at(incident, r.bob, utc(27, 22, 1))
    with django_capture_on_commit_callbacks(execute=True):
        [report_id] = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
    assert rows() == [(HANDOVER, utc(27, 8), "bob", "alice")]
    assert [t["args"] for t in sent_tasks.named("notifications.handoff_report_send")] == [[report_id]]

    assert handoff_report_send(report_id=report_id)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[Vigil] Hand-off: Payments primary, shift ended Sat 28 Mar 09:00"
    assert "Outgoing: Bob" in message.body and "Incoming: Alice" in message.body
    assert "#1 Ledger lag" in message.body and "Pages: 1 (0 at night" in message.body
    assert f"{django_settings.PUBLIC_URL}/oncall/schedules/{r.schedule.pk}/handoff/?from=" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "<li>#1 Ledger lag (payments-api)" in html


def test_an_override_ends_the_shift_it_cuts_into_and_its_own_end_hands_back(r):
    carol = MembershipFactory(team=r.team, user=UserFactory(username="carol")).user
    OverrideFactory(schedule=r.schedule, user=carol, starts_at=utc(28, 12), ends_at=utc(28, 18))
    handoff_reports_due(now=utc(28, 12, 0, 30))
    handoff_reports_due(now=utc(28, 18, 0, 30))
    assert rows() == [(utc(28, 12), HANDOVER, "alice", "carol"), (utc(28, 18), utc(28, 12), "carol", "alice")]


def test_an_override_by_the_person_already_on_call_ends_no_shift(r):
    OverrideFactory(schedule=r.schedule, user=r.alice, starts_at=utc(28, 12), ends_at=utc(28, 18))
    handoff_reports_due(now=utc(28, 18, 0, 30))
    assert rows() == []


def test_a_shift_end_is_reported_once_however_often_the_beat_task_runs(r, django_capture_on_commit_callbacks,
                                                                       sent_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        first = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
        again = handoff_reports_due(now=HANDOVER + timedelta(seconds=90))
    assert len(first) == 1 and again == [] and len(rows()) == 1
    assert len(sent_tasks.named("notifications.handoff_report_send")) == 1
    assert handoff_report_send(report_id=first[0]) and not handoff_report_send(report_id=first[0])
    assert len(mail.outbox) == 2


def test_a_report_whose_task_message_was_lost_is_enqueued_again(r, django_capture_on_commit_callbacks, sent_tasks):
    [report_id] = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))  # its message never left
    with django_capture_on_commit_callbacks(execute=True):
        handoff_reports_due(now=HANDOVER + timedelta(minutes=5))
    assert [t["args"] for t in sent_tasks.named("notifications.handoff_report_send")] == [[report_id]]


def test_a_quiet_shift_still_gets_a_short_report(r):
    [report_id] = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
    handoff_report_send(report_id=report_id)
    assert mail.outbox[0].subject.endswith("(quiet shift)")
    assert "A quiet shift: no incidents and no pages." in mail.outbox[0].body


def test_an_empty_schedule_gets_no_report(r):
    empty = ScheduleFactory(team=r.team, name="Nobody yet")
    Schedule.objects.filter(pk=empty.pk).update(created_at=utc(1, 0))
    handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
    assert HandoffReport.objects.filter(schedule=empty).count() == 0


def test_shifts_that_ended_before_the_schedule_existed_are_not_reported(r):
    Schedule.objects.filter(pk=r.schedule.pk).update(created_at=HANDOVER + timedelta(seconds=10))
    assert handoff_reports_due(now=HANDOVER + timedelta(seconds=30)) == []


def test_the_report_goes_only_to_people_still_in_the_schedules_team(r):
    [report_id] = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
    Membership.objects.filter(team=r.team, user=r.bob).delete()
    handoff_report_send(report_id=report_id)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_mail_server_failing_for_now_is_retried_for_the_people_not_yet_mailed(r, monkeypatch):
    [report_id] = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
    real_send, failed = Email.send, []

    def flaky(self, message):
        if message.to == "alice@example.com" and not failed:
            failed.append(message.to)
            raise DeliveryError("mail server error: try later")
        return real_send(self, message)

    monkeypatch.setattr(Email, "send", flaky)
    with pytest.raises(DeliveryError):
        handoff_report_send(report_id=report_id)
    assert handoff_report_send(report_id=report_id)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]


def test_the_beat_runs_the_shift_end_task_every_minute():
    assert django_settings.CELERY_BEAT_SCHEDULE["handoff-reports"] == {"task": handoff_reports.name, "schedule": 60.0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beat_runs_at_once_on_two_workers_report_and_mail_a_shift_end_once(settings):
    settings.EMAIL_ENABLED = True
    world = rota(start_date=date(2026, 3, 22))
    Schedule.objects.filter(pk=world.schedule.pk).update(created_at=utc(1, 0))
    start, created, sent = threading.Barrier(2), [], []

    def worker():
        try:
            start.wait(timeout=30)
            ids = handoff_reports_due(now=HANDOVER + timedelta(seconds=30))
            created.extend(ids)
            start.wait(timeout=30)
            sent.append(handoff_report_send(report_id=HandoffReport.objects.get().pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(created) == 1 and HandoffReport.objects.count() == 1
    assert sorted(sent) == [False, True] and len(mail.outbox) == 2


def _beat_queries(now) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        handoff_reports_due(now=now)
    return len(queries)


def test_the_beat_task_reads_as_many_queries_for_many_schedules_as_for_one(r):
    one = _beat_queries(HANDOVER + timedelta(seconds=30))
    HandoffReport.objects.all().delete()
    for n in range(10):
        schedule = ScheduleFactory(team=r.team, name=f"Secondary {n}", time_zone="Europe/Berlin")
        Schedule.objects.filter(pk=schedule.pk).update(created_at=utc(1, 0))
        LayerFactory(schedule=schedule, participants=[r.alice, r.bob], turn_unit="days", start_date=date(2026, 3, 22))
    many = _beat_queries(HANDOVER + timedelta(seconds=30))
    assert HandoffReport.objects.count() == 11
    # Each new report is its own savepoint and insert; the reading of schedules does not grow.
    assert many - one == 10 * 3
