"""Nobody reachable is itself an alarm: no policy, nobody on call, or nobody with a usable rule
pages the team's managers on their own rules, and the incident shows that nobody was paged."""
from datetime import timedelta

from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_trigger
from notifications.models import OutboxMessage, Page
from oncall.models import Override
from tests.factories import MembershipFactory, ServiceFactory, UserFactory
from tests.notifications.engine_helpers import paging_setup, run_due_work, verified

MIA_SMS = "+14155550199"


def manager_of(team, name="mia", sms=MIA_SMS):
    mia = MembershipFactory(team=team, user=UserFactory(username=name), role="manager").user
    verified(mia, "sms", sms, ("high", 0), ("low", 0))
    return mia


def open_incident(service, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=service, title=title, dedup_key=title)
    return incident


def fallback_pages():
    return list(Page.objects.filter(reason=Page.Reason.FALLBACK).values_list("user__username", flat=True))


def timeline_text(incident):
    return " ".join(incident.timeline.values_list("text", flat=True))


def test_no_policy_pages_the_teams_managers_and_marks_the_incident(db, clock):
    service = ServiceFactory(name="disk")
    manager_of(service.team)
    incident = open_incident(service)
    run_due_work()
    incident.refresh_from_db()
    assert fallback_pages() == ["mia"]
    assert OutboxMessage.objects.filter(to=MIA_SMS).count() == 1
    assert incident.unreachable_since == timezone.now()
    assert "paging the managers of" in incident.timeline.get(kind="unreachable").text
    assert incident.next_escalation_at is None


def test_nobody_on_call_pages_the_managers_until_a_later_step_reaches_someone(db, clock):
    world = paging_setup()
    world["schedule"].layers.all().delete()
    manager_of(world["team"])
    incident = open_incident(world["service"])
    run_due_work()
    incident.refresh_from_db()
    assert fallback_pages() == ["mia"]
    assert incident.unreachable_since is not None
    clock.shift(timedelta(minutes=5))
    run_due_work()
    incident.refresh_from_db()
    assert Page.objects.filter(user=world["carol"], reason=Page.Reason.STEP).count() == 1
    assert incident.unreachable_since is None


def test_nobody_with_a_usable_rule_pages_the_managers(db, clock):
    world = paging_setup()
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    world["alice"].contact_methods.update(verified_at=None)
    manager_of(world["team"])
    incident = open_incident(world["service"])
    run_due_work()
    incident.refresh_from_db()
    assert fallback_pages() == ["mia"]
    assert incident.unreachable_since is not None
    assert "alice has no verified contact method" in timeline_text(incident)


def test_managers_are_paged_once_per_round_however_many_steps_reach_nobody(db, clock):
    world = paging_setup(repeat_count=1)
    world["schedule"].layers.all().delete()
    world["carol"].contact_methods.update(verified_at=None)
    manager_of(world["team"])
    incident = open_incident(world["service"])
    for _ in range(5):
        run_due_work()
        clock.shift(timedelta(minutes=10))
    assert fallback_pages() == ["mia"]
    assert incident.timeline.filter(kind="unreachable").count() == 4


def test_when_no_manager_can_be_paged_either_the_timeline_says_nobody_was(db, clock):
    service = ServiceFactory(name="disk")
    mia = manager_of(service.team)
    mia.contact_methods.update(disabled_at=timezone.now())
    incident = open_incident(service)
    run_due_work()
    incident.refresh_from_db()
    assert fallback_pages() == []
    assert incident.unreachable_since is not None
    assert "no manager of" in incident.timeline.get(kind="unreachable").text
    assert "nobody has been paged" in incident.timeline.get(kind="unreachable").text


def test_a_team_without_managers_is_named_as_such(db, clock):
    incident = open_incident(ServiceFactory(name="disk"))
    run_due_work()
    assert "has no manager to fall back on" in Incident.objects.get().timeline.get(kind="unreachable").text
    assert Incident.objects.get().unreachable_since is not None


def test_acknowledging_clears_the_nobody_paged_state(db, clock):
    service = ServiceFactory(name="disk")
    mia = manager_of(service.team)
    incident = open_incident(service)
    run_due_work()
    incident = incident_acknowledge(incident=Incident.objects.get(pk=incident.pk), by=mia, via="sms")
    assert incident.unreachable_since is None
