"""A new postmortem's first draft, written from what the incident recorded: its timeline as a
Markdown list (times in the owner's zone, the zone named), and summary, impact, detection, root
causes and resolution wherever the response left something to start from. Every pre-filled section
opens with a note that it is a draft to edit; responders own the words after that.

Pure reads: `draft_sections` returns {section: markdown} and writes nothing.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from .models import Incident, IncidentFinding, TimelineEvent
from .response_review import duration_text

DRAFT_NOTE = "> *Draft written by Vigil from the incident's record: edit it before the review.*\n\n"
# Lines that say nothing a reader of the postmortem needs: one per notification sent.
SKIPPED_KINDS = {"delivery"}
# A runaway incident (an alert storm with thousands of lines) must not make an unreadable draft.
MAX_TIMELINE_LINES = 400
Kind = IncidentFinding.Kind


def draft_sections(*, incident: Incident, zone: ZoneInfo) -> dict[str, str]:
    events = list(incident.timeline.select_related("actor").order_by("at", "id")[:MAX_TIMELINE_LINES + 1])
    findings = list(incident.findings.select_related("owner").order_by("created_at", "id"))
    sections = {
        "summary": _summary(incident),
        "impact": _findings(findings, (Kind.SYMPTOM, Kind.SCOPE)),
        "detection": _detection(incident, events, zone),
        "root_causes": _findings(findings, (Kind.HYPOTHESIS,), lead="Hypotheses recorded while responding:"),
        "resolution": _resolution(events, findings),
        "timeline": timeline_markdown(events=events, zone=zone),
    }
    return {name: DRAFT_NOTE + text for name, text in sections.items() if text}


def timeline_markdown(*, events: list[TimelineEvent], zone: ZoneInfo) -> str:
    lines = [f"Times in {zone.key}.", ""]
    shown = [e for e in events if e.kind not in SKIPPED_KINDS and not e.kind.startswith("postmortem_")]
    for event in shown[:MAX_TIMELINE_LINES]:
        who = event.actor.get_username() if event.actor_id and event.actor else "system"
        head = f"- **{_local(event.at, zone)}** {_label(event.kind)} · {who} via {event.get_via_display()}"
        text = _one_item(event.text)
        lines.append(f"{head}: {text}" if text else head)
    if len(events) > MAX_TIMELINE_LINES:
        lines.append(f"- … later lines are on the incident's page (the draft keeps the first {MAX_TIMELINE_LINES}).")
    return "\n".join(lines) + "\n"


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _label(kind: str) -> str:
    return {"slack_pin": "Pinned in Slack", "status_update": "Status update"}.get(kind, kind.replace("_", " ").capitalize())


def _one_item(text: str) -> str:
    """Further lines of an event's text stay inside its list item (indented, hard line breaks)."""
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return "\n  ".join(lines)


def _summary(incident: Incident) -> str:
    lasted = duration_text(incident.resolved_at - incident.triggered_at) if incident.resolved_at else "—"
    return (f"{incident.severity} incident #{incident.number} on {incident.service.name}: {incident.title}. "
            f"It lasted {lasted} from the first alert to resolution.\n")


def _findings(findings: list[IncidentFinding], kinds: tuple[str, ...], lead: str = "") -> str:
    rows = [f for f in findings if f.kind in kinds]
    if not rows:
        return ""
    lines = [lead, ""] if lead else []
    for finding in rows:
        owner = f" (owner {finding.owner.get_username()})" if finding.owner_id and finding.owner else ""
        lines.append(f"- {finding.get_kind_display()}: {_one_item(finding.text)}{owner}")
    return "\n".join(lines) + "\n"


def _detection(incident: Incident, events: list[TimelineEvent], zone: ZoneInfo) -> str:
    source = f" from {incident.source}" if incident.source else ""
    line = f"Detected by an alert{source} at {_local(incident.triggered_at, zone)} ({zone.key})."
    ack = next((e for e in events if e.kind == "acknowledged"), None)
    if ack is not None:
        who = ack.actor.get_username() if ack.actor_id and ack.actor else "the system"
        line += f" Acknowledged by {who} after {duration_text(ack.at - incident.triggered_at)}."
    return line + "\n"


def _resolution(events: list[TimelineEvent], findings: list[IncidentFinding]) -> str:
    lines = []
    chosen = next((f for f in findings if f.chosen), None)
    if chosen is not None:
        lines.append(f"- Chosen action: {_one_item(chosen.text)}")
    for kind, label in (("mitigated", "Mitigation"), ("resolved", "Resolution")):
        last = next((e for e in reversed(events) if e.kind == kind), None)
        if last is not None and last.text:
            lines.append(f"- {label}: {_one_item(last.text)}")
    lines += [f"- Verified: {_one_item(f.text)}" for f in findings if f.kind == Kind.VERIFICATION]
    return "\n".join(lines) + "\n" if lines else ""
