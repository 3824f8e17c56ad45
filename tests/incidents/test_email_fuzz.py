"""Whatever bytes arrive as mail, the email intake answers 202 or a 4xx with a message, never a 500,
and the parser raises nothing but ParseError."""
from pathlib import Path

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.sources import ParseError, email
from incidents.sources.email_forms import form_parts
from tests.factories import IntegrationFactory

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "email").glob("*.eml"))
HEADER_LINES = [b"Subject: ", b"From: ", b"Message-ID: <", b"In-Reply-To: ", b"References: ", b"Date: ",
                b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n", b"Content-Type: text/html; charset=",
                b"Content-Transfer-Encoding: base64\r\n", b"=?utf-8?b?", b"=?iso-2022-jp?q?", b"\r\n\r\n", b"--b--"]


@st.composite
def mail_bytes(draw):
    """Random bytes, fixtures with random bytes spliced in, and header soup."""
    kind = draw(st.sampled_from(["random", "mutated", "soup"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    if kind == "soup":
        pieces = draw(st.lists(st.sampled_from(HEADER_LINES) | st.binary(max_size=30), max_size=12))
        return b"".join(pieces)
    message = bytearray(draw(st.sampled_from(FIXTURES)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(message)))
        message[at:at + draw(st.integers(0, 20))] = draw(st.binary(max_size=20))
    return bytes(message)


CONFIG = {"dedup_pattern": r"Alert: (?P<key>\S+)", "resolve_pattern": "RECOVERY|OK:",
          "severity_map": {"CRITICAL": "critical"}}


class FakeIntegration:
    config = CONFIG


@settings(max_examples=300, deadline=None)
@given(message=mail_bytes())
def test_the_parser_raises_only_parse_errors(message):
    try:
        email.parse(message, FakeIntegration())
    except ParseError:
        pass


@settings(max_examples=150, deadline=None)
@given(fields=st.dictionaries(
    st.sampled_from(["subject", "body-plain", "body-html", "message-headers", "text", "html", "headers", "charsets",
                     "email", "body-mime", "Message-Id", "References", "attachment-count"]),
    st.text(max_size=60) | st.binary(max_size=60).map(lambda b: b.decode("latin-1")), max_size=6))
def test_provider_forms_raise_only_parse_errors(fields):
    try:
        form_parts(fields)
    except ParseError:
        pass


@pytest.fixture
def url(db, service):
    _, token = IntegrationFactory(service=service, kind="email", config={**CONFIG, "rate_limit_per_minute": 10**6})
    return f"/integrations/{token}/email/"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=mail_bytes(), as_form=st.sampled_from([None, "body-mime", "email", "text"]))
def test_random_mail_never_causes_a_server_error(client, url, message, as_form):
    cache.clear()
    if as_form is None:
        response = client.post(url, data=message, content_type="message/rfc822")
    else:
        boundary = "fuzzB0undary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{as_form}\"\r\n\r\n".encode()
                + message + f"\r\n--{boundary}--\r\n".encode())
        response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    # 415 too: the test client sends an empty body without its Content-Type.
    assert response.status_code in (202, 400, 415), response.content
    assert response.json().get("message") or response.status_code == 202
