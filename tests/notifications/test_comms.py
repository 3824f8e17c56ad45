"""Communicating for real: status updates carried to Slack and followers once, commanders reminded
of overdue updates through their own rules, the major-incident policy paged on SEV1/SEV2, and
people told when an incident they took or follow is resolved."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_resolve, incident_severity_set, incident_trigger
from incidents.status_updates import incident_subscribe, status_update_post
from notifications.delivery import HELD, deliver
from notifications.incident_reminders import incident_resolved_tell, major_incident_page, status_updates_remind_overdue
from notifications.models import Delivery, Page, Reminder, StatusUpdateSend
from notifications.reminders import person_remind
from notifications.status_update_publish import PublishIncomplete, status_update_publish
from notifications.sweep import sweep
from notifications.tasks import escalate, incident_changed, reminder_email, status_updates_due
from oncall import policies
from oncall.preferences import profile_notify_on_resolve_set
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.engine_helpers import paging_setup, run_due_work, verified

CHANNEL = "C0CHECKOUT"
ALICE_SMS = "+14155550101"
DAVE_SMS = "+14155550104"


@pytest.fixture
def world(db, twilio_fake, settings):
    settings.EMAIL_ENABLED = True  # the locmem backend stands in for the SMTP server
    return paging_setup()


def acknowledged_by_alice(world, severity="SEV1"):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx", severity=severity)
    return incident_acknowledge(incident=incident, by=world["alice"], via="web")


def deliveries_of(reminder: Reminder) -> list[tuple[str, str]]:
    return sorted((d.kind, d.status) for d in reminder.deliveries.all())


# --- Fan-out of a status update ------------------------------------------------------------------

@pytest.fixture
def with_slack(world, slack_fake):
    world["service"].slack_channel = CHANNEL
    world["service"].save(update_fields=["slack_channel"])
    return world


def test_status_update_goes_to_the_slack_channel_and_each_follower_by_email_once(with_slack, slack_fake, sent_tasks):
    incident = acknowledged_by_alice(with_slack)
    viewer = MembershipFactory(team=with_slack["team"], role="viewer", user=UserFactory(username="stakeholder")).user
    incident_subscribe(incident=incident, user=viewer)
    incident_subscribe(incident=incident, user=with_slack["bob"])
    update = status_update_post(incident=incident, by=with_slack["alice"], via="web",
                                conditions="Checkout fails for 2%", actions="Rolling back 4.2", needs="A DBA")

    assert status_update_publish(status_update_id=update.pk) == 3
    assert status_update_publish(status_update_id=update.pk) == 0  # a retried or duplicated task

    assert slack_fake.posted_to(CHANNEL) == 1
    posted = next(m for m in slack_fake.messages if m["channel"] == CHANNEL and "Status update" in m["text"])
    assert "Rolling back 4.2" in posted["text"] and "A DBA" in posted["text"]
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "stakeholder@example.com"]
    assert "Conditions:\nCheckout fails for 2%" in mail.outbox[0].body
    update.refresh_from_db()
    assert update.published_at is not None


def test_a_retry_after_slack_failed_posts_to_slack_without_emailing_twice(with_slack, slack_fake):
    incident = acknowledged_by_alice(with_slack)
    incident_subscribe(incident=incident, user=with_slack["bob"])
    update = status_update_post(incident=incident, by=with_slack["alice"], via="web", conditions="c", actions="a")
    slack_fake.fail_next(status=503)

    with pytest.raises(PublishIncomplete):
        status_update_publish(status_update_id=update.pk)
    assert len(mail.outbox) == 1 and slack_fake.posted_to(CHANNEL) == 0

    status_update_publish(status_update_id=update.pk)
    assert len(mail.outbox) == 1 and slack_fake.posted_to(CHANNEL) == 1
    assert StatusUpdateSend.objects.filter(status_update=update).count() == 2


def test_an_update_whose_message_was_lost_is_published_by_the_minute_task(world, sent_tasks, clock):
    incident = acknowledged_by_alice(world)
    update = status_update_post(incident=incident, by=world["alice"], via="web", conditions="c", actions="a")
    sent_tasks.clear()
    clock.shift(timedelta(minutes=2))
    status_updates_due()
    assert [t["args"] for t in sent_tasks.named("notifications.status_update_publish")] == [[update.pk]]


# --- Reminding a person through their rules -------------------------------------------------------

def test_a_reminder_goes_through_the_persons_low_urgency_rules_once_per_key(world, twilio_fake, clock):
    alice = world["alice"]
    first = person_remind(user=alice, subject="Action item overdue", text="Write the postmortem", dedup_key="ai:1",
                          link="https://vigil.example/pm/1")
    again = person_remind(user=alice, subject="Action item overdue", text="Write the postmortem", dedup_key="ai:1")
    assert again is None
    assert deliveries_of(first) == [("sms", "pending")]  # alice's only low-urgency rule
    run_due_work()
    assert twilio_fake.sent_to(ALICE_SMS) == 1
    assert deliveries_of(first) == [("sms", "sent")]


def test_a_failed_reminder_delivery_falls_through_to_the_persons_next_rule(world, twilio_fake, clock):
    dave = MembershipFactory(team=world["team"], user=UserFactory(username="dave")).user
    verified(dave, "sms", DAVE_SMS, ("low", 0))
    verified(dave, "email", "dave@example.com", ("low", 30))
    twilio_fake.reject_number(DAVE_SMS)  # 21211: this number can never receive SMS
    reminder = person_remind(user=dave, subject="s", text="t", dedup_key="k")
    run_due_work()
    assert deliveries_of(reminder) == [("email", "sent"), ("sms", "failed")]
    assert [m.to for m in mail.outbox] == [["dave@example.com"]]


def test_the_sweep_leaves_a_pending_reminder_alone(world):
    reminder = person_remind(user=world["bob"], subject="s", text="t", dedup_key="k")
    Delivery.objects.filter(reminder=reminder).update(due_at=timezone.now() + timedelta(minutes=5))
    sweep()
    assert deliveries_of(reminder) == [("email", "pending")]


def test_a_reminder_never_carries_pages_held_for_the_same_number(world, twilio_fake, clock):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    sms = world["alice"].contact_methods.get(kind="sms")
    page = Page.objects.create(incident=incident, user=world["alice"], step=0)
    held = Delivery.objects.create(page=page, contact_method=sms, kind="sms", error=HELD,
                                   due_at=timezone.now() + timedelta(minutes=10))
    reminder = person_remind(user=world["alice"], subject="s", text="Reminder text", dedup_key="k")

    assert deliver(delivery_id=reminder.deliveries.get().pk) == "sent"
    assert twilio_fake.messages[-1]["body"] == "Reminder text"
    held.refresh_from_db()
    assert (held.status, held.bundled_into_id) == ("pending", None)


# --- The commander reminded when an update is overdue --------------------------------------------

def test_the_commander_is_reminded_once_per_overdue_window(world, twilio_fake, clock, sent_tasks):
    incident = acknowledged_by_alice(world, severity="SEV1")
    clock.shift(timedelta(minutes=29))
    status_updates_due()
    assert not Reminder.objects.exists()

    clock.shift(timedelta(minutes=2))
    status_updates_due()
    status_updates_due()  # the beat runs every minute: still one reminder
    reminder = Reminder.objects.get()
    assert reminder.user == world["alice"] and "overdue" in reminder.subject
    assert incident.timeline.filter(kind="reminder").count() == 1

    status_update_post(incident=incident, by=world["alice"], via="web", conditions="c", actions="a")
    clock.shift(timedelta(minutes=31))
    status_updates_due()
    assert Reminder.objects.count() == 2  # a new window after the new update


def test_a_commander_named_in_the_panel_is_reminded_instead_of_the_acknowledger(world, twilio_fake, clock):
    from incidents.workflow import incident_role_assign

    incident = acknowledged_by_alice(world, severity="SEV1")
    incident_role_assign(incident=incident, role="commander", user=world["bob"], by=world["alice"], via="web")
    clock.shift(timedelta(minutes=31))
    status_updates_due()
    assert Reminder.objects.get().user == world["bob"]


def test_overdue_timers_follow_the_severity_table(world, clock):
    for severity, minutes in (("SEV2", 60), ("SEV3", 120)):
        incident, _ = incident_trigger(service=world["service"], title=severity, dedup_key=severity, severity=severity)
        incident_acknowledge(incident=incident, by=world["bob"], via="web")
    low, _ = incident_trigger(service=world["service"], title="low", dedup_key="low", severity="SEV4")
    incident_acknowledge(incident=low, by=world["bob"], via="web")
    clock.shift(timedelta(minutes=61))
    status_updates_due()
    assert [r.subject.split(": ")[1] for r in Reminder.objects.all()] == ["#1 SEV2"]
    clock.shift(timedelta(days=1))
    status_updates_due()
    assert sorted(r.subject.split(": ")[1] for r in Reminder.objects.all()) == ["#1 SEV2", "#2 SEV3"]


# --- The major-incident policy --------------------------------------------------------------------

@pytest.fixture
def major_policy(world):
    ics = MembershipFactory(team=world["team"], user=UserFactory(username="ic")).user
    verified(ics, "sms", DAVE_SMS, ("high", 0))
    policy = policies.policy_create(team=world["team"], name="Incident commanders", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": ics.pk}]},
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": world["carol"].pk}]},
    ])
    world["service"].major_incident_policy = policy
    world["service"].save(update_fields=["major_incident_policy"])
    return ics


def run_major_tasks(sent_tasks):
    for task in sent_tasks.named("notifications.page_major_incident_policy") + sent_tasks.opened(major=True):
        major_incident_page(incident_id=task["args"][0])
    sent_tasks.clear()


def test_declaring_sev1_pages_the_major_incident_policys_first_step_once(
        world, major_policy, twilio_fake, sent_tasks, clock, django_capture_on_commit_callbacks):
    incident = acknowledged_by_alice(world, severity="SEV3")
    with django_capture_on_commit_callbacks(execute=True):
        incident_severity_set(incident=incident, severity="SEV1", by=world["alice"], via="web")
    run_major_tasks(sent_tasks)
    run_due_work()
    assert twilio_fake.sent_to(DAVE_SMS) == 1  # the acknowledgement does not cancel it
    assert "SEV1 on checkout" in twilio_fake.messages[-1]["body"]
    assert Reminder.objects.filter(user=world["carol"]).count() == 0  # second step: not called in

    with django_capture_on_commit_callbacks(execute=True):
        incident_severity_set(incident=incident, severity="SEV2", by=world["alice"], via="web")
        incident_severity_set(incident=incident, severity="SEV1", by=world["alice"], via="web")
    run_major_tasks(sent_tasks)
    run_due_work()
    assert twilio_fake.sent_to(DAVE_SMS) == 1
    assert incident.timeline.filter(kind="major_incident_paged").count() == 1


def test_a_minor_severity_or_no_major_policy_pages_nobody_extra(world, sent_tasks, django_capture_on_commit_callbacks):
    incident = acknowledged_by_alice(world, severity="SEV3")
    with django_capture_on_commit_callbacks(execute=True):
        incident_severity_set(incident=incident, severity="SEV1", by=world["alice"], via="web")  # no policy set
    run_major_tasks(sent_tasks)
    assert not Reminder.objects.exists()


def test_a_severity_lowered_before_the_task_runs_pages_nobody(world, major_policy, sent_tasks,
                                                              django_capture_on_commit_callbacks):
    incident = acknowledged_by_alice(world, severity="SEV3")
    with django_capture_on_commit_callbacks(execute=True):
        incident_severity_set(incident=incident, severity="SEV2", by=world["alice"], via="web")
        incident_severity_set(incident=incident, severity="SEV4", by=world["alice"], via="web")
    run_major_tasks(sent_tasks)
    assert not Reminder.objects.exists()


# --- Told when resolved ---------------------------------------------------------------------------

def test_the_acknowledger_and_followers_hear_once_when_it_is_resolved_unless_they_opted_out(world, clock):
    incident = acknowledged_by_alice(world)
    incident_subscribe(incident=incident, user=world["bob"])
    incident_subscribe(incident=incident, user=world["carol"])
    profile_notify_on_resolve_set(user=world["carol"], on=False)
    incident = incident_resolve(incident=incident, by=world["carol"], via="web")

    assert incident_resolved_tell(incident_id=incident.pk) == 2
    assert incident_resolved_tell(incident_id=incident.pk) == 0  # incident_changed runs on every change
    assert sorted(r.user.username for r in Reminder.objects.all()) == ["alice", "bob"]
    run_due_work()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert "was resolved by carol" in mail.outbox[0].body


def test_the_person_who_resolved_it_is_not_told(world):
    incident = acknowledged_by_alice(world)
    incident_resolve(incident=incident, by=world["alice"], via="web")
    assert incident_resolved_tell(incident_id=incident.pk) == 0
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_a_follower_with_no_rules_hears_of_the_resolution_by_email_once(
        world, sent_tasks, clock, django_capture_on_commit_callbacks):
    incident = acknowledged_by_alice(world)
    stakeholder = MembershipFactory(team=world["team"], role="viewer", user=UserFactory(username="cfo")).user
    incident_subscribe(incident=incident, user=stakeholder)
    incident = incident_resolve(incident=incident, by=world["alice"], via="web")
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident_changed(incident.pk)  # what the resolution's after-commit task does
        incident_changed(incident.pk)
    emails = sent_tasks.named("notifications.reminder_email")
    assert len(emails) == 1
    for _ in range(2):  # a duplicated message
        reminder_email(*emails[0]["args"])
    assert [m.to for m in mail.outbox] == [["cfo@example.com"]]
    assert mail.outbox[0].subject == "[Vigil] Resolved: #1 Checkout 5xx"


def test_someone_on_the_major_incident_policy_without_a_high_urgency_rule_is_named_on_the_timeline(
        world, major_policy, sent_tasks):
    world["carol"].notification_rules.all().delete()
    policy = world["service"].major_incident_policy
    policies.policy_update(policy=policy, steps=[{"delay_minutes": 5, "targets": [
        {"kind": "user", "id": major_policy.pk}, {"kind": "user", "id": world["carol"].pk}]}])
    incident = acknowledged_by_alice(world, severity="SEV3")
    incident_severity_set(incident=incident, severity="SEV2", by=world["alice"], via="web")
    assert major_incident_page(incident_id=incident.pk) == 1
    line = incident.timeline.get(kind="major_incident_paged").text
    assert line == "SEV2: paged major-incident policy Incident commanders: ic. No usable high-urgency rule: carol."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_remind_the_commander_once(twilio_fake):
    from tests.incidents.test_services import _run_at_once

    world = paging_setup()
    incident = acknowledged_by_alice(world, severity="SEV1")
    later = timezone.now() + timedelta(minutes=31)
    results = _run_at_once(4, lambda i: status_updates_remind_overdue(now=later))
    assert sorted(results) == [0, 0, 0, 1], results
    assert Reminder.objects.filter(user=world["alice"]).count() == 1
    assert incident.timeline.filter(kind="reminder").count() == 1


def test_a_long_reminder_by_sms_keeps_its_link_within_two_segments(world, twilio_fake, clock):
    link = "https://vigil.example/incidents/41/"
    reminder = person_remind(user=world["alice"], subject="s", text="word " * 200, dedup_key="k", link=link)
    deliver(delivery_id=reminder.deliveries.get().pk)
    body = twilio_fake.messages[-1]["body"]
    assert body.endswith("\n" + link) and len(body) <= 306


def test_a_follower_who_left_the_team_hears_no_more_of_the_incident(world, clock):
    incident = acknowledged_by_alice(world)
    leaver = MembershipFactory(team=world["team"], role="viewer", user=UserFactory(username="leaver")).user
    verified(leaver, "email", "leaver@example.com", ("low", 0))
    incident_subscribe(incident=incident, user=leaver)
    leaver.memberships.all().delete()
    update = status_update_post(incident=incident, by=world["alice"], via="web", conditions="c", actions="a")
    status_update_publish(status_update_id=update.pk)
    incident_resolve(incident=incident, by=world["bob"], via="web")
    incident_resolved_tell(incident_id=incident.pk)
    run_due_work()
    assert not [m for m in mail.outbox if "leaver@example.com" in m.to]
    assert not Reminder.objects.filter(user=leaver).exists()


def test_an_incident_declared_at_sev2_pages_the_major_incident_policy_too(
        world, major_policy, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sev2, _ = incident_trigger(service=world["service"], title="Checkout down", dedup_key="down", severity="SEV2")
        incident_trigger(service=world["service"], title="Slow admin", dedup_key="slow", severity="SEV3")
    assert [t["args"] for t in sent_tasks.opened(major=True)] == [[sev2.pk]]
    for task in sent_tasks.opened():  # as the worker runs the one message each opening sent
        escalate.apply(args=task["args"], kwargs=task["kwargs"]).get()
    assert list(Reminder.objects.values_list("user__username", flat=True)) == ["ic"]
