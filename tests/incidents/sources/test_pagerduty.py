"""PagerDuty Events API v2 compatibility: every success shape and every refusal."""
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from incidents.sources import PARSERS, ParseError, pagerduty
from incidents.sources.pagerduty import ParsedChange, RoutedEvent, parse_change, parse_event

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pagerduty"
ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"


@dataclass
class FakeIntegration:
    config: dict = field(default_factory=dict)
    name: str = "pd-compatible"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def event_errors(body) -> list[str]:
    with pytest.raises(ParseError) as caught:
        parse_event(body)
    assert caught.value.message == "Event object is invalid"
    return caught.value.errors


def change_errors(body) -> list[str]:
    with pytest.raises(ParseError) as caught:
        parse_change(body)
    assert caught.value.message == "Event object is invalid"
    return caught.value.errors


# ----------------------------------------------------------------------------------- success

def test_full_trigger_keeps_every_documented_field():
    routed = parse_event(load("trigger.json"))
    assert isinstance(routed, RoutedEvent)
    assert routed.routing_key == ROUTING_KEY
    event = routed.event
    assert event.action == "trigger"
    assert event.dedup_key == "db2.example.com/mysql/replication-lag"
    assert event.summary == "Replication lag on db2.example.com is 312s (threshold 60s)"
    assert event.source == "db2.example.com"
    assert event.severity == "error"
    assert event.occurred_at == datetime(2026, 11, 27, 16, 12, 4, 481000, tzinfo=timezone.utc)
    assert event.details == {
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "replication lag",
        "custom_details": {
            "lag_seconds": 312, "threshold_seconds": 60, "replica": "db2.example.com",
            "primary": "db1.example.com", "io_thread": "Yes", "sql_thread": "Yes",
        },
        "client": "Zabbix",
        "client_url": "https://zabbix.example.com/tr_events.php?triggerid=23881&eventid=9120045",
    }
    assert event.links == (
        {"href": "https://runbooks.example.com/mysql/replication-lag", "text": "Runbook: replication lag"},
        {"href": "https://grafana.example.com/d/mysql-overview", "text": "https://grafana.example.com/d/mysql-overview"},
        {"href": "https://zabbix.example.com/tr_events.php?triggerid=23881&eventid=9120045", "text": "Zabbix"},
    )
    assert event.images == ({
        "src": "https://grafana.example.com/render/d-solo/mysql-overview?panelId=12&width=600&height=300",
        "href": "https://grafana.example.com/d/mysql-overview?viewPanel=12",
        "alt": "Replication lag, last hour",
    },)


def test_routed_event_unpacks_as_routing_key_and_event():
    routing_key, event = parse_event(load("trigger.json"))
    assert routing_key == ROUTING_KEY
    assert event.dedup_key == "db2.example.com/mysql/replication-lag"


def test_minimal_trigger_gets_a_generated_uuid_dedup_key():
    first = parse_event(load("trigger-minimal.json")).event
    second = parse_event(load("trigger-minimal.json")).event
    assert len(first.dedup_key) == 32 and int(first.dedup_key, 16) >= 0
    assert first.dedup_key != second.dedup_key
    assert (first.summary, first.source, first.severity) == (
        "Job 'invoice-export' missed its 02:00 run", "scheduler-1.example.com", "warning",
    )
    assert (first.details, first.links, first.images, first.occurred_at) == ({}, (), (), None)


def test_blank_dedup_key_on_trigger_is_generated_too():
    body = load("trigger-minimal.json")
    body["dedup_key"] = "  "
    assert len(parse_event(body).event.dedup_key) == 32


@pytest.mark.parametrize("severity", ["critical", "error", "warning", "info"])
def test_each_documented_severity_is_accepted(severity):
    body = load("trigger-minimal.json")
    body["payload"]["severity"] = severity
    assert parse_event(body).event.severity == severity


