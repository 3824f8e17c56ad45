import re
from html.parser import HTMLParser
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall import contacts, policies, schedules
from oncall.models import CalendarFeed, ContactMethod, EscalationPolicy, Layer, NotificationRule, Override, Schedule
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# A Wednesday. The rotation below hands off on Mondays at 09:00 New York time: alice has the week
# of 2 November, bob the week of 9 November, carol the week of 16 November.
NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(team):
    return {name: MembershipFactory(team=team, user=UserFactory(username=name)).user
            for name in ("alice", "bob", "carol")}


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user


@pytest.fixture
def schedule(team, people):
    schedule = schedules.schedule_create(team=team, name="Primary", time_zone="America/New_York")
    schedules.layer_create(schedule=schedule, name="Weekly", participants=list(people.values()), restrictions=[],
                           turn_unit="weeks",
                           handoff_time=time(9), start_date=date(2026, 11, 2))
    return schedule


@pytest.fixture
def policy(team, schedule):
    return policies.policy_create(team=team, name="Checkout", steps=[
        {"delay_minutes": 10, "targets": [{"kind": "schedule", "id": schedule.pk}]}])


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"oncall:{name}", args=args)


def usable_rule_for(user):
    method = ContactMethod.objects.create(user=user, kind="email", value=f"{user.username}@example.com",
                                          verified_at=NOW)
    return NotificationRule.objects.create(user=user, urgency="high", contact_method=method, delay_minutes=0)


def oncall_row(html, schedule_name) -> str:
    table = html[html.index('class="oncall-now"'):]
    row = table[table.index(f">{schedule_name}</a>"):]
    return row[: row.index("</tr>")]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Access ---------------------------------------------------------------------------------------

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


# --- Who is on call now -----------------------------------------------------------------------------

def test_now_page_shows_who_is_on_call_until_when_and_who_is_next(client, people, schedule):
    html = page(login(client, people["carol"]).get(url("now")))
    row = oncall_row(html, "Primary")
    assert "<strong>alice</strong>" in row
    assert "Mon 9 Nov 09:00" in row  # the hand-off, in the schedule's zone
    assert "bob" in row


def test_people_who_cannot_be_paged_are_flagged(client, people, schedule):
    login(client, people["carol"])
    html = page(client.get(url("now")))
    assert "no way to page alice" in html and "no way to page bob" in html
    usable_rule_for(people["alice"])
    html = page(client.get(url("now")))
    assert "no way to page alice" not in html and "no way to page bob" in html


def test_a_future_override_ends_the_current_shift_where_it_starts(client, people, schedule):
    starts = datetime(2026, 11, 5, 18, tzinfo=NY)
    schedules.override_create(schedule=schedule, user=people["carol"], starts_at=starts,
                              ends_at=starts + timedelta(hours=4), created_by=people["carol"])
    html = page(login(client, people["bob"]).get(url("now")))
    row = oncall_row(html, "Primary")
    assert "Thu 5 Nov 18:00" in row and "carol" in row and "override" in row


def test_gap_now_says_nobody_is_on_call_and_when_someone_is(client, team, people):
    schedule = schedules.schedule_create(team=team, name="Office hours", time_zone="America/New_York")
    schedules.layer_create(schedule=schedule, participants=[people["bob"]], turn_unit="days",
                           start_date=date(2026, 11, 1), handoff_time=time(9),
                           restrictions=[{"kind": "daily", "start_time": time(12), "end_time": time(17)}])
    html = page(login(client, people["bob"]).get(url("now")))
    row = oncall_row(html, "Office hours")
    assert "Nobody on call" in row and "Wed 4 Nov 12:00" in row and "bob" in row


def test_now_page_takes_the_same_number_of_queries_for_one_schedule_or_many(client, team, people, schedule):
    login(client, people["alice"])
    client.get(url("now"))  # sessions, content types: warm up
    with CaptureQueriesContext(connection) as one:
        page(client.get(url("now")))
    for n in range(4):
        extra = schedules.schedule_create(team=team, name=f"Extra {n}", time_zone="Europe/Berlin")
        schedules.layer_create(schedule=extra, participants=[people["bob"], people["carol"]], restrictions=[],
                               turn_unit="days", start_date=date(2026, 10, 1))
    with CaptureQueriesContext(connection) as many:
        html = page(client.get(url("now")))
    assert html.count("Extra ") == 4
    assert len(many) == len(one)


