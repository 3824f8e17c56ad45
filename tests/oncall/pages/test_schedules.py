"""A schedule's page: the timeline, overrides and taking shifts, and what managers change."""
import re
from html.parser import HTMLParser
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client

from oncall import contacts, schedules
from oncall.models import CalendarFeed, Layer, Override, Schedule
from tests.factories import UserFactory
from tests.oncall.pages.helpers import NOW, login, page, url

pytestmark = pytest.mark.django_db


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

    committed = Path(__file__).resolve().parents[3] / "oncall/static/oncall/timeline-place.css"
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