@pytest.mark.parametrize(("name", "action"), [("acknowledge.json", "acknowledge"), ("resolve.json", "resolve")])
def test_acknowledge_and_resolve_need_only_routing_key_action_and_dedup_key(name, action):
    routing_key, event = parse_event(load(name))
    assert routing_key == ROUTING_KEY
    assert event.action == action
    assert event.dedup_key == "db2.example.com/mysql/replication-lag"
    assert (event.summary, event.severity, event.source) == ("", "info", "")


def test_resolve_ignores_its_payload_even_a_malformed_one():
    body = load("resolve.json")
    body["payload"] = {"summary": 5, "severity": "apocalyptic"}
    assert parse_event(body).event.action == "resolve"
    body["payload"] = "whatever"
    assert parse_event(body).event.action == "resolve"


def test_boundary_lengths_are_accepted():
    body = load("trigger-minimal.json")
    body["dedup_key"] = "d" * 255
    body["payload"]["summary"] = "s" * 1024
    body["payload"]["source"] = "h" * 255
    event = parse_event(body).event
    assert (len(event.dedup_key), len(event.summary), len(event.source)) == (255, 1024, 255)


def test_custom_details_may_be_any_json():
    for value in ("free text", 42, [1, "two"], {"nested": {"ok": True}}):
        body = load("trigger-minimal.json")
        body["payload"]["custom_details"] = value
        assert parse_event(body).event.details["custom_details"] == value


def test_null_optional_fields_are_treated_as_absent():
    body = load("trigger-minimal.json")
    body.update({"dedup_key": None, "images": None, "links": None, "client": None, "client_url": None})
    body["payload"].update({"timestamp": None, "component": None, "group": None, "class": None, "custom_details": None})
    event = parse_event(body).event
    assert event.details == {} and event.links == () and event.images == ()


def test_client_url_without_client_is_linked_as_client():
    body = load("trigger-minimal.json")
    body["client_url"] = "https://monitor.example.com/check/7"
    assert parse_event(body).event.links == ({"href": "https://monitor.example.com/check/7", "text": "Client"},)


def test_non_http_links_and_images_are_kept_in_details_only():
    body = load("trigger-minimal.json")
    body["links"] = [{"href": "javascript:alert(1)", "text": "click"}]
    body["images"] = [{"src": "data:image/png;base64,AAAA"}]
    event = parse_event(body).event
    assert event.links == () and event.images == ()
    assert event.details["unsafe_links"] == ["javascript:alert(1)"]
    assert event.details["unsafe_images"] == ["data:image/png;base64,AAAA"]


def test_image_with_unsafe_href_keeps_the_image_without_the_href():
    body = load("trigger-minimal.json")
    body["images"] = [{"src": "https://img.example.com/a.png", "href": "javascript:x()"}]
    assert parse_event(body).event.images == ({"src": "https://img.example.com/a.png", "href": "", "alt": ""},)


def test_parse_for_the_registry_returns_the_event_and_applies_severity_map():
    assert PARSERS["pagerduty"] is pagerduty.parse
    [event] = pagerduty.parse(load("trigger.json"), FakeIntegration(config={"severity_map": {"error": "critical"}}))
    assert event.severity == "critical"
    [event] = pagerduty.parse(load("trigger.json"), FakeIntegration())
    assert event.severity == "error"


def test_change_event_keeps_summary_time_source_details_and_links():
    change = parse_change(load("change.json"))
    assert isinstance(change, ParsedChange)
    assert change.routing_key == ROUTING_KEY
    assert change.summary == "Deployed checkout v2026.11.27-3 to production"
    assert change.timestamp == datetime(2026, 11, 27, 15, 58, 41, tzinfo=timezone.utc)
    assert change.source == "github-actions"
    assert change.custom_details["changes"][1] == "Bump payment SDK to 7.2.1"
    assert change.links == ({"href": "https://github.example.com/shop/checkout/actions/runs/4187", "text": "Build 4187"},)


