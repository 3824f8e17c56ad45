"""Escalation policy pages: the list, and the editor that saves all steps at once."""

import pytest

from oncall.models import EscalationPolicy
from tests.oncall.pages.helpers import login, page, url

pytestmark = pytest.mark.django_db


def editor_post(steps, repeat_count=0, **extra):
    data = {"steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": 0, "repeat_count": repeat_count, **extra}
    for i, (delay, targets) in enumerate(steps):
        data[f"steps-{i}-delay_minutes"] = delay
        data[f"steps-{i}-targets"] = targets
    return data


def test_policy_page_shows_steps_with_delays_and_targets(client, people, policy):
    html = page(login(client, people["alice"]).get(url("policy", policy.pk)))
    assert "on call for Primary" in html and "wait 10 minutes" in html


def test_policy_editor_saves_all_steps_at_once(client, team, manager, people, schedule, policy):
    login(client, manager)
    html = page(client.get(url("policy", policy.pk)))
    assert f'value="schedule:{schedule.pk}" checked' in html
    response = client.post(url("policy", policy.pk), editor_post([
        (5, [f"schedule:{schedule.pk}"]),
        (15, [f"user:{people['bob'].pk}", f"team:{team.pk}"]),
    ], repeat_count=2))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.repeat_count == 2
    steps = list(policy.steps.order_by("position"))
    assert [s.delay_minutes for s in steps] == [5, 15]
    assert sorted(t.kind for t in steps[1].targets.all()) == ["team", "user"]


def test_policy_editor_shows_the_policy_error_and_keeps_the_old_steps(client, manager, people, schedule, policy):
    response = login(client, manager).post(url("policy", policy.pk), editor_post([
        (5, [f"user:{people['bob'].pk}"]), (10, [])]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Step 2 has no one to page." in html
    assert f'value="user:{people["bob"].pk}" checked' in html  # what was typed is still there
    [step] = policy.steps.all()
    assert (step.delay_minutes, step.targets.get().schedule) == (10, schedule)


def test_add_step_adds_a_blank_row_without_saving(client, manager, people, policy):
    response = login(client, manager).post(url("policy", policy.pk), editor_post(
        [(5, [f"user:{people['bob'].pk}"])], add_step="1"))
    html = page(response)
    assert 'name="steps-TOTAL_FORMS" value="2"' in html and 'name="steps-1-delay_minutes"' in html
    assert policy.steps.get().delay_minutes == 10


def test_a_step_marked_remove_is_dropped(client, manager, people, schedule, policy):
    data = editor_post([(5, [f"user:{people['bob'].pk}"]), (10, [f"schedule:{schedule.pk}"])])
    data["steps-0-remove"] = "on"
    login(client, manager).post(url("policy", policy.pk), data)
    [step] = policy.steps.all()
    assert step.targets.get().schedule == schedule


def test_a_tampered_editor_form_is_refused_not_a_crash(client, manager, policy):
    login(client, manager)
    for extra in ({"add_step": "1"}, {}):
        response = client.post(url("policy", policy.pk), {"steps-TOTAL_FORMS": "lots", "repeat_count": 0, **extra})
        assert response.status_code in (200, 400)
    assert client.post(url("policy", policy.pk), editor_post([(5, ["user:999999"])])).status_code == 400
    assert client.post(url("policy", policy.pk), editor_post([(5, ["nonsense"])])).status_code == 400
    assert policy.steps.get().delay_minutes == 10


def test_manager_creates_a_policy(client, team, manager):
    response = login(client, manager).post(url("policy-create"),
                                           {"team": team.pk, "name": "Database", "repeat_count": 1})
    policy = EscalationPolicy.objects.get(name="Database")
    assert response["Location"] == url("policy", policy.pk) and policy.repeat_count == 1


def test_a_policy_name_already_in_use_is_refused(client, team, manager, policy):
    response = login(client, manager).post(url("policy-create"),
                                           {"team": team.pk, "name": "Checkout", "repeat_count": 0})
    assert response.status_code == 400 and "already has a policy named" in response.content.decode()
