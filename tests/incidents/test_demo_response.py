"""The demo's incident mid-response (incidents/demo_response.py, called by seed_demo)."""
import io
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from incidents.demo_response import DEDUP_KEY
from incidents.models import ChangeEvent, Incident, IncidentFinding, IncidentRole, IncidentTask, TimelineEvent
from incidents.panel import panel_context

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def seed() -> None:
    call_command("seed_demo", "--json", stdout=io.StringIO())


def rows() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Incident, IncidentRole, IncidentFinding, IncidentTask, TimelineEvent, ChangeEvent)}


def test_the_demo_has_one_incident_acknowledged_by_the_demo_user_and_half_walked():
    seed()
    demo = User.objects.get(username="demo")
    incident = Incident.objects.get(dedup_key=DEDUP_KEY)
    assert incident.status == "acknowledged" and incident.acknowledged_by == demo
    assert IncidentRole.objects.get(incident=incident, role="commander").user == demo
    kinds = Counter(IncidentFinding.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == {"symptom": 1, "scope": 1, "evidence": 2, "hypothesis": 1}
    assert IncidentFinding.objects.get(incident=incident, kind="hypothesis").owner is not None
    assert IncidentTask.objects.get(incident=incident).owner is not None
    assert incident.timeline.filter(kind="evidence_added", actor=demo).count() == 2
    state = panel_context(incident=incident, can_respond=True)["panel"]["state"]
    assert state.next.key == "action"  # Communicate and Learn are done: choosing an action is next
    assert panel_context(incident=incident, can_respond=True)["panel"]["changes"]


def test_seeding_twice_adds_no_second_incident_nor_any_row():
    seed()
    first = rows()
    seed()
    assert rows() == first
    assert first["Incident"] == 2  # this one, and the resolved SEV1 of incidents/demo_postmortem.py


def test_seeding_again_leaves_what_a_person_changed_alone():
    seed()
    IncidentTask.objects.all().delete()
    seed()
    assert not IncidentTask.objects.exists()


def test_the_demo_user_sees_the_panel_on_the_incident_page(client):
    seed()
    client.force_login(User.objects.get(username="demo"))
    incident = Incident.objects.get(dedup_key=DEDUP_KEY)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "connection pool" in page and "Next: " in page and "#item-action" in page
