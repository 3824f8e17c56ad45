"""Email alerts over HTTP: raw messages, Mailgun's and SendGrid's inbound forms, their checks."""
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from incidents.models import Alert, Incident
from tests.factories import IntegrationFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
NAGIOS = {"dedup_pattern": r"(?:Service|Host) Alert: (?P<key>\S+)", "resolve_pattern": r"^\*\* RECOVERY"}
SIGNING_KEY = "key-mailgun-webhook-signing-0123456789"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def hook(service):
    """An email integration: returns (integration, url)."""
    def make(**config):
        integration, token = IntegrationFactory(service=service, kind="email", name="Mail", config=config)
        return integration, f"/integrations/{token}/email/"
    return make


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def form_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def post_raw(client, url, message: bytes, content_type="message/rfc822", **headers):
    return client.post(url, data=message, content_type=content_type, headers=headers)


def mailgun_signed(form: dict, key: str = SIGNING_KEY, *, at: float | None = None, token: str = "a" * 50) -> dict:
    timestamp = str(int(at if at is not None else time.time()))
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {**form, "timestamp": timestamp, "token": token, "signature": signature}


def test_a_raw_message_opens_an_incident_and_is_answered_202_after_it_is_stored(client, hook):
    integration, url = hook()
    response = post_raw(client, url, eml("nagios-problem.eml"))
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "** PROBLEM Service Alert: web1.example.net/HTTP is CRITICAL **"
    assert incident.source == "nagios@mon1.example.net"
    assert "Socket timeout" in incident.details["body"]
    assert response.json()["events"] == [{"dedup_key": incident.dedup_key, "action": "trigger", "result": "created",
                                          "incident": incident.number}]
    assert Alert.objects.get().integration == integration


def test_text_plain_is_taken_as_a_raw_message_too(client, hook):
    _, url = hook()
    assert post_raw(client, url, eml("zabbix-resolved.eml"), content_type="text/plain").status_code == 202


def test_a_reply_in_the_thread_adds_to_the_incident_and_a_resolve_pattern_in_it_resolves(client, hook):
    _, url = hook(resolve_pattern="RESOLVED|OK:")
    post_raw(client, url, eml("nagios-problem.eml"))
    response = post_raw(client, url, eml("reply-resolved.eml"))
    assert response.json()["events"][0]["result"] == "resolved"
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert "Mail" in incident.timeline.get(kind="resolved").text


def test_nagios_problem_then_recovery_resolves_with_subject_patterns(client, hook):
    _, url = hook(**NAGIOS)
    post_raw(client, url, eml("nagios-problem.eml"))
    post_raw(client, url, eml("nagios-problem.eml"))
    assert Incident.objects.get().alert_count == 2
    post_raw(client, url, eml("nagios-recovery.eml"))
    assert Incident.objects.get().status == "resolved"


@pytest.mark.parametrize(("message", "status", "says"), [
    (eml("not-a-message.txt"), 400, "not an email message"),
    (b"\r\n  \r\n", 400, "empty"),
    (eml("bad-base64.eml"), 400, "not valid base64"),
    (eml("unknown-charset.eml"), 400, "is unknown"),
    (b"Subject: big\r\n\r\n" + b"x" * 512 * 1024, 413, "larger than 512 KB"),
])
def test_malformed_or_oversized_mail_gets_a_clear_error_and_stores_nothing(client, hook, message, status, says):
    _, url = hook()
    response = post_raw(client, url, message)
    assert response.status_code == status
    assert says in json.dumps(response.json())
    assert not Incident.objects.exists() and not Alert.objects.exists()


def test_json_is_refused_with_415_naming_what_is_expected(client, hook):
    _, url = hook()
    response = client.post(url, data={"title": "x"}, content_type="application/json")
    assert response.status_code == 415
    assert "message/rfc822" in response.json()["message"]


def test_a_form_from_neither_provider_is_refused(client, hook):
    _, url = hook()
    response = client.post(url, data={"title": "x"})
    assert response.status_code == 400
    assert "none of the fields Mailgun posts" in response.json()["errors"][0]


def test_only_email_integrations_take_mail_and_unknown_tokens_are_404(client, service):
    _, generic_token = IntegrationFactory(service=service, kind="generic")
    for url in (f"/integrations/{generic_token}/email/", "/integrations/int_nope/email/"):
        assert post_raw(client, url, eml("nagios-problem.eml")).status_code == 404


def test_the_integration_rate_limit_holds_for_mail(client, hook):
    _, url = hook(rate_limit_per_minute=1)
    assert post_raw(client, url, eml("nagios-problem.eml")).status_code == 202
    response = post_raw(client, url, eml("nagios-recovery.eml"))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1


# --- Mailgun ----------------------------------------------------------------------------------

def test_a_mailgun_parsed_post_opens_an_incident(client, hook):
    _, url = hook(**NAGIOS)
    response = client.post(url, data=form_fixture("mailgun-parsed.json"))
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "** PROBLEM Host Alert: db3.example.net is DOWN **"
    assert incident.dedup_key == "subject:db3.example.net"
    assert incident.details["received_via"] == "mailgun"
    assert incident.details["message_id"] == "20261201095802.5120@mon1.example.net"


