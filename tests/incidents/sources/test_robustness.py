"""Whatever arrives, a parser either returns well-formed events or raises ParseError: never
KeyError, TypeError, AttributeError, RecursionError, ValueError... and what it returns can be
stored (lengths within the model's columns, JSON that PostgreSQL accepts, only http(s) links)."""
import copy
import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.sources import AlertEvent, ParseError, alertmanager, generic, grafana, pagerduty
from incidents.sources.events import ACTIONS, SEVERITIES
from incidents.sources.text import clean_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

FUZZ = settings(
    max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),  # reproducible in CI, exploring on developer machines
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@dataclass
class FakeIntegration:
    config: dict = field(default_factory=dict)
    name: str = "fuzz"


CALLS = {
    "alertmanager": lambda body: alertmanager.parse(body, FakeIntegration()),
    "alertmanager-fingerprint": lambda body: alertmanager.parse(body, FakeIntegration({"group_by": "fingerprint"})),
    "alertmanager-per-alert": lambda body: alertmanager.parse(
        body, FakeIntegration({"resolve_per_alert": True, "severity_map": {"x": "info"}})),
    "grafana": lambda body: grafana.parse(body, FakeIntegration()),
    "grafana-fingerprint": lambda body: grafana.parse(body, FakeIntegration({"group_by": "fingerprint"})),
    "generic": lambda body: generic.parse(body, FakeIntegration()),
    "generic-dedup-field": lambda body: generic.parse(body, FakeIntegration({"dedup_field": "details.host.0"})),
    "pagerduty": lambda body: [pagerduty.parse_event(body).event],
    "pagerduty-registry": lambda body: pagerduty.parse(body, FakeIntegration({"severity_map": {"info": "warning"}})),
    "pagerduty-change": lambda body: [pagerduty.parse_change(body)],
}


def assert_storable_text(text: str, limit: int | None = None) -> None:
    assert isinstance(text, str)
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogates
    if limit is not None:
        assert len(text) <= limit


def assert_link(link: dict, key: str) -> None:
    assert isinstance(link, dict)
    href = link[key]
    assert href.lower().startswith(("http://", "https://"))
    for value in link.values():
        assert_storable_text(value)


def assert_storable_json(value) -> None:
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    assert "\x00" not in text and "\\u0000" not in text
    text.encode("utf-8")


def check_event(event) -> None:
    if isinstance(event, pagerduty.ParsedChange):
        assert_storable_text(event.routing_key)
        assert_storable_text(event.summary, 1024)
        assert event.summary
        assert_storable_text(event.source, 255)
        assert_storable_json(event.custom_details)
        for link in event.links:
            assert_link(link, "href")
        return
    assert isinstance(event, AlertEvent)
    assert_storable_text(event.dedup_key, 255)
    assert event.dedup_key
    assert event.action in ACTIONS
    assert_storable_text(event.summary, 1024)
    if event.action == "trigger":
        assert event.summary.strip()
    assert event.severity in SEVERITIES
    assert_storable_text(event.source, 255)
    assert_storable_text(event.fingerprint, 255)
    assert isinstance(event.details, dict)
    assert_storable_json(event.details)
    assert isinstance(event.links, tuple) and isinstance(event.images, tuple)
    for link in event.links:
        assert_link(link, "href")
    for image in event.images:
        assert_link(image, "src")
    if event.occurred_at is not None:
        assert event.occurred_at.utcoffset() == timedelta(0)


def run_all(body, calls=CALLS) -> dict:
    """Run every parser on ``body``; return {name: "ok" | "error"}; anything else fails the test."""
    outcomes = {}
    for name, call in calls.items():
        try:
            events = call(body)
        except ParseError as error:
            assert error.message and isinstance(error.message, str)
            assert isinstance(error.errors, list) and all(isinstance(e, str) for e in error.errors)
            assert len(error.errors) <= 51
            str(error)
            json.dumps(error.to_dict())
            outcomes[name] = "error"
            continue
        assert isinstance(events, list) and events
        for event in events:
            check_event(event)
        outcomes[name] = "ok"
    return outcomes


