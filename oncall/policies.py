"""Escalation policies: who is paged at each step, and guards that keep them whole."""
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from config.errors import VigilError
from config.models_util import apply_changes

from .access import team_scoped, teams_visible_to
from .models import EscalationPolicy, EscalationStep, Membership, Schedule, Shadow, StepTarget, Team
from .schedules import schedules_oncall_at, schedules_shadows_at


class PolicyError(VigilError):
    pass


def policy_create(*, team: Team, name: str, repeat_count: int = 0, description: str = "",
                  steps: list[dict] | None = None, by: User | None = None) -> EscalationPolicy:
    """steps: [{"delay_minutes": 15, "targets": [{"kind": "schedule", "id": 3}, ...]}, ...]

    `by` is the person writing it: a team target must be one of their teams. None is for trusted
    callers only (the demo seed, a shell)."""
    if not 0 <= repeat_count <= 20:
        raise PolicyError("repeat_count must be between 0 and 20.")
    with transaction.atomic():
        policy = EscalationPolicy.objects.create(team=team, name=name, repeat_count=repeat_count, description=description)
        policy_steps_set(policy=policy, steps=steps or [], by=by)
    return policy


def policy_steps_set(*, policy: EscalationPolicy, steps: list[dict], by: User | None = None) -> None:
    """Replace a policy's steps in one go (the editor saves the whole list); `by` as for policy_create."""
    teams = Team.objects.all() if by is None else teams_visible_to(by)
    with transaction.atomic():
        policy.steps.all().delete()
        for position, spec in enumerate(steps):
            delay = spec.get("delay_minutes", 15)
            if not isinstance(delay, int) or not 1 <= delay <= 1440:
                raise PolicyError(f"Step {position + 1}: delay_minutes must be a whole number from 1 to 1440.")
            step = EscalationStep.objects.create(policy=policy, position=position, delay_minutes=delay)
            targets = spec.get("targets") or []
            if not targets:
                raise PolicyError(f"Step {position + 1} has no one to page.")
            for target in targets:
                _target_create(step=step, team=policy.team, teams=teams, spec=target, position=position)


def _target_create(*, step: EscalationStep, team: Team, teams, spec: dict, position: int) -> StepTarget:
    # Each refusal reads the same for an id that exists in another team and for one that exists
    # nowhere, so that errors cannot be used to find other teams, their people or schedules.
    kind, pk = spec.get("kind"), spec.get("id")
    where = f"Step {position + 1}"
    if kind == StepTarget.Kind.USER:
        user = User.objects.filter(pk=pk, memberships__team=team).first()
        if user is None:
            raise PolicyError(f"{where}: person {pk} is not a member of {team}.")
        return StepTarget.objects.create(step=step, kind=kind, user=user)
    if kind == StepTarget.Kind.SCHEDULE:
        schedule = Schedule.objects.filter(pk=pk, team=team).first()
        if schedule is None:
            raise PolicyError(f"{where}: schedule {pk} does not belong to {team}.")
        return StepTarget.objects.create(step=step, kind=kind, schedule=schedule)
    if kind == StepTarget.Kind.TEAM:
        target_team = teams.filter(pk=pk).first()
        if target_team is None:
            raise PolicyError(f"{where}: team {pk} is not one of your teams.")
        return StepTarget.objects.create(step=step, kind=kind, team=target_team)
    raise PolicyError(f"{where}: target kind must be one of {', '.join(StepTarget.Kind.values)}.")