def test_minimal_change_event_needs_only_routing_key_and_summary():
    change = parse_change({"routing_key": ROUTING_KEY, "payload": {"summary": "Feature flag new-cart on"}})
    assert (change.summary, change.timestamp, change.source, change.custom_details, change.links) == (
        "Feature flag new-cart on", None, "", None, (),
    )


# ------------------------------------------------------------------------------------ errors

def _trigger(**changes):
    body = load("trigger.json")
    for dotted, value in changes.items():
        target = body
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(("body", "expected"), [
    (_trigger(routing_key=_DELETE), "'routing_key' is missing or blank"),
    (_trigger(routing_key=""), "'routing_key' is missing or blank"),
    (_trigger(routing_key="   "), "'routing_key' is missing or blank"),
    (_trigger(routing_key=12345), "'routing_key' must be a string, not a number"),
    (_trigger(event_action=_DELETE), "'event_action' is missing or blank"),
    (_trigger(event_action=""), "'event_action' is missing or blank"),
    (_trigger(event_action="escalate"), "'event_action' must be one of trigger, acknowledge, resolve, not 'escalate'"),
    (_trigger(event_action="TRIGGER"), "'event_action' must be one of trigger, acknowledge, resolve, not 'TRIGGER'"),
    (_trigger(event_action=["trigger"]), "'event_action' must be one of trigger, acknowledge, resolve, not a list"),
    (_trigger(dedup_key=17), "'dedup_key' must be a string, not a number"),
    (_trigger(dedup_key="k" * 256), "'dedup_key' is longer than 255 characters"),
    (_trigger(payload=_DELETE), "'payload' is missing"),
    (_trigger(payload=["summary"]), "'payload' must be an object, not a list"),
    (_trigger(payload__summary=_DELETE), "'payload.summary' is missing or blank"),
    (_trigger(payload__summary=""), "'payload.summary' is missing or blank"),
    (_trigger(payload__summary=" \n "), "'payload.summary' is missing or blank"),
    (_trigger(payload__summary=404), "'payload.summary' must be a string, not a number"),
    (_trigger(payload__summary="s" * 1025), "'payload.summary' is longer than 1024 characters"),
    (_trigger(payload__source=_DELETE), "'payload.source' is missing or blank"),
    (_trigger(payload__source=""), "'payload.source' is missing or blank"),
    (_trigger(payload__source={"host": "db2"}), "'payload.source' must be a string, not an object"),
    (_trigger(payload__source="h" * 256), "'payload.source' is longer than 255 characters"),
    (_trigger(payload__severity=_DELETE), "'payload.severity' is missing or blank"),
    (_trigger(payload__severity=""), "'payload.severity' is missing or blank"),
    (_trigger(payload__severity="high"), "'payload.severity' must be one of critical, error, warning, info, not 'high'"),
    (_trigger(payload__severity="Critical"),
     "'payload.severity' must be one of critical, error, warning, info, not 'Critical'"),
    (_trigger(payload__severity=1), "'payload.severity' must be one of critical, error, warning, info, not a number"),
    (_trigger(payload__timestamp="27/11/2026 16:12"),
     "'payload.timestamp' is not a valid RFC 3339 timestamp: '27/11/2026 16:12'"),
    (_trigger(payload__timestamp=1764260000), "'payload.timestamp' must be a string (RFC 3339 timestamp), not a number"),
    (_trigger(payload__component=3), "'payload.component' must be a string, not a number"),
    (_trigger(payload__group=["a"]), "'payload.group' must be a string, not a list"),
    (_trigger(**{"payload__class": True}), "'payload.class' must be a string, not a boolean"),
    (_trigger(images="https://img"), "'images' must be a list, not a string"),
    (_trigger(images__0="https://img.example.com/a.png"), "'images[0]' must be an object, not a string"),
    (_trigger(images__0__src=_DELETE), "'images[0].src' is missing or blank"),
    (_trigger(images__0__src=5), "'images[0].src' must be a string, not a number"),
    (_trigger(images__0__href=5), "'images[0].href' must be a string, not a number"),
    (_trigger(images__0__alt=["a"]), "'images[0].alt' must be a string, not a list"),
    (_trigger(links={"href": "x"}), "'links' must be a list, not an object"),
    (_trigger(links__1=None), "'links[1]' must be an object, not null"),
    (_trigger(links__0__href=_DELETE), "'links[0].href' is missing or blank"),
    (_trigger(links__0__href=""), "'links[0].href' is missing or blank"),
    (_trigger(links__0__text=7), "'links[0].text' must be a string, not a number"),
    (_trigger(client=1), "'client' must be a string, not a number"),
    (_trigger(client_url={"u": 1}), "'client_url' must be a string, not an object"),
])
def test_invalid_trigger_is_refused_naming_the_field(body, expected):
    assert event_errors(body) == [expected]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_require_a_dedup_key(action):
    body = load(f"{action}.json")
    del body["dedup_key"]
    assert event_errors(body) == [f"'dedup_key' is missing or blank (it is required to {action})"]
    body["dedup_key"] = ""
    assert event_errors(body) == [f"'dedup_key' is missing or blank (it is required to {action})"]
    body["dedup_key"] = "k" * 256
    assert event_errors(body) == ["'dedup_key' is longer than 255 characters"]


