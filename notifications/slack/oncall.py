"""`/oncall [team]`: who is on call now in each schedule of the caller's teams (or of the one
team named), until when, and who is next."""
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from oncall.access import teams_visible_to
from oncall.coverage import schedules_oncall_now_and_next
from oncall.models import Schedule

from ..channels.slack import escape
from .people import slack_ids_of

MAX_TEAMS = 10  # one answer stays readable; name a team to see another


def oncall_answer(*, user: User, team_name: str = "") -> str:
    mine = teams_visible_to(user).order_by("name")
    if team_name:
        teams = list(mine.filter(Q(name__iexact=team_name) | Q(slug__iexact=team_name)))
        if not teams:
            names = ", ".join(f"`{escape(t.name)}`" for t in mine[:MAX_TEAMS]) or "none"
            return f"You are not in a team named {escape(team_name)}. Your teams: {names}."
    else:
        teams = list(mine.filter(memberships__user=user).distinct()[:MAX_TEAMS]) or list(mine[:MAX_TEAMS])
        if not teams:
            return "You are not a member of any team, so nobody is on call for you."
    schedules = list(Schedule.objects.filter(team__in=teams).order_by("team__name", "name"))
    now = timezone.now()
    oncall = schedules_oncall_now_and_next(Schedule.objects.filter(pk__in=[s.pk for s in schedules]), at=now)
    people = {u.pk: u for u in User.objects.filter(pk__in={
        shift.person for answer in oncall.values() for shift in (answer.current, answer.next) if shift})}
    slack_ids = slack_ids_of(user_ids=people)
    lines = ["*On call now*"]
    for team in teams:
        lines.append(f"*{escape(team.name)}*")
        mine_here = [s for s in schedules if s.team_id == team.pk]
        if not mine_here:
            lines.append("• no schedules")
        for schedule in mine_here:
            lines.append(f"• {escape(schedule.name)}: " + _who(oncall.get(schedule.pk), people, slack_ids))
    return "\n".join(lines)


def _who(answer, people: dict, slack_ids: dict) -> str:
    if answer is None or answer.current is None:
        following = answer.next if answer else None
        return "*nobody*" + (f"; next {_person(following.person, people, slack_ids)} from {_when(following.start)}"
                             if following else "")
    text = _person(answer.current.person, people, slack_ids)
    if answer.current.end is not None:
        text += f" until {_when(answer.current.end)}"
        if answer.next is not None:
            text += f", then {_person(answer.next.person, people, slack_ids)}"
    return text


def _person(user_id: int, people: dict, slack_ids: dict) -> str:
    user = people.get(user_id)
    name = escape(user.get_username()) if user else "someone no longer in Vigil"
    return f"{name} (<@{slack_ids[user_id]}>)" if user_id in slack_ids else name


def _when(at) -> str:
    """Slack shows a date token in each reader's own time zone; the fallback is UTC.
    https://docs.slack.dev/messaging/formatting-message-text#date-formatting"""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"
