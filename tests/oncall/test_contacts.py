import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from oncall import contacts
from oncall.contacts import ContactError
from oncall.models import ContactMethod, NotificationRule, VerificationCode
from tests.factories import UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.mark.parametrize("raw,expected", [("+1 415 555 0100", "+14155550100"), ("+49 30 901820", "+4930901820"),
                                          ("+44 20 7946 0958", "+442079460958")])
def test_phone_numbers_are_stored_as_e164(alice, raw, expected):
    assert contacts.contact_method_create(user=alice, kind="sms", value=raw).value == expected


@pytest.mark.parametrize("kind,value", [("sms", "555-0100"), ("voice", "+1 000"), ("email", "not-an-email"),
                                        ("slack", "alice"), ("pager", "x")])
def test_bad_addresses_are_refused_with_a_message(alice, kind, value):
    with pytest.raises(ContactError, match=re.escape(repr(value)) if kind != "pager" else "Unknown contact method kind"):
        contacts.contact_method_create(user=alice, kind=kind, value=value)
    assert not ContactMethod.objects.exists()


def test_duplicate_contact_method_is_refused(alice):
    contacts.contact_method_create(user=alice, kind="sms", value="+14155550100")
    with pytest.raises(ContactError, match="already has"):
        contacts.contact_method_create(user=alice, kind="sms", value="+1 (415) 555-0100")


def test_code_verifies_the_method_and_creates_default_rules(alice, sent_tasks, django_capture_on_commit_callbacks):
    method = contacts.contact_method_create(user=alice, kind="sms", value="+14155550100")
    assert not method.usable
    with django_capture_on_commit_callbacks(execute=True):
        contacts.contact_method_verification_start(contact_method=method)
    [message] = sent_tasks
    task, kwargs = message["name"], message["kwargs"]
    assert task == "notifications.send_verification" and len(kwargs["code"]) == 6
    assert kwargs["code"] not in VerificationCode.objects.get().code_hash  # stored hashed
    method = contacts.contact_method_verify(contact_method=method, code=kwargs["code"])
    assert method.usable
    assert set(NotificationRule.objects.values_list("urgency", "delay_minutes")) == {("high", 0), ("low", 0)}
    assert contacts.user_has_usable_rule(user=alice)


def test_wrong_codes_are_limited(alice, sent_tasks, django_capture_on_commit_callbacks):
    method = contacts.contact_method_create(user=alice, kind="voice", value="+14155550100")
    with django_capture_on_commit_callbacks(execute=True):
        contacts.contact_method_verification_start(contact_method=method)
    good = sent_tasks[0]["kwargs"]["code"]
    bad = "000000" if good != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(ContactError, match=f"{left} tries left"):
            contacts.contact_method_verify(contact_method=method, code=bad)
    with pytest.raises(ContactError, match="ask for a new one"):
        contacts.contact_method_verify(contact_method=method, code=bad)
    with pytest.raises(ContactError, match="Too many wrong codes"):
        contacts.contact_method_verify(contact_method=method, code=good)
    method.refresh_from_db()
    assert not method.usable


def test_codes_expire_after_15_minutes(alice, sent_tasks, django_capture_on_commit_callbacks):
    method = contacts.contact_method_create(user=alice, kind="sms", value="+14155550100")
    with django_capture_on_commit_callbacks(execute=True):
        contacts.contact_method_verification_start(contact_method=method)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        with pytest.raises(ContactError, match="No valid code"):
            contacts.contact_method_verify(contact_method=method, code=sent_tasks[0]["kwargs"]["code"])


def test_only_a_few_codes_are_sent_per_hour(alice):
    method = contacts.contact_method_create(user=alice, kind="sms", value="+14155550100")
    for _ in range(contacts.CODES_PER_HOUR):
        contacts.contact_method_verification_start(contact_method=method)
    with pytest.raises(ContactError, match="codes were sent in the last hour"):
        contacts.contact_method_verification_start(contact_method=method)


def test_changing_the_number_unverifies_it(alice):
    method = contacts.contact_method_create(user=alice, kind="email", value="alice@example.com")
    contacts.contact_method_verify_by_admin(contact_method=method)
    method = contacts.contact_method_update(contact_method=method, value="alice@example.org")
    assert method.verified_at is None


def test_admin_cannot_vouch_for_a_phone(alice):
    method = contacts.contact_method_create(user=alice, kind="sms", value="+14155550100")
    with pytest.raises(ContactError, match="code sent to the phone"):
        contacts.contact_method_verify_by_admin(contact_method=method)


def test_disabled_method_is_not_usable(alice):
    method = contacts.contact_method_create(user=alice, kind="slack", value="U012AB3CD")
    contacts.contact_method_verify_by_admin(contact_method=method)
    contacts.contact_method_disable(contact_method=method, reason="channel_not_found")
    method.refresh_from_db()
    assert not method.usable
    assert not contacts.user_has_usable_rule(user=alice)


def test_person_without_rules_is_flagged(alice):
    assert not contacts.user_has_usable_rule(user=alice)


def test_time_zone_must_be_iana(alice):
    assert contacts.profile_time_zone_set(user=alice, time_zone="Europe/Berlin").time_zone == "Europe/Berlin"
    with pytest.raises(ContactError, match="Unknown time zone"):
        contacts.profile_time_zone_set(user=alice, time_zone="Mars/Olympus")