def test_custom_details_nested_too_deep_are_refused():
    deep: list = []
    cursor = deep
    for _ in range(100):
        cursor.append([])
        cursor = cursor[0]
    body = _trigger(payload__custom_details=deep)
    assert event_errors(body) == ["'payload.custom_details' is nested deeper than 32 levels"]


def test_every_bad_field_is_reported_not_just_the_first():
    body = {"routing_key": "", "event_action": "trigger", "dedup_key": "k" * 300,
            "payload": {"summary": "", "severity": "urgent"}, "links": "nope"}
    assert event_errors(body) == [
        "'routing_key' is missing or blank",
        "'dedup_key' is longer than 255 characters",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info, not 'urgent'",
        "'links' must be a list, not a string",
    ]


def test_empty_object_names_routing_key_and_event_action():
    assert event_errors({}) == ["'routing_key' is missing or blank", "'event_action' is missing or blank"]


@pytest.mark.parametrize("body", [None, [], [load("trigger.json")], "trigger", 1, 2.5, True])
def test_a_body_that_is_not_an_object_is_refused(body):
    [error] = event_errors(body)
    assert error.startswith("the event must be a JSON object")
    [error] = change_errors(body)
    assert error.startswith("the event must be a JSON object")


def test_the_parser_does_not_change_the_body():
    body = load("trigger.json")
    before = copy.deepcopy(body)
    parse_event(body)
    assert body == before


@pytest.mark.parametrize(("body", "expected"), [
    ({"payload": {"summary": "x"}}, "'routing_key' is missing or blank"),
    ({"routing_key": 5, "payload": {"summary": "x"}}, "'routing_key' must be a string, not a number"),
    ({"routing_key": ROUTING_KEY}, "'payload' is missing"),
    ({"routing_key": ROUTING_KEY, "payload": "deployed"}, "'payload' must be an object, not a string"),
    ({"routing_key": ROUTING_KEY, "payload": {}}, "'payload.summary' is missing or blank"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": 1}}, "'payload.summary' must be a string, not a number"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": "s" * 1025}}, "'payload.summary' is longer than 1024 characters"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": "x", "source": 1}}, "'payload.source' must be a string, not a number"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": "x", "source": "s" * 256}},
     "'payload.source' is longer than 255 characters"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": "x", "timestamp": "now"}},
     "'payload.timestamp' is not a valid RFC 3339 timestamp: 'now'"),
    ({"routing_key": ROUTING_KEY, "payload": {"summary": "x"}, "links": [{"text": "no href"}]},
     "'links[0].href' is missing or blank"),
])
def test_invalid_change_event_is_refused_naming_the_field(body, expected):
    assert change_errors(body) == [expected]
