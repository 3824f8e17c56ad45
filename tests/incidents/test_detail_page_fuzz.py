"""Whatever an alert said, the incident page shows it: keys named like dict methods (`items`,
`keys`, `values`, `get`) once made the template's `.items` lookup hit the data and answer 500."""
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.display import detail_rows, group_alert_rows
from tests.factories import IncidentFactory, MembershipFactory

pytestmark = pytest.mark.django_db

DICT_WORDS = ["items", "keys", "values", "get", "pop", "update", "copy", "clear", "setdefault", "__class__",
              "status", "labels", "annotations", "startsAt", "generatorURL", "0", ""]
# What the intake stores: JSON without NUL characters or non-finite numbers (see sources.fields.clean_json).
storable_text = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
keys = st.sampled_from(DICT_WORDS) | st.text(storable_text, max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(storable_text, max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
pairs = st.dictionaries(keys, json_values, max_size=5)
group_alert = st.fixed_dictionaries({}, optional={
    "status": json_values, "labels": pairs | json_values, "annotations": pairs | json_values,
    "startsAt": json_values, "generatorURL": json_values, "items": json_values, "get": json_values,
})
details = st.dictionaries(keys, json_values, max_size=5).flatmap(
    lambda rest: st.fixed_dictionaries({}, optional={"alerts": st.lists(group_alert, max_size=3) | json_values})
    .map(lambda alerts: {**rest, **alerts}))


@pytest.fixture
def web(client, service):
    client.force_login(MembershipFactory(team=service.team, role="viewer").user)
    return client


def page(web, incident):
    return web.get(reverse("incidents:detail", args=[incident.pk]))


def test_a_label_annotation_or_detail_named_items_is_shown_not_a_500(web, service):
    incident = IncidentFactory(service=service, details={
        "items": "three", "keys": {"items": 1, "get": 2},
        "alerts": [{"status": "firing", "labels": {"items": "x", "alertname": "DiskFull"},
                    "annotations": {"values": "y"}}],
    })
    response = page(web, incident)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<code>items=x</code>" in text and "<code>alertname=DiskFull</code>" in text
    assert "<strong>values</strong>: y" in text
    assert "<dt>items</dt><dd>three</dd>" in text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=details)
def test_the_incident_page_never_fails_whatever_the_alert_said(web, service, details):
    incident = IncidentFactory(service=service, details=details)
    response = page(web, incident)
    assert response.status_code == 200


def test_details_become_rows_of_text_or_pairs_in_their_order():
    rows = detail_rows({"items": "three", "keys": {"get": 2, "values": [1]}, "n": None})
    assert [(r.key, r.text, r.pairs) for r in rows] == [
        ("items", "three", []), ("keys", "", [("get", "2"), ("values", "[1]")]), ("n", "None", [])]


def test_group_alerts_become_rows_with_label_and_annotation_pairs():
    [row] = group_alert_rows([{"status": "resolved", "labels": {"items": "x"}, "annotations": "not an object",
                               "startsAt": "2026-01-01T00:00:00Z", "generatorURL": "javascript:alert(1)"}])
    assert (row.status, row.labels, row.annotations, row.starts_at, row.generator_url) == (
        "resolved", [("items", "x")], [], "2026-01-01T00:00:00Z", "")
    assert group_alert_rows("not a list") == [] and group_alert_rows([1, None]) == []
