"""Email alerts: messages shaped like real monitoring mail, each becoming one event; and every
message that is not one, refused with a reason."""
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from incidents.sources import PARSERS, ParseError, email, validate_config
from incidents.sources.email import MAX_BODY_CHARS, mail_events, message_parts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
NAGIOS = {"dedup_pattern": r"(?:Service|Host) Alert: (?P<key>\S+)", "resolve_pattern": r"^\*\* RECOVERY",
          "severity_map": {"CRITICAL": "critical", "WARNING": "warning"}}


class FakeIntegration:
    def __init__(self, **config):
        self.config = config


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_one(name_or_bytes, **config):
    message = raw(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    [event] = email.parse(message, FakeIntegration(**config))
    return event


def errors_of(message: bytes) -> list[str]:
    with pytest.raises(ParseError) as caught:
        email.parse(message, FakeIntegration())
    assert caught.value.message == "Email is invalid"
    return caught.value.errors


def test_email_is_registered():
    assert PARSERS["email"] is email.parse


def test_a_nagios_problem_mail_becomes_a_trigger_titled_by_its_subject():
    event = parse_one("nagios-problem.eml")
    assert event.action == "trigger"
    assert event.summary == "** PROBLEM Service Alert: web1.example.net/HTTP is CRITICAL **"
    assert event.severity == "error"  # no severity_map: a page with high urgency
    assert event.source == "nagios@mon1.example.net"
    assert event.dedup_key == "message:20261201095802.4711@mon1.example.net"
    assert event.occurred_at == datetime(2026, 12, 1, 9, 58, 2, tzinfo=timezone.utc)
    assert "CRITICAL - Socket timeout after 10 seconds" in event.details["body"]
    assert event.details["from"] == "Nagios Monitoring <nagios@mon1.example.net>"
    assert event.details["received_via"] == "raw"
    assert event.links[0]["href"].startswith("https://mon1.example.net/nagios/cgi-bin/extinfo.cgi?type=2")


def test_a_dedup_pattern_keys_problem_and_recovery_alike_and_the_recovery_resolves():
    problem = parse_one("nagios-problem.eml", **NAGIOS)
    recovery = parse_one("nagios-recovery.eml", **NAGIOS)
    assert problem.dedup_key == recovery.dedup_key == "subject:web1.example.net/HTTP"
    assert (problem.action, recovery.action) == ("trigger", "resolve")
    assert problem.severity == "critical"


def test_without_a_named_group_the_first_group_or_the_whole_match_is_the_key():
    assert parse_one("zabbix-problem-alternative.eml", dedup_pattern=r": (.+) on (\w+)$").dedup_key == \
        "subject:High CPU utilization (over 90% for 5m)"
    assert parse_one("zabbix-problem-alternative.eml", dedup_pattern=r"on \w+$").dedup_key == "subject:on db2"


def test_a_dedup_pattern_that_does_not_match_falls_back_to_the_thread():
    event = parse_one("nagios-problem.eml", dedup_pattern=r"nothing like this")
    assert event.dedup_key == "message:20261201095802.4711@mon1.example.net"


def test_a_reply_threads_into_the_incident_its_first_message_opened_and_can_resolve_it():
    problem = parse_one("nagios-problem.eml", resolve_pattern="RESOLVED|OK:")
    reply = parse_one("reply-resolved.eml", resolve_pattern="RESOLVED|OK:")
    assert reply.dedup_key == problem.dedup_key
    assert reply.action == "resolve" and problem.action == "trigger"
    assert reply.summary == "** PROBLEM Service Alert: web1.example.net/HTTP is CRITICAL **"  # "Re: " dropped


def test_zabbix_multipart_alternative_prefers_the_quoted_printable_text_part():
    event = parse_one("zabbix-problem-alternative.eml", severity_map={"High": "error"})
    assert event.summary == "Problem: High CPU utilization (over 90% for 5m) on db2"
    assert "Host: db2 – primary database" in event.details["body"]
    assert "<td>" not in event.details["body"]


def test_zabbix_resolved_mail_resolves_with_a_pattern_for_both_subjects():
    config = {"dedup_pattern": r"^(?:Problem|Resolved(?: in [^:]+)?): (?P<key>.+)$", "resolve_pattern": "^Resolved"}
    problem = parse_one("zabbix-problem-alternative.eml", **config)
    resolved = parse_one("zabbix-resolved.eml", **config)
    assert problem.dedup_key == resolved.dedup_key == "subject:High CPU utilization (over 90% for 5m) on db2"
    assert resolved.action == "resolve"


def test_an_html_only_mail_is_read_as_text_without_scripts_styles_or_unsafe_links():
    event = parse_one("grafana-html-only.eml")
    body = event.details["body"]
    assert "[FIRING:1] Checkout latency p99 > 2s" in body and "p99=2.73s" in body
    assert "never see this" not in body and "font-weight" not in body and "<" not in body.replace("> 2s", "")
    assert [link["text"] for link in event.links] == ["View panel", "Silence"]
    assert all(link["href"].startswith("https://") for link in event.links)


@pytest.mark.parametrize(("fixture", "subject", "in_body"), [
    ("iso-8859-1-quoted-printable.eml", "Température trop élevée en salle serveur", "Mesure : 36,4 °C"),
    ("windows-1252-8bit.eml", "[PRTG] Disk Free C: Down – 4 % free", "Sensor “Disk Free C:” on fileserver2"),
    ("iso-2022-jp.eml", "【障害】サーバー応答なし web3", "ホスト web3 が応答しません。"),
])
def test_non_utf8_charsets_are_decoded_in_subject_and_body(fixture, subject, in_body):
    event = parse_one(fixture)
    assert event.summary == subject
    assert in_body in event.details["body"]
    assert "\ufffd" not in event.summary + event.details["body"]


def test_attachments_are_counted_and_ignored():
    event = parse_one("backup-report-with-attachments.eml")
    assert event.details["body"] == "The nightly backup of db1 failed with exit code 2. The report is attached."
    assert event.details["attachments_ignored"] == 2
    assert "MUST NOT" not in str(event.details) and "PDF" not in str(event.details)


def test_severity_comes_from_the_earliest_mapped_word_of_the_subject_only():
    mapping = {"severity_map": {"WARNING": "warning", "CRITICAL": "critical"}}
    assert parse_one(b"Subject: Disk WARNING, soon CRITICAL\n\nbody", **mapping).severity == "warning"
    assert parse_one(b"Subject: Disk WARNINGS\n\nbody", **mapping).severity == "error"  # whole words only
    assert parse_one(b"Subject: Disk full\n\nwarning at 80%", **mapping).severity == "error"


def test_a_resolve_pattern_also_looks_in_the_body():
    assert parse_one(b"Subject: db1\n\nStatus: RESOLVED", resolve_pattern="RESOLVED").action == "resolve"
    assert parse_one(b"Subject: db1\n\nStatus: FIRING", resolve_pattern="RESOLVED").action == "trigger"


def test_a_long_body_is_cut_and_its_length_kept():
    event = parse_one(b"Subject: log\n\n" + b"x" * (MAX_BODY_CHARS * 3))
    assert len(event.details["body"]) == MAX_BODY_CHARS and event.details["body"].endswith("…")
    assert event.details["body_characters"] == MAX_BODY_CHARS * 3


def test_without_a_subject_the_first_body_line_is_the_title_and_without_ids_the_subject_keys():
    event = parse_one(b"From: cron@example.net\n\n\n  Backup of db1 failed  \nexit 2\n")
    assert event.summary == "Backup of db1 failed"
    a, b = parse_one(b"Subject: Queue full\n\nx"), parse_one(b"Subject: Re: Queue full\n\ny")
    assert a.dedup_key == b.dedup_key != parse_one(b"Subject: Queue empty\n\nx").dedup_key


@pytest.mark.parametrize(("message", "says"), [
    (raw("not-a-message.txt"), "not an email message"),
    (b'{"title": "this is JSON"}', "not an email message"),
    (b"", "empty"),
    (b"   \r\n  ", "empty"),
    (raw("bad-base64.eml"), "not valid base64"),
    (raw("unknown-charset.eml"), "'x-vigil-nonexistent' is unknown"),
    (b"From: a@example.net\n\n", "neither a subject nor a body"),
])
def test_malformed_mail_is_refused_with_a_reason(message, says):
    assert any(says in error for error in errors_of(message)), errors_of(message)


def test_only_rfc822_text_is_parsed():
    with pytest.raises(ParseError) as caught:
        email.parse({"title": "JSON"}, None)
    assert "must be RFC 822 text, not an object" in caught.value.errors[0]


def test_parts_from_a_provider_become_the_same_event_as_the_message():
    from_message = parse_one("nagios-problem.eml")
    [from_parts] = mail_events(replace(message_parts(raw("nagios-problem.eml")), received_via="sendgrid"), {})
    assert from_parts == replace(from_message, details={**from_message.details, "received_via": "sendgrid"})


@pytest.mark.parametrize(("config", "problem"), [
    ({"dedup_pattern": "("}, "'dedup_pattern' is not a valid regular expression"),
    ({"resolve_pattern": ""}, "'resolve_pattern' must be a regular expression of 1 to 500 characters"),
    ({"resolve_pattern": "a" * 501}, "'resolve_pattern' must be a regular expression of 1 to 500 characters"),
    ({"dedup_pattern": 7}, "'dedup_pattern' must be a regular expression"),
    ({"severity_map": {"CRIT": "urgent"}}, "'severity_map.CRIT' must be one of"),
])
def test_bad_patterns_and_maps_are_named(config, problem):
    assert any(p.startswith(problem) for p in validate_config("email", config)), validate_config("email", config)


def test_good_patterns_pass():
    assert validate_config("email", NAGIOS) == []
