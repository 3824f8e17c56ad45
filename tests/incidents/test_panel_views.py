"""The guided panel on the incident page (incidents/_panel.html, incidents/views/panel.py)."""
import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Alert, ChangeEvent, IncidentFinding, IncidentRole, IncidentTask
from incidents.services import incident_acknowledge
from incidents.workflow import incident_finding_add, incident_task_add
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


def url(incident, name, *args):
    return reverse(f"incidents:{name}", args=[incident.pk, *args])


def test_the_panel_shows_the_next_thing_to_do_and_its_steps(web, incident):
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="panel"' in page
    assert 'Next: <a class="tap" href="#item-acknowledge">Acknowledge</a>' in page
    for title in ("Communicate", "Learn", "Act"):
        assert f'<span class="step-title">{title}</span>' in page
    assert 'href="#severity"' in page


def test_the_panel_is_not_swapped_by_polling(web, incident):
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    polled = page.split('hx-select-oob="')[1].split('"')[0].split(",")
    assert "#panel" not in polled
    assert 'id="panel"' not in page.split('id="incident-state"')[1].split("</section>")[0]


def test_adding_evidence_from_the_panel_records_it_and_comes_back_to_the_panel(web, incident, responder):
    response = web.post(url(incident, "panel-finding-add"),
                        {"kind": "evidence", "text": "502s in LB log", "url": "https://logs.example.com/x"})
    assert response.status_code == 302 and response["Location"].endswith(f"/incidents/{incident.pk}/#panel")
    finding = IncidentFinding.objects.get()
    assert (finding.kind, finding.created_by, finding.url) == ("evidence", responder, "https://logs.example.com/x")
    event = incident.timeline.get(kind="evidence_added")
    assert (event.actor, event.via) == (responder, "web")
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "502s in LB log" in page and "before any change" in page


def test_a_refused_finding_comes_back_as_a_400_with_the_reason_and_the_typed_text_kept(web, incident):
    response = web.post(url(incident, "panel-finding-add"),
                        {"kind": "evidence", "text": "LB log <b>502</b>", "url": "ftp://logs.example.com/x"})
    assert response.status_code == 400
    page = response.content.decode()
    form = page.split('id="finding-evidence-text"')[1].split("</form>")[0]
    assert "LB log &lt;b&gt;502&lt;/b&gt;</textarea>" in form
    assert 'value="ftp://logs.example.com/x"' in form
    assert '<p class="errors" role="alert">A link must be a web address' in form
    assert '<details class="step" id="step-learn" open>' in page
    assert not IncidentFinding.objects.exists()
    # Only the refused form is filled in again.
    assert "LB log" not in page.split('id="finding-symptom-text"')[1].split("</textarea>")[0]


@pytest.mark.parametrize("name, data, kept", [
    ("panel-task-add", {"title": "  "}, 'id="task-title"'),
    ("panel-resolve", {"summary": ""}, "Write a resolution summary"),
])
def test_other_refused_forms_come_back_as_a_400_too(web, incident, name, data, kept):
    response = web.post(url(incident, name), data)
    assert response.status_code == 400 and kept in response.content.decode()
    assert '<p class="errors" role="alert">' in response.content.decode()


def test_roles_are_set_and_cleared_from_the_panel(web, incident, team):
    bob = MembershipFactory(team=team).user
    web.post(url(incident, "panel-role"), {"role": "commander", "user": str(bob.pk)})
    assert IncidentRole.objects.get().user == bob
    web.post(url(incident, "panel-role"), {"role": "commander", "user": ""})
    assert not IncidentRole.objects.exists()
    assert list(incident.timeline.filter(kind__startswith="role_").values_list("kind", flat=True)) == [
        "role_assigned", "role_unassigned"]


def test_someone_of_another_team_cannot_be_given_a_role(web, incident, other_team):
    outsider = MembershipFactory(team=other_team).user
    response = web.post(url(incident, "panel-role"), {"role": "commander", "user": str(outsider.pk)})
    assert response.status_code == 400 and "Choose a responder of team" in response.content.decode()
    assert not IncidentRole.objects.exists()


def test_the_acknowledger_shows_as_commander_by_default(web, incident, responder):
    incident_acknowledge(incident=incident, by=responder, via="web")
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "(acknowledged, so by default)" in page
    assert "Next: " in page and "#item-status_update" in page  # Communicate: the first status update


def test_after_the_first_status_update_the_panel_moves_on_to_learn(web, incident, responder):
    from incidents.status_updates import status_update_post

    incident_acknowledge(incident=incident, by=responder, via="web")
    status_update_post(incident=incident, by=responder, via="web", conditions="Checkout fails for some",
                       actions="Looking at the last deploy", needs="")
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Next: " in page and "#item-symptom" in page


