"""What a page says about the alerts behind its incident: the alert to lead with, its labels, its
own runbook and graph links, and the incident's details. Shared by the email, Slack, SMS and the
ack-link page, so they all tell the same story.
"""
from dataclasses import dataclass, field

from incidents.display import DetailRow, detail_rows, pairs, web_link
from incidents.incident_page import SUPERSEDED_DETAILS
from incidents.models import Incident, IncidentAlertState

# Labels a person reads first; the rest follow in the order the monitor sent them.
LEADING_LABELS = ("alertname", "severity", "instance", "host", "pod", "job", "service", "namespace", "cluster")
# Details that say nothing a responder needs on a phone (they are on the incident page).
QUIET_DETAILS = (*SUPERSEDED_DETAILS, "receiver", "groupKey", "groupLabels", "commonLabels",
                 "commonAnnotations", "externalURL", "truncatedAlerts", "status", "images")
LABELS_SHOWN = 12
DETAILS_SHOWN = 10


@dataclass(frozen=True)
class PageAlerts:
    lead: IncidentAlertState | None        # the first firing alert, else the latest one
    firing: int
    total: int
    labels: list[tuple[str, str]] = field(default_factory=list)
    runbook_url: str = ""                  # the alert's own
    service_runbook_url: str = ""          # the service's, when it is another
    graph_url: str = ""
    details: list[DetailRow] = field(default_factory=list)

    @property
    def instance(self) -> str:
        return dict(self.labels).get("instance") or dict(self.labels).get("host", "")


def page_alerts(incident: Incident) -> PageAlerts:
    """Three cheap reads (the lead row and two counts) whatever the size of the group."""
    # The alert to lead with: the first reported of those firing, else the first of all.
    states = incident.alert_states.order_by("status", "id")
    lead = states.first()
    labels = _ordered_labels(lead.labels if lead else {})
    runbook = web_link(lead.runbook_url) if lead else ""
    service_runbook = web_link(incident.service.runbook_url)
    details = incident.details if isinstance(incident.details, dict) else {}
    shown = {key: value for key, value in details.items() if key not in QUIET_DETAILS}
    total = states.count() if lead else 0
    return PageAlerts(
        lead=lead, firing=states.filter(status=IncidentAlertState.Status.FIRING).count() if lead else 0,
        total=total, labels=labels[:LABELS_SHOWN], runbook_url=runbook,
        service_runbook_url=service_runbook if service_runbook != runbook else "",
        graph_url=web_link(lead.generator_url) if lead else "",
        details=detail_rows(dict(list(shown.items())[:DETAILS_SHOWN])),
    )


def _ordered_labels(labels: dict) -> list[tuple[str, str]]:
    given = pairs(labels)
    rank = {name: i for i, name in enumerate(LEADING_LABELS)}
    return sorted(given, key=lambda pair: rank.get(pair[0], len(rank)))