# ------------------------------------------------------------------------------ strategies

NASTY_TEXT = st.text(alphabet=st.sampled_from(["a", "Z", " ", "\x00", "\ud800", "\udfff", "é", "🚨", "\n", ":"]),
                     max_size=12)
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | NASTY_TEXT)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)

VOCABULARY = [
    "version", "status", "alerts", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint",
    "receiver", "groupKey", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "truncatedAlerts",
    "title", "state", "message", "orgId", "dashboardURL", "panelURL", "silenceURL", "valueString", "values",
    "imageURL", "severity", "dedup_key", "source", "timestamp", "details", "links", "href", "text", "routing_key",
    "event_action", "payload", "summary", "component", "group", "class", "custom_details", "images", "src", "alt",
    "client", "client_url", "alertname", "instance", "job", "runbook_url", "host",
]
PLAUSIBLE = st.sampled_from([
    "firing", "resolved", "acknowledged", "4", "1", "trigger", "acknowledge", "resolve", "critical", "warning",
    "info", "error", "page", "2026-11-27T16:09:47.045703566Z", "0001-01-01T00:00:00Z", "2026-11-27T16:09:47+02:00",
    "https://grafana.example.com/d/x", "javascript:alert(1)", "", " ", "db1", "x" * 300,
])
SHAPED = st.recursive(
    LEAVES | PLAUSIBLE,
    lambda children: st.lists(children, min_size=0, max_size=4)
    | st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=5), children, max_size=8),
    max_leaves=30,
)


def load(relative: str):
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


VALID_BODIES = {
    name: load(name) for name in (
        "alertmanager/firing.json", "alertmanager/resolved.json", "alertmanager/firing-group-of-3.json",
        "alertmanager/prometheus-rule-firing.json", "grafana/firing.json", "grafana/multi-alert.json",
        "grafana/test-notification.json", "generic/full.json", "generic/resolved.json",
        "pagerduty/trigger.json", "pagerduty/resolve.json", "pagerduty/change.json",
    )
}


