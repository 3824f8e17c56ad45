"""Outgoing webhooks against a real local receiver that checks signatures: stored with the
incident change, signed, retried, ordered per incident, never lost, and refused for private
destinations unless allowed."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident, WebhookDelivery, WebhookEndpoint
from incidents.outgoing.sending import webhook_deliver, webhooks_sweep
from incidents.outgoing.services import webhook_endpoint_create
from incidents.outgoing.signing import signature_header, signature_valid
from incidents.services import incident_acknowledge, incident_note_add, incident_resolve, incident_trigger
from notifications.models import OutboxMessage
from notifications.webhook_notice import webhook_endpoint_disabled_notify
from tests.factories import ApiClient, MembershipFactory, ServiceFactory, UserFactory
from tests.fakes.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_private(settings):
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.stop()


@pytest.fixture
def subscribed(team, service, receiver, allow_private):
    """The team's endpoint at the receiver, which knows the secret (shown once at creation)."""
    receiver.start()
    endpoint, secret = webhook_endpoint_create(team=team, url=receiver.url)
    receiver.secret = secret
    return endpoint


def run_webhooks() -> list[str]:
    """What the workers would do by now: send every due delivery, oldest first."""
    outcomes = []
    for _ in range(100):
        due = list(WebhookDelivery.objects.filter(status="pending", due_at__lte=timezone.now())
                   .order_by("id").values_list("pk", flat=True))
        results = [webhook_deliver(delivery_id=pk) for pk in due]
        outcomes += results
        if not due or all(r in ("waiting", "skipped") for r in results):
            return outcomes
    raise AssertionError("deliveries did not settle")


def test_incident_changes_reach_the_receiver_signed_and_in_order(subscribed, service, receiver, responder, clock):
    incident, _ = incident_trigger(service=service, title="Checkout 5xx", dedup_key="5xx")
    incident_acknowledge(incident=incident, by=responder, via="web")
    incident_note_add(incident=incident, by=responder, via="web", text="Rolling back")
    incident_resolve(incident=incident, by=responder, via="web")
    run_webhooks()
    assert [r["valid"] for r in receiver.requests] == [True] * 4
    assert [e["event"] for e in receiver.events] == [
        "incident.triggered", "incident.acknowledged", "incident.note", "incident.resolved"]
    first = receiver.events[0]
    assert first["version"] == 1
    assert first["incident"]["number"] == incident.number
    assert first["incident"]["service"]["name"] == service.name
    assert first["incident"]["url"].endswith(f"/incidents/{incident.pk}/")
    assert receiver.events[1]["actor"] == {"username": responder.username}
    assert receiver.events[1]["incident"]["status"] == "acknowledged"


