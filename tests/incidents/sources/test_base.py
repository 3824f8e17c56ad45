"""The shared contract and helpers: timestamps, severities, keys, text cleaning, the registry."""
import dataclasses
import hashlib
import json
from datetime import datetime, timezone

import pytest

from incidents import sources
from incidents.sources import PARSERS, AlertEvent, ParseError, UnknownSourceKind, validate_config
from incidents.sources.errors import ErrorList
from incidents.sources.fields import clean_json, parse_timestamp
from incidents.sources.links import safe_url, url_host
from incidents.sources.severity import normalise_severity
from incidents.sources.text import bounded_key, clean_text, truncate


def ts(value):
    errors = ErrorList()
    result = parse_timestamp(value, "t", errors)
    return result, errors.items


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-27T16:09:47.045703566Z", datetime(2026, 11, 27, 16, 9, 47, 45703, tzinfo=timezone.utc)),
    ("2026-11-27T16:26:43.988Z", datetime(2026, 11, 27, 16, 26, 43, 988000, tzinfo=timezone.utc)),
    ("2026-11-27T16:26:43Z", datetime(2026, 11, 27, 16, 26, 43, tzinfo=timezone.utc)),
    ("2021-10-12T09:51:03.157076+02:00", datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=timezone.utc)),
    ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=timezone.utc)),
    ("2026-11-27T16:26:43-05:30", datetime(2026, 11, 27, 21, 56, 43, tzinfo=timezone.utc)),
    ("2026-11-27 16:26:43", datetime(2026, 11, 27, 16, 26, 43, tzinfo=timezone.utc)),
    ("2026-11-27t16:26:43.5z", datetime(2026, 11, 27, 16, 26, 43, 500000, tzinfo=timezone.utc)),
    ("2026-11-27", datetime(2026, 11, 27, tzinfo=timezone.utc)),
    ("0001-01-01T00:00:00Z", None),
    ("0001-01-01T00:00:00.000000000Z", None),
    ("", None),
    (None, None),
])
def test_timestamps_go_and_iso_forms_parse_to_aware_utc(text, expected):
    result, errors = ts(text)
    assert (result, errors) == (expected, [])
    if result is not None:
        assert result.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", [
    "yesterday", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-27T25:00:00Z", "2026-11-27T16:26:60Z",
    "2026-11-27T16:26:43+24:00", "9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00Z", "2026-11-27T16:26:43.Z",
    "2026-11-27T16:26:43Z " + "0" * 100, "٢٠٢٦-11-27T16:26:43Z",
])
def test_bad_timestamps_are_errors_naming_the_field(text):
    result, errors = ts(text)
    assert result is None
    assert len(errors) == 1 and errors[0].startswith("'t' is not a valid RFC 3339 timestamp")


@pytest.mark.parametrize(("value", "config", "expected"), [
    ("critical", None, "critical"), (" Page ", None, "critical"), ("SEV2", None, "error"),
    ("medium", None, "warning"), ("debug", None, "info"), ("??", None, "error"), (None, None, "error"),
    (3, None, "error"), (True, None, "error"), pytest.param(10 ** 5000, None, "error", id="huge-int"), ("P1", {"severity_map": {"p1": "warning"}}, "warning"),
    ("x", {"severity_map": {"X": "INFO"}}, "info"), ("x", {"severity_map": {"x": "bogus"}}, "error"),
])
def test_normalise_severity(value, config, expected):
    assert normalise_severity(value, config) == expected


def test_bounded_key_keeps_short_keys_and_hashes_long_ones_stably():
    assert bounded_key("abc") == "abc"
    long = "g" * 256
    assert bounded_key(long) == "sha256:" + hashlib.sha256(long.encode()).hexdigest()
    assert bounded_key(long) == bounded_key("g" * 256)


def test_truncate_marks_the_cut():
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 4) == "abc…"
    assert len(truncate("x" * 2000, 1024)) == 1024


def test_clean_text_removes_nul_and_replaces_lone_surrogates():
    assert clean_text("a\x00b\ud800c\udfffd") == "ab\ufffdc\ufffdd"
    assert clean_text("ok 🚨") == "ok 🚨"


def test_clean_json_makes_free_form_json_storable():
    errors = ErrorList()
    cleaned = clean_json({"n": float("nan"), "i": float("-inf"), "s": "a\x00", 1: [None, True]}, "d", errors)
    assert cleaned == {"n": "nan", "i": "-inf", "s": "a", "1": [None, True]}
    assert errors.items == []
    json.dumps(cleaned, allow_nan=False)


def test_clean_json_refuses_huge_numbers_and_non_json_values():
    errors = ErrorList()
    assert clean_json({"big": 10 ** 1300}, "d", errors) is None
    assert clean_json({"s": {1, 2}}, "e", errors) is None
    assert errors.items == ["'d' contains a number that is too large", "'e' contains a value that is not JSON (set)"]


@pytest.mark.parametrize(("url", "safe"), [
    ("https://grafana.example.com/d/x", True), ("HTTP://EXAMPLE.COM", True), ("javascript:alert(1)", False),
    ("data:text/html,x", False), ("//evil.example.com", False), ("https://", False),
    ("https://a.example.com/\nSet-Cookie: x", False), (None, False), (5, False), ("  https://ok.example.com  ", True),
])
def test_safe_url_accepts_only_absolute_http_urls(url, safe):
    assert (safe_url(url) is not None) == safe


def test_url_host_keeps_port_and_drops_credentials():
    assert url_host("http://user:pw@alertmanager.example.com:9093/#/alerts") == "alertmanager.example.com:9093"
    assert url_host("ftp://x") == ""


def test_alert_event_is_frozen_with_the_documented_defaults():
    event = AlertEvent(dedup_key="k", action="trigger", summary="s", severity="info")
    assert (event.source, event.details, event.links, event.images, event.occurred_at, event.fingerprint) == (
        "", {}, (), (), None, "",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.summary = "changed"


def test_parse_error_keeps_message_and_errors():
    error = ParseError("Event object is invalid", ["'a' is missing"])
    assert (error.message, error.errors) == ("Event object is invalid", ["'a' is missing"])
    assert str(error) == "Event object is invalid: 'a' is missing"
    assert str(ParseError("plain")) == "plain" and ParseError("plain").errors == []


def test_registry_lists_every_parser():
    assert set(PARSERS) == {"alertmanager", "grafana", "generic", "pagerduty", "email"}


def test_registry_parses_by_kind():
    class Integration:
        config = {}
        name = "cron"
    [event] = sources.parse("generic", {"title": "hello"}, Integration())
    assert event.summary == "hello"


@pytest.mark.parametrize("kind", ["heartbeat", "nagios", None, 5])
def test_unknown_kind_is_a_parse_error_and_a_lookup_error(kind):
    with pytest.raises(UnknownSourceKind) as caught:
        sources.parse(kind, {}, None)
    assert isinstance(caught.value, ParseError) and isinstance(caught.value, LookupError)


def test_validate_config_per_kind():
    assert validate_config("alertmanager", {"group_by": "fingerprint"}) == []
    assert validate_config("grafana", {"group_by": "nope"}) == ["'group_by' must be one of group, fingerprint"]
    assert validate_config("generic", {"dedup_field": "details.host"}) == []
    assert validate_config("pagerduty", {"severity_map": "p1=critical"}) != []
    assert validate_config("generic", "not a dict") == ["config must be an object"]
    assert validate_config("heartbeat", {"interval": 60}) == []
