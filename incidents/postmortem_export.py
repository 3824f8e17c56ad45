"""Reads of postmortems: who may see them, the list with its filters, the action items, and the
whole postmortem as one Markdown document (issue 12 §3) for the download and the API."""
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from oncall.access import team_scoped

from .models import ActionItem, Postmortem
from .models.postmortem import SECTIONS
from .response_review import duration_text, evidence_text, response_review


def postmortems_visible_to(user: User | AnonymousUser) -> QuerySet[Postmortem]:
    return team_scoped(
        Postmortem.objects.select_related("incident", "incident__service", "team", "owner"), user)


def postmortems_listed(*, user: User | AnonymousUser, status: str = "", team: int | None = None) -> QuerySet[Postmortem]:
    """Newest first; `status` and `team` narrow it when given (unknown values are the caller's to refuse)."""
    qs = postmortems_visible_to(user).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(team_id=team)
    return qs


def postmortem_action_items(*, postmortem: Postmortem) -> list[ActionItem]:
    return list(ActionItem.objects.filter(postmortem=postmortem).select_related("owner").order_by("due_on", "id"))


def export_filename(postmortem: Postmortem) -> str:
    return f"incident-{postmortem.team.slug}-{postmortem.incident.number}-postmortem.md"


def postmortem_markdown(*, postmortem: Postmortem, zone: ZoneInfo) -> str:
    """The postmortem as a Markdown document: its facts, the response review, every section, and
    its action items. Sections are the authors' Markdown, as they wrote it."""
    incident = postmortem.incident
    review = response_review(incident=incident)

    def local(at) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "—"

    lines = [
        f"# Postmortem: #{incident.number} {incident.title}", "",
        f"- Team: {postmortem.team.name}",
        f"- Service: {incident.service.name}",
        f"- Severity: {incident.severity}",
        f"- Status: {postmortem.get_status_display()}",
        f"- Owner: {postmortem.owner.get_username() if postmortem.owner else 'nobody'}",
        f"- Review due: {postmortem.review_due_on:%Y-%m-%d}",
        f"- Triggered: {local(incident.triggered_at)} ({zone.key})",
        "", "## Response review", "",
    ]
    lines += [f"- {m.label}: {duration_text(m.after)}" for m in review.measures]
    if review.reopened:
        lines.append(f"- Reopened {review.reopened} time(s); times are from the first trigger, "
                     "to resolve is to the final resolution.")
    lines.append(f"- Evidence before the first change: {evidence_text(review)}")
    for name, heading in SECTIONS:
        text = getattr(postmortem, name).strip()
        lines += ["", f"## {heading}", "", text or "_Not written yet._"]
    items = postmortem_action_items(postmortem=postmortem)
    lines += ["", "## Action items", ""]
    for item in items:
        owner = item.owner.get_username() if item.owner else "no owner"
        due = f", due {item.due_on:%Y-%m-%d}" if item.due_on else ""
        ticket = f" ({item.ticket_url})" if item.ticket_url else ""
        lines.append(f"- [{'x' if item.status == ActionItem.Status.DONE else ' '}] {item.title} — {owner}, "
                     f"{item.get_priority_display().lower()} priority, {item.get_status_display().lower()}{due}{ticket}")
    if not items:
        lines.append("_None yet._")
    return "\n".join(lines) + "\n"