def all_paths(value, prefix=()):
    """Every path (tuple of keys/indexes) inside a JSON value, parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from all_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from all_paths(item, prefix + (index,))


def replaced(body, path, value=None, delete=False):
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


FIXTURE_PATHS = [(name, path) for name, body in VALID_BODIES.items() for path in all_paths(body)]
# The parsers meant for each fixture (Grafana's body is an Alertmanager body plus extras, so those
# two families each get the other's too); used where running all ten parsers adds only time.
FAMILIES = {
    "alertmanager": ("alertmanager", "grafana"), "grafana": ("alertmanager", "grafana"),
    "generic": ("generic",), "pagerduty": ("pagerduty",),
}


def family_calls(fixture_name: str) -> dict:
    prefixes = FAMILIES[fixture_name.split("/")[0]]
    return {name: call for name, call in CALLS.items() if name.startswith(prefixes)}


# ----------------------------------------------------------------------------------- tests

def test_valid_fixtures_parse_with_their_own_parser():
    outcomes = {name: run_all(body) for name, body in VALID_BODIES.items()}
    assert outcomes["alertmanager/firing.json"]["alertmanager"] == "ok"
    assert outcomes["grafana/multi-alert.json"]["grafana"] == "ok"
    assert outcomes["generic/full.json"]["generic"] == "ok"
    assert outcomes["pagerduty/trigger.json"]["pagerduty"] == "ok"
    assert outcomes["pagerduty/change.json"]["pagerduty-change"] == "ok"


@FUZZ
@given(body=JSON_VALUES)
def test_arbitrary_json_never_raises_anything_but_parse_error(body):
    before = repr(body)
    run_all(body)
    assert repr(body) == before  # parsers never modify the body


@FUZZ
@given(body=st.dictionaries(st.sampled_from(VOCABULARY), SHAPED, max_size=12))
def test_json_shaped_like_the_real_formats_never_raises_anything_but_parse_error(body):
    run_all(body)


@FUZZ
@given(data=st.data())
def test_any_field_of_a_valid_body_replaced_by_any_json_is_parsed_or_refused(data):
    name, path = data.draw(st.sampled_from(FIXTURE_PATHS))
    if data.draw(st.booleans()):
        body = replaced(VALID_BODIES[name], path, delete=True)
    else:
        body = replaced(VALID_BODIES[name], path, data.draw(SHAPED))
    run_all(body)


@FUZZ
@given(data=st.data())
def test_alerts_list_of_arbitrary_shaped_alerts_is_parsed_or_refused(data):
    base = VALID_BODIES[data.draw(st.sampled_from(["alertmanager/firing-group-of-3.json", "grafana/multi-alert.json"]))]
    body = copy.deepcopy(base)
    body["alerts"] = data.draw(st.lists(
        st.fixed_dictionaries(
            {"status": st.sampled_from(["firing", "resolved"]),
             "labels": st.dictionaries(st.sampled_from(["alertname", "instance", "job", "severity", "pod"]) | st.text(max_size=4),
                                       st.text(max_size=10) | NASTY_TEXT | PLAUSIBLE, max_size=5)},
            optional={"annotations": st.dictionaries(st.sampled_from(["summary", "runbook_url"]), PLAUSIBLE | NASTY_TEXT),
                      "fingerprint": st.text(max_size=20) | NASTY_TEXT,
                      "startsAt": PLAUSIBLE, "endsAt": PLAUSIBLE, "generatorURL": PLAUSIBLE},
        ),
        min_size=1, max_size=6,
    ))
    for key in ("commonLabels", "commonAnnotations", "groupLabels"):
        if data.draw(st.booleans()):
            body[key] = {}
    outcomes = run_all(body)
    if all(alert["status"] in ("firing", "resolved") and all(isinstance(v, str) for v in alert["labels"].values())
           for alert in body["alerts"]) and not any("startsAt" in a or "endsAt" in a for a in body["alerts"]):
        assert outcomes["alertmanager"] == "ok" or body.get("version") == "1"


LONG = "ü" * 100_000


@pytest.mark.parametrize(("name", "path"), FIXTURE_PATHS, ids=lambda v: "/".join(map(str, v)) if isinstance(v, tuple) else v)
def test_a_100k_character_string_in_any_field_is_parsed_within_limits_or_refused(name, path):
    run_all(replaced(VALID_BODIES[name], path, LONG), family_calls(name))


def test_100k_character_keys_and_values_in_label_maps_stay_within_limits():
    body = copy.deepcopy(VALID_BODIES["alertmanager/firing.json"])
    body["alerts"][0]["labels"][LONG] = LONG
    body["alerts"][0]["labels"]["instance"] = LONG
    body["commonLabels"] = {"instance": LONG}
    body["groupKey"] = LONG
    outcomes = run_all(body)
    assert outcomes["alertmanager"] == "ok"
    [event] = alertmanager.parse(body, FakeIntegration())
    assert len(event.source) == 255 and event.dedup_key.startswith("sha256:")


def deep_list(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int):
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("build", [deep_list, deep_dict])
def test_a_1000_level_deep_body_is_refused(build):
    outcomes = run_all(build(1000))
    assert set(outcomes.values()) == {"error"}


@pytest.mark.parametrize("build", [deep_list, deep_dict])
@pytest.mark.parametrize(("name", "path"), FIXTURE_PATHS, ids=lambda v: "/".join(map(str, v)) if isinstance(v, tuple) else v)
def test_1000_level_nesting_in_any_field_is_parsed_or_refused(build, name, path):
    run_all(replaced(VALID_BODIES[name], path, build(1000)), family_calls(name))


def test_deep_nesting_just_inside_the_limit_is_kept():
    body = {"title": "t", "details": deep_dict(31)}
    [event] = generic.parse(body, FakeIntegration())
    assert_storable_json(event.details)


def test_many_alerts_are_handled():
    body = copy.deepcopy(VALID_BODIES["alertmanager/firing-group-of-3.json"])
    template = body["alerts"][0]
    body["alerts"] = [
        {**template, "labels": {**template["labels"], "instance": f"web{i}"}, "fingerprint": f"{i:016x}"}
        for i in range(5000)
    ]
    [event] = alertmanager.parse(body, FakeIntegration())
    assert len(event.details["alerts"]) == 5000
    assert len(event.links) <= 25
    assert len(alertmanager.parse(body, FakeIntegration({"group_by": "fingerprint"}))) == 5000


GENERIC_BODIES = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=60) | NASTY_TEXT | PLAUSIBLE},
    optional={
        "severity": PLAUSIBLE | st.text(max_size=10) | st.none(),
        "status": st.sampled_from(["firing", "resolved", "acknowledged", "trigger", "resolve", "RESOLVED"]) | PLAUSIBLE,
        "dedup_key": st.text(max_size=300) | NASTY_TEXT | st.none(),
        "source": st.text(max_size=300) | NASTY_TEXT,
        "timestamp": PLAUSIBLE | st.none(),
        "details": st.dictionaries(st.sampled_from(["host", "value"]) | st.text(max_size=5), JSON_VALUES, max_size=4),
        "links": st.lists(PLAUSIBLE | st.fixed_dictionaries({"href": PLAUSIBLE}, optional={"text": NASTY_TEXT}), max_size=3),
        "extra_field": JSON_VALUES,
    },
)


@FUZZ
@given(body=GENERIC_BODIES)
def test_near_valid_generic_bodies_are_parsed_or_refused(body):
    outcomes = run_all(body, family_calls("generic/x"))
    simple = set(body) <= {"title", "severity"} and isinstance(body.get("severity"), (str, type(None)))
    title = clean_text(body["title"]).strip()  # the parser drops NULs before judging blankness
    if simple and title and len(title) <= 1024:
        assert outcomes["generic"] == "ok"


PD_BODIES = st.fixed_dictionaries(
    {
        "routing_key": st.text(min_size=1, max_size=40) | NASTY_TEXT,
        "event_action": st.sampled_from(["trigger", "acknowledge", "resolve"]) | PLAUSIBLE,
        "payload": st.fixed_dictionaries(
            {"summary": st.text(max_size=60) | NASTY_TEXT | PLAUSIBLE,
             "source": st.text(max_size=60) | NASTY_TEXT | PLAUSIBLE,
             "severity": st.sampled_from(["critical", "error", "warning", "info"]) | PLAUSIBLE},
            optional={"timestamp": PLAUSIBLE, "component": NASTY_TEXT, "group": st.text(max_size=5),
                      "class": NASTY_TEXT, "custom_details": JSON_VALUES},
        ),
    },
    optional={
        "dedup_key": st.text(max_size=300) | NASTY_TEXT | st.none(),
        "images": st.lists(st.fixed_dictionaries({"src": PLAUSIBLE}, optional={"href": PLAUSIBLE, "alt": NASTY_TEXT}),
                           max_size=3),
        "links": st.lists(st.fixed_dictionaries({"href": PLAUSIBLE}, optional={"text": NASTY_TEXT}), max_size=3),
        "client": NASTY_TEXT,
        "client_url": PLAUSIBLE,
    },
)


@FUZZ
@given(body=PD_BODIES)
def test_near_valid_pagerduty_events_are_parsed_or_refused(body):
    run_all(body, family_calls("pagerduty/x"))