def step_users_at(*, step: EscalationStep, at: datetime) -> list[User]:
    """The people a step pages at `at`: named people, whoever is on call, every responder."""
    targets = list(step.targets.select_related("user", "schedule", "team"))
    ids: list[int] = [t.user_id for t in targets if t.kind == StepTarget.Kind.USER]
    schedule_ids = [t.schedule_id for t in targets if t.kind == StepTarget.Kind.SCHEDULE]
    if schedule_ids:
        shifts = schedules_oncall_at(Schedule.objects.filter(pk__in=schedule_ids), at=at)
        ids += [shifts[s].person for s in schedule_ids if shifts.get(s)]
    team_ids = [t.team_id for t in targets if t.kind == StepTarget.Kind.TEAM]
    if team_ids:
        ids += list(Membership.objects.filter(
            team_id__in=team_ids, role__in=[Membership.Role.RESPONDER, Membership.Role.MANAGER]
        ).values_list("user_id", flat=True))
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    return [users[i] for i in dict.fromkeys(ids) if i in users]  # keep order, once each


def step_shadows_at(*, step: EscalationStep, at: datetime) -> list[User]:
    """The people shadowing, at `at`, whoever the step's schedules have on call: they get copies
    of the step's pages, not pages. Two queries when no shadow runs on those schedules."""
    schedule_ids = list(step.targets.filter(kind=StepTarget.Kind.SCHEDULE).values_list("schedule_id", flat=True))
    if not Shadow.objects.filter(schedule_id__in=schedule_ids, starts_at__lte=at, ends_at__gt=at).exists():
        return []
    shadows = schedules_shadows_at(schedules_oncall_at(Schedule.objects.filter(pk__in=schedule_ids), at=at), at=at)
    ids = [person for pk in schedule_ids for person in shadows.get(pk, [])]
    # Someone who left the team since hears nothing more of its incidents.
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True,
                                                  memberships__team_id=step.policy.team_id).distinct()}
    return [users[i] for i in dict.fromkeys(ids) if i in users]


def _uses(q: Q) -> list[str]:
    steps = EscalationStep.objects.filter(q).select_related("policy").order_by("policy__name", "position")
    return [f"'{s.policy.name}' step {s.position + 1}" for s in steps]


def schedule_delete(*, schedule: Schedule) -> None:
    used = _uses(Q(targets__schedule=schedule))
    if used:
        raise PolicyError(f"Schedule '{schedule.name}' is paged by escalation policy {', '.join(used)}; "
                          "remove it from the policy first.")
    schedule.delete()


def member_remove_check(*, team: Team, user: User) -> None:
    """Refuse to remove someone from a team while its policies or schedules still page them."""
    used = _uses(Q(policy__team=team, targets__user=user))
    if used:
        raise PolicyError(f"{user} is paged directly by escalation policy {', '.join(used)}; "
                          "remove them from the policy first.")
    layers = Schedule.objects.filter(team=team, layers__participants__user=user).values_list("name", flat=True)
    if layers:
        raise PolicyError(f"{user} is in the rotation of schedule {', '.join(sorted(set(layers)))}; "
                          "take them out of the rotation first.")


def policy_delete(*, policy: EscalationPolicy) -> None:
    services = list(policy.services.values_list("name", flat=True))
    if services:
        raise PolicyError(f"Policy '{policy.name}' escalates service {', '.join(services)}; choose another policy "
                          "for it first.")
    policy.delete()


def policies_visible_to(user: User):
    """Policies of the person's teams (all for a superuser), with their steps and targets."""
    qs = EscalationPolicy.objects.select_related("team").prefetch_related(
        "steps__targets__user", "steps__targets__schedule", "steps__targets__team")
    return team_scoped(qs, user)


def policy_update(*, policy: EscalationPolicy, name: str | None = None, description: str | None = None,
                  repeat_count: int | None = None, steps: list[dict] | None = None,
                  by: User | None = None) -> EscalationPolicy:
    """Change a policy; `steps`, when given, replaces them all (nothing changes if one is invalid).
    `by` as for policy_create."""
    if repeat_count is not None and not 0 <= repeat_count <= 20:
        raise PolicyError("repeat_count must be between 0 and 20.")
    with transaction.atomic():
        apply_changes(policy, name=name, description=description, repeat_count=repeat_count)
        if steps is not None:
            policy_steps_set(policy=policy, steps=steps, by=by)
    return policy
