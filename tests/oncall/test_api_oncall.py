"""/api/v1/ schedules, layers, overrides, who is on call, and calendar feeds."""
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.models import CalendarFeed, Layer, Override, Schedule
from oncall.schedules import calendar_feed_find
from tests.factories import (
    ApiClient,
    EscalationPolicyFactory,
    LayerFactory,
    MembershipFactory,
    OverrideFactory,
    ScheduleFactory,
    SuperuserFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The factories' layers hand off every Monday at 09:00, starting Monday 5 January 2026.
WEDNESDAY_NOON = "2026-01-07T12:00:00Z"


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user


@pytest.fixture
def viewer(team):
    return MembershipFactory(team=team, role="viewer", user=UserFactory(username="victor")).user


@pytest.fixture
def people(team):
    return [MembershipFactory(team=team, user=UserFactory(username=name)).user for name in ("alice", "bob", "carol")]


@pytest.fixture
def primary(team, people):
    """Alice and Bob take turns a week at a time; Carol is in the team but not in the rotation."""
    schedule = ScheduleFactory(team=team, name="Primary")
    LayerFactory(schedule=schedule, participants=people[:2], name="Weekly")
    return schedule


def results(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_manager_builds_a_schedule_with_a_restricted_layer_and_reads_it_back(team, manager, people):
    api = ApiClient(manager)
    created = api.post("/api/v1/schedules/", {"team": team.pk, "name": "Primary", "time_zone": "Europe/Berlin"})
    assert created.status_code == 201, created.json()
    schedule_id = created.json()["id"]
    layer = api.post("/api/v1/layers/", {
        "schedule": schedule_id, "name": "Business hours", "turn_length": 1, "turn_unit": "weeks",
        "handoff_time": "09:30", "start_date": "2026-01-05", "participants": [people[1].pk, people[0].pk],
        "restrictions": [{"kind": "weekly", "start_weekday": 0, "start_time": "09:00", "end_weekday": 4,
                          "end_time": "17:00"}],
    })
    assert layer.status_code == 201, layer.json()
    body = api.get(f"/api/v1/schedules/{schedule_id}/").json()
    [shown] = body["layers"]
    assert (body["time_zone"], shown["handoff_time"], shown["position"]) == ("Europe/Berlin", "09:30", 0)
    assert shown["participant_usernames"] == ["bob", "alice"]
    assert shown["restrictions"] == [{"kind": "weekly", "start_weekday": 0, "start_time": "09:00",
                                      "end_weekday": 4, "end_time": "17:00"}]

    changed = api.patch(f"/api/v1/layers/{shown['id']}/", {"participants": [people[0].pk], "restrictions": []})
    assert (changed.json()["participants"], changed.json()["restrictions"]) == ([people[0].pk], [])
    assert api.patch(f"/api/v1/schedules/{schedule_id}/", {"description": "Checkout"}).json()["description"] == "Checkout"
    assert api.delete(f"/api/v1/layers/{shown['id']}/").status_code == 204
    assert api.delete(f"/api/v1/schedules/{schedule_id}/").status_code == 204
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "utc ", ""])
def test_a_schedule_needs_an_iana_time_zone(team, manager, zone):
    response = ApiClient(manager).post("/api/v1/schedules/", {"team": team.pk, "name": "P", "time_zone": zone})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("time_zone:")


def test_a_second_schedule_with_the_same_name_is_refused_naming_the_field(team, manager, primary):
    response = ApiClient(manager).post("/api/v1/schedules/", {"team": team.pk, "name": "Primary"})
    assert response.status_code == 400
    assert response.json()["detail"] == f"name: {team.name} already has a schedule named 'Primary'."