def test_tasks_are_added_done_and_undone(web, incident, responder):
    web.post(url(incident, "panel-task-add"), {"title": "Page the DB team", "owner": str(responder.pk)})
    task = IncidentTask.objects.get()
    assert task.owner == responder
    web.post(url(incident, "panel-task-toggle", task.pk), {"done": "1"})
    task.refresh_from_db()
    assert task.done_at is not None
    web.post(url(incident, "panel-task-toggle", task.pk), {"done": "0"})
    task.refresh_from_db()
    assert task.done_at is None
    kinds = list(incident.timeline.filter(kind__startswith="task_").values_list("kind", flat=True))
    assert kinds == ["task_added", "task_done", "task_reopened"]


def test_candidate_actions_are_chosen_and_removed(web, incident, responder):
    action = incident_finding_add(incident=incident, kind="candidate_action", text="roll back", by=responder, via="web")
    web.post(url(incident, "panel-action-choose", action.pk), {"chosen": "1"})
    action.refresh_from_db()
    assert action.chosen
    web.post(url(incident, "panel-finding-remove", action.pk))
    assert not IncidentFinding.objects.exists()
    assert incident.timeline.filter(kind="candidate_action_removed", actor=responder).exists()


def test_resolving_from_the_panel_needs_a_summary(web, incident, responder):
    response = web.post(url(incident, "panel-resolve"), {"summary": "  "})
    assert response.status_code == 400 and "Write a resolution summary" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triggered"
    web.post(url(incident, "panel-mitigate"), {"note": "rolled back"})
    incident.refresh_from_db()
    assert incident.status == "mitigated"
    web.post(url(incident, "panel-resolve"), {"summary": "Bad deploy; rolled back."})
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.timeline.get(kind="resolved").text == "Resolution summary: Bad deploy; rolled back."


def test_learn_shows_the_services_changes_and_alerts_from_before_and_the_runbook(web, service):
    from datetime import timedelta

    from django.utils import timezone
    now = timezone.now()
    ChangeEvent.objects.create(service=service, summary="Deploy checkout v42", occurred_at=now - timedelta(hours=1))
    Alert.objects.create(service=service, dedup_key="w", summary="Latency warning", received_at=now - timedelta(hours=2))
    Alert.objects.create(service=service, dedup_key="old", summary="Ancient alert", received_at=now - timedelta(days=2))
    service.runbook_url = "https://runbooks.example.com/checkout"
    service.save()
    incident = IncidentFactory(service=service)
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    learn = page.split('id="step-learn"')[1].split('id="step-act"')[0]
    assert "Deploy checkout v42" in learn and "Latency warning" in learn and "Ancient alert" not in learn
    assert 'href="https://runbooks.example.com/checkout"' in learn


PANEL_POSTS = [
    ("panel-role", {"role": "commander", "user": ""}),
    ("panel-finding-add", {"kind": "symptom", "text": "x"}),
    ("panel-task-add", {"title": "x"}),
    ("panel-mitigate", {}),
    ("panel-resolve", {"summary": "x"}),
]


@pytest.mark.parametrize("name, data", PANEL_POSTS)
def test_a_viewer_sees_the_panel_but_cannot_change_it(client, incident, team, name, data):
    client.force_login(MembershipFactory(team=team, role="viewer").user)
    assert client.post(url(incident, name), data).status_code == 403
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    panel = page.split('id="panel"')[1]
    # Viewers may follow the incident (stakeholders), and nothing else in the panel.
    assert 'id="panel"' in page and 'action="/incidents/' not in panel.replace(
        f'action="/incidents/{incident.pk}/follow/"', "")
    assert incident.timeline.count() == 1


@pytest.mark.parametrize("name, data", PANEL_POSTS)
def test_another_teams_incident_is_not_found(web, other_team, name, data):
    theirs = IncidentFactory(service=ServiceFactory(team=other_team))
    assert web.post(url(theirs, name), data).status_code == 404
    assert theirs.timeline.count() == 1


def test_a_finding_of_another_incident_is_not_found(web, incident, responder, team):
    other = IncidentFactory(service=incident.service, dedup_key="other")
    finding = incident_finding_add(incident=other, kind="symptom", text="x", by=responder, via="web")
    task = incident_task_add(incident=other, title="x", owner=None, by=responder, via="web")
    assert web.post(url(incident, "panel-finding-remove", finding.pk)).status_code == 404
    assert web.post(url(incident, "panel-task-toggle", task.pk), {"done": "1"}).status_code == 404
    assert IncidentFinding.objects.filter(pk=finding.pk).exists()


def test_panel_posts_need_a_csrf_token(incident, responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    assert client.post(url(incident, "panel-finding-add"), {"kind": "symptom", "text": "x"}).status_code == 403
    assert not IncidentFinding.objects.exists()


def test_get_on_a_panel_url_changes_nothing(web, incident):
    assert web.get(url(incident, "panel-task-add")).status_code == 405
