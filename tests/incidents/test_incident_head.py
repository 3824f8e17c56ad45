"""The head of the incident page and the list: state, severity (changeable, meanings on the page),
who has the incident and which escalation step it is at."""
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Severity, TimelineEvent
from incidents.services import incident_acknowledge, incident_trigger
from oncall.models import Override
from tests.factories import MembershipFactory
from tests.incidents.test_alert_state import section
from tests.notifications.engine_helpers import paging_setup, run_due_work


@pytest.fixture
def world(db):
    w = paging_setup()
    Override.objects.create(schedule=w["schedule"], user=w["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=2))
    incident, _ = incident_trigger(service=w["service"], title="Checkout 5xx", dedup_key="5xx")
    run_due_work()
    w["incident"] = Incident.objects.get(pk=incident.pk)
    return w


def browser(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def detail(client, incident) -> str:
    return client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_the_head_says_who_is_paged_now_and_which_step(world):
    head = section(detail(browser(world["bob"]), world["incident"]), "incident-state")
    assert "paging <strong>alice</strong>" in head
    assert "Step 1 of 2" in head and "Next step" in head


def test_after_an_acknowledgement_the_head_names_who_has_it_and_paging_stopped(world):
    incident_acknowledge(incident=world["incident"], by=world["alice"], via="web")
    head = section(detail(browser(world["bob"]), world["incident"]), "incident-state")
    assert "<strong>alice</strong> acknowledged" in head and "Paging stopped" in head
    assert "paging <strong>" not in head


def test_the_list_says_who_has_each_incident_and_which_step_is_next(world):
    other, _ = incident_trigger(service=world["service"], title="Search slow", dedup_key="slow")
    run_due_work()
    incident_acknowledge(incident=world["incident"], by=world["alice"], via="web")
    page = browser(world["bob"]).get(reverse("incidents:list")).content.decode()
    assert "alice has it" in page
    assert "Paging: step 2 in 5" in page  # step 1 paged, step 2 due after its 5 minutes


def test_the_severity_meanings_are_on_the_page_not_in_a_tooltip(world):
    page = detail(browser(world["bob"]), world["incident"])
    form = page[page.index('class="severity-change"'):]
    for value, label in Severity.choices:
        assert label.split(" — ", 1)[1] in form
    assert "When unsure, pick the higher one." in form
    assert 'value="SEV3" checked' in form


def test_a_responder_changes_the_severity_from_the_page(world):
    response = browser(world["bob"]).post(reverse("incidents:severity", args=[world["incident"].pk]),
                                          {"severity": "SEV1"}, follow=True)
    assert response.status_code == 200 and "is now SEV1" in response.content.decode()
    world["incident"].refresh_from_db()
    assert world["incident"].severity == "SEV1"
    event = TimelineEvent.objects.get(incident=world["incident"], kind="severity_changed")
    assert (event.actor, event.via, event.text) == (world["bob"], "web", "Severity SEV3 → SEV1")


def test_an_unknown_severity_is_refused_with_a_message_and_changes_nothing(world):
    response = browser(world["bob"]).post(reverse("incidents:severity", args=[world["incident"].pk]),
                                          {"severity": "SEV9"})
    assert response.status_code == 400 and "Choose a severity: one of SEV1" in response.content.decode()
    world["incident"].refresh_from_db()
    assert world["incident"].severity == "SEV3"


def test_a_viewer_cannot_change_the_severity_and_sees_no_form(world):
    viewer = MembershipFactory(team=world["team"], role="viewer").user
    client = browser(viewer)
    assert 'class="severity-change"' not in detail(client, world["incident"])
    response = client.post(reverse("incidents:severity", args=[world["incident"].pk]), {"severity": "SEV1"})
    assert response.status_code == 403
    assert Incident.objects.get(pk=world["incident"].pk).severity == "SEV3"


def test_another_teams_incident_is_not_found(world):
    stranger = MembershipFactory(role="responder").user
    response = browser(stranger).post(reverse("incidents:severity", args=[world["incident"].pk]), {"severity": "SEV1"})
    assert response.status_code == 404


def test_changing_the_severity_needs_the_csrf_token(world):
    client = browser(world["bob"], enforce_csrf_checks=True)
    response = client.post(reverse("incidents:severity", args=[world["incident"].pk]), {"severity": "SEV1"})
    assert response.status_code == 403
    assert Incident.objects.get(pk=world["incident"].pk).severity == "SEV3"
