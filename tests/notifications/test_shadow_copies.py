"""Shadow shifts in the engine: dana shadows whoever is on call for checkout's Primary schedule
(alice). She gets a copy of every page, marked as a copy, and nothing she answers from a phone
stops the real escalation: step 2 (carol) is still paged when alice does not acknowledge."""
import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.utils import timezone

from incidents.services import incident_trigger
from notifications.delivery import HELD, _claim_bundle
from notifications.escalation import escalate
from notifications.messages import voice_script
from notifications.models import Delivery, Page
from notifications.slack.sync import incident_slack_sync
from oncall.models import Membership, Shadow
from tests.factories import ApiClient, MembershipFactory, UserFactory
from tests.notifications.conftest import SLACK_SECRET
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work, verified
from tests.notifications.twilio_webhooks import press, send_sms

ALICE, CAROL, DANA = "+14155550101", "+14155550103", "+14155550104"
DANA_SLACK = "U0DANA1234"


def add_dana(world, *, role=Membership.Role.VIEWER, shadowing=None, rules=True):
    dana = MembershipFactory(team=world["team"], user=UserFactory(username="dana"), role=role).user
    if rules:
        verified(dana, "sms", DANA, ("high", 0))
        verified(dana, "voice", DANA, ("high", 0))
    Shadow.objects.create(schedule=world["schedule"], user=dana, shadowing=shadowing,
                          starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(days=2))
    world["dana"] = dana
    return world


@pytest.fixture
def world(db, twilio_fake):
    return add_dana(alice_on_call(paging_setup()))