def test_a_delivery_is_stored_with_the_change_and_sent_only_after_commit(
        subscribed, service, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as after_commit:
        incident, _ = incident_trigger(service=service, title="Disk full")
        [delivery] = WebhookDelivery.objects.filter(incident=incident)
        assert delivery.event == "incident.triggered" and delivery.status == "pending"
    assert sent_tasks.named("incidents.webhook_deliver") == []
    for callback in after_commit:
        callback()
    assert [t["args"] for t in sent_tasks.named("incidents.webhook_deliver")] == [[delivery.pk]]


def test_a_failing_receiver_is_retried_with_backoff_and_later_events_wait_their_turn(
        subscribed, service, receiver, responder, clock):
    receiver.fail_first = 2
    incident, _ = incident_trigger(service=service, title="Checkout 5xx")
    incident_acknowledge(incident=incident, by=responder, via="web")
    assert run_webhooks() == ["retry", "waiting"]
    assert receiver.events == []
    # The acknowledgement is not sent before the trigger has been delivered.
    assert [r["event"] for r in receiver.requests] == ["incident.triggered"]
    clock.shift(timedelta(seconds=10))
    assert run_webhooks()[0] == "retry"
    clock.shift(timedelta(seconds=20))
    run_webhooks()
    assert [e["event"] for e in receiver.events] == ["incident.triggered", "incident.acknowledged"]
    log = ApiClient(MembershipFactory(team=subscribed.team, role="manager").user).get(
        f"/api/v1/webhooks/{subscribed.pk}/deliveries/").json()["results"]
    trigger = next(row for row in log if row["event"] == "incident.triggered")
    assert [a["status_code"] for a in reversed(trigger["attempt_log"])] == [500, 500, 204]
    assert trigger["status"] == "delivered" and trigger["attempts"] == 3


def test_a_receiver_that_is_down_gets_the_event_once_it_is_back(subscribed, service, receiver, clock):
    receiver.stop()
    incident_trigger(service=service, title="Checkout 5xx")
    assert run_webhooks() == ["retry"]
    [attempt] = WebhookDelivery.objects.get().attempt_log.all()
    assert attempt.status_code is None and "Connection" in attempt.error
    receiver.start()  # same port
    clock.shift(timedelta(seconds=10))
    assert run_webhooks() == ["delivered"]
    assert [e["event"] for e in receiver.events] == ["incident.triggered"]


def test_a_delivery_held_by_a_worker_that_died_is_sent_again_by_the_sweep(
        subscribed, service, receiver, clock, sent_tasks, django_capture_on_commit_callbacks):
    incident_trigger(service=service, title="Checkout 5xx")
    delivery = WebhookDelivery.objects.get()
    # A worker claimed it and died before sending.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=timezone.now(), attempts=1)
    assert webhooks_sweep() == {"revived": 0, "due": 0}
    clock.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_sweep()["revived"] == 1
    assert sent_tasks.named("incidents.webhook_deliver")[-1]["args"] == [delivery.pk]
    assert run_webhooks() == ["delivered"]
    assert len(receiver.events) == 1


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_managers_are_told(
        subscribed, service, receiver, clock, sent_tasks, django_capture_on_commit_callbacks):
    manager = MembershipFactory(team=subscribed.team, role="manager", user=UserFactory(email="m@example.com")).user
    receiver.fail_first = 10**6
    incident_trigger(service=service, title="Checkout 5xx")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(40):
            run_webhooks()
            clock.shift(timedelta(hours=1))
    subscribed.refresh_from_db()
    assert not subscribed.enabled and "failing since" in subscribed.disabled_reason
    assert WebhookDelivery.objects.get().status == "failed"
    [notice] = sent_tasks.named("notifications.webhook_endpoint_disabled")
    assert webhook_endpoint_disabled_notify(endpoint_id=notice["args"][0]) == 1
    message = OutboxMessage.objects.get(user=manager)
    assert message.to == "m@example.com" and receiver.url in message.body
    # Nothing more is sent to it, and new events are not stored for it.
    sent = len(receiver.requests)
    incident_trigger(service=service, title="Another")
    clock.shift(timedelta(hours=2))
    run_webhooks()
    assert len(receiver.requests) == sent


def test_endpoints_get_only_their_service_and_events(team, receiver, allow_private, responder):
    receiver.start()
    checkout, search = ServiceFactory(team=team, name="checkout"), ServiceFactory(team=team, name="search")
    endpoint, secret = webhook_endpoint_create(team=team, url=receiver.url, service=checkout,
                                               events=["incident.resolved"])
    receiver.secret = secret
    for service in (checkout, search):
        incident, _ = incident_trigger(service=service, title=f"{service.name} down")
        incident_resolve(incident=incident, by=responder, via="web")
    run_webhooks()
    assert [(e["event"], e["incident"]["service"]["name"]) for e in receiver.events] == [
        ("incident.resolved", "checkout")]


def test_another_teams_incidents_are_not_sent(subscribed, other_team, receiver):
    incident_trigger(service=ServiceFactory(team=other_team), title="Theirs")
    assert run_webhooks() == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://[::ffff:10.0.0.1]/", "http://0.0.0.0/",
])
def test_private_loopback_and_link_local_destinations_are_refused(team, url):
    manager = MembershipFactory(team=team, role="manager").user
    response = ApiClient(manager).post("/api/v1/webhooks/", {"team": team.pk, "url": url})
    assert response.status_code == 400
    assert "public addresses only" in response.json()["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_a_destination_that_turned_private_is_not_called(subscribed, service, receiver, settings):
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE = False
    incident_trigger(service=service, title="Checkout 5xx")
    assert run_webhooks() == ["retry"]
    assert receiver.requests == []
    assert "public addresses only" in WebhookDelivery.objects.get().error


def test_managers_create_webhooks_and_see_the_secret_once(team, allow_private):
    manager = MembershipFactory(team=team, role="manager").user
    api = ApiClient(manager)
    created = api.post("/api/v1/webhooks/", {"team": team.pk, "url": "http://127.0.0.1:9/x",
                                             "events": ["incident.triggered"]})
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    shown = api.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert shown["secret"] != secret and shown["secret"].endswith("…")
    assert secret not in str(api.get("/api/v1/webhooks/").json())


def test_responders_cannot_add_webhooks_and_other_teams_cannot_see_them(team, other_team, responder, allow_private):
    denied = ApiClient(responder).post("/api/v1/webhooks/", {"team": team.pk, "url": "http://127.0.0.1:9/"})
    assert denied.status_code == 403 and "only managers" in denied.json()["detail"]
    endpoint, _ = webhook_endpoint_create(team=team, url="http://127.0.0.1:9/")
    outsider = ApiClient(MembershipFactory(team=other_team, role="manager").user)
    assert outsider.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert outsider.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": False}).status_code == 404


def test_unknown_events_are_refused_with_their_name(team, allow_private):
    manager = MembershipFactory(team=team, role="manager").user
    response = ApiClient(manager).post("/api/v1/webhooks/", {"team": team.pk, "url": "http://127.0.0.1:9/",
                                                             "events": ["incident.exploded"]})
    assert response.status_code == 400 and "incident.exploded" in response.json()["detail"]


def test_reenabling_an_endpoint_clears_its_failure_record(subscribed, team):
    WebhookEndpoint.objects.filter(pk=subscribed.pk).update(enabled=False, disabled_reason="x",
                                                             failing_since=timezone.now())
    manager = MembershipFactory(team=team, role="manager").user
    response = ApiClient(manager).patch(f"/api/v1/webhooks/{subscribed.pk}/", {"enabled": True})
    assert response.status_code == 200 and response.json()["disabled_reason"] == ""
    subscribed.refresh_from_db()
    assert subscribed.enabled and subscribed.failing_since is None


def test_signatures_refuse_a_changed_body_or_an_old_timestamp():
    header = signature_header(secret="whsec_x", body=b'{"a":1}', timestamp=1_700_000_000)
    assert signature_valid(secret="whsec_x", body=b'{"a":1}', header=header, now=1_700_000_100)
    assert not signature_valid(secret="whsec_x", body=b'{"a":2}', header=header, now=1_700_000_100)
    assert not signature_valid(secret="whsec_y", body=b'{"a":1}', header=header, now=1_700_000_100)
    assert not signature_valid(secret="whsec_x", body=b'{"a":1}', header=header, now=1_700_000_000 + 301)


def test_no_subscriber_means_no_rows(service):
    incident_trigger(service=service, title="Quiet")
    assert not WebhookDelivery.objects.exists()
    assert Incident.objects.count() == 1


def test_a_public_address_is_accepted_and_an_unresolvable_host_is_refused(team):
    api = ApiClient(MembershipFactory(team=team, role="manager").user)
    assert api.post("/api/v1/webhooks/", {"team": team.pk, "url": "https://203.0.113.10/hook"}).status_code == 400
    assert api.post("/api/v1/webhooks/", {"team": team.pk, "url": "https://8.8.8.8/hook"}).status_code == 201
    unknown = api.post("/api/v1/webhooks/", {"team": team.pk, "url": "https://no-such-host.invalid/hook"})
    assert unknown.status_code == 400 and "cannot be resolved" in unknown.json()["detail"]


def test_an_unexpected_error_while_sending_counts_as_an_attempt_and_is_retried(
        subscribed, service, receiver, clock, monkeypatch):
    from incidents.outgoing import sending

    working = sending._post

    def broken(endpoint, delivery):
        raise ValueError("a bug")

    monkeypatch.setattr(sending, "_post", broken)
    incident_trigger(service=service, title="Checkout 5xx")
    assert run_webhooks() == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.error == "unexpected error: ValueError"
    monkeypatch.setattr(sending, "_post", working)
    clock.shift(timedelta(seconds=10))
    assert run_webhooks() == ["delivered"]
