"""Setting up an email integration: its URL and address, and its options checked and kept secret."""
import re

import pytest
from django.urls import reverse

from incidents.integration_config import config_problems
from incidents.models import Integration
from oncall.models import hash_secret
from tests.factories import ApiClient, MembershipFactory


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager").user


def create(manager, service, **config):
    return ApiClient(manager).post("/api/v1/integrations/", {
        "service": service.pk, "kind": "email", "name": "Nagios mail", "config": config})


def test_an_email_integration_gets_a_url_and_with_a_mail_domain_an_address(manager, service, settings):
    settings.PUBLIC_URL = "https://vigil.example.com"
    settings.VIGIL_EMAIL_DOMAIN = "alerts.example.com"
    body = create(manager, service).json()
    assert body["url"] == f"https://vigil.example.com/integrations/{body['token']}/email/"
    assert body["address"] == f"{body['token']}@alerts.example.com"
    assert body["routing_key"] is None


def test_without_a_mail_domain_there_is_no_address(manager, service, settings):
    settings.VIGIL_EMAIL_DOMAIN = ""
    assert create(manager, service).json()["address"] is None


def test_the_service_page_shows_the_new_address_once(client, manager, service, settings):
    settings.VIGIL_EMAIL_DOMAIN = "alerts.example.com"
    client.force_login(manager)
    response = client.post(reverse("incidents:integration-add", args=[service.pk]), {"kind": "email", "name": "Mail"})
    page = response.content.decode()
    address = re.search(r'id="new-secret-address">([^<]+)@alerts\.example\.com<', page).group(1)
    assert hash_secret(address) == Integration.objects.get(name="Mail").token_hash
    assert f"/integrations/{address}/email/" in page


def test_the_mailgun_signing_key_and_basic_auth_are_write_only(manager, service):
    response = create(manager, service, mailgun_signing_key="key-0123456789abcdef-mailgun",
                      basic_auth="sendgrid:parse-password-42", resolve_pattern="RECOVERY")
    assert response.status_code == 201, response.content
    shown = ApiClient(manager).get(f"/api/v1/integrations/{response.json()['id']}/").json()["config"]
    assert shown == {"mailgun_signing_key": "****lgun", "basic_auth": "****d-42", "resolve_pattern": "RECOVERY"}
    assert "0123456789abcdef" not in str(response.json()) and "parse-password" not in str(response.json())


@pytest.mark.parametrize(("config", "problem"), [
    ({"basic_auth": "no-colon"}, "'basic_auth' must be \"user:password\""),
    ({"basic_auth": ":password-only"}, "'basic_auth' must be \"user:password\""),
    ({"mailgun_signing_key": ""}, "'mailgun_signing_key' must be a string of 1 to 512 characters"),
    ({"dedup_pattern": "(?P<key"}, "'dedup_pattern' is not a valid regular expression"),
    ({"resolve_patern": "OK"}, "unknown option 'resolve_patern'"),
])
def test_bad_email_options_are_refused_by_name(config, problem):
    assert any(p.startswith(problem) for p in config_problems("email", config)), config_problems("email", config)


def test_the_api_refuses_an_invalid_pattern_and_creates_nothing(manager, service):
    response = create(manager, service, resolve_pattern="(unclosed")
    assert response.status_code == 400
    assert "resolve_pattern" in str(response.json())
    assert not Integration.objects.exists()


def test_a_manager_sets_the_patterns_and_mailgun_key_on_the_service_page(client, manager, service):
    client.force_login(manager)
    response = client.post(reverse("incidents:integration-add", args=[service.pk]), {
        "kind": "email", "name": "Nagios mail", "dedup_pattern": r"Alert: (?P<key>\S+)",
        "resolve_pattern": r"^\*\* RECOVERY", "mailgun_signing_key": "key-from-mailgun-0123"})
    assert response.status_code == 200
    assert Integration.objects.get(name="Nagios mail").config == {
        "dedup_pattern": r"Alert: (?P<key>\S+)", "resolve_pattern": r"^\*\* RECOVERY",
        "mailgun_signing_key": "key-from-mailgun-0123"}
    assert "key-from-mailgun-0123" not in response.content.decode()


def test_the_page_names_a_bad_pattern_and_refuses_patterns_on_other_kinds(client, manager, service):
    client.force_login(manager)
    add = reverse("incidents:integration-add", args=[service.pk])
    bad = client.post(add, {"kind": "email", "name": "Mail", "resolve_pattern": "(unclosed"})
    assert bad.status_code == 400 and "is not a valid regular expression" in bad.content.decode()
    other = client.post(add, {"kind": "generic", "name": "Cron", "dedup_pattern": "x"})
    assert other.status_code == 400 and "take no such option" in other.content.decode()
    assert not Integration.objects.exists()
