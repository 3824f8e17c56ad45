"""The guided panel's checklist and its "next thing to do" (incidents/panel.py: panel_state), pure."""
from incidents.panel import PanelFacts, panel_state


def facts(**changes) -> PanelFacts:
    return PanelFacts(**{"status": "triggered", "acknowledged": False, "severity": "SEV3", **changes})


def done(state) -> set[str]:
    return {key for key, item in state.items.items() if item.done}


def test_a_new_incident_asks_to_be_acknowledged_first():
    state = panel_state(facts())
    assert state.next.key == "acknowledge"
    assert done(state) == {"severity"}
    assert [step.key for step in state.steps] == ["communicate", "learn", "act"]


def test_the_acknowledger_is_the_commander_by_default_so_the_first_status_update_comes_next():
    state = panel_state(facts(status="acknowledged", acknowledged=True, commander_by_default=True))
    assert state.items["commander"].done
    assert state.next.key == "status_update"


def test_after_the_first_status_update_learning_comes_next():
    state = panel_state(facts(status="acknowledged", acknowledged=True, commander_by_default=True,
                              status_updated=True))
    assert state.steps[0].done and state.next.key == "symptom"


def test_without_a_default_the_commander_must_be_named():
    state = panel_state(facts(status="acknowledged", acknowledged=True))
    assert state.next.key == "commander"


def test_learn_walks_symptoms_scope_evidence_then_an_owned_hypothesis():
    base = {"status": "acknowledged", "acknowledged": True, "roles": frozenset({"commander"}), "status_updated": True}
    assert panel_state(facts(**base, findings=frozenset({"symptom"}))).next.key == "scope"
    assert panel_state(facts(**base, findings=frozenset({"symptom", "scope"}))).next.key == "evidence"
    learned = frozenset({"symptom", "scope", "evidence", "hypothesis"})
    assert panel_state(facts(**base, findings=learned)).next.key == "hypothesis"  # nobody owns it yet
    state = panel_state(facts(**base, findings=learned, hypothesis_owned=True))
    assert state.steps[1].done and state.next.key == "action"


def test_optional_items_never_become_the_next_thing_to_do():
    everything = frozenset({"symptom", "scope", "evidence", "hypothesis"})
    state = panel_state(facts(status="acknowledged", acknowledged=True, roles=frozenset({"commander"}),
                              findings=everything, hypothesis_owned=True, action_chosen=True,
                              tasks_total=2, tasks_open=1, status_updated=True))
    assert not state.items["tasks"].done and not state.items["scribe"].done
    assert state.next.key == "mitigate"
    assert state.steps[0].done and state.steps[0].done_count == 4 == state.steps[0].required_count


def test_once_mitigated_only_verifying_and_resolving_are_left_to_suggest():
    state = panel_state(facts(status="mitigated", acknowledged=True))
    assert state.items["mitigate"].done and state.items["acknowledge"].done
    assert state.next.key == "verify"
    state = panel_state(facts(status="mitigated", acknowledged=True, findings=frozenset({"verification"})))
    assert state.next.key == "resolve"


def test_a_resolved_incident_has_nothing_next():
    state = panel_state(facts(status="resolved", acknowledged=True))
    assert state.next is None
    assert state.items["resolve"].done and state.items["mitigate"].done


def test_tasks_count_as_done_only_when_there_are_some_and_none_is_open():
    assert not panel_state(facts()).items["tasks"].done
    assert panel_state(facts(tasks_total=2, tasks_open=0)).items["tasks"].done
