"""Whatever a sender posts, the intake answers with a 2xx or a 4xx and a message, never a 500."""
import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import IntegrationFactory, ServiceFactory

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
# Bodies shaped like the real formats, with random values in their fields.
alertmanagerish = st.fixed_dictionaries({
    "version": st.sampled_from(["4", 4, None]),
    "status": st.sampled_from(["firing", "resolved", "weird"]) | json_values,
    "groupKey": st.text(max_size=300) | json_values,
    "alerts": st.lists(st.fixed_dictionaries({
        "status": st.sampled_from(["firing", "resolved"]) | json_values,
        "labels": st.dictionaries(st.text(max_size=10), st.text(max_size=10)) | json_values,
        "annotations": st.dictionaries(st.text(max_size=10), st.text(max_size=20)) | json_values,
        "startsAt": st.sampled_from(["2026-11-27T16:09:47.045703566Z", "0001-01-01T00:00:00Z", "nope"]) | json_values,
    }), max_size=3) | json_values,
})
pagerdutyish = st.fixed_dictionaries({
    "event_action": st.sampled_from(["trigger", "acknowledge", "resolve"]) | json_values,
    "dedup_key": st.text(max_size=300) | json_values,
    "payload": st.fixed_dictionaries({
        "summary": st.text(max_size=50) | json_values,
        "source": st.text(max_size=20) | json_values,
        "severity": st.sampled_from(["critical", "error", "warning", "info"]) | json_values,
    }) | json_values,
})
bodies = json_values | alertmanagerish | pagerdutyish | st.fixed_dictionaries({"title": st.text(max_size=50)}, optional={
    "severity": json_values, "status": json_values, "details": json_values, "links": json_values})


@pytest.fixture
def urls(db):
    service = ServiceFactory()
    made = {kind: IntegrationFactory(service=service, kind=kind, config={"rate_limit_per_minute": 10**6})[1]
            for kind in ("generic", "alertmanager", "grafana", "pagerduty")}
    return {kind: f"/integrations/{token}/" for kind, token in made.items()} | {"enqueue": made["pagerduty"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, kind=st.sampled_from(["generic", "alertmanager", "grafana", "pagerduty", "enqueue"]))
def test_random_bodies_never_cause_a_server_error(client, urls, body, kind):
    cache.clear()
    if kind == "enqueue":
        if isinstance(body, dict):
            body = {**body, "routing_key": urls["enqueue"]}
        url = "/v2/enqueue"
    else:
        url = urls[kind]
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (202, 400), response.content
    assert response.json().get("message") or response.status_code == 202