def test_layer_input_is_checked_field_by_field(team, manager, primary, people):
    api = ApiClient(manager)
    outsider = UserFactory()
    base = {"schedule": primary.pk, "start_date": "2026-01-05"}
    cases = [
        ({"participants": [outsider.pk]}, f"participants: User {outsider.pk} is not a member of"),
        ({"handoff_time": "9:00:30"}, "handoff_time:"),
        ({"turn_unit": "months"}, "turn_unit:"),
        ({"restrictions": [{"kind": "weekly", "start_time": "09:00", "end_time": "17:00"}]},
         "restrictions.0.start_weekday:"),
        ({"restrictions": [{"kind": "daily", "start_weekday": 1, "start_time": "09:00", "end_time": "17:00"}]},
         "restrictions.0.start_weekday:"),
        ({"start_date": "0001-01-01"}, "start_date:"),
        ({"colour": "blue"}, "colour: Unknown field."),
    ]
    for extra, message in cases:
        response = api.post("/api/v1/layers/", {**base, **extra})
        assert response.status_code == 400, extra
        assert message in response.json()["detail"], (extra, response.json())
    assert Layer.objects.count() == 1


def test_restrictions_given_in_a_patch_are_checked_whole(manager, primary):
    layer = primary.layers.get()
    response = ApiClient(manager).patch(f"/api/v1/layers/{layer.pk}/", {"restrictions": [{"start_time": "09:00"}]})
    assert response.status_code == 400
    assert response.json()["detail"] == "restrictions.0.end_time: This field is required."
    daily = ApiClient(manager).patch(f"/api/v1/layers/{layer.pk}/", {
        "restrictions": [{"start_time": "09:00", "end_time": "17:00"}]})
    assert daily.json()["restrictions"][0]["kind"] == "daily"