# --- Schedule page: the timeline -------------------------------------------------------------------

class Chart(HTMLParser):
    """The server-drawn chart as data: {row label: [(css classes, left %, width %, visible text)]}."""

    def __init__(self):
        super().__init__()
        self.rows, self.label, self.block, self.depth, self.in_label = {}, None, None, 0, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if self.block is not None:
            self.depth += 1
        elif "tl-label" in classes:
            self.in_label, self.label = True, ""
        elif "tl-block" in classes:
            left, width, kept = placement(classes)
            self.block, self.depth = [" ".join(c for c in kept if c != "tl-block"), left, width, ""], 0

    def handle_endtag(self, tag):
        if self.block is not None:
            if self.depth == 0:
                self.block[3] = " ".join(self.block[3].split())
                self.rows.setdefault(self.label, []).append(tuple(self.block))
                self.block = None
            else:
                self.depth -= 1
        elif self.in_label:
            self.in_label = False

    def handle_data(self, data):
        if self.block is not None:
            self.block[3] += data
        elif self.in_label:
            self.label += data


def placement(classes: list[str]) -> tuple[float, float, list[str]]:
    """left % and width % from the placing classes (tl-l12 tl-lf34 = 12.34 %), and the other classes."""
    parts = {m[1]: int(m[2]) for c in classes if (m := re.fullmatch(r"tl-([lw]f?)(\d+)", c))}
    kept = [c for c in classes if not re.fullmatch(r"tl-([lw]f?)(\d+)|tl-at|tl-span", c)]
    return parts["l"] + parts["lf"] / 100, parts["w"] + parts["wf"] / 100, kept


def test_the_committed_timeline_stylesheet_is_the_generated_one():
    from pathlib import Path

    from oncall.timeline_place import stylesheet

    committed = Path(__file__).resolve().parents[2] / "oncall/static/oncall/timeline-place.css"
    assert committed.read_text() == stylesheet()


def timeline_rows(html):
    chart = Chart()
    chart.feed(html)
    return chart.rows


def test_schedule_page_draws_fourteen_days_of_layers_and_the_final_schedule(client, people, schedule):
    html = page(login(client, people["alice"]).get(url("schedule", schedule.pk)))
    assert len(re.findall(r'class="tl-day', html)) == 14
    assert "Wed 4" in html and "Tue 17" in html
    rows = timeline_rows(html)
    assert list(rows) == ["Final schedule", "Weekly"]
    final = rows["Final schedule"]
    assert [block[3].split(" ")[0] for block in final] == ["alice", "bob", "carol"]
    # 14 days from midnight on 4 November (EST all along): alice until Monday 09:00 = 5 days 9 hours.
    assert final[0][1] == 0
    assert final[0][2] == pytest.approx((5 * 24 + 9) / (14 * 24) * 100, abs=0.01)
    assert sum(block[2] for block in final) == pytest.approx(100, abs=0.01)
    assert re.search(r'class="tl-now tl-at tl-l\d+ tl-lf\d+"', html)
    assert "Mon 09:00" in final[0][3]  # wide enough for its times
    assert 'title="alice · Weekly: Wed 04 Nov 00:00 – Mon 09 Nov 09:00 (America/New_York)"' in html


def test_gaps_are_drawn_as_nobody_on_call(client, team, people):
    schedule = schedules.schedule_create(team=team, name="Office hours", time_zone="UTC")
    schedules.layer_create(schedule=schedule, participants=[people["bob"]], turn_unit="days",
                           start_date=date(2026, 11, 1), restrictions=[{
                               "kind": "weekly", "start_weekday": 0, "start_time": time(9),
                               "end_weekday": 4, "end_time": time(17)}])
    html = page(login(client, people["bob"]).get(url("schedule", schedule.pk)))
    final = timeline_rows(html)["Final schedule"]
    gaps = [block for block in final if block[0] == "gap"]
    assert len(gaps) == 2  # the window runs from Monday 09:00 right through to Friday 17:00: two weekends
    assert all(block[3].startswith("Nobody on call") for block in gaps)
    assert "Nobody is on call in 2 stretches" in html
    assert gaps[0][1] == pytest.approx((2 * 24 + 17) / (14 * 24) * 100, abs=0.01)  # from Friday 17:00
    assert "Only on call from Monday 09:00 to Friday 17:00" in html


