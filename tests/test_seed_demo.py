import io
import json
import stat
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import resolve, reverse

from incidents.demo_postmortem import DEDUP_KEY as POSTMORTEM_DEDUP_KEY
from incidents.models import Incident, Integration, Postmortem, Service, TimelineEvent
from incidents.response_review import response_review
from incidents.services import integration_rotate_token
from oncall.auth import ApiTokenAuthentication
from oncall.models import ApiToken, Membership, Team, hash_secret
from oncall.services import api_token_revoke

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://vigil.example.com"


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.PUBLIC_URL = PUBLIC_URL
    return settings


def seed_json() -> dict:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in (User, Team, Membership, Service, Integration, ApiToken)}


def test_seeding_twice_adds_no_rows_and_prints_the_same_facts():
    first = seed_json()
    counts = row_counts()
    second = seed_json()
    assert second == first
    assert row_counts() == counts
    # demo, three in the rotation, and dana who shadows it
    assert counts == {"User": 5, "Team": 1, "Membership": 5, "Service": 1, "Integration": 6, "ApiToken": 1}


def test_json_output_is_one_object_with_every_fact():
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    facts = json.loads(out.getvalue())
    assert set(facts) == {"web_url", "login", "api_token", "integrations"}
    assert facts["web_url"] == PUBLIC_URL
    assert set(facts["integrations"]) == {"generic", "alertmanager", "grafana", "pagerduty", "heartbeat", "email"}


