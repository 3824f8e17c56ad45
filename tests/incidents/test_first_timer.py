"""The first real page for a first-timer (issue 16 §4): the incident opens with every step of the
Communicate → Learn → Act panel expanded, each saying why it matters; experienced responders keep
the panel as it was, with the same help one tap away."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from incidents.panel import WHY
from incidents.selectors import user_is_first_timer
from incidents.services import incident_acknowledge, incident_unacknowledge
from incidents.status_updates import status_update_post
from tests.factories import IncidentFactory, MembershipFactory

pytestmark = pytest.mark.django_db

STEP_WHY = '<p class="step-why">'


def detail(client, incident) -> str:
    return client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_someone_who_never_acknowledged_an_incident_is_a_first_timer(responder, incident):
    assert user_is_first_timer(user=responder, incident=incident)


def test_acknowledging_this_incident_keeps_them_a_first_timer_on_it(responder, incident):
    incident_acknowledge(incident=incident, by=responder, via="web")
    assert user_is_first_timer(user=responder, incident=incident)


def test_having_acknowledged_another_incident_makes_them_experienced(responder, incident, service):
    incident_acknowledge(incident=IncidentFactory(service=service), by=responder, via="web")
    assert not user_is_first_timer(user=responder, incident=incident)


def test_an_acknowledgement_taken_back_still_counts_as_experience(responder, incident, service):
    earlier = IncidentFactory(service=service)
    incident_acknowledge(incident=earlier, by=responder, via="web")
    incident_unacknowledge(incident=earlier, by=responder, via="web", reason="wrong person")
    earlier.refresh_from_db()
    assert earlier.acknowledged_by is None
    assert not user_is_first_timer(user=responder, incident=incident)


def test_someone_elses_acknowledgements_do_not_count(responder, incident, service, team):
    colleague = MembershipFactory(team=team).user
    incident_acknowledge(incident=IncidentFactory(service=service), by=colleague, via="web")
    assert user_is_first_timer(user=responder, incident=incident)


def test_a_first_timer_sees_every_step_open_with_why_it_matters(client, responder, incident):
    # Communicate is done, so an experienced responder would see it folded.
    incident_acknowledge(incident=incident, by=responder, via="web")
    status_update_post(incident=incident, by=responder, via="web", conditions="Checkout is slow",
                       actions="Looking at the last deploy", needs="")
    client.force_login(responder)
    page = detail(client, incident)
    for key in ("communicate", "learn", "act"):
        assert f'<details class="step" id="step-{key}" open>' in page, key
        assert f"{STEP_WHY}{escape(WHY[key])}</p>" in page.split(f'id="step-{key}"')[1].split("</details>")[0], key
    assert "Your first incident" in page
    assert 'id="steps-help"' not in page


def test_someone_who_has_acknowledged_before_sees_the_panel_as_before(client, responder, incident, service):
    incident_acknowledge(incident=IncidentFactory(service=service), by=responder, via="web")
    incident_acknowledge(incident=incident, by=responder, via="web")
    status_update_post(incident=incident, by=responder, via="web", conditions="Checkout is slow",
                       actions="Looking at the last deploy", needs="")
    client.force_login(responder)
    page = detail(client, incident)
    assert '<details class="step" id="step-communicate">' in page  # done: folded, as before
    assert STEP_WHY not in page and "Your first incident" not in page
    # The same help, folded, for anyone who wants it.
    help_ = page.split('<details class="steps-help" id="steps-help">')[1].split("</details>")[0]
    assert "What do these steps mean?" in help_
    assert all(escape(WHY[key]) in help_ for key in ("communicate", "learn", "act"))


def test_a_viewer_who_cannot_respond_gets_no_first_timer_page(client, incident, team):
    client.force_login(MembershipFactory(team=team, role="viewer").user)
    page = detail(client, incident)
    assert STEP_WHY not in page and 'id="steps-help"' in page


def test_a_first_timer_and_an_experienced_responder_cost_the_page_the_same_queries(client, incident, service, team):
    first_timer = MembershipFactory(team=team).user
    experienced = MembershipFactory(team=team).user
    incident_acknowledge(incident=IncidentFactory(service=service), by=experienced, via="web")
    counts = {}
    for who in (first_timer, experienced):
        client.force_login(who)
        detail(client, incident)  # warm up the session
        with CaptureQueriesContext(connection) as queries:
            page = detail(client, incident)
        counts[who.username] = (len(queries), STEP_WHY in page)
    assert sorted(counts.values()) == [(counts[experienced.username][0], False),
                                       (counts[experienced.username][0], True)]
