"""The generic JSON webhook: its documented schema, dedup rules and every refusal."""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from incidents.sources import PARSERS, ParseError, generic
from incidents.sources.errors import describe_type

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "generic"


@dataclass
class FakeIntegration:
    config: dict = field(default_factory=dict)
    name: str = "cron"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def parse_one(body, **config):
    events = generic.parse(body, FakeIntegration(config=config))
    assert len(events) == 1
    return events[0]


def errors_of(body, **config) -> list[str]:
    with pytest.raises(ParseError) as caught:
        generic.parse(body, FakeIntegration(config=config))
    assert caught.value.message == "Alert is invalid"
    return caught.value.errors


def title_key(title: str) -> str:
    return "title:" + hashlib.sha256(title.encode()).hexdigest()[:32]


def test_generic_is_registered():
    assert PARSERS["generic"] is generic.parse


def test_minimal_body_triggers_an_error_severity_alert_keyed_by_its_title():
    event = parse_one(load("minimal.json"))
    assert event.action == "trigger"
    assert event.summary == "Nightly backup of db1 failed"
    assert event.severity == "error"
    assert event.dedup_key == title_key("Nightly backup of db1 failed")
    assert (event.source, event.details, event.links, event.occurred_at) == ("", {}, (), None)


def test_identical_titles_dedupe_and_different_titles_do_not():
    first = parse_one({"title": "Queue depth above 10k"})
    again = parse_one({"title": "  Queue depth above 10k "})
    other = parse_one({"title": "Queue depth above 20k"})
    assert first.dedup_key == again.dedup_key != other.dedup_key


def test_full_body_keeps_every_documented_field():
    event = parse_one(load("full.json"))
    assert event.summary == "Certificate for shop.example.com expires in 6 days"
    assert event.severity == "warning"
    assert event.dedup_key == "cert-expiry/shop.example.com"
    assert event.source == "cert-checker.example.com"
    assert event.occurred_at == datetime(2026, 11, 27, 5, 0, 3, 512000, tzinfo=timezone.utc)
    assert event.details["days_left"] == 6
    assert event.details["checked_from"] == ["eu-west-1", "us-east-1"]
    assert event.links == (
        {"href": "https://runbooks.example.com/certificates#renew", "text": "Renewal runbook"},
        {"href": "https://crt.sh/?q=shop.example.com", "text": "https://crt.sh/?q=shop.example.com"},
    )


def test_resolved_body_resolves_the_incident_with_the_same_dedup_key():
    trigger = parse_one(load("full.json"))
    resolve = parse_one(load("resolved.json"))
    assert resolve.action == "resolve"
    assert resolve.dedup_key == trigger.dedup_key


def test_resolve_by_title_alone_matches_the_trigger_with_that_title():
    trigger = parse_one({"title": "Disk full on db1"})
    resolve = parse_one({"title": "Disk full on db1", "status": "resolved"})
    assert resolve.dedup_key == trigger.dedup_key


def test_acknowledge_or_resolve_by_dedup_key_needs_no_title():
    event = parse_one({"status": "acknowledged", "dedup_key": "backup-db1"})
    assert (event.action, event.dedup_key, event.summary) == ("acknowledge", "backup-db1", "")


@pytest.mark.parametrize(("status", "action"), [
    ("firing", "trigger"), ("trigger", "trigger"), ("FIRING", "trigger"),
    ("acknowledged", "acknowledge"), ("acknowledge", "acknowledge"),
    ("resolved", "resolve"), ("resolve", "resolve"), (" Resolved ", "resolve"),
])
def test_status_words_map_to_actions(status, action):
    assert parse_one({"title": "t", "status": status}).action == action


@pytest.mark.parametrize(("severity", "expected"), [
    ("critical", "critical"), ("Critical", "critical"), ("error", "error"), ("warning", "warning"),
    ("info", "info"), ("page", "critical"), ("high", "error"), ("warn", "warning"), ("low", "info"),
    ("catastrophic", "error"), (None, "error"),
])
def test_severity_words_map_to_the_four_levels(severity, expected):
    assert parse_one({"title": "t", "severity": severity}).severity == expected


def test_severity_map_config_adds_words():
    assert parse_one({"title": "t", "severity": "P3"}, severity_map={"p3": "info"}).severity == "info"
    assert parse_one({"title": "t", "severity": "warning"}, severity_map={"WARNING": "critical"}).severity == "critical"


# ------------------------------------------------------------------------------- dedup_field

def test_dedup_field_config_takes_the_key_from_the_body():
    body = {"title": "Disk full", "details": {"host": "db1"}, "dedup_key": "ignored"}
    assert parse_one(body, dedup_field="details.host").dedup_key == "db1"


def test_dedup_field_can_index_lists_and_accept_numbers():
    body = {"title": "t", "details": {"checks": [{"id": 4711}]}}
    assert parse_one(body, dedup_field="details.checks.0.id").dedup_key == "4711"


def test_dedup_field_longer_than_255_is_hashed():
    body = {"title": "t", "ticket": "x" * 300}
    assert parse_one(body, dedup_field="ticket").dedup_key.startswith("sha256:")


