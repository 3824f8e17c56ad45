"""/api/v1/ contact methods, notification rules, profile and on-call readiness."""
import pytest
import time_machine
from django.utils import timezone

from oncall.models import ContactMethod, NotificationRule, Profile, VerificationCode
from tests.factories import ApiClient, ContactMethodFactory, MembershipFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+14155550100"


@pytest.fixture
def alice(team):
    return MembershipFactory(team=team, user=UserFactory(username="alice")).user


def results(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_i_add_change_and_delete_my_contact_methods(alice):
    api = ApiClient(alice)
    created = api.post("/api/v1/contact-methods/", {"kind": "sms", "value": "+1 (415) 555-0100", "label": "Mobile"})
    assert created.status_code == 201, created.json()
    method = created.json()
    assert (method["user"], method["value"], method["verified"], method["usable"]) == (alice.pk, PHONE, False, False)
    url = f"/api/v1/contact-methods/{method['id']}/"
    assert api.patch(url, {"label": "Work"}).json()["label"] == "Work"
    assert [m["id"] for m in results(api.get("/api/v1/contact-methods/"))] == [method["id"]]
    assert api.delete(url).status_code == 204
    assert not ContactMethod.objects.exists()


def test_changing_the_address_unverifies_it(alice):
    method = ContactMethodFactory(user=alice, verified=True)
    body = ApiClient(alice).patch(f"/api/v1/contact-methods/{method.pk}/", {"value": "+14155550199"}).json()
    assert (body["value"], body["verified"], body["usable"]) == ("+14155550199", False, False)


def test_a_bad_address_or_a_kind_change_is_refused_with_a_message(alice):
    api = ApiClient(alice)
    bad = api.post("/api/v1/contact-methods/", {"kind": "sms", "value": "555-0100"})
    assert bad.status_code == 400 and "international form" in bad.json()["detail"]
    method = ContactMethodFactory(user=alice)
    switched = api.patch(f"/api/v1/contact-methods/{method.pk}/", {"kind": "email"})
    assert switched.status_code == 400 and switched.json()["detail"] == "kind: Unknown field."
    again = api.post("/api/v1/contact-methods/", {"kind": "sms", "value": PHONE})
    assert again.status_code == 400 and "already has" in again.json()["detail"]


def test_someone_elses_contact_methods_are_404_but_a_superuser_reaches_them(alice):
    method = ContactMethodFactory(user=alice)
    bob = ApiClient(UserFactory(username="bob"))
    assert bob.get(f"/api/v1/contact-methods/{method.pk}/").status_code == 404
    assert bob.delete(f"/api/v1/contact-methods/{method.pk}/").status_code == 404
    assert results(bob.get("/api/v1/contact-methods/", {"user": alice.pk})) == []
    admin = ApiClient(SuperuserFactory())
    assert results(admin.get("/api/v1/contact-methods/")) == []  # a superuser's list is their own, too
    assert [m["id"] for m in results(admin.get("/api/v1/contact-methods/", {"user": alice.pk}))] == [method.pk]
    assert admin.patch(f"/api/v1/contact-methods/{method.pk}/", {"label": "Set up by IT"}).status_code == 200


def test_only_a_superuser_adds_a_contact_method_for_someone_else(alice):
    bob = UserFactory(username="bob")
    refused = ApiClient(bob).post("/api/v1/contact-methods/", {"user": alice.pk, "kind": "sms", "value": PHONE})
    assert refused.status_code == 403 and "superusers" in refused.json()["detail"]
    done = ApiClient(SuperuserFactory()).post("/api/v1/contact-methods/",
                                              {"user": alice.pk, "kind": "email", "value": "Alice@Example.com"})
    assert (done.status_code, done.json()["user"], done.json()["value"]) == (201, alice.pk, "alice@example.com")


def test_a_code_sent_through_the_api_verifies_the_method_and_sets_default_rules(
        alice, sent_tasks, django_capture_on_commit_callbacks):
    api = ApiClient(alice)
    method = ContactMethodFactory(user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/contact-methods/{method.pk}/send-code/")
    assert started.status_code == 202
    assert started.json()["contact_method"] == method.pk
    [message] = sent_tasks
    task, kwargs = message["name"], message["kwargs"]
    assert (task, kwargs["contact_method_id"]) == ("notifications.send_verification", method.pk)
    wrong = "000000" if kwargs["code"] != "000000" else "111111"
    refused = api.post(f"/api/v1/contact-methods/{method.pk}/verify/", {"code": wrong})
    assert refused.status_code == 400 and "4 tries left" in refused.json()["detail"]
    verified = api.post(f"/api/v1/contact-methods/{method.pk}/verify/", {"code": kwargs["code"]})
    assert verified.status_code == 200
    assert (verified.json()["verified"], verified.json()["usable"]) == (True, True)
    assert set(NotificationRule.objects.filter(user=alice).values_list("urgency", flat=True)) == {"high", "low"}


def test_a_malformed_code_is_refused_without_costing_a_try(alice):
    method = ContactMethodFactory(user=alice)
    api = ApiClient(alice)
    api.post(f"/api/v1/contact-methods/{method.pk}/send-code/")
    response = api.post(f"/api/v1/contact-methods/{method.pk}/verify/", {"code": "12 34"})
    assert response.status_code == 400 and response.json()["detail"].startswith("code:")
    assert VerificationCode.objects.get().attempts == 0


def test_a_fourth_code_within_the_hour_is_a_429_with_retry_after(alice):
    method = ContactMethodFactory(user=alice)
    api = ApiClient(alice)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            assert api.post(f"/api/v1/contact-methods/{method.pk}/send-code/").status_code == 202
            traveller.shift(60)
        refused = api.post(f"/api/v1/contact-methods/{method.pk}/send-code/")
        assert refused.status_code == 429
        assert "try again later" in refused.json()["detail"]
        assert 3400 < int(refused["Retry-After"]) <= 3600 - 180 + 1
        traveller.shift(3600 - 180 + 1)
        assert api.post(f"/api/v1/contact-methods/{method.pk}/send-code/").status_code == 202


def test_a_superuser_vouches_for_an_email_address_but_not_for_a_phone(alice):
    email = ContactMethodFactory(user=alice, kind="email", value="alice@example.com")
    phone = ContactMethodFactory(user=alice)
    refused = ApiClient(alice).post(f"/api/v1/contact-methods/{email.pk}/verify-as-admin/")
    assert refused.status_code == 403
    admin = ApiClient(SuperuserFactory())
    assert admin.post(f"/api/v1/contact-methods/{email.pk}/verify-as-admin/").json()["verified"] is True
    by_phone = admin.post(f"/api/v1/contact-methods/{phone.pk}/verify-as-admin/")
    assert by_phone.status_code == 400 and "code sent to the phone" in by_phone.json()["detail"]


def test_i_manage_my_notification_rules_on_my_own_methods_only(alice):
    api = ApiClient(alice)
    phone = ContactMethodFactory(user=alice, verified=True, label="Mobile")
    bobs = ContactMethodFactory(user=UserFactory(username="bob"), verified=True)
    created = api.post("/api/v1/notification-rules/", {"urgency": "high", "contact_method": phone.pk,
                                                       "delay_minutes": 5})
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert (rule["user"], rule["contact_method_label"], rule["usable"]) == (alice.pk, "Mobile", True)
    url = f"/api/v1/notification-rules/{rule['id']}/"
    assert api.patch(url, {"delay_minutes": 10}).json()["delay_minutes"] == 10
    assert api.patch(url, {"delay_minutes": 1441}).status_code == 400
    foreign = api.post("/api/v1/notification-rules/", {"urgency": "high", "contact_method": bobs.pk})
    assert foreign.status_code == 400 and foreign.json()["detail"].startswith("contact_method:")
    twice = api.post("/api/v1/notification-rules/", {"urgency": "high", "contact_method": phone.pk,
                                                     "delay_minutes": 10})
    assert twice.status_code == 400 and "exists already" in twice.json()["detail"]
    assert [r["id"] for r in results(api.get("/api/v1/notification-rules/"))] == [rule["id"]]
    assert ApiClient(bobs.user).get(url).status_code == 404
    assert api.delete(url).status_code == 204


def test_my_profile_time_zone_is_an_iana_name(alice):
    api = ApiClient(alice)
    assert api.get("/api/v1/profile/").json() == {"user": alice.pk, "time_zone": "UTC", "notify_on_resolve": True}
    assert api.patch("/api/v1/profile/", {"time_zone": "Europe/Berlin"}).json()["time_zone"] == "Europe/Berlin"
    assert Profile.objects.get(user=alice).time_zone == "Europe/Berlin"
    for bad in ("Berlin", "Europe", "../etc/passwd"):
        response = api.patch("/api/v1/profile/", {"time_zone": bad})
        assert response.status_code == 400 and response.json()["detail"].startswith("time_zone:"), bad


def test_readiness_lists_what_stops_a_page_from_reaching_me(alice):
    api = ApiClient(alice)
    nothing = api.get("/api/v1/me/oncall-readiness/").json()
    assert nothing["has_usable_rule"] is False
    assert any("No contact method" in p for p in nothing["problems"])
    phone = ContactMethodFactory(user=alice, label="Mobile")
    NotificationRule.objects.create(user=alice, urgency="high", contact_method=phone)
    unverified = api.get("/api/v1/me/oncall-readiness/").json()
    assert unverified["has_usable_rule"] is False
    assert f"SMS contact method {phone.pk} (Mobile) is not verified." in unverified["problems"]
    ContactMethod.objects.filter(pk=phone.pk).update(verified_at=timezone.now())
    assert api.get("/api/v1/me/oncall-readiness/").json() == {"has_usable_rule": True, "problems": []}


def test_team_readiness_flags_members_a_page_would_not_reach_without_showing_addresses(team, alice, other_team):
    ready = MembershipFactory(team=team, user=UserFactory(username="bob")).user
    method = ContactMethodFactory(user=ready, verified=True)
    NotificationRule.objects.create(user=ready, urgency="high", contact_method=method)
    ContactMethodFactory(user=alice, value="+14155550111")
    body = ApiClient(alice).get(f"/api/v1/teams/{team.pk}/readiness/").json()
    by_name = {m["username"]: m for m in body["members"]}
    assert (by_name["bob"]["has_usable_rule"], by_name["alice"]["has_usable_rule"]) == (True, False)
    assert by_name["alice"]["role"] == "responder"
    assert "+14155550111" not in str(body)
    assert ApiClient(alice).get(f"/api/v1/teams/{other_team.pk}/readiness/").status_code == 404
