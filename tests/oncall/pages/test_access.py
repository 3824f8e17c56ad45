"""Who may see and post to the on-call pages."""
from datetime import timedelta

import pytest
from django.test import Client

from oncall.models import CalendarFeed, EscalationPolicy, Override, Schedule
from tests.factories import MembershipFactory
from tests.oncall.pages.helpers import NOW, login, page, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["now", "schedules", "schedule", "policies", "policy", "profile"])
def test_each_page_renders_for_a_member(client, people, schedule, policy, name):
    args = {"schedule": [schedule.pk], "policy": [policy.pk]}.get(name, [])
    html = page(login(client, people["alice"]).get(url(name, *args)))
    assert "oncall/oncall.css" in html


def test_nav_links_to_the_oncall_pages(client, people):
    html = page(login(client, people["alice"]).get("/"))
    for name in ("now", "schedules", "policies", "profile"):
        assert f'href="{url(name)}"' in html


@pytest.mark.parametrize("name", ["now", "schedules", "policies", "profile"])
def test_anonymous_visitor_is_sent_to_log_in(client, name):
    response = client.get(url(name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_another_teams_schedule_and_policy_are_not_found(client, other_team, schedule, policy):
    outsider = MembershipFactory(team=other_team, role="manager").user
    login(client, outsider)
    assert client.get(url("schedule", schedule.pk)).status_code == 404
    assert client.get(url("policy", policy.pk)).status_code == 404
    for name in ("override-add", "shift-take", "layer-add", "schedule-feed-create"):
        assert client.post(url(name, schedule.pk), {}).status_code == 404
    assert client.post(url("policy", policy.pk), {}).status_code == 404
    html = page(client.get(url("schedules")))
    assert "Primary" not in html
    assert not Override.objects.exists() and not CalendarFeed.objects.exists()


def test_viewer_sees_no_forms_and_every_post_is_refused(client, team, people, schedule, policy):
    viewer = MembershipFactory(team=team, role="viewer").user
    login(client, viewer)
    html = page(client.get(url("schedule", schedule.pk)))
    assert "alice" in html
    assert url("override-add", schedule.pk) not in html and "Take this shift" not in html
    assert url("layer-add", schedule.pk) not in html
    assert 'name="steps-TOTAL_FORMS"' not in page(client.get(url("policy", policy.pk)))
    start = NOW + timedelta(days=1)
    refused = [
        (url("override-add", schedule.pk),
         {"user": viewer.pk, "starts_at": "2026-11-05T10:00", "ends_at": "2026-11-05T12:00"}),
        (url("shift-take", schedule.pk), {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}),
        (url("layer-add", schedule.pk), {}),
        (url("schedule-feed-create", schedule.pk), {}),
        (url("policy", policy.pk), {"repeat_count": 3}),
        (url("schedule-create"), {"name": "Mine"}),
        (url("policy-create"), {"name": "Mine"}),
    ]
    for target, data in refused:
        assert client.post(target, data).status_code == 403, target
    assert not Override.objects.exists() and not CalendarFeed.objects.exists()
    assert Schedule.objects.count() == 1 and EscalationPolicy.objects.count() == 1
    policy.refresh_from_db()
    assert policy.repeat_count == 0


def test_a_responder_can_take_shifts_but_not_change_layers_or_policies(client, people, schedule, policy):
    login(client, people["alice"])
    html = page(client.get(url("schedule", schedule.pk)))
    assert url("override-add", schedule.pk) in html and url("layer-add", schedule.pk) not in html
    assert client.post(url("layer-add", schedule.pk), {}).status_code == 403
    assert client.post(url("policy", policy.pk), {"repeat_count": 1}).status_code == 403
    assert client.post(url("schedule-feed-create", schedule.pk)).status_code == 403


def test_forms_without_a_csrf_token_are_refused(people, schedule):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    response = client.post(url("override-add", schedule.pk), {
        "user": people["alice"].pk, "starts_at": "2026-11-05T10:00", "ends_at": "2026-11-05T12:00"})
    assert response.status_code == 403
    assert not Override.objects.exists()


@pytest.mark.parametrize("name", ["override-add", "shift-take", "layer-add", "schedule-feed-create"])
def test_get_on_a_form_target_changes_nothing(client, manager, schedule, name):
    assert login(client, manager).get(url(name, schedule.pk)).status_code == 405