def logs_in(client, username: str, password: str) -> bool:
    # Through the login page: the login throttle needs the request that client.login() leaves out.
    client.post("/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_printed_login_works_for_a_superuser_who_manages_the_team(client):
    login = seed_json()["login"]
    assert login["username"] == "demo"
    assert logs_in(client, login["username"], login["password"])
    demo = User.objects.get(username="demo")
    assert demo.is_staff and demo.is_superuser
    assert Membership.objects.get(user=demo, team__name="Platform").role == Membership.Role.MANAGER
    assert client.get("/admin/").status_code == 200


def test_responders_have_emails_and_cannot_log_in():
    seed_json()
    for username in ("alice", "bob", "carol"):
        person = User.objects.get(username=username)
        assert person.email == f"{username}@example.com"
        assert not person.has_usable_password()
        assert Membership.objects.get(user=person).role == Membership.Role.RESPONDER


def test_printed_api_token_authenticates_as_the_demo_user():
    token = seed_json()["api_token"]
    request = RequestFactory().get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Bearer {token}")
    user, _token = ApiTokenAuthentication().authenticate(request)
    assert user.username == "demo"


def test_printed_integration_urls_carry_tokens_that_match_the_stored_hashes():
    integrations = seed_json()["integrations"]
    service = Service.objects.get(name="Checkout API")
    assert service.runbook_url.startswith("https://")
    by_kind = {i.kind: i for i in service.integrations.all()}

    for kind in ("generic", "alertmanager", "grafana"):
        url = integrations[kind]
        assert url.startswith(f"{PUBLIC_URL}/integrations/") and url.endswith("/")
        token = urlsplit(url).path.split("/")[2]
        assert hash_secret(token) == by_kind[kind].token_hash
        assert resolve(urlsplit(url).path).url_name == "integration-webhook"

    heartbeat = integrations["heartbeat"]
    assert heartbeat.endswith("/heartbeat/")
    assert hash_secret(urlsplit(heartbeat).path.split("/")[2]) == by_kind["heartbeat"].token_hash
    assert resolve(urlsplit(heartbeat).path).url_name == "integration-heartbeat"

    pagerduty = integrations["pagerduty"]
    assert pagerduty["url"] == f"{PUBLIC_URL}/v2/enqueue"
    assert hash_secret(pagerduty["routing_key"]) == by_kind["pagerduty"].token_hash
    assert resolve(urlsplit(pagerduty["url"]).path).url_name == "pagerduty-enqueue"


def test_a_rotated_integration_token_is_replaced_and_recorded():
    before = seed_json()
    grafana = Integration.objects.get(kind="grafana")
    integration_rotate_token(integration=grafana)  # someone rotates it in the admin; the file is now stale
    after = seed_json()
    assert after["integrations"]["grafana"] != before["integrations"]["grafana"]
    grafana.refresh_from_db()
    assert hash_secret(urlsplit(after["integrations"]["grafana"]).path.split("/")[2]) == grafana.token_hash
    assert after["integrations"]["generic"] == before["integrations"]["generic"]
    assert seed_json() == after


def test_a_revoked_api_token_is_replaced_with_a_working_one():
    old = seed_json()["api_token"]
    api_token_revoke(token=ApiToken.objects.get(key_hash=hash_secret(old)))
    new = seed_json()["api_token"]
    assert new != old
    assert ApiToken.objects.get(key_hash=hash_secret(new)).is_active


def test_secrets_are_kept_in_a_private_file_and_the_password_is_not_fixed(demo_settings, client):
    first = seed_json()
    path = demo_settings.VAR_DIR / "demo_credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["password"] == first["login"]["password"]

    path.unlink()  # a fresh checkout against the same database gets its own password
    second = seed_json()
    assert second["login"]["password"] != first["login"]["password"]
    assert not logs_in(client, "demo", first["login"]["password"])
    assert logs_in(client, "demo", second["login"]["password"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_human_output_lists_the_web_url_login_token_and_every_integration():
    facts = seed_json()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for fact in (
        PUBLIC_URL, facts["login"]["username"], facts["login"]["password"], facts["api_token"],
        facts["integrations"]["generic"], facts["integrations"]["alertmanager"], facts["integrations"]["grafana"],
        facts["integrations"]["heartbeat"], facts["integrations"]["pagerduty"]["url"],
        facts["integrations"]["pagerduty"]["routing_key"],
    ):
        assert fact in text


def test_the_demo_user_is_on_call_now_and_stays_so_when_seeded_again():
    from django.utils import timezone

    from oncall.models import Override, Schedule
    from oncall.schedules import oncall_users_at

    seed_json()
    demo = User.objects.get(username="demo")
    schedule = Schedule.objects.get(name="Platform primary")
    assert oncall_users_at(schedule=schedule, at=timezone.now()) == [demo]
    seed_json()
    assert Override.objects.filter(user=demo).count() == 1


def test_the_demo_rotation_has_a_shadow_shown_beside_whoever_is_on_call(client):
    from django.utils import timezone

    from oncall.models import Schedule, Shadow
    from oncall.schedules import schedules_oncall_at, schedules_shadows_at

    seed_json()
    seed_json()
    schedule = Schedule.objects.get(name="Platform primary")
    [shadow] = Shadow.objects.filter(schedule=schedule)
    assert shadow.user.username == "dana" and shadow.shadowing is None
    now = timezone.now()
    shifts = schedules_oncall_at(Schedule.objects.filter(pk=schedule.pk), at=now)
    assert schedules_shadows_at(shifts, at=now)[schedule.pk] == [shadow.user_id]
    client.force_login(User.objects.get(username="demo"))
    assert "(shadow: Dana Diaz)" in client.get("/oncall/").content.decode()


def test_the_heartbeat_named_nightly_expects_a_beat_once_a_day():
    seed_json()
    heartbeat = Integration.objects.get(kind="heartbeat")
    assert "nightly" in heartbeat.name.lower()
    assert heartbeat.config["interval_seconds"] == 24 * 3600
    assert heartbeat.config["grace_seconds"] >= 15 * 60


def test_the_email_integration_prints_its_url_and_with_a_mail_domain_its_address(demo_settings):
    demo_settings.VIGIL_EMAIL_DOMAIN = "alerts.example.com"
    email = seed_json()["integrations"]["email"]
    token = urlsplit(email["url"]).path.split("/")[2]
    assert email["url"] == f"{PUBLIC_URL}/integrations/{token}/email/"
    assert resolve(urlsplit(email["url"]).path).url_name == "integration-email"
    assert email["address"] == f"{token}@alerts.example.com"
    assert hash_secret(token) == Integration.objects.get(kind="email").token_hash
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert email["url"] in out.getvalue() and email["address"] in out.getvalue()


def test_without_a_mail_domain_the_email_integration_has_no_address_and_says_how_to_get_one(demo_settings):
    demo_settings.VIGIL_EMAIL_DOMAIN = ""
    assert seed_json()["integrations"]["email"]["address"] is None
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "VIGIL_EMAIL_DOMAIN" in out.getvalue()


def test_the_demo_email_integration_resolves_a_nagios_problem_with_its_recovery(client):
    from pathlib import Path

    from incidents.models import Incident

    url = urlsplit(seed_json()["integrations"]["email"]["url"]).path
    fixtures = Path(__file__).resolve().parent / "fixtures" / "email"
    for name in ("nagios-problem.eml", "nagios-recovery.eml"):
        response = client.post(url, data=(fixtures / name).read_bytes(), content_type="message/rfc822")
        assert response.status_code == 202
    incident = Incident.objects.get(title__contains="web1.example.net/HTTP")
    assert (incident.status, incident.severity) == ("resolved", "SEV2")


def test_the_demo_has_a_resolved_sev1_whose_prefilled_postmortem_a_new_user_finds(client):
    seed_json()
    demo = User.objects.get(username="demo")
    incident = Incident.objects.get(dedup_key=POSTMORTEM_DEDUP_KEY)
    assert (incident.status, incident.severity) == ("resolved", "SEV1")
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.owner == demo and postmortem.status == "draft"
    assert "Draft written by Vigil" in postmortem.summary
    for line in ("Status update", "Evidence added", "Pinned in Slack", "Mitigated", "Resolved"):
        assert line in postmortem.timeline
    assert "TLS handshake failed" in postmortem.timeline and "1,800 failed checkouts" in postmortem.impact
    review = response_review(incident=incident)
    assert review.evidence_first is True
    assert {m.key: int(m.after.total_seconds() // 60) for m in review.measures if m.key != "resolved"} == {
        "acknowledged": 3, "first_update": 9, "mitigated": 24}
    client.force_login(demo)
    listed = client.get(reverse("incidents:list") + "?status=resolved").content.decode()
    assert reverse("incidents:postmortem", args=[postmortem.pk]) in listed
    assert reverse("incidents:postmortem", args=[postmortem.pk]) in client.get(reverse("incidents:postmortems")).content.decode()


def test_seeding_again_keeps_the_one_postmortem_and_what_was_written_in_it():
    seed_json()
    Postmortem.objects.update(went_well="Rollback took 7 minutes")
    counts = (Postmortem.objects.count(), TimelineEvent.objects.count())
    seed_json()
    assert (Postmortem.objects.count(), TimelineEvent.objects.count()) == counts == (1, counts[1])
    assert Postmortem.objects.get().went_well == "Rollback took 7 minutes"


def test_the_demo_postmortem_has_follow_ups_one_of_them_still_without_an_owner(client):
    from incidents.models import ActionItem

    seed_json()
    seed_json()  # again: nothing added twice
    postmortem = Postmortem.objects.get(incident__dedup_key=POSTMORTEM_DEDUP_KEY)
    items = list(postmortem.action_items.order_by("due_on"))
    assert len(items) == 3 and all(i.status == ActionItem.Status.OPEN for i in items)
    assert [i.owner is None for i in items] == [False, False, True]
    client.force_login(User.objects.get(username="demo"))
    page = client.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode()
    assert "Ship v5.4.1 with the renewed client certificate" in page