@pytest.mark.parametrize("body", [
    {"title": "Disk full"},
    {"title": "Disk full", "details": {"host": None}},
    {"title": "Disk full", "details": {"host": {"name": "db1"}}},
    {"title": "Disk full", "details": {"host": "   "}},
    {"title": "Disk full", "details": ["db1"]},
])
def test_missing_dedup_field_falls_back_rather_than_dropping_the_page(body):
    if not isinstance(body.get("details", {}), dict):
        with pytest.raises(ParseError):
            parse_one(body, dedup_field="details.host")
        return
    event = parse_one(body, dedup_field="details.host")
    assert event.dedup_key == title_key("Disk full")
    assert event.details["dedup_field_missing"] == "details.host"


def test_missing_dedup_field_falls_back_to_the_bodys_dedup_key():
    event = parse_one({"title": "t", "dedup_key": "k1"}, dedup_field="labels.fingerprint")
    assert event.dedup_key == "k1"


def test_generic_validate_config():
    assert generic.validate_config({"dedup_field": "details.host"}) == []
    assert generic.validate_config({"dedup_field": ""}) != []
    assert generic.validate_config({"dedup_field": 5}) != []
    assert generic.validate_config({"severity_map": {"p1": "critical"}}) == []


# ---------------------------------------------------------------------------- other details

def test_non_http_links_are_kept_as_details_not_links():
    event = parse_one({"title": "t", "links": ["javascript:alert(1)", {"href": "ftp://files/x"}]})
    assert event.links == ()
    assert event.details["unsafe_links"] == ["javascript:alert(1)", "ftp://files/x"]


def test_unknown_top_level_fields_are_kept_under_extra():
    event = parse_one({"title": "t", "host": "db1", "value": 97.5})
    assert event.details == {"extra": {"host": "db1", "value": 97.5}}


def test_title_of_exactly_1024_characters_is_accepted():
    assert len(parse_one({"title": "x" * 1024}).summary) == 1024


def test_every_documented_field_appears_in_the_module_docstring():
    for name in generic.KNOWN_FIELDS:
        assert f"``{name}``" in generic.__doc__


@pytest.mark.parametrize(("body", "expected"), [
    ({}, "'title' is missing or blank"),
    ({"title": ""}, "'title' is missing or blank"),
    ({"title": "   "}, "'title' is missing or blank"),
    ({"title": None}, "'title' is missing or blank"),
    ({"title": 42}, "'title' must be a string, not a number"),
    ({"title": ["t"]}, "'title' must be a string, not a list"),
    ({"title": "x" * 1025}, "'title' is longer than 1024 characters"),
    ({"status": "resolved"}, "'title' is missing or blank"),
    ({"title": "t", "severity": 1}, "'severity' must be a string, not a number"),
    ({"title": "t", "status": "open"}, "'status' must be one of firing, acknowledged, resolved, not 'open'"),
    ({"title": "t", "status": False}, "'status' must be one of firing, acknowledged, resolved, not a boolean"),
    ({"title": "t", "dedup_key": 7}, "'dedup_key' must be a string, not a number"),
    ({"title": "t", "dedup_key": ""}, "'dedup_key' is blank"),
    ({"title": "t", "dedup_key": "k" * 256}, "'dedup_key' is longer than 255 characters"),
    ({"title": "t", "source": {}}, "'source' must be a string, not an object"),
    ({"title": "t", "source": "s" * 256}, "'source' is longer than 255 characters"),
    ({"title": "t", "timestamp": "last tuesday"}, "'timestamp' is not a valid RFC 3339 timestamp: 'last tuesday'"),
    ({"title": "t", "timestamp": 1764261062}, "'timestamp' must be a string (RFC 3339 timestamp), not a number"),
    ({"title": "t", "details": "see log"}, "'details' must be an object, not a string"),
    ({"title": "t", "details": [1]}, "'details' must be an object, not a list"),
    ({"title": "t", "links": "https://x.example.com"}, "'links' must be a list, not a string"),
    ({"title": "t", "links": [5]}, "'links[0]' must be a URL string or an object with 'href', not a number"),
    ({"title": "t", "links": [{"text": "no href"}]}, "'links[0].href' is missing or blank"),
    ({"title": "t", "links": [{"href": 5}]}, "'links[0].href' must be a string, not a number"),
    ({"title": "t", "links": [{"href": "https://x.example.com", "text": 5}]}, "'links[0].text' must be a string, not a number"),
])
def test_a_bad_field_is_refused_naming_it(body, expected):
    assert errors_of(body) == [expected]


@pytest.mark.parametrize("body", [None, [], ["title"], "Disk full", 0, 1.5, False])
def test_a_body_that_is_not_an_object_is_refused(body):
    assert errors_of(body) == [f"the body must be a JSON object, not {describe_type(body)}"]


def test_every_bad_field_is_reported_at_once():
    errors = errors_of({"title": 1, "severity": 2, "status": 3, "dedup_key": 4, "details": 5, "links": 6})
    assert len(errors) == 6


def test_details_nested_too_deep_are_refused():
    deep: dict = {}
    cursor = deep
    for _ in range(40):
        cursor["a"] = {}
        cursor = cursor["a"]
    assert errors_of({"title": "t", "details": deep}) == ["'details' is nested deeper than 32 levels"]
