import pytest
from django.urls import reverse

from oncall.models import Profile
from oncall.preferences import notify_on_resolve_of
from tests.factories import ApiClient, UserFactory

pytestmark = pytest.mark.django_db


def test_resolution_news_is_on_until_the_person_turns_it_off_on_their_profile(client):
    person = UserFactory()
    assert notify_on_resolve_of(user=person) is True
    client.force_login(person)
    assert 'name="notify_on_resolve" id="notify-on-resolve" checked' in client.get(reverse("oncall:profile")).content.decode()
    assert client.post(reverse("oncall:profile-notify-on-resolve"), {}).status_code == 302
    assert Profile.objects.get(user=person).notify_on_resolve is False
    assert 'id="notify-on-resolve" checked' not in client.get(reverse("oncall:profile")).content.decode()
    client.post(reverse("oncall:profile-notify-on-resolve"), {"notify_on_resolve": "on"})
    assert notify_on_resolve_of(user=person) is True


def test_resolution_news_is_set_through_the_profile_api_and_keeps_the_time_zone(db):
    person = UserFactory()
    api = ApiClient(person)
    api.patch("/api/v1/profile/", {"time_zone": "Europe/Berlin"})
    answer = api.patch("/api/v1/profile/", {"notify_on_resolve": False}).json()
    assert answer == {"user": person.pk, "time_zone": "Europe/Berlin", "notify_on_resolve": False}
    assert api.patch("/api/v1/profile/", {"notify_on_resolve": "maybe"}).status_code == 400
