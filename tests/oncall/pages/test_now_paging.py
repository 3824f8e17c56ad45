"""The on-call page at scale: one page of schedules at a time, optionally one team's."""
import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, ScheduleFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(team, people, settings):
    other = TeamFactory(name="Zeta")
    MembershipFactory(team=other, user=people["carol"])
    mine = [ScheduleFactory(team=team, name=f"Rota {i:02d}") for i in range(4)]
    theirs = [ScheduleFactory(team=other, name=f"Zeta rota {i}") for i in range(2)]
    return mine, theirs, other


def test_schedules_come_a_page_at_a_time_and_every_one_shows_once(client, people, many, monkeypatch):
    from oncall.views import now

    monkeypatch.setattr(now, "SCHEDULES_PER_PAGE", 4)
    client.force_login(people["carol"])
    first = client.get(reverse("oncall:now")).content.decode()
    assert all(f"Rota {i:02d}" in first for i in range(4)) and "Zeta rota" not in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get(reverse("oncall:now"), {"page": 2}).content.decode()
    assert "Zeta rota 0" in second and "Zeta rota 1" in second and "Rota 00" not in second
    assert 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second


def test_the_team_filter_shows_only_that_teams_schedules(client, people, many):
    mine, theirs, other = many
    client.force_login(people["carol"])
    html = client.get(reverse("oncall:now"), {"team": other.pk}).content.decode()
    assert "Zeta rota 0" in html and "Rota 00" not in html
    assert f'<option value="{other.pk}" selected>' in html


def test_a_team_filter_for_a_team_one_cannot_see_shows_all_of_ones_own(client, people, many):
    hidden = TeamFactory(name="Hidden")
    ScheduleFactory(team=hidden, name="Secret rota")
    client.force_login(people["bob"])
    html = client.get(reverse("oncall:now"), {"team": hidden.pk, "page": "x"}).content.decode()
    assert "Secret rota" not in html and "Rota 00" in html


def test_ones_own_shifts_come_from_the_schedules_that_name_one(client, team, people, schedule):
    from datetime import timedelta

    from django.utils import timezone

    from oncall import schedules

    cover = schedules.schedule_create(team=team, name="Cover", time_zone="UTC")
    start = timezone.now() + timedelta(days=1)
    schedules.override_create(schedule=cover, user=people["carol"], starts_at=start,
                              ends_at=start + timedelta(hours=4), created_by=people["carol"])
    for i in range(3):  # schedules of the team that never name carol
        ScheduleFactory(team=team, name=f"Other {i}")
    shifts = schedules.user_shifts(user=people["carol"], start=timezone.now(), end=timezone.now() + timedelta(days=14))
    assert {s.name for s, _shift in shifts} == {"Primary", "Cover"}
    assert [shift.start for s, shift in shifts if s.name == "Cover"] == [start]
