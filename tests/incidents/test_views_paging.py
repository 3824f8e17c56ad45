"""Escalate now, un-acknowledge and reassign from the incident page."""
import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_acknowledge
from oncall.policies import policy_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


def url(incident, name):
    return reverse(f"incidents:{name}", args=[incident.pk])


def test_triggered_incident_offers_escalate_and_reassign_but_not_unacknowledge(web, incident):
    page = web.get(url(incident, "detail")).content.decode()
    assert f'action="{url(incident, "escalate")}"' in page
    assert f'action="{url(incident, "reassign")}"' in page
    assert f'action="{url(incident, "unacknowledge")}"' not in page


def test_unacknowledge_button_triggers_the_incident_again(web, incident, responder):
    incident_acknowledge(incident=incident, by=responder, via="web")
    assert f'action="{url(incident, "unacknowledge")}"' in web.get(url(incident, "detail")).content.decode()
    web.post(url(incident, "unacknowledge"), {"note": "handing over"})
    incident.refresh_from_db()
    assert incident.status == "triggered"
    event = incident.timeline.get(kind="unacknowledged")
    assert (event.text, event.via, event.actor) == ("handing over", "web", responder)


def test_escalate_button_starts_a_new_round(web, incident):
    response = web.post(url(incident, "escalate"), follow=True)
    assert "escalated to the next step" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).paging_round == 1


def test_reassign_form_hands_the_incident_to_a_person_or_a_policy(web, team, incident):
    carol = MembershipFactory(team=team, user=UserFactory(username="carol")).user
    web.post(url(incident, "reassign"), {"target": f"user:{carol.pk}"})
    assert Incident.objects.get(pk=incident.pk).assignee == carol
    policy = policy_create(team=team, name="Database", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": carol.pk}]}])
    web.post(url(incident, "reassign"), {"target": f"policy:{policy.pk}"})
    incident.refresh_from_db()
    assert (incident.escalation_policy, incident.assignee, incident.paging_round) == (policy, None, 2)


def test_reassign_form_refuses_someone_outside_ones_teams(web, incident, other_team):
    stranger = MembershipFactory(team=other_team).user
    response = web.post(url(incident, "reassign"), {"target": f"user:{stranger.pk}"}, follow=True)
    assert "Choose a person or an escalation policy of your teams" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_viewer_cannot_reassign(client, team, incident):
    client.force_login(MembershipFactory(team=team, role="viewer").user)
    assert client.post(url(incident, "reassign"), {"target": "user:1"}).status_code == 403


def test_incident_page_says_when_nobody_has_been_paged(web, incident):
    assert "Nobody has been paged" not in web.get(url(incident, "detail")).content.decode()
    Incident.objects.filter(pk=incident.pk).update(unreachable_since=timezone.now())
    assert "Nobody has been paged" in web.get(url(incident, "detail")).content.decode()
