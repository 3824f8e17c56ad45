"""The postmortem pages: started from a resolved incident, read by the team, edited by its
responders with a preview, moved through review, listed and downloaded; nothing of another team's."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Postmortem, TimelineEvent
from incidents.services import incident_acknowledge, incident_resolve
from incidents.services.postmortems import postmortem_create
from oncall.models import Membership
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db
WEB = TimelineEvent.Via.WEB


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def postmortem(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    return postmortem_create(incident=incident, by=responder, via=WEB)[0]


def test_a_resolved_incident_offers_write_a_postmortem_and_the_button_starts_one(web, incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Write a postmortem" in page and "Reopen" in page
    response = web.post(reverse("incidents:postmortem_start", args=[incident.pk]))
    postmortem = Postmortem.objects.get(incident=incident)
    assert response.status_code == 302 and response.url == reverse("incidents:postmortem", args=[postmortem.pk])
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Write a postmortem" not in page
    assert reverse("incidents:postmortem", args=[postmortem.pk]) in page


def test_the_incident_list_links_to_the_postmortem(web, postmortem):
    page = web.get(reverse("incidents:list") + "?status=resolved").content.decode()
    assert reverse("incidents:postmortem", args=[postmortem.pk]) in page


def test_the_postmortem_page_shows_sections_review_and_due_date(web, service, responder):
    incident = IncidentFactory(service=service, severity="SEV1", title="Checkout down")
    incident_acknowledge(incident=incident, by=responder, via=WEB)
    incident_resolve(incident=incident, by=responder, via=WEB, note="Rolled back")
    postmortem = Postmortem.objects.get(incident=incident)
    page = web.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode()
    for text in ("Postmortem: #", "Checkout down", "Response review", "Time to acknowledge", "Time to resolve",
                 "Evidence before the first change", "Trigger and root causes", "Where we got lucky",
                 f"{postmortem.review_due_on:%Y-%m-%d}", "Send for review", "Download as Markdown"):
        assert text in page


def test_an_overdue_review_says_so_until_reviewed(web, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(review_due_on="2020-01-01")
    url = reverse("incidents:postmortem", args=[postmortem.pk])
    # The class, not the word: the navigation links to the Overdue page (/postmortems/overdue/).
    assert 'class="overdue"' in web.get(url).content.decode()
    assert 'class="overdue"' in web.get(reverse("incidents:postmortems")).content.decode()
    Postmortem.objects.filter(pk=postmortem.pk).update(status="reviewed")
    assert 'class="overdue"' not in web.get(url).content.decode()


def test_editing_one_section_saves_it_and_writes_the_timeline(web, postmortem, incident):
    url = reverse("incidents:postmortem_edit", args=[postmortem.pk]) + "?section=summary"
    form = web.get(url).content.decode()
    assert 'name="summary"' in form and 'name="impact"' not in form and "postmortem.js" in form
    response = web.post(url, {"summary": "**Checkout** was down for 20 min."})
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "**Checkout** was down for 20 min."
    page = web.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode()
    assert "<strong>Checkout</strong> was down" in page
    assert incident.timeline.filter(kind="postmortem_edited").exists()


def test_editing_all_sections_shows_every_field(web, postmortem):
    form = web.get(reverse("incidents:postmortem_edit", args=[postmortem.pk])).content.decode()
    for name in ("summary", "impact", "detection", "root_causes", "resolution", "timeline", "went_well",
                 "went_badly", "got_lucky"):
        assert f'name="{name}"' in form


def test_a_refused_save_keeps_what_was_typed(web, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(status="reviewed")
    url = reverse("incidents:postmortem_edit", args=[postmortem.pk]) + "?section=impact"
    response = web.post(url, {"impact": "Typed with care"})
    assert response.status_code == 400
    assert "Typed with care" in response.content.decode() and "move it back to in review" in response.content.decode()


def test_the_preview_answers_with_sanitized_html(web, postmortem):
    url = reverse("incidents:postmortem_preview", args=[postmortem.pk])
    response = web.post(url, {"text": "# Hi\n[x](javascript:alert(1)) <script>alert(1)</script>"})
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Hi</h1>" in html
    assert "<script" not in html and 'href="javascript' not in html


def test_status_buttons_move_the_review_and_a_refusal_is_a_message(web, postmortem):
    url = reverse("incidents:postmortem_status", args=[postmortem.pk])
    web.post(url, {"to": "in_review"})
    web.post(url, {"to": "reviewed"})
    assert Postmortem.objects.get(pk=postmortem.pk).status == "reviewed"
    page = web.post(url, {"to": "draft"}, follow=True).content.decode()
    assert "can move to in review or closed, not to draft" in page


def test_the_owner_changes_among_the_teams_responders_only(web, postmortem, team, other_team):
    colleague = MembershipFactory(team=team).user
    stranger = MembershipFactory(team=other_team).user
    url = reverse("incidents:postmortem_owner", args=[postmortem.pk])
    web.post(url, {"owner": stranger.pk})
    assert Postmortem.objects.get(pk=postmortem.pk).owner != stranger
    web.post(url, {"owner": colleague.pk})
    assert Postmortem.objects.get(pk=postmortem.pk).owner == colleague


def test_a_viewer_reads_but_cannot_change_or_preview(client, postmortem, team):
    viewer = MembershipFactory(team=team, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    page = client.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode()
    assert "Send for review" not in page and "does not allow changing it" in page
    for name, data in (("postmortem_edit", {"summary": "x"}), ("postmortem_status", {"to": "in_review"}),
                       ("postmortem_preview", {"text": "x"}), ("postmortem_owner", {"owner": viewer.pk})):
        assert client.post(reverse(f"incidents:{name}", args=[postmortem.pk]), data).status_code == 403
    assert Postmortem.objects.get(pk=postmortem.pk).status == "draft"


def test_another_teams_postmortem_is_not_found_and_never_listed(client, postmortem, other_team):
    stranger = MembershipFactory(team=other_team, role=Membership.Role.MANAGER).user
    client.force_login(stranger)
    for name in ("postmortem", "postmortem_edit", "postmortem_markdown"):
        assert client.get(reverse(f"incidents:{name}", args=[postmortem.pk])).status_code == 404
    assert client.post(reverse("incidents:postmortem_status", args=[postmortem.pk]), {"to": "in_review"}).status_code == 404
    assert postmortem.incident.title not in client.get(reverse("incidents:postmortems")).content.decode()


def test_postmortem_forms_without_a_csrf_token_are_refused(responder, postmortem):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    for name, data in (("postmortem_edit", {"summary": "x"}), ("postmortem_preview", {"text": "x"}),
                       ("postmortem_status", {"to": "in_review"})):
        assert client.post(reverse(f"incidents:{name}", args=[postmortem.pk]), data).status_code == 403


def test_the_markdown_download_is_an_attachment_named_after_the_incident(web, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(went_well="Paging **worked**")
    response = web.get(reverse("incidents:postmortem_markdown", args=[postmortem.pk]))
    assert response["Content-Type"].startswith("text/markdown")
    name = f"incident-{postmortem.team.slug}-{postmortem.incident.number}-postmortem.md"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    text = response.content.decode()
    assert text.startswith(f"# Postmortem: #{postmortem.incident.number}")
    assert "## What went well\n\nPaging **worked**" in text and "## Response review" in text


def test_the_list_filters_by_status_and_team(web, postmortem, responder):
    other = ServiceFactory()
    MembershipFactory(team=other.team, user=responder)
    second = IncidentFactory(service=other, title="Queue stuck")
    incident_resolve(incident=second, by=responder, via=WEB)
    postmortem_create(incident=second, by=responder, via=WEB)
    Postmortem.objects.filter(pk=postmortem.pk).update(status="in_review")
    url = reverse("incidents:postmortems")
    both = web.get(url).content.decode()
    assert postmortem.incident.title in both and "Queue stuck" in both
    in_review = web.get(url + "?status=in_review").content.decode()
    assert postmortem.incident.title in in_review and "Queue stuck" not in in_review
    only_other = web.get(url + f"?team={other.team.pk}").content.decode()
    assert "Queue stuck" in only_other and postmortem.incident.title not in only_other


def test_the_list_runs_as_many_queries_for_many_postmortems_as_for_one(web, responder, team):
    def grow(n):
        for i in range(n):
            service = ServiceFactory(team=team, name=f"svc-{Postmortem.objects.count()}-{i}")
            incident = IncidentFactory(service=service, title=f"qcrow {i}")
            incident_resolve(incident=incident, by=MembershipFactory(team=team).user, via=WEB)
            postmortem_create(incident=incident, by=responder, via=WEB)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert web.get(reverse("incidents:postmortems")).status_code == 200
        return len(queries)

    grow(1)
    count_queries()
    one = count_queries()
    grow(20)
    assert count_queries() == one
    assert one <= 15


def test_the_navigation_links_to_the_postmortem_list(web):
    assert reverse("incidents:postmortems") in web.get(reverse("incidents:list")).content.decode()
