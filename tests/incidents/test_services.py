import threading

import pytest
from django.db import connection, connections

from incidents.models import Incident, TimelineEvent
from incidents.services import (
    AlreadyHandled,
    IncidentError,
    InvalidTransition,
    incident_acknowledge,
    incident_mitigate,
    incident_note_add,
    incident_reopen,
    incident_resolve,
    incident_severity_set,
    incident_trigger,
)
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, UserFactory

Status = Incident.Status


def kinds(incident):
    return list(incident.timeline.values_list("kind", flat=True))


def test_trigger_opens_incident_numbered_per_team_with_timeline(service):
    first, created = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    second, _ = incident_trigger(service=service, title="CPU high", dedup_key="cpu")
    other_team_incident = IncidentFactory()
    assert created
    assert (first.number, second.number) == (1, 2)
    assert other_team_incident.number == 1
    assert first.status == Status.TRIGGERED
    assert first.next_escalation_at == first.triggered_at
    assert kinds(first) == ["triggered"]


def test_trigger_with_open_dedup_key_counts_an_alert_on_the_same_incident(service):
    incident, _ = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    again, created = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    assert not created
    assert again.pk == incident.pk
    assert again.alert_count == 2
    assert Incident.objects.count() == 1


def test_trigger_after_resolve_opens_a_new_incident(service, responder):
    incident, _ = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    incident_resolve(incident=incident, by=responder, via="web")
    fresh, created = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    assert created and fresh.pk != incident.pk
    assert fresh.number == incident.number + 1


def test_same_dedup_key_on_two_services_opens_two_incidents(team):
    a, _ = incident_trigger(service=ServiceFactory(team=team), title="x", dedup_key="k")
    b, created = incident_trigger(service=ServiceFactory(team=team), title="x", dedup_key="k")
    assert created and a.pk != b.pk


def test_acknowledge_records_who_and_how_and_stops_escalation(incident, responder):
    incident = incident_acknowledge(incident=incident, by=responder, via="sms")
    assert incident.status == Status.ACKNOWLEDGED
    assert incident.acknowledged_by == responder
    assert incident.acknowledged_at is not None
    assert incident.next_escalation_at is None
    event = incident.timeline.get(kind="acknowledged")
    assert (event.actor, event.via) == (responder, "sms")


def test_second_acknowledge_is_told_who_already_has_it(incident, responder):
    incident_acknowledge(incident=incident, by=responder, via="web")
    with pytest.raises(AlreadyHandled, match=f"already acknowledged by {responder.username}"):
        incident_acknowledge(incident=incident, by=UserFactory(), via="api")
    assert kinds(incident).count("acknowledged") == 1


def test_mitigate_from_triggered_also_acknowledges(incident, responder):
    incident = incident_mitigate(incident=incident, by=responder, via="web")
    assert incident.status == Status.MITIGATED
    assert incident.mitigated_at is not None
    assert incident.acknowledged_by == responder
    assert incident.next_escalation_at is None


def test_mitigate_keeps_the_first_acknowledger(incident, responder):
    incident_acknowledge(incident=incident, by=responder, via="web")
    incident = incident_mitigate(incident=incident, by=UserFactory(), via="api", note="rolled back")
    assert incident.acknowledged_by == responder
    assert incident.timeline.get(kind="mitigated").text == "rolled back"


@pytest.mark.parametrize("path", [[], ["ack"], ["ack", "mitigate"], ["mitigate"]])
def test_resolve_from_every_open_state(incident, responder, path):
    steps = {"ack": incident_acknowledge, "mitigate": incident_mitigate}
    for step in path:
        incident = steps[step](incident=incident, by=responder, via="web")
    incident = incident_resolve(incident=incident, by=responder, via="web", note="fixed the disk")
    assert incident.status == Status.RESOLVED
    assert incident.resolved_by == responder
    assert incident.resolved_at is not None
    assert incident.timeline.get(kind="resolved").text == "fixed the disk"


def test_resolved_incident_cannot_be_acknowledged_or_mitigated(incident, responder):
    incident_resolve(incident=incident, by=responder, via="web")
    with pytest.raises(InvalidTransition, match="is resolved"):
        incident_acknowledge(incident=incident, by=responder, via="web")
    with pytest.raises(InvalidTransition):
        incident_mitigate(incident=incident, by=responder, via="web")
    with pytest.raises(AlreadyHandled):
        incident_resolve(incident=incident, by=responder, via="web")


def test_mitigated_incident_cannot_go_back_to_acknowledged(incident, responder):
    incident_mitigate(incident=incident, by=responder, via="web")
    with pytest.raises(InvalidTransition):
        incident_acknowledge(incident=incident, by=responder, via="web")


