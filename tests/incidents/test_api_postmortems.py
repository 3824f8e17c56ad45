"""/api/v1/postmortems/ (issue 12 §3): list, retrieve, create, partial update, the review status
and the Markdown export; scoped by team, strict about input."""
import pytest

from incidents.models import Postmortem, TimelineEvent
from incidents.services import incident_acknowledge, incident_resolve
from incidents.services.postmortems import postmortem_create
from oncall.models import Membership
from tests.factories import ApiClient, IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db
WEB = TimelineEvent.Via.WEB
URL = "/api/v1/postmortems/"


@pytest.fixture
def api(responder):
    return ApiClient(responder)


@pytest.fixture
def resolved(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    return incident


def test_create_starts_a_postmortem_once_and_says_which(api, resolved):
    first = api.post(URL, {"incident": resolved.pk})
    assert first.status_code == 201
    body = first.json()
    assert body["incident"] == resolved.pk and body["status"] == "draft" and "Draft written by Vigil" in body["summary"]
    assert {m["key"] for m in body["response_review"]["measures"]} == {
        "acknowledged", "first_update", "mitigated", "resolved"}
    again = api.post(URL, {"incident": resolved.pk})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert resolved.timeline.filter(kind="postmortem_created", via="api").count() == 1


def test_an_open_incident_is_refused_with_a_clear_message(api, incident):
    response = api.post(URL, {"incident": incident.pk})
    assert response.status_code == 400
    assert "once it is resolved" in response.json()["detail"]


def test_unknown_fields_and_another_teams_incident_are_refused(api, other_team, responder):
    foreign = IncidentFactory(service=ServiceFactory(team=other_team))
    response = api.post(URL, {"incident": foreign.pk})
    assert response.status_code == 400 and f"No incident with id {foreign.pk}" in response.json()["detail"]
    assert api.post(URL, {"incident": foreign.pk, "colour": "red"}).json()["errors"]["colour"] == ["Unknown field."]


def test_partial_update_changes_sections_and_owner(api, resolved, responder, team):
    postmortem = postmortem_create(incident=resolved, by=responder, via=WEB)[0]
    colleague = MembershipFactory(team=team).user
    response = api.patch(f"{URL}{postmortem.pk}/", {"went_well": "Paging **worked**", "owner": colleague.pk})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["went_well"] == "Paging **worked**" and body["owner_username"] == colleague.username
    assert body["sections_html"]["went_well"] == "<p>Paging <strong>worked</strong></p>\n"
    bad = api.patch(f"{URL}{postmortem.pk}/", {"nonsense": "x"})
    assert bad.status_code == 400 and bad.json()["errors"]["nonsense"] == ["Unknown field."]
    assert api.patch(f"{URL}{postmortem.pk}/", {}).status_code == 400


def test_status_moves_through_review_and_a_skip_is_refused(api, resolved, responder):
    postmortem = postmortem_create(incident=resolved, by=responder, via=WEB)[0]
    skipped = api.post(f"{URL}{postmortem.pk}/status/", {"status": "closed"})
    assert skipped.status_code == 400 and "not to closed" in skipped.json()["detail"]
    for to in ("in_review", "reviewed", "closed"):
        response = api.post(f"{URL}{postmortem.pk}/status/", {"status": to})
        assert response.status_code == 200 and response.json()["status"] == to
    assert response.json()["closed_at"] is not None


def test_the_markdown_export_is_a_download(api, resolved, responder):
    postmortem = postmortem_create(incident=resolved, by=responder, via=WEB)[0]
    response = api.get(f"{URL}{postmortem.pk}/markdown/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert f"incident-{postmortem.team.slug}-{resolved.number}-postmortem.md" in response["Content-Disposition"]
    assert response.content.decode().startswith(f"# Postmortem: #{resolved.number}")


def test_list_filters_and_never_shows_another_teams(api, resolved, responder, other_team):
    mine = postmortem_create(incident=resolved, by=responder, via=WEB)[0]
    outsider = MembershipFactory(team=other_team).user
    theirs_incident = IncidentFactory(service=ServiceFactory(team=other_team), severity="SEV1")
    incident_acknowledge(incident=theirs_incident, by=outsider, via=WEB)
    incident_resolve(incident=theirs_incident, by=outsider, via=WEB)
    theirs = Postmortem.objects.get(incident=theirs_incident)
    ids = [row["id"] for row in api.get(URL).json()["results"]]
    assert ids == [mine.pk]
    assert api.get(URL, {"status": "reviewed"}).json()["results"] == []
    assert api.get(URL, {"status": "bogus"}).status_code == 400
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.get(f"{URL}{theirs.pk}/markdown/").status_code == 404


def test_a_viewer_reads_but_cannot_write(resolved, responder, team):
    postmortem = postmortem_create(incident=resolved, by=responder, via=WEB)[0]
    viewer = ApiClient(MembershipFactory(team=team, role=Membership.Role.VIEWER).user)
    assert viewer.get(f"{URL}{postmortem.pk}/").status_code == 200
    assert viewer.patch(f"{URL}{postmortem.pk}/", {"summary": "x"}).status_code == 403
    assert viewer.post(f"{URL}{postmortem.pk}/status/", {"status": "in_review"}).status_code == 403
    assert viewer.post(URL, {"incident": resolved.pk}).status_code == 403
