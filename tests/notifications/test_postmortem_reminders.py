"""Overdue action items and postmortem reviews remind their owners through their own rules, once
per due date, with the real engine delivering them."""
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from incidents.models import Postmortem
from incidents.services import incident_resolve, incident_trigger
from incidents.services.action_items import action_item_add, action_item_status_set, action_item_update
from notifications.models import Reminder
from notifications.tasks import postmortem_follow_ups_due, reminder_email
from tests.factories import MembershipFactory, UserFactory
from tests.incidents.action_item_helpers import postmortem_of
from tests.notifications.engine_helpers import paging_setup, run_due_work

ALICE_SMS = "+14155550101"


@pytest.fixture
def world(db, twilio_fake, settings):
    """paging_setup's team (alice: SMS for low urgency; bob: email); carol owns the postmortem."""
    settings.EMAIL_ENABLED = True
    world = paging_setup()
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", severity="SEV2")
    incident = incident_resolve(incident=incident, by=world["alice"], via="web")
    world["incident"] = incident
    world["postmortem"] = postmortem_of(incident, owner=world["carol"])
    return world


def item_due_in(world, days, **fields):
    return action_item_add(postmortem=world["postmortem"], by=world["carol"], title="Add a 5xx alert per region",
                           priority="high", due_on=timezone.localdate() + timedelta(days=days), **fields)


def test_an_overdue_action_item_reminds_its_owner_once_through_their_rules(world, twilio_fake):
    item = item_due_in(world, 2, owner=world["alice"])
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        postmortem_follow_ups_due()  # due today: not overdue yet
        run_due_work()
        assert twilio_fake.sent_to(ALICE_SMS) == 0
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        postmortem_follow_ups_due()
        run_due_work()
        postmortem_follow_ups_due()
        run_due_work()
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        postmortem_follow_ups_due()
        run_due_work()
    assert twilio_fake.sent_to(ALICE_SMS) == 1
    sms = twilio_fake.messages[-1]["body"]
    assert "Add a 5xx alert per region" in sms
    assert sms.endswith(f"/postmortems/{world['postmortem'].pk}/#action-item-{item.pk}")
    line = world["incident"].timeline.get(kind="reminder", data__action_item__isnull=False)
    assert line.text.startswith("Reminded alice: action item “Add a 5xx alert per region” is overdue")


def test_moving_the_due_date_arms_the_reminder_again(world, twilio_fake):
    item = item_due_in(world, -1, owner=world["alice"])
    postmortem_follow_ups_due()
    run_due_work()
    item = action_item_update(item=item, by=world["alice"], changes={"due_on": timezone.localdate() + timedelta(days=1)})
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        postmortem_follow_ups_due()
        run_due_work()
    assert twilio_fake.sent_to(ALICE_SMS) == 2
    assert Reminder.objects.filter(dedup_key__startswith=f"action-item-overdue:{item.pk}:").count() == 2


def test_done_and_wont_do_items_are_not_reminded(world, twilio_fake):
    done = item_due_in(world, -3, owner=world["alice"])
    action_item_status_set(item=done, by=world["alice"], status="done")
    dropped = item_due_in(world, -3, owner=world["bob"])
    action_item_status_set(item=dropped, by=world["bob"], status="wont_do")
    postmortem_follow_ups_due()
    run_due_work()
    assert twilio_fake.sent_to(ALICE_SMS) == 0 and mail.outbox == []
    assert not Reminder.objects.exists()


def test_an_item_without_owner_reminds_the_postmortem_owner_by_email_saying_so(
        world, sent_tasks, django_capture_on_commit_callbacks):
    item_due_in(world, -1)
    with django_capture_on_commit_callbacks(execute=True):
        postmortem_follow_ups_due()
    reminder = Reminder.objects.get()
    assert reminder.user == world["carol"]
    # carol has no low-urgency rule: the account's email address stands in.
    for task in sent_tasks.named("notifications.reminder_email"):
        reminder_email(*task["args"])
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]
    assert "has no owner; you own the postmortem, so it comes to you" in mail.outbox[0].body
    assert "by email (no usable low-urgency rule)" in world["incident"].timeline.get(kind="reminder").text


def test_an_owner_who_left_the_team_is_not_told_and_the_postmortem_owner_is(world):
    leaver = MembershipFactory(team=world["team"], user=UserFactory(username="leaver")).user
    item_due_in(world, -1, owner=leaver)
    leaver.memberships.all().delete()
    postmortem_follow_ups_due()
    assert list(Reminder.objects.values_list("user__username", flat=True)) == ["carol"]
    assert "belongs to leaver, who cannot act on it" in Reminder.objects.get().text


def test_an_overdue_review_reminds_the_postmortem_owner_once_and_a_reviewed_one_not(world):
    Postmortem.objects.filter(pk=world["postmortem"].pk).update(review_due_on=timezone.localdate() - timedelta(days=1))
    postmortem_follow_ups_due()
    postmortem_follow_ups_due()
    reminder = Reminder.objects.get()
    assert reminder.user == world["carol"] and "review was due" in reminder.text
    Postmortem.objects.filter(pk=world["postmortem"].pk).update(
        status="reviewed", review_due_on=timezone.localdate() - timedelta(days=2))
    postmortem_follow_ups_due()
    assert Reminder.objects.count() == 1


def test_beat_runs_the_follow_up_reminders(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert postmortem_follow_ups_due.name in tasks