def test_a_mailgun_post_url_encoded_as_it_is_without_attachments_is_read_as_utf8(client, hook):
    _, url = hook()
    form = {**form_fixture("mailgun-parsed.json"), "subject": "Température élevée – baie B3"}
    response = client.post(url, data=urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202, response.content
    assert Incident.objects.get().title == "Température élevée – baie B3"


def test_a_mailgun_raw_mime_post_to_the_mime_url_opens_an_incident(client, hook):
    _, url = hook()
    form = mailgun_signed({"recipient": "x@example.com", "body-mime": eml("zabbix-problem-alternative.eml").decode()})
    response = client.post(url + "mime", data=form)
    assert response.status_code == 202, response.content
    assert Incident.objects.get().details["received_via"] == "mailgun"


def test_a_mailgun_post_with_the_signing_key_set_and_a_good_signature_passes(client, hook):
    _, url = hook(mailgun_signing_key=SIGNING_KEY)
    response = client.post(url, data=mailgun_signed(form_fixture("mailgun-parsed.json")))
    assert response.status_code == 202, response.content


@pytest.mark.parametrize(("form", "says"), [
    (mailgun_signed({}, key="another-key"), "does not match"),
    (mailgun_signed({}, at=time.time() - 16 * 60), "refused as a replay"),
    ({"timestamp": "1", "token": "t"}, "are required"),
    ({"timestamp": "soon", "token": "t", "signature": "0" * 64}, "malformed"),
])
def test_a_mailgun_post_with_a_bad_stale_or_missing_signature_is_401_and_stores_nothing(client, hook, form, says):
    _, url = hook(mailgun_signing_key=SIGNING_KEY)
    signature_fields = ("timestamp", "token", "signature")
    unsigned = {k: v for k, v in form_fixture("mailgun-parsed.json").items() if k not in signature_fields}
    response = client.post(url, data={**unsigned, **form})
    assert response.status_code == 401
    assert says in response.json()["message"]
    assert not Incident.objects.exists()


def test_a_replayed_mailgun_token_is_refused(client, hook):
    _, url = hook(mailgun_signing_key=SIGNING_KEY)
    form = mailgun_signed(form_fixture("mailgun-parsed.json"))
    assert client.post(url, data=form).status_code == 202
    again = client.post(url, data=form)
    assert again.status_code == 401 and "used before" in again.json()["message"]
    assert Incident.objects.get().alert_count == 1


def test_with_a_signing_key_a_raw_message_without_a_signature_is_refused(client, hook):
    _, url = hook(mailgun_signing_key=SIGNING_KEY)
    assert post_raw(client, url, eml("nagios-problem.eml")).status_code == 401
    assert not Incident.objects.exists()


# --- SendGrid ---------------------------------------------------------------------------------

def test_a_sendgrid_parsed_post_opens_an_incident(client, hook):
    _, url = hook()
    response = client.post(url, data=form_fixture("sendgrid-parsed.json"))
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "Problem: Free disk space is less than 5% on volume /var on app4"
    assert incident.dedup_key == "message:884300.problem@zabbix.example.net"
    assert incident.details["body"].startswith("Problem started at 10:58:04")
    assert incident.details["received_via"] == "sendgrid"


def multipart(fields: dict[str, bytes], boundary: str = "sgBoundary42") -> bytes:
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode() + value + b"\r\n"
             for name, value in fields.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_sendgrid_fields_are_read_in_the_charsets_it_names(client, hook):
    _, url = hook()
    body = multipart({
        "subject": "Température élevée".encode("iso-8859-1"),
        "text": "Capteur n° 2 : 36,4 °C".encode("iso-8859-1"),
        "from": b"supervision@example.fr",
        "headers": b"Message-ID: <sonde-2@example.fr>\n",
        "charsets": json.dumps({"subject": "iso-8859-1", "text": "iso-8859-1", "from": "UTF-8"}).encode(),
    })
    response = client.post(url, data=body, content_type="multipart/form-data; boundary=sgBoundary42")
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "Température élevée"
    assert incident.details["body"] == "Capteur n° 2 : 36,4 °C"


def test_a_sendgrid_raw_post_keeps_the_message_bytes_exactly(client, hook):
    _, url = hook()
    body = multipart({"email": eml("windows-1252-8bit.eml"), "to": b"x@parse.example.com",
                      "charsets": b'{"to": "UTF-8"}'})
    response = client.post(url, data=body, content_type="multipart/form-data; boundary=sgBoundary42")
    assert response.status_code == 202, response.content
    assert Incident.objects.get().title == "[PRTG] Disk Free C: Down – 4 % free"


def test_a_sendgrid_post_naming_an_unknown_charset_is_refused(client, hook):
    _, url = hook()
    response = client.post(url, data={"subject": "x", "text": "y", "charsets": '{"text": "x-nope"}'})
    assert response.status_code == 400 and "'x-nope' given for 'text' is unknown" in response.json()["errors"][0]


def test_with_basic_auth_configured_only_the_right_credentials_pass(client, hook):
    _, url = hook(basic_auth="sendgrid:s3cret-parse-pass")
    form = form_fixture("sendgrid-parsed.json")
    missing = client.post(url, data=form)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"sendgrid:guess").decode()
    assert client.post(url, data=form, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    assert not Incident.objects.exists()
    right = base64.b64encode(b"sendgrid:s3cret-parse-pass").decode()
    assert client.post(url, data=form, headers={"Authorization": f"Basic {right}"}).status_code == 202


def test_the_incident_page_shows_the_mail_body_with_its_line_breaks_and_escaped(client, hook, responder):
    _, url = hook()
    post_raw(client, url, b"Subject: disk full\r\n\r\nHost: db1\r\nNote: <script>alert(1)</script>\r\n")
    client.force_login(responder)
    page = client.get(f"/incidents/{Incident.objects.get().pk}/").content.decode()
    assert "Host: db1<br>Note: &lt;script&gt;alert(1)&lt;/script&gt;" in page
