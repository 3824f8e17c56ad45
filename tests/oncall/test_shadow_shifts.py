"""Shadow shifts as who-is-on-call shows them (web, API, iCal) and as people add them: dana shadows
whoever is on call for Primary, where alice is on call this week and bob the next."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar

from oncall import schedules
from oncall.models import Shadow
from tests.factories import ApiClient, LayerFactory, MembershipFactory, ScheduleFactory, UserFactory

pytestmark = pytest.mark.django_db

# The factories' layers hand off every Monday at 09:00 UTC from Monday 5 January 2026.
NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday: alice's week


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(team):
    return {name: MembershipFactory(team=team, user=UserFactory(username=name), role=role).user
            for name, role in (("alice", "responder"), ("bob", "responder"), ("dana", "viewer"),
                               ("maria", "manager"))}


@pytest.fixture
def primary(team, people):
    schedule = ScheduleFactory(team=team, name="Primary")
    LayerFactory(schedule=schedule, participants=[people["alice"], people["bob"]])
    return schedule


def shadow(primary, people, *, shadowing=None, days=3):
    return schedules.shadow_create(schedule=primary, user=people["dana"], shadowing=shadowing,
                                   starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(days=days),
                                   created_by=people["maria"])


def test_the_oncall_page_shows_the_shadow_apart_from_the_person_on_call(client, primary, people):
    shadow(primary, people)
    client.force_login(people["maria"])
    page = client.get("/oncall/").content.decode()
    assert "<strong>alice</strong> <span class=\"muted shadow-note\">(shadow: dana)</span>" in page


def test_a_shadow_of_one_person_is_not_shown_beside_another(client, primary, people):
    shadow(primary, people, shadowing=people["bob"])
    client.force_login(people["maria"])
    assert "shadow: dana" not in client.get("/oncall/").content.decode()


def test_the_schedule_page_shows_the_shadow_and_lists_shadow_shifts(client, primary, people):
    shadow(primary, people)
    client.force_login(people["alice"])
    page = client.get(f"/oncall/schedules/{primary.pk}/").content.decode()
    assert "On call now: <strong>alice</strong> <span class=\"muted\">(shadow: dana)</span>" in page
    assert "whoever is on call" in page and "Add a shadow" in page


def test_a_responder_adds_and_ends_a_shadow_shift_from_the_schedule_page(client, primary, people):
    client.force_login(people["alice"])
    response = client.post(f"/oncall/schedules/{primary.pk}/shadows/", {
        "shadow-user": people["dana"].pk, "shadow-shadowing": people["alice"].pk,
        "shadow-starts_at": "2026-01-07T10:00", "shadow-ends_at": "2026-01-09T10:00"})
    assert response.status_code == 302
    made = Shadow.objects.get()
    assert (made.user, made.shadowing, made.created_by) == (people["dana"], people["alice"], people["alice"])
    assert client.post(f"/oncall/schedules/{primary.pk}/shadows/{made.pk}/end/").status_code == 302
    made.refresh_from_db()
    assert made.ends_at == NOW  # it was running: it ends now and stays as the record


def test_shadowing_oneself_or_a_stranger_is_refused_with_the_reason(client, primary, people):
    client.force_login(people["alice"])
    stranger = UserFactory(username="stranger")
    for shadowing in (people["dana"].pk, stranger.pk):
        response = client.post(f"/oncall/schedules/{primary.pk}/shadows/", {
            "shadow-user": people["dana"].pk, "shadow-shadowing": shadowing,
            "shadow-starts_at": "2026-01-07T10:00", "shadow-ends_at": "2026-01-09T10:00"})
        assert response.status_code == 400
    assert "cannot shadow themselves" in client.post(f"/oncall/schedules/{primary.pk}/shadows/", {
        "shadow-user": people["dana"].pk, "shadow-shadowing": people["dana"].pk,
        "shadow-starts_at": "2026-01-07T10:00", "shadow-ends_at": "2026-01-09T10:00"}).content.decode()
    assert not Shadow.objects.exists()


def test_a_viewer_cannot_add_a_shadow_shift(client, primary, people):
    client.force_login(people["dana"])
    response = client.post(f"/oncall/schedules/{primary.pk}/shadows/", {
        "shadow-user": people["dana"].pk, "shadow-starts_at": "2026-01-07T10:00", "shadow-ends_at": "2026-01-09T10:00"})
    assert response.status_code == 403 and not Shadow.objects.exists()


def test_the_oncall_api_lists_shadows_apart(primary, people):
    shadow(primary, people)
    body = ApiClient(people["maria"]).get("/api/v1/oncall/").json()
    [oncall] = body["teams"][0]["schedules"][0]["oncall"]
    assert oncall["username"] == "alice"
    assert oncall["shadows"] == [{"user": people["dana"].pk, "username": "dana"}]


def test_a_schedules_oncall_and_shifts_in_the_api_list_shadows(primary, people):
    shadow(primary, people, days=2)
    api = ApiClient(people["maria"])
    [now] = api.get(f"/api/v1/schedules/{primary.pk}/oncall/").json()["oncall"]
    assert [s["username"] for s in now["shadows"]] == ["dana"]
    shifts = api.get(f"/api/v1/schedules/{primary.pk}/shifts/", {"start": "2026-01-07T00:00:00Z",
                                                                   "end": "2026-01-20T00:00:00Z"}).json()
    assert [(s["username"], [p["username"] for p in s["shadows"]]) for s in shifts["final"]] == [
        ("alice", ["dana"]), ("bob", []), ("alice", [])]  # her next week starts on the 19th
    assert all(s["shadows"] == [] for layer in shifts["layers"] for s in layer)


def test_shadow_shifts_are_added_listed_and_checked_through_the_api(primary, people, other_team):
    api = ApiClient(people["alice"])
    made = api.post("/api/v1/shadows/", {"schedule": primary.pk, "user": people["dana"].pk,
                                         "starts_at": "2026-01-08T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert made.status_code == 201 and made.json()["shadowing"] is None
    assert [s["username"] for s in api.get("/api/v1/shadows/").json()["results"]] == ["dana"]
    outsider = MembershipFactory(team=other_team, user=UserFactory(username="otto")).user
    refused = api.post("/api/v1/shadows/", {"schedule": primary.pk, "user": outsider.pk,
                                            "starts_at": "2026-01-08T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert refused.status_code == 400 and "user" in refused.json()["errors"]
    viewer = ApiClient(people["dana"]).post("/api/v1/shadows/", {
        "schedule": primary.pk, "user": people["dana"].pk,
        "starts_at": "2026-01-08T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert viewer.status_code == 403
    assert Shadow.objects.count() == 1


def test_the_schedule_feed_names_the_shadow_beside_the_shift(client, primary, people):
    shadow(primary, people)
    _, token = schedules.calendar_feed_create(schedule=primary)
    calendar = Calendar.from_ical(client.get(f"/oncall/schedules/{primary.pk}/{token}.ics").content)
    summaries = [str(e["SUMMARY"]) for e in calendar.events]
    assert "On call: Primary (alice, shadow: dana)" in summaries
    assert "On call: Primary (bob)" in summaries


def test_the_shadows_own_feed_shows_the_shadow_shift_apart(client, primary, people):
    shadow(primary, people, shadowing=people["alice"])
    _, token = schedules.calendar_feed_create(user=people["dana"])
    calendar = Calendar.from_ical(client.get(f"/oncall/people/{people['dana'].pk}/{token}.ics").content)
    [event] = calendar.events
    assert str(event["SUMMARY"]) == "Primary: you shadow alice"
    assert "Shadow" in [str(c) for c in event["CATEGORIES"].cats]


def test_a_shadow_of_one_layer_stands_beside_that_layers_shifts_only(primary, people):
    from datetime import time

    from oncall.models import Schedule

    days = LayerFactory(schedule=primary, participants=[people["bob"]], name="Days", restrictions=[
        {"kind": "daily", "start_time": time(9), "end_time": time(17)}])
    weekly = primary.layers.get(position=0)
    schedules.shadow_create(schedule=primary, user=people["dana"], layer=weekly, starts_at=NOW - timedelta(days=1),
                            ends_at=NOW + timedelta(days=1), created_by=people["maria"])

    def beside(at):
        shifts = schedules.schedules_oncall_at(Schedule.objects.filter(pk=primary.pk), at=at)
        return shifts[primary.pk].person, schedules.schedules_shadows_at(shifts, at=at)[primary.pk]

    assert beside(NOW) == (people["bob"].pk, [])  # the day layer's shift: not dana's to shadow
    assert beside(NOW + timedelta(hours=8)) == (people["alice"].pk, [people["dana"].pk])  # 20:00, the weekly layer
    other_layer = LayerFactory(schedule=ScheduleFactory(team=primary.team), participants=[people["alice"]])
    refused = ApiClient(people["alice"]).post("/api/v1/shadows/", {
        "schedule": primary.pk, "user": people["dana"].pk, "layer": other_layer.pk,
        "starts_at": "2026-01-08T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert refused.status_code == 400 and "layer" in refused.json()["errors"]
    made = ApiClient(people["alice"]).post("/api/v1/shadows/", {
        "schedule": primary.pk, "user": people["dana"].pk, "layer": days.pk,
        "starts_at": "2026-01-08T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert made.status_code == 201 and made.json()["layer"] == days.pk