def trigger(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    run_due_work()
    return incident


def carol_paged_after_step_one(world, twilio_fake, clock, incident) -> bool:
    clock.shift(timedelta(minutes=6))
    run_due_work()
    incident.refresh_from_db()
    return incident.status == "triggered" and twilio_fake.sent_to(CAROL) == 1


def test_shadow_gets_one_copy_of_each_page_marked_as_a_shadow_copy(world, twilio_fake, clock):
    incident = trigger(world)
    escalate(incident_id=incident.pk, now=timezone.now())  # a second run of the same step: nothing new
    run_due_work()
    assert Page.objects.get(user=world["dana"]).reason == Page.Reason.SHADOW
    assert twilio_fake.sent_to(DANA) == 1 and twilio_fake.calls_to(DANA) == 1
    [sms] = [m for m in twilio_fake.messages if m["to"] == DANA]
    assert sms["body"].startswith("Shadow copy: ") and len(sms["body"]) <= 160
    [alice_sms] = [m for m in twilio_fake.messages if m["to"] == ALICE]
    assert "Shadow" not in alice_sms["body"]
    assert incident.timeline.filter(kind="shadow_copied").count() == 1


def test_shadow_copy_voice_call_says_so_and_offers_only_seen(world, twilio_fake, clock):
    trigger(world)
    text, prompt = voice_script(Delivery.objects.get(page__user=world["dana"], kind="voice"))
    assert text.startswith("Shadow copy: ") and "seen" in prompt and "acknowledge" not in prompt


def test_shadow_sms_ack_records_seen_and_the_next_step_still_pages(world, twilio_fake, client, clock):
    incident = trigger(world)
    reply = send_sms(client, "ack", from_=DANA)
    assert reply.status_code == 200 and "seen" in reply.content.decode()
    assert incident.timeline.get(kind="shadow_seen").actor == world["dana"]
    assert carol_paged_after_step_one(world, twilio_fake, clock, incident)


def test_shadow_sms_ack_all_records_seen_and_acknowledges_nothing(world, twilio_fake, client, clock):
    incident = trigger(world)
    assert "seen" in send_sms(client, "ack all", from_=DANA).content.decode()
    assert incident.timeline.filter(kind="shadow_seen").exists()
    assert carol_paged_after_step_one(world, twilio_fake, clock, incident)


def test_shadow_keypress_one_records_seen_and_the_next_step_still_pages(world, twilio_fake, client, clock):
    incident = trigger(world)
    call = Delivery.objects.get(page__user=world["dana"], kind="voice")
    assert press(client, call, "1").status_code == 200
    assert incident.timeline.filter(kind="shadow_seen", via="voice").exists()
    assert carol_paged_after_step_one(world, twilio_fake, clock, incident)


def test_shadow_ack_link_records_seen_and_the_next_step_still_pages(world, twilio_fake, client, clock):
    incident = trigger(world)
    [sms] = [m for m in twilio_fake.messages if m["to"] == DANA]
    path = re.search(r"https?://\S+/a/\S+", sms["body"]).group(0).replace(settings.PUBLIC_URL, "")
    shown = client.get(path).content.decode()
    assert "Shadow copy:" in shown and "Mark as seen" in shown and ">Acknowledge<" not in shown
    done = client.post(path, {"action": "acknowledge"})
    assert done.status_code == 200 and b"seen" in done.content
    assert incident.timeline.filter(kind="shadow_seen", via="link").exists()
    assert carol_paged_after_step_one(world, twilio_fake, clock, incident)


def test_shadow_slack_button_records_seen_and_the_next_step_still_pages(world, twilio_fake, client, clock):
    verified(world["dana"], "slack", DANA_SLACK, ("high", 0))
    incident = trigger(world)
    settings.SLACK_SIGNING_SECRET = SLACK_SECRET
    payload = {"type": "block_actions", "user": {"id": DANA_SLACK},
               "actions": [{"action_id": "vigil_ack", "value": f"ack:{incident.pk}"}]}
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    response = client.post("/notifications/slack/interactions/", data=body,
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
    assert response.status_code == 200 and "seen" in response.json()["text"]
    assert carol_paged_after_step_one(world, twilio_fake, clock, incident)


def test_a_real_ack_by_the_person_on_call_still_stops_everything(world, twilio_fake, client, clock):
    incident = trigger(world)
    send_sms(client, "ack", from_=DANA)
    assert "Acknowledged" in send_sms(client, "ack", from_=ALICE).content.decode()
    clock.shift(timedelta(minutes=30))
    run_due_work()
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == world["alice"]
    assert twilio_fake.sent_to(CAROL) == 0


def test_shadow_who_is_a_responder_acknowledges_from_the_web_as_any_responder(db, twilio_fake, client, clock):
    world = add_dana(alice_on_call(paging_setup()), role=Membership.Role.RESPONDER)
    incident = trigger(world)
    client.force_login(world["dana"])
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 302
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == world["dana"]


def test_shadow_with_no_rules_is_not_copied_and_nobody_falls_back(db, twilio_fake, clock):
    world = add_dana(alice_on_call(paging_setup()), rules=False)
    incident = trigger(world)
    assert not Page.objects.filter(user=world["dana"]).exists()
    assert not Page.objects.filter(reason=Page.Reason.FALLBACK).exists()
    assert not incident.timeline.filter(kind__in=["warning", "unreachable"]).exists()


def test_a_shadow_alone_does_not_count_as_reaching_someone(db, twilio_fake, clock):
    world = add_dana(alice_on_call(paging_setup()))
    world["alice"].contact_methods.all().delete()
    MembershipFactory(team=world["team"], user=UserFactory(username="mgr"), role=Membership.Role.MANAGER)
    incident = trigger(world)
    incident.refresh_from_db()
    assert incident.unreachable_since is not None
    assert incident.timeline.filter(kind="unreachable").exists()


def test_shadowing_one_person_copies_only_their_shifts(db, twilio_fake, clock):
    world = paging_setup()
    world = add_dana(alice_on_call(world), shadowing=world["bob"])
    trigger(world)
    assert not Page.objects.filter(user=world["dana"]).exists()
    assert twilio_fake.sent_to(DANA) == 0


def test_no_copy_for_a_shadow_paged_for_real_at_the_same_step(db, twilio_fake, clock):
    world = add_dana(alice_on_call(paging_setup()))
    world["policy"].steps.get(position=0).targets.create(kind="user", user=world["dana"])
    trigger(world)
    assert Page.objects.get(user=world["dana"]).reason == Page.Reason.STEP
    assert twilio_fake.sent_to(DANA) == 1
    assert not [m for m in twilio_fake.messages if m["body"].startswith("Shadow")]


def test_a_viewer_shadow_sees_the_incident_and_adds_notes_and_evidence_but_nothing_else(world, twilio_fake, client,
                                                                                         clock):
    incident = trigger(world)
    client.force_login(world["dana"])
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'action="/incidents/%d/notes/"' % incident.pk in page and "Add evidence" in page
    assert "Add symptom" not in page
    assert "paging <strong>alice</strong>" in page and "<strong>dana</strong>" not in page
    assert client.post(f"/incidents/{incident.pk}/notes/", {"text": "Watching the error graph"}).status_code == 302
    assert client.post(f"/incidents/{incident.pk}/panel/findings/", {
        "kind": "evidence", "text": "5xx from one pod only", "url": ""}).status_code == 302
    assert incident.findings.get().created_by == world["dana"]
    assert client.post(f"/incidents/{incident.pk}/panel/findings/", {"kind": "symptom", "text": "x"}).status_code == 403
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_a_viewer_who_is_not_shadowing_cannot_add_notes(world, twilio_fake, client, clock):
    incident = trigger(world)
    onlooker = MembershipFactory(team=world["team"], user=UserFactory(username="olga"), role="viewer").user
    client.force_login(onlooker)
    assert client.post(f"/incidents/{incident.pk}/notes/", {"text": "hello"}).status_code == 403


def test_a_shadow_copy_is_never_bundled_into_a_page_of_ones_own(world, twilio_fake, clock):
    a, b, c = (trigger(world, title) for title in ("Payments down", "Disk full", "Queue backed up"))
    sms = {i.pk: Delivery.objects.get(kind="sms", page__user=world["alice"], page__incident=i) for i in (a, b, c)}
    Delivery.objects.filter(pk__in=[d.pk for d in sms.values()]).update(status="pending", error=HELD)
    Page.objects.filter(pk=sms[b.pk].page_id).update(reason=Page.Reason.SHADOW)  # alice shadows b's schedule
    lead = Delivery.objects.select_related("page").get(pk=sms[a.pk].pk)
    assert [d.pk for d in _claim_bundle(lead, timezone.now())] == [sms[c.pk].pk]
    shadow_lead = Delivery.objects.select_related("page").get(pk=sms[b.pk].pk)
    assert _claim_bundle(shadow_lead, timezone.now()) == []


def test_a_shadows_slack_copy_offers_only_mark_as_seen_and_stays_marked_as_the_incident_moves(
        db, twilio_fake, slack_fake, client, clock):
    world = add_dana(alice_on_call(paging_setup()), rules=False)
    verified(world["dana"], "slack", DANA_SLACK, ("high", 0))
    incident = trigger(world)
    sent = Delivery.objects.get(page__user=world["dana"], kind="slack")
    channel, _, ts = sent.provider_id.partition(":")

    def shown():
        message = slack_fake.message(channel, ts)
        actions = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        return message["text"], [e["text"]["text"] for e in actions]

    text, labels = shown()
    assert text.startswith("Shadow copy: ") and labels == ["Mark as seen", "Open"]
    send_sms(client, "ack", from_=ALICE)
    incident_slack_sync(incident_id=incident.pk)
    text, labels = shown()
    assert text.startswith("Shadow copy: ") and "Acknowledged" in text and labels == ["Mark as seen", "Open"]


def test_a_shadow_who_left_the_team_gets_no_copy(world, twilio_fake, clock):
    Membership.objects.filter(user=world["dana"]).delete()
    trigger(world)
    assert not Page.objects.filter(user=world["dana"]).exists() and twilio_fake.sent_to(DANA) == 0


def test_a_shadow_who_is_a_responder_acknowledges_through_the_api(db, twilio_fake, clock):
    world = add_dana(alice_on_call(paging_setup()), role=Membership.Role.RESPONDER)
    incident = trigger(world)
    assert ApiClient(world["dana"]).post(f"/api/v1/incidents/{incident.pk}/acknowledge/").status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == world["dana"]


def test_shadow_copies_never_use_up_the_per_number_limit_of_ones_own_pages(world, twilio_fake, clock):
    for n in range(5):
        trigger(world, f"filler {n}")
    assert twilio_fake.sent_to(DANA) == 5  # five shadow copies
    clock.shift(timedelta(seconds=10))
    world["policy"].steps.get(position=0).targets.create(kind="user", user=world["dana"])
    incident = trigger(world, "Payments down")  # now dana's own page
    own = Delivery.objects.get(page__user=world["dana"], page__incident=incident, kind="sms")
    assert own.page.reason == Page.Reason.STEP and own.status == "sent"


def test_shadow_copies_are_not_counted_as_anyones_paging_load(world, twilio_fake, clock):
    from incidents.models import Incident
    from notifications.analytics.figures import responder_load

    trigger(world)
    assert [load.username for load in responder_load(incidents=Incident.objects.all())] == ["alice"]



@pytest.mark.parametrize("title_room", [8, 11, 14, 17])
def test_a_shadow_sms_stays_one_segment_when_the_link_leaves_the_title_little_room(world, twilio_fake, clock,
                                                                                   settings, title_room):
    # The link's length varies with the site's address and the ids in its token (on PostgreSQL ids
    # grow through a test run). Where it leaves the title fewer than 20 characters (but some), the
    # shadow's mark must not push the copy into a second segment: the title gives way further.
    from notifications.links import ack_url
    from notifications.messages import page_message

    incident = trigger(world, title="Checkout returns 502 for every card payment in every region")
    delivery = Delivery.objects.get(page__user=world["dana"], kind="sms")
    n = incident.number
    fixed = f"Vigil #{n} {incident.severity} {incident.service.name}: "
    settings.PUBLIC_URL = "http://vig.il"
    tail = f" Reply 'ack {n}' or 'res {n}'. {ack_url(incident_id=incident.pk, user_id=world['dana'].pk)}"
    pad = 160 - len("Shadow copy: ") - len(fixed) - len(tail) - title_room
    assert pad >= 0
    settings.PUBLIC_URL = f"http://{'x' * pad}vig.il"
    body = page_message(delivery).text
    assert body.startswith("Shadow copy: ") and len(body) <= 160, (len(body), body)