def test_a_viewer_reads_schedules_but_every_change_is_a_403_with_a_reason(team, viewer, primary, people):
    api = ApiClient(viewer)
    layer = primary.layers.get()
    assert api.get(f"/api/v1/schedules/{primary.pk}/").status_code == 200
    attempts = [
        api.post("/api/v1/schedules/", {"team": team.pk, "name": "Mine"}),
        api.patch(f"/api/v1/schedules/{primary.pk}/", {"name": "Renamed"}),
        api.delete(f"/api/v1/schedules/{primary.pk}/"),
        api.patch(f"/api/v1/layers/{layer.pk}/", {"participants": [people[2].pk]}),
        api.post("/api/v1/overrides/", {"schedule": primary.pk, "user": people[2].pk,
                                        "starts_at": "2026-01-07T10:00:00Z", "ends_at": "2026-01-07T14:00:00Z"}),
        api.post(f"/api/v1/schedules/{primary.pk}/feed/"),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "Your role in team" in response.json()["detail"] and "viewer" in response.json()["detail"]
    assert Schedule.objects.get().name == "Primary" and not Override.objects.exists()


def test_a_responder_takes_a_shift_with_an_override_but_cannot_change_the_rotation(team, primary, people):
    api = ApiClient(people[2])
    assert api.patch(f"/api/v1/schedules/{primary.pk}/", {"name": "Mine"}).status_code == 403
    created = api.post("/api/v1/overrides/", {"schedule": primary.pk, "user": people[2].pk,
                                              "starts_at": "2026-01-07T10:00:00Z", "ends_at": "2026-01-07T14:00:00Z"})
    assert created.status_code == 201, created.json()
    assert (created.json()["username"], created.json()["created_by"]) == ("carol", "carol")
    assert [o["id"] for o in results(api.get("/api/v1/overrides/", {"schedule": primary.pk}))] == [created.json()["id"]]
    assert api.delete(f"/api/v1/overrides/{created.json()['id']}/").status_code == 204
    assert not Override.objects.exists()


def test_overrides_are_checked(primary, people):
    api = ApiClient(people[0])
    backwards = api.post("/api/v1/overrides/", {"schedule": primary.pk, "user": people[2].pk,
                                                "starts_at": "2026-01-07T14:00:00Z", "ends_at": "2026-01-07T10:00:00Z"})
    assert backwards.status_code == 400 and backwards.json()["detail"].startswith("ends_at:")
    outsider = api.post("/api/v1/overrides/", {"schedule": primary.pk, "user": UserFactory().pk,
                                               "starts_at": "2026-01-07T10:00:00Z", "ends_at": "2026-01-07T14:00:00Z"})
    assert outsider.status_code == 400 and "is not a member of" in outsider.json()["detail"]


def test_another_teams_schedules_layers_and_overrides_are_404_and_never_listed(primary, people, other_team):
    theirs = ScheduleFactory(team=other_team)
    them = MembershipFactory(team=other_team).user
    layer = LayerFactory(schedule=theirs, participants=[them])
    override = OverrideFactory(schedule=theirs, user=them, starts_at=datetime(2026, 1, 7, tzinfo=UTC),
                               ends_at=datetime(2026, 1, 8, tzinfo=UTC))
    api = ApiClient(people[0])
    for url in (f"/api/v1/schedules/{theirs.pk}/", f"/api/v1/schedules/{theirs.pk}/oncall/",
                f"/api/v1/schedules/{theirs.pk}/shifts/", f"/api/v1/layers/{layer.pk}/",
                f"/api/v1/overrides/{override.pk}/"):
        assert api.get(url).status_code == 404, url
    assert api.delete(f"/api/v1/overrides/{override.pk}/").status_code == 404
    assert api.post(f"/api/v1/schedules/{theirs.pk}/feed/").status_code == 404
    assert [s["id"] for s in results(api.get("/api/v1/schedules/"))] == [primary.pk]
    assert {x["schedule"] for x in results(api.get("/api/v1/layers/"))} == {primary.pk}
    assert results(api.get("/api/v1/overrides/")) == []
    refused = api.post("/api/v1/layers/", {"schedule": theirs.pk, "start_date": "2026-01-05"})
    assert refused.status_code == 400 and refused.json()["detail"].startswith("schedule:")
    assert {s["id"] for s in results(ApiClient(SuperuserFactory()).get("/api/v1/schedules/"))} == {primary.pk, theirs.pk}


def test_an_override_wins_over_the_layer_while_it_lasts(primary, people):
    OverrideFactory(schedule=primary, user=people[2], starts_at=datetime(2026, 1, 7, 10, tzinfo=UTC),
                    ends_at=datetime(2026, 1, 7, 14, tzinfo=UTC))
    layer = primary.layers.get()
    api = ApiClient(people[0])
    during = api.get(f"/api/v1/schedules/{primary.pk}/oncall/", {"at": WEDNESDAY_NOON}).json()
    assert during == {"schedule": primary.pk, "at": WEDNESDAY_NOON, "oncall": [{
        "user": people[2].pk, "username": "carol", "source": "override", "layer": None, "layer_name": None,
        "start": "2026-01-07T10:00:00Z", "end": "2026-01-07T14:00:00Z", "shadows": []}], "gaps": []}
    [after] = api.get(f"/api/v1/schedules/{primary.pk}/oncall/", {"at": "2026-01-07T15:00:00Z"}).json()["oncall"]
    assert (after["username"], after["source"], after["layer"], after["layer_name"]) == ("alice", "layer 1", layer.pk,
                                                                                         "Weekly")
    assert (after["start"], after["end"]) == ("2026-01-07T14:00:00Z", "2026-01-12T09:00:00Z")


def test_nobody_on_call_is_an_empty_list(team, people):
    empty = ScheduleFactory(team=team)
    response = ApiClient(people[0]).get(f"/api/v1/schedules/{empty.pk}/oncall/", {"at": WEDNESDAY_NOON})
    assert response.json()["oncall"] == []


def test_at_is_checked_naive_times_are_utc_and_an_unencoded_plus_is_understood(primary, people):
    api = ApiClient(people[0])
    url = f"/api/v1/schedules/{primary.pk}/oncall/"
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00Z"):
        response = api.get(url, {"at": bad})
        assert response.status_code == 400, bad
        assert response.json()["detail"].startswith("at:")
    assert api.get(url, {"at": "2026-01-07T12:00:00"}).json()["at"] == WEDNESDAY_NOON
    # "…+01:00" typed into a URL without encoding arrives as "… 01:00".
    plus = api.client.get(f"{url}?at=2026-01-07T13:00:00+01:00")
    assert plus.json()["at"] == WEDNESDAY_NOON


def test_shifts_default_to_the_next_two_weeks_with_layers_and_gaps(primary, people):
    with time_machine.travel(datetime(2026, 1, 7, 12, tzinfo=UTC), tick=False):
        body = ApiClient(people[0]).get(f"/api/v1/schedules/{primary.pk}/shifts/").json()
    assert (body["start"], body["end"]) == (WEDNESDAY_NOON, "2026-01-21T12:00:00Z")
    assert [(s["username"], s["start"], s["end"]) for s in body["final"]] == [
        ("alice", WEDNESDAY_NOON, "2026-01-12T09:00:00Z"),
        ("bob", "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z"),
        ("alice", "2026-01-19T09:00:00Z", "2026-01-21T12:00:00Z"),
    ]
    [layer] = body["layers"]
    assert {s["source"] for s in layer} == {"layer 1"} and len(layer) == 3
    assert body["gaps"] == []


def test_shifts_list_the_gaps_before_a_rotation_starts(primary, people):
    body = ApiClient(people[0]).get(f"/api/v1/schedules/{primary.pk}/shifts/",
                                    {"start": "2026-01-04T00:00:00Z", "end": "2026-01-06T00:00:00Z"}).json()
    assert body["gaps"] == [["2026-01-04T00:00:00Z", "2026-01-05T09:00:00Z"]]
    assert [s["username"] for s in body["final"]] == ["alice"]


@pytest.mark.parametrize("params,name", [
    ({"start": "2026-01-10T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end:"),
    ({"start": "2026-01-01T00:00:00Z", "end": "2027-01-03T00:00:00Z"}, "end:"),
    ({"start": "soon"}, "start:"),
    ({"end": "2026-02-30T00:00:00Z"}, "end:"),
])
def test_a_bad_shift_range_is_a_400_naming_the_parameter(primary, people, params, name):
    response = ApiClient(people[0]).get(f"/api/v1/schedules/{primary.pk}/shifts/", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(name)


def test_oncall_everywhere_is_grouped_by_team_and_hides_other_teams(team, primary, people, other_team):
    ScheduleFactory(team=team, name="Secondary")
    theirs = ScheduleFactory(team=other_team)
    LayerFactory(schedule=theirs, participants=[MembershipFactory(team=other_team).user])
    body = ApiClient(people[0]).get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    [shown] = body["teams"]
    assert (shown["team"], body["at"]) == (team.pk, WEDNESDAY_NOON)
    assert [(s["name"], [o["username"] for o in s["oncall"]]) for s in shown["schedules"]] == [
        ("Primary", ["alice"]), ("Secondary", [])]
    everyone = ApiClient(SuperuserFactory()).get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    assert {t["team"] for t in everyone["teams"]} == {team.pk, other_team.pk}
    only_theirs = ApiClient(SuperuserFactory()).get("/api/v1/oncall/", {"at": WEDNESDAY_NOON, "team": other_team.pk})
    assert [t["team"] for t in only_theirs.json()["teams"]] == [other_team.pk]


def test_oncall_everywhere_takes_the_same_number_of_queries_however_many_schedules(people):
    admin = ApiClient(SuperuserFactory())
    admin.get("/api/v1/oncall/")  # the token's first use is recorded once; keep it out of the count

    def add_team_with_schedules(n):
        team = TeamFactory()
        members = [MembershipFactory(team=team).user for _ in range(2)]
        for _ in range(n):
            schedule = ScheduleFactory(team=team)
            LayerFactory(schedule=schedule, participants=members, name="Weekly")
            LayerFactory(schedule=schedule, participants=members[:1], turn_unit="days",
                         restrictions=[{"kind": "daily", "start_time": time(18), "end_time": time(8)}])
            OverrideFactory(schedule=schedule, user=members[1], starts_at=datetime(2026, 1, 7, 10, tzinfo=UTC),
                            ends_at=datetime(2026, 1, 7, 14, tzinfo=UTC))

    add_team_with_schedules(1)
    with CaptureQueriesContext(connection) as few:
        small = admin.get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    for _ in range(3):
        add_team_with_schedules(4)
    with CaptureQueriesContext(connection) as many:
        large = admin.get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    assert (len(small["teams"]), sum(len(t["schedules"]) for t in large["teams"])) == (1, 13)
    assert all(s["oncall"][0]["source"] == "override" for t in large["teams"] for s in t["schedules"])
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_schedule_a_policy_pages_cannot_be_deleted(team, manager, primary):
    EscalationPolicyFactory(team=team, name="Checkout", steps=[{"targets": [{"kind": "schedule", "id": primary.pk}]}])
    response = ApiClient(manager).delete(f"/api/v1/schedules/{primary.pk}/")
    assert response.status_code == 409
    assert "'Checkout' step 1" in response.json()["detail"]
    assert Schedule.objects.filter(pk=primary.pk).exists()


def test_a_schedule_feed_url_is_shown_once_and_revoking_it_stops_it(primary, people, settings):
    settings.PUBLIC_URL = "https://vigil.example.com"
    api = ApiClient(people[0])
    created = api.post(f"/api/v1/schedules/{primary.pk}/feed/")
    assert created.status_code == 201
    url = created.json()["url"]
    prefix = f"https://vigil.example.com/oncall/schedules/{primary.pk}/"
    assert url.startswith(prefix) and url.endswith(".ics")
    token = url.removeprefix(prefix).removesuffix(".ics")
    assert calendar_feed_find(token=token).schedule == primary
    listed = results(api.get("/api/v1/feeds/"))
    assert [(f["kind"], f["schedule_name"], f["is_active"]) for f in listed] == [("schedule", "Primary", True)]
    assert token not in str(listed)
    assert api.delete(f"/api/v1/feeds/{created.json()['id']}/").status_code == 204
    assert calendar_feed_find(token=token) is None
    assert api.get(f"/api/v1/feeds/{created.json()['id']}/").json()["is_active"] is False


def test_a_personal_feed_is_mine_alone(people, settings):
    settings.PUBLIC_URL = "https://vigil.example.com"
    created = ApiClient(people[0]).post("/api/v1/me/feed/")
    assert created.status_code == 201
    assert created.json()["url"].startswith(f"https://vigil.example.com/oncall/people/{people[0].pk}/")
    assert created.json()["kind"] == "person"
    other = ApiClient(people[1])
    assert results(other.get("/api/v1/feeds/")) == []
    assert other.delete(f"/api/v1/feeds/{created.json()['id']}/").status_code == 404
    assert CalendarFeed.objects.get().revoked_at is None


def test_shifts_are_labelled_with_their_own_layer_when_a_lower_layer_is_empty(team, people):
    schedule = ScheduleFactory(team=team, name="Layered")
    LayerFactory(schedule=schedule, participants=[], name="Nobody yet")
    second = LayerFactory(schedule=schedule, participants=[people[0]], name="Days")
    third = LayerFactory(schedule=schedule, participants=[people[1]], name="Nights",
                         restrictions=[{"kind": "daily", "start_time": time(20), "end_time": time(8)}])
    api = ApiClient(people[0])
    body = api.get(f"/api/v1/schedules/{schedule.pk}/shifts/",
                   {"start": "2026-01-07T12:00:00Z", "end": "2026-01-08T12:00:00Z"}).json()
    labelled = [(s["username"], s["source"], s["layer"], s["layer_name"]) for s in body["final"]]
    assert labelled == [("alice", "layer 2", second.pk, "Days"), ("bob", "layer 3", third.pk, "Nights"),
                        ("alice", "layer 2", second.pk, "Days")]
    assert [[s["layer"] for s in shifts][:1] for shifts in body["layers"]] == [[], [second.pk], [third.pk]]
    [night] = api.get(f"/api/v1/schedules/{schedule.pk}/oncall/", {"at": "2026-01-07T23:00:00Z"}).json()["oncall"]
    assert (night["source"], night["layer_name"]) == ("layer 3", "Nights")
    everywhere = api.get("/api/v1/oncall/", {"at": "2026-01-07T23:00:00Z"}).json()
    [shown] = [s for t in everywhere["teams"] for s in t["schedules"] if s["schedule"] == schedule.pk]
    assert shown["oncall"][0]["layer"] == third.pk
