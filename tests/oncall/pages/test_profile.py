"""The profile: contact methods and their verification, rules, time zone, feeds, API tokens."""
import re

import pytest

from oncall import contacts
from oncall.models import CalendarFeed, ContactMethod, NotificationRule
from tests.oncall.pages.helpers import NOW, login, page, url, usable_rule_for

pytestmark = pytest.mark.django_db


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