def test_reopen_pages_again_from_the_first_step(incident, responder):
    incident_acknowledge(incident=incident, by=responder, via="web")
    incident = incident_resolve(incident=incident, by=responder, via="web")
    incident = incident_reopen(incident=incident, by=responder, via="api", reason="came back")
    assert incident.status == Status.TRIGGERED
    assert incident.acknowledged_at is None and incident.resolved_at is None
    assert incident.reopened_at is not None
    assert incident.next_escalation_at is not None
    assert (incident.escalation_step, incident.escalation_loop) == (0, 0)
    assert kinds(incident)[-1] == "reopened"


def test_reopen_of_open_incident_is_invalid(incident, responder):
    with pytest.raises(InvalidTransition, match="is triggered; only a resolved incident can be reopened"):
        incident_reopen(incident=incident, by=responder, via="web")


def test_reopen_is_refused_while_another_incident_is_open_for_the_same_key(service, responder):
    old, _ = incident_trigger(service=service, title="Disk", dedup_key="disk")
    incident_resolve(incident=old, by=responder, via="web")
    newer, _ = incident_trigger(service=service, title="Disk", dedup_key="disk")
    with pytest.raises(InvalidTransition, match=f"#{newer.number} is already open"):
        incident_reopen(incident=old, by=responder, via="web")
    old.refresh_from_db()
    assert old.status == Status.RESOLVED


def test_note_is_added_to_the_timeline(incident, responder):
    event = incident_note_add(incident=incident, by=responder, via="web", text="  looking at the disk  ")
    assert (event.kind, event.text, event.actor) == ("note", "looking at the disk", responder)


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_empty_or_huge_note_is_refused(incident, responder, text):
    with pytest.raises(IncidentError):
        incident_note_add(incident=incident, by=responder, via="web", text=text)
    assert kinds(incident) == ["triggered"]


def test_severity_change_is_recorded_once(incident, responder):
    incident = incident_severity_set(incident=incident, severity="SEV1", by=responder, via="web")
    incident = incident_severity_set(incident=incident, severity="SEV1", by=responder, via="web")
    assert incident.severity == "SEV1"
    event = incident.timeline.get(kind="severity_changed")
    assert event.data == {"from": "SEV3", "to": "SEV1"}


def test_unknown_severity_is_refused(incident, responder):
    with pytest.raises(IncidentError, match="Unknown severity 'SEV9'"):
        incident_severity_set(incident=incident, severity="SEV9", by=responder, via="web")


def _run_at_once(count, target):
    """Run target(i) in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as e:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_acknowledging_at_once_record_one_acknowledgement():
    assert connection.vendor == "postgresql"
    service = ServiceFactory()
    people = [MembershipFactory(team=service.team).user for _ in range(2)]
    incident = IncidentFactory(service=service)
    results = _run_at_once(2, lambda i: incident_acknowledge(incident=incident, by=people[i], via="web"))
    won = [r for r in results if isinstance(r, Incident)]
    lost = [r for r in results if isinstance(r, AlreadyHandled)]
    assert len(won) == 1 and len(lost) == 1, results
    assert TimelineEvent.objects.filter(incident=incident, kind="acknowledged").count() == 1
    incident.refresh_from_db()
    assert incident.acknowledged_by == won[0].acknowledged_by


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_triggers_with_one_key_open_one_incident():
    service = ServiceFactory()
    results = _run_at_once(
        12, lambda i: incident_trigger(service=service, title="Disk full", dedup_key="disk")
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(1 for _, created in results if created) == 1
    incident = Incident.objects.get(service=service)
    assert incident.alert_count == 12
    assert incident.number == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_triggers_on_one_team_get_distinct_numbers():
    service = ServiceFactory()
    results = _run_at_once(10, lambda i: incident_trigger(service=service, title="x", dedup_key=f"k{i}"))
    assert sorted(r[0].number for r in results) == list(range(1, 11))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_resolve_racing_acknowledge_leaves_a_consistent_incident():
    service = ServiceFactory()
    person = MembershipFactory(team=service.team).user
    incident = IncidentFactory(service=service)
    actions = [incident_acknowledge, incident_resolve]
    results = _run_at_once(2, lambda i: actions[i](incident=incident, by=person, via="web"))
    incident.refresh_from_db()
    assert incident.status in (Status.ACKNOWLEDGED, Status.RESOLVED)
    assert all(isinstance(r, (Incident, InvalidTransition)) for r in results), results
    assert incident.next_escalation_at is None