def test_override_form_creates_an_override_in_the_schedules_zone_and_marks_it(client, people, schedule):
    login(client, people["alice"])
    response = client.post(url("override-add", schedule.pk), {
        "user": people["carol"].pk, "starts_at": "2026-11-05T10:00", "ends_at": "2026-11-05T14:00"})
    assert response.status_code == 302
    override = Override.objects.get()
    assert (override.user, override.created_by) == (people["carol"], people["alice"])
    assert override.starts_at == datetime(2026, 11, 5, 15, tzinfo=UTC)  # 10:00 EST
    assert override.ends_at == datetime(2026, 11, 5, 19, tzinfo=UTC)
    html = page(client.get(url("schedule", schedule.pk)))
    final = timeline_rows(html)["Final schedule"]
    marks = [(b[0].split()[-1], b[3].split(" ")[0]) for b in final][:3]
    assert marks == [("who-0", "alice"), ("override", "⇄"), ("who-0", "alice")]
    assert 'title="carol · Override: Thu 05 Nov 10:00 – Thu 05 Nov 14:00 (America/New_York)"' in html
    assert 'class="is-override"' in html and "Override</span>" in html
    assert "Thu 5 Nov 10:00" in html  # listed in the overrides table, in New York time


def test_override_form_shows_the_services_refusal_and_keeps_the_input(client, people, schedule):
    login(client, people["alice"])
    response = client.post(url("override-add", schedule.pk), {
        "user": people["carol"].pk, "starts_at": "2026-11-05T14:00", "ends_at": "2026-11-05T10:00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The override must end after it starts." in html
    assert 'value="2026-11-05T14:00"' in html
    assert not Override.objects.exists()


def test_override_for_someone_outside_the_team_cannot_be_chosen(client, people, schedule):
    outsider = UserFactory(username="mallory")
    response = login(client, people["alice"]).post(url("override-add", schedule.pk), {
        "user": outsider.pk, "starts_at": "2026-11-05T10:00", "ends_at": "2026-11-05T14:00"})
    assert response.status_code == 400
    assert "mallory" not in response.content.decode()
    assert not Override.objects.exists()


def test_take_this_shift_makes_an_override_for_its_span(client, people, schedule):
    login(client, people["alice"])
    html = page(client.get(url("schedule", schedule.pk)))
    bob_row = html[html.index('<tr id="shift-1"'):]
    bob_row = bob_row[: bob_row.index("</tr>")]
    start, end = re.findall(r'name="(?:start|end)" value="([^"]+)"', bob_row)
    response = client.post(url("shift-take", schedule.pk), {"start": start, "end": end}, follow=True)
    assert "You are on call from Mon 09 Nov 09:00" in response.content.decode()
    override = Override.objects.get()
    assert (override.user, override.starts_at, override.ends_at) == (
        people["alice"], datetime(2026, 11, 9, 14, tzinfo=UTC), datetime(2026, 11, 16, 14, tzinfo=UTC))


def test_taking_a_shift_under_way_takes_it_from_now(client, people, schedule):
    login(client, people["bob"])
    client.post(url("shift-take", schedule.pk),
                {"start": "2026-11-04T05:00:00+00:00", "end": "2026-11-09T14:00:00+00:00"})
    override = Override.objects.get()
    assert (override.user, override.starts_at) == (people["bob"], NOW)


def test_no_take_button_on_my_own_shifts(client, people, schedule):
    html = page(login(client, people["alice"]).get(url("schedule", schedule.pk)))
    mine = html[html.index('<tr id="shift-0"'):]
    assert "Take this shift" not in mine[: mine.index("</tr>")]
    assert html.count("Take this shift") == 2 + 1  # bob's and carol's rows, and the form's heading


def test_deleting_an_override_removes_a_future_one_and_ends_a_running_one(client, people, schedule):
    future = schedules.override_create(schedule=schedule, user=people["carol"], starts_at=NOW + timedelta(days=1),
                                       ends_at=NOW + timedelta(days=2), created_by=None)
    running = schedules.override_create(schedule=schedule, user=people["bob"], starts_at=NOW - timedelta(hours=1),
                                        ends_at=NOW + timedelta(hours=1), created_by=None)
    login(client, people["alice"])
    client.post(url("override-delete", schedule.pk, future.pk))
    client.post(url("override-delete", schedule.pk, running.pk))
    assert not Override.objects.filter(pk=future.pk).exists()
    running.refresh_from_db()
    assert running.ends_at == NOW


def test_schedule_page_shows_times_in_my_zone_too(client, people, schedule):
    contacts.profile_time_zone_set(user=people["alice"], time_zone="Europe/Berlin")
    html = page(login(client, people["alice"]).get(url("schedule", schedule.pk)))
    assert "Your time (Europe/Berlin)" in html
    assert "Mon 9 Nov 15:00" in html  # 09:00 in New York


# --- Managers: schedules, layers, feeds ----------------------------------------------------------

def test_manager_creates_a_schedule_with_a_zone_typed_in(client, team, manager):
    login(client, manager)
    response = client.post(url("schedule-create"), {"team": team.pk, "name": "Database", "time_zone": "",
                                                    "time_zone_other": "America/Anchorage"})
    schedule = Schedule.objects.get(name="Database")
    assert response["Location"] == url("schedule", schedule.pk)
    assert schedule.time_zone == "America/Anchorage" and schedule.team == team


def test_an_unknown_time_zone_is_refused_with_the_services_message(client, team, manager):
    response = login(client, manager).post(url("schedule-create"), {
        "team": team.pk, "name": "Database", "time_zone": "", "time_zone_other": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Unknown time zone &#x27;Mars/Olympus&#x27;" in response.content.decode()
    assert not Schedule.objects.filter(name="Database").exists()


def test_manager_adds_a_layer_with_people_in_order_and_a_restriction(client, manager, people, schedule):
    response = login(client, manager).post(url("layer-add", schedule.pk), {
        "name": "Nights", "turn_length": 1, "turn_unit": "days", "handoff_time": "18:00", "start_date": "2026-11-04",
        "participants": "carol, Alice", "restriction": "daily", "start_time": "18:00", "end_time": "08:00"})
    assert response.status_code == 302
    layer = Layer.objects.get(name="Nights")
    assert [p.user.username for p in layer.participants.order_by("position")] == ["carol", "alice"]
    assert layer.position == 1 and list(layer.restrictions.values_list("kind", flat=True)) == ["daily"]
    html = page(client.get(url("schedule", schedule.pk)))
    assert list(timeline_rows(html)) == ["Final schedule", "Nights", "Weekly"]


def test_a_layer_naming_someone_outside_the_team_is_refused(client, manager, schedule):
    UserFactory(username="mallory")
    response = login(client, manager).post(url("layer-add", schedule.pk), {
        "turn_length": 1, "turn_unit": "days", "handoff_time": "09:00", "start_date": "2026-11-04",
        "participants": "alice, mallory"})
    assert response.status_code == 400
    assert "Not members of this team: mallory." in response.content.decode()
    assert schedule.layers.count() == 1


def test_manager_creates_a_schedule_feed_and_sees_its_address_once(client, manager, schedule):
    login(client, manager)
    html = page(client.post(url("schedule-feed-create", schedule.pk), follow=True))
    [address] = re.findall(r"(http://\S+\.ics)", html)
    assert f"/oncall/schedules/{schedule.pk}/cal_" in address
    assert address not in page(client.get(url("schedule", schedule.pk)))
    assert Client().get(urlsplit(address).path).status_code == 200
    feed = CalendarFeed.objects.get(schedule=schedule)
    client.post(url("schedule-feed-revoke", schedule.pk, feed.pk))
    feed.refresh_from_db()
    assert feed.revoked_at is not None


# --- Escalation policies ------------------------------------------------------------------------------

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


# --- Profile -----------------------------------------------------------------------------------------

def test_profile_add_send_code_and_verify(client, people, sent_tasks, django_capture_on_commit_callbacks):
    alice = people["alice"]
    login(client, alice)
    assert "Vigil cannot page you" in page(client.get(url("profile")))
    client.post(url("contact-add"), {"kind": "sms", "value": "+1 415 555 0100", "label": "Work"})
    method = ContactMethod.objects.get(user=alice)
    assert method.value == "+14155550100" and not method.usable
    with django_capture_on_commit_callbacks(execute=True):
        html = page(client.post(url("contact-send-code", method.pk), follow=True))
    assert "A code is on its way" in html
    [message] = sent_tasks
    task, kwargs = message["name"], message["kwargs"]
    assert task == "notifications.send_verification" and kwargs["contact_method_id"] == method.pk
    html = page(client.post(url("contact-verify", method.pk), {"code": kwargs["code"]}, follow=True))
    assert "is verified and can be paged" in html
    assert "Vigil cannot page you" not in html
    method.refresh_from_db()
    assert method.usable and contacts.user_has_usable_rule(user=alice)


def test_a_wrong_code_is_a_message(client, people, sent_tasks, django_capture_on_commit_callbacks):
    method = contacts.contact_method_create(user=people["alice"], kind="email", value="alice@example.com")
    login(client, people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("contact-send-code", method.pk))
    wrong = "000000" if sent_tasks[0]["kwargs"]["code"] != "000000" else "111111"
    html = page(client.post(url("contact-verify", method.pk), {"code": wrong}, follow=True))
    assert 'class="message error" role="status">That code is not right; 4 tries left.' in html


def test_a_bad_address_is_refused_with_the_services_message(client, people):
    login(client, people["alice"])
    html = page(client.post(url("contact-add"), {"kind": "sms", "value": "555-0100"}, follow=True))
    assert "is not a phone number" in html and not ContactMethod.objects.exists()


def test_a_contact_method_is_removed_with_its_rules(client, people):
    rule = usable_rule_for(people["alice"])
    html = page(login(client, people["alice"]).post(url("contact-delete", rule.contact_method_id), follow=True))
    assert "removed, with the rules that used it" in html and "Vigil cannot page you" in html
    assert not ContactMethod.objects.exists() and not NotificationRule.objects.exists()


def test_rules_are_added_and_removed_per_urgency(client, people):
    alice = people["alice"]
    method = ContactMethod.objects.create(user=alice, kind="email", value="alice@example.com", verified_at=NOW)
    login(client, alice)
    client.post(url("rule-add"), {"urgency": "high", "contact_method": method.pk, "delay_minutes": 5})
    rule = NotificationRule.objects.get(user=alice)
    assert (rule.urgency, rule.delay_minutes) == ("high", 5)
    html = page(client.get(url("profile")))
    assert "After 5 minutes: Email alice@example.com" in html and "Vigil cannot page you" not in html
    client.post(url("rule-delete", rule.pk))
    assert not NotificationRule.objects.exists()


def test_someone_elses_contact_methods_and_rules_are_not_found(client, people):
    bob_rule = usable_rule_for(people["bob"])
    login(client, people["alice"])
    assert client.post(url("rule-delete", bob_rule.pk)).status_code == 404
    assert client.post(url("contact-send-code", bob_rule.contact_method_id)).status_code == 404
    assert client.post(url("contact-verify", bob_rule.contact_method_id), {"code": "123456"}).status_code == 404
    html = page(client.post(url("rule-add"), {"urgency": "low", "contact_method": bob_rule.contact_method_id,
                                              "delay_minutes": 0}, follow=True))
    assert "Select a valid choice" in html
    assert NotificationRule.objects.count() == 1


def test_time_zone_is_set_from_the_list_or_typed(client, people):
    login(client, people["alice"])
    client.post(url("profile-time-zone"), {"time_zone": "Europe/Berlin"})
    assert people["alice"].oncall_profile.time_zone == "Europe/Berlin"
    html = page(client.post(url("profile-time-zone"), {"time_zone": "", "time_zone_other": "Nowhere/City"},
                            follow=True))
    assert "Unknown time zone" in html
    people["alice"].oncall_profile.refresh_from_db()
    assert people["alice"].oncall_profile.time_zone == "Europe/Berlin"


def test_personal_calendar_feed_is_shown_once_and_can_be_revoked(client, people):
    alice = people["alice"]
    login(client, alice)
    html = page(client.post(url("feed-create"), follow=True))
    [address] = re.findall(r"(http://\S+\.ics)", html)
    assert f"/oncall/people/{alice.pk}/cal_" in address
    assert address not in page(client.get(url("profile")))
    feed = CalendarFeed.objects.get(user=alice)
    client.post(url("feed-revoke", feed.pk))
    feed.refresh_from_db()
    assert feed.revoked_at is not None


def test_api_token_is_created_in_the_profile_shown_once_and_works(client, db):
    from oncall.models import ApiToken
    from tests.factories import UserFactory

    user = UserFactory(username="tokenuser")
    client.force_login(user)
    response = client.post("/oncall/profile/api-tokens/", {"name": "deploy script"})
    assert "<title>Your profile · Vigil</title>" in response.content.decode()
    [raw] = re.findall(r"vgl_[\w-]{40,}", response.content.decode())
    token = ApiToken.objects.get(user=user)
    assert token.key_hash != raw and token.key_prefix == raw[:10]
    client.logout()
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    client.force_login(user)
    client.post(f"/oncall/profile/api-tokens/{token.pk}/revoke/")
    client.logout()
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_timeline_labels_each_layers_shifts_with_that_layer_when_a_lower_layer_is_empty(client, team, people):
    schedule = schedules.schedule_create(team=team, name="Layered", time_zone="UTC")
    schedules.layer_create(schedule=schedule, name="Nobody yet", participants=[], start_date=date(2026, 11, 2))
    schedules.layer_create(schedule=schedule, name="Days", participants=[people["alice"]], turn_unit="days",
                           start_date=date(2026, 11, 2))
    schedules.layer_create(schedule=schedule, name="Nights", participants=[people["bob"]], turn_unit="days",
                           start_date=date(2026, 11, 2),
                           restrictions=[{"kind": "daily", "start_time": time(20), "end_time": time(8)}])
    html = page(login(client, people["alice"]).get(url("schedule", schedule.pk)))
    rows = timeline_rows(html)
    assert list(rows)[0] == "Final schedule" and set(rows) >= {"Days", "Nights"}
    # Narrow blocks show no name: the named ones and every tooltip say whose layer it is.
    assert {block[3] for block in rows["Nights"]} == {"bob", ""}
    assert {block[3].split(" ")[0] for block in rows["Days"]} == {"alice"}
    assert 'title="bob · Nights: Wed 04 Nov 20:00 – Thu 05 Nov 08:00 (UTC)"' in html
    assert 'title="alice · Days: Wed 04 Nov 08:00 – Wed 04 Nov 20:00 (UTC)"' in html


def test_now_and_schedule_pages_warn_of_a_gap_days_ahead(client, team, people, schedule):
    holed = schedules.schedule_create(team=team, name="Holed", time_zone="America/New_York")
    # One weekly window from Friday 06:00 round to Friday 02:00 leaves 02:00–06:00 on Friday empty.
    schedules.layer_create(schedule=holed, participants=[people["bob"]], turn_unit="weeks",
                           start_date=date(2026, 11, 2), restrictions=[{
                               "kind": "weekly", "start_weekday": 4, "start_time": time(6),
                               "end_weekday": 4, "end_time": time(2)}])
    login(client, people["alice"])
    warning = "Nobody on call Fri 02:00–06:00 (in 2 days)"
    html = page(client.get(url("now")))
    assert warning in oncall_row(html, "Holed")
    assert "Nobody on call" not in oncall_row(html, "Primary")
    assert warning in oncall_row(page(client.get(url("schedules"))), "Holed")
    detail = page(client.get(url("schedule", holed.pk)))
    assert warning in detail and "pages to this schedule would reach no one" in detail
    assert "reach no one" not in page(client.get(url("schedule", schedule.pk)))


def test_an_empty_schedule_warns_that_nobody_is_on_call_all_week(client, team, people):
    schedules.schedule_create(team=team, name="Empty", time_zone="UTC")
    html = page(login(client, people["alice"]).get(url("now")))
    assert "Nobody on call now, nor at any time in the next 7 days" in oncall_row(html, "Empty")
