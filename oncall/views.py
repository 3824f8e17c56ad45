"""The on-call pages: who is on call now, schedules (a 14-day timeline, overrides, layers),
escalation policies, and a person's own profile (contact methods, rules, calendar feeds).

Views parse the request and call selectors and services; a service's refusal becomes a form error
or a message. Another team's schedule or policy is a 404; a viewer gets no forms and a 403 on POST.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import contacts, coverage, policies, schedules
from .access import teams_visible_to, user_can_manage, user_can_respond
from .forms import (
    CodeForm, ContactMethodForm, LayerForm, OverrideForm, PolicyCreateForm, PolicyForm, RuleForm, ScheduleForm,
    WEEKDAYS, StepFormSet, TakeShiftForm, ZoneForm, person_label, target_choices,
)
from .models import NotificationRule, Schedule
from .rotation import OVERRIDE, Shift, resolve_local
from .services import api_token_create, api_token_revoke
from .secrets_once import NewSecret
from .timeline_place import place

TIMELINE_DAYS = 14
WEEKDAY_NAMES = dict(WEEKDAYS)
PALETTE_SIZE = 8
# Below these widths (per cent of 14 days) a block shows no name, or no times.
NAME_MIN_WIDTH, TIMES_MIN_WIDTH = 2.5, 9.0


# --- Who is on call now ---------------------------------------------------------------------------

@login_required
@require_safe
def oncall_now(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    teams = _teams_with_oncall(request.user, now)
    mine = schedules.user_shifts(user=request.user, start=now, end=now + timedelta(days=TIMELINE_DAYS))
    return render(request, "oncall/now.html", {"teams": teams, "now": now, "my_shifts": mine[:10]})


@dataclass
class OnCallRow:
    schedule: Schedule
    current: Shift | None
    next: Shift | None
    current_name: str = ""
    next_name: str = ""
    current_pageable: bool = True
    next_pageable: bool = True
    current_why: str = ""
    next_why: str = ""
    gap_warnings: tuple[str, ...] = ()  # "Nobody on call Tue 02:00–06:00 (in 2 days)", the week ahead


def _teams_with_oncall(user: User, now: datetime) -> list[tuple]:
    """[(team, [OnCallRow, ...])] for every team the person can see, in a fixed number of queries."""
    teams = list(teams_visible_to(user).order_by("name"))
    visible = schedules.schedules_visible_to(user)
    found = list(visible.order_by("name"))
    oncall = coverage.schedules_oncall_now_and_next(visible, at=now)
    ids = {shift.person for o in oncall.values() for shift in (o.current, o.next) if shift}
    names, readiness = _names(ids), contacts.users_readiness(user_ids=list(ids))
    rows = []
    for s in found:
        current, following = oncall[s.pk].current, oncall[s.pk].next
        rows.append(OnCallRow(
            schedule=s, current=current, next=following,
            current_name=names.get(current.person, "?") if current else "",
            next_name=names.get(following.person, "?") if following else "",
            current_pageable=current is None or readiness[current.person].has_usable_rule,
            next_pageable=following is None or readiness[following.person].has_usable_rule,
            current_why=" ".join(readiness[current.person].problems) if current else "",
            next_why=" ".join(readiness[following.person].problems) if following else "",
            gap_warnings=_gap_warnings(oncall[s.pk].gaps, now=now, zone=ZoneInfo(s.time_zone))))
    return [(team, [r for r in rows if r.schedule.team_id == team.pk]) for team in teams]


def _gap_warnings(gaps, *, now: datetime, zone: ZoneInfo, shown: int = 3) -> tuple[str, ...]:
    warnings = [coverage.gap_warning(gap, now=now, zone=zone) for gap in gaps[:shown]]
    if len(gaps) > shown:
        more = len(gaps) - shown
        warnings.append(f"… and {more} more stretch{pluralize(more, 'es')} with nobody on call this week")
    return tuple(warnings)


def _names(ids) -> dict:
    return {u.pk: person_label(u) for u in User.objects.filter(pk__in=list(ids))}


# --- Schedules --------------------------------------------------------------------------------------

@login_required
@require_safe
def schedule_list(request: HttpRequest) -> HttpResponse:
    return _render_schedule_list(request, ScheduleForm(teams=_managed_teams(request.user)))


@login_required
@require_POST
def schedule_create(request: HttpRequest) -> HttpResponse:
    teams = _managed_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Only a team's managers create schedules.")
    form = ScheduleForm(request.POST, teams=teams)
    if form.is_valid():
        try:
            schedule = schedules.schedule_create(
                team=form.cleaned_data["team"], name=form.cleaned_data["name"].strip(),
                time_zone=form.cleaned_data["zone"])
        except schedules.ScheduleError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"Schedule {schedule.name} created; add a layer to say who is on call.")
            return redirect("oncall:schedule", pk=schedule.pk)
    return _render_schedule_list(request, form, status=400)


def _render_schedule_list(request, form, status=200):
    context = {"teams": _teams_with_oncall(request.user, timezone.now()), "form": form,
               "can_create": _managed_teams(request.user).exists()}
    return render(request, "oncall/schedule_list.html", context, status=status)


def _managed_teams(user: User):
    teams = teams_visible_to(user).order_by("name")
    return teams.filter(pk__in=[t.pk for t in teams if user_can_manage(user=user, team_id=t.pk)])


@login_required
@require_safe
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_schedule(request, _schedule(request, pk))


@login_required
@require_POST
def override_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="respond")
    form = OverrideForm(request.POST, members=_members(schedule), zone=ZoneInfo(schedule.time_zone))
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedules.override_create(schedule=schedule, user=data["user"], starts_at=data["starts_at"],
                                      ends_at=data["ends_at"], created_by=request.user)
        except schedules.ScheduleError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"{person_label(data['user'])} is on call from "
                                      f"{_local(data['starts_at'], schedule)} to {_local(data['ends_at'], schedule)}.")
            return redirect("oncall:schedule", pk=schedule.pk)
    return _render_schedule(request, schedule, override_form=form, status=400)


@login_required
@require_POST
def shift_take(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="respond")
    form = TakeShiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That shift could not be read; reload the page and try again.")
        return redirect("oncall:schedule", pk=schedule.pk)
    # A shift already under way is taken from now on: the past does not change hands.
    starts_at = max(form.cleaned_data["start"], timezone.now())
    try:
        schedules.override_create(schedule=schedule, user=request.user, starts_at=starts_at,
                                  ends_at=form.cleaned_data["end"], created_by=request.user)
    except schedules.ScheduleError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"You are on call from {_local(starts_at, schedule)} "
                                  f"to {_local(form.cleaned_data['end'], schedule)}.")
    return redirect("oncall:schedule", pk=schedule.pk)


@login_required
@require_POST
def override_delete(request: HttpRequest, pk: int, override_id: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="respond")
    override = get_object_or_404(schedules.overrides_visible_to(request.user), pk=override_id, schedule=schedule)
    try:
        schedules.override_cancel(override=override)
    except schedules.ScheduleError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "Override removed.")
    return redirect("oncall:schedule", pk=schedule.pk)


@login_required
@require_POST
def layer_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="manage")
    form = LayerForm(request.POST, members=_members(schedule))
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedules.layer_create(
                schedule=schedule, name=data["name"].strip(), participants=data["participants"],
                restrictions=form.restrictions(), turn_length=data["turn_length"], turn_unit=data["turn_unit"],
                handoff_time=data["handoff_time"], start_date=data["start_date"])
        except schedules.ScheduleError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, "Layer added.")
            return redirect("oncall:schedule", pk=schedule.pk)
    return _render_schedule(request, schedule, layer_form=form, status=400)


@login_required
@require_POST
@never_cache
def schedule_feed_create(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="manage")
    feed, token = schedules.calendar_feed_create(schedule=schedule)
    url = schedules.calendar_feed_url(feed=feed, token=token)
    return _render_schedule(request, schedule, new_secret=NewSecret(f"Calendar feed for {schedule.name}", url))


@login_required
@require_POST
def schedule_feed_revoke(request: HttpRequest, pk: int, feed_id: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="manage")
    schedules.calendar_feed_revoke(feed=get_object_or_404(
        schedules.calendar_feeds_visible_to(request.user), pk=feed_id, schedule=schedule))
    messages.success(request, "Calendar feed revoked; calendars subscribed to it stop updating.")
    return redirect("oncall:schedule", pk=schedule.pk)


def _schedule(request: HttpRequest, pk: int, *, need: str = "view") -> Schedule:
    # Another team's schedule is a 404, for GET and POST alike: its existence is not disclosed.
    schedule = get_object_or_404(schedules.schedules_visible_to(request.user), pk=pk)
    if need == "respond" and not user_can_respond(user=request.user, team_id=schedule.team_id):
        raise PermissionDenied("Viewers cannot change schedules.")
    if need == "manage" and not user_can_manage(user=request.user, team_id=schedule.team_id):
        raise PermissionDenied("Only the team's managers change this.")
    return schedule


def _members(schedule: Schedule):
    return User.objects.filter(memberships__team_id=schedule.team_id, is_active=True).order_by("username")


def _local(at: datetime, schedule: Schedule) -> str:
    return f"{at.astimezone(ZoneInfo(schedule.time_zone)):%a %d %b %H:%M} ({schedule.time_zone})"


def _render_schedule(request, schedule, *, override_form=None, layer_form=None, new_secret=None, status=200):
    user, zone, now = request.user, ZoneInfo(schedule.time_zone), timezone.now()
    can_respond = user_can_respond(user=user, team_id=schedule.team_id)
    can_manage = user_can_manage(user=user, team_id=schedule.team_id)
    if override_form is None:
        start = (now.astimezone(zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        override_form = OverrideForm(members=_members(schedule), zone=zone, initial={
            "user": user.pk, "starts_at": start.replace(tzinfo=None),
            "ends_at": (start + timedelta(hours=8)).replace(tzinfo=None)})
    if layer_form is None:
        layer_form = LayerForm(members=(), initial={"start_date": now.astimezone(zone).date()})
    # Someone who never chose a zone has UTC by default: no extra column for them.
    profile = contacts.profile_of(user=user)
    viewer_zone = profile.time_zone if profile.pk else schedule.time_zone
    layers = list(schedules.layers_visible_to(user).filter(schedule=schedule).order_by("position", "id"))
    context = {
        "schedule": schedule, "can_respond": can_respond, "can_manage": can_manage,
        "timeline": _timeline(schedule, layers, now, me=user.pk, can_take=can_respond),
        "layers": [(layer, _turn_text(layer), [_window_text(r) for r in layer.restrictions.all()])
                   for layer in reversed(layers)],
        "viewer_zone": viewer_zone if viewer_zone != schedule.time_zone else None, "now": now,
        "overrides": schedules.overrides_visible_to(user).filter(schedule=schedule, ends_at__gt=now)
        .order_by("starts_at"),
        "override_form": override_form, "layer_form": layer_form,
        "members": _members(schedule) if can_manage else (),
        "feeds": schedules.calendar_feeds_visible_to(user).filter(schedule=schedule, revoked_at__isnull=True)
        if can_manage else (),
        "new_secret": new_secret,
    }
    return render(request, "oncall/schedule_detail.html", context, status=status)


def _turn_text(layer) -> str:
    unit = layer.get_turn_unit_display().lower()
    return f"turns of {layer.turn_length} {unit[:-1] if layer.turn_length == 1 else unit}"


def _window_text(r) -> str:
    if r.kind == "weekly":
        return (f"from {WEEKDAY_NAMES[r.start_weekday or 0]} {r.start_time:%H:%M} "
                f"to {WEEKDAY_NAMES[r.end_weekday or 0]} {r.end_time:%H:%M}")
    return f"every day from {r.start_time:%H:%M} to {r.end_time:%H:%M}"


# --- The timeline: a server-drawn bar chart, each block placed at left%/width% by classes -----------

@dataclass
class Block:
    left: str
    width: str
    label: str
    times: str
    title: str
    css: str
    place: str = ""
    href: str = ""
    override: bool = False


def _timeline(schedule, layers, now, *, me, can_take) -> dict:
    zone = ZoneInfo(schedule.time_zone)
    first_day = now.astimezone(zone).date()
    days = [first_day + timedelta(days=i) for i in range(TIMELINE_DAYS + 1)]
    # Local midnights: on a DST day the column is 23 or 25 hours wide, as the day really is.
    edges = [resolve_local(datetime.combine(day, time()), zone) for day in days]
    start, end = edges[0], edges[-1]
    shifts = schedules.schedule_timeline(schedule=schedule, start=start, end=end)
    # A shift's source is its layer's index among all of the schedule's layers, read with the shifts;
    # `layers` (read a moment earlier, for the page) only lends the rotation order for colours.
    labels = schedules.schedule_layer_labels([schedule.pk]).get(schedule.pk, [])
    people = User.objects.filter(pk__in={s.person for s in shifts["final"]}
                                 | {p.user_id for layer in layers for p in layer.participants.all()})
    names = {u.pk: person_label(u) for u in people}
    # Blocks are narrow: they show first names, the tooltip and the list below the full ones.
    short = {u.pk: u.first_name or u.get_username() for u in people}
    colours = {}
    rotation_order = [p.user_id for layer in layers for p in layer.participants.all()]
    for person in rotation_order + [s.person for s in shifts["final"]]:
        colours.setdefault(person, len(colours) % PALETTE_SIZE)

    def pct(t):
        return (t - start) / (end - start) * 100

    def block(s: Shift | None, a, b, *, href="", source=""):
        left, width = pct(a), pct(b) - pct(a)
        when = f"{a.astimezone(zone):%a %d %b %H:%M} – {b.astimezone(zone):%a %d %b %H:%M}"
        who = names.get(s.person, "?") if s else "Nobody on call"
        css = "gap" if s is None else f"who-{colours.get(s.person, 0)}" + (" override" if s.is_override else "")
        label = short.get(s.person, "?") if s else who
        times = f"{a.astimezone(zone):%a %H:%M} – {b.astimezone(zone):%a %H:%M}"
        return Block(left=f"{left:.3f}", width=f"{width:.3f}", label=label if width >= NAME_MIN_WIDTH else "",
                     times=times if width >= TIMES_MIN_WIDTH else "",
                     title=f"{who}{source}: {when} ({schedule.time_zone})", css=css, place=place(left, width), href=href,
                     override=bool(s and s.is_override))

    def source_of(s: Shift) -> str:
        return "Override" if s.source == OVERRIDE else labels[s.source].name if s.source < len(labels) else ""

    final = [block(s, s.start, s.end, href=f"#shift-{i}", source=f" · {source_of(s)}")
             for i, s in enumerate(shifts["final"])]
    final += [block(None, a, b) for a, b in shifts["gaps"]]
    rows = [{"name": "Final schedule", "final": True, "blocks": sorted(final, key=lambda b: float(b.left))}]
    for label, layer_shifts in reversed(list(zip(labels, shifts["layers"]))):
        blocks = [block(s, s.start, s.end, source=f" · {label.name}") for s in layer_shifts]
        rows.append({"name": label.name, "final": False, "blocks": blocks})
    listed = [{
        "anchor": f"shift-{i}", "shift": s, "who": names.get(s.person, "?"), "source": source_of(s),
        "mine": s.person == me, "can_take": can_take and s.person != me and s.end > now,
        "start_iso": s.start.isoformat(), "end_iso": s.end.isoformat(),
    } for i, s in enumerate(shifts["final"])]
    return {
        "start": start, "end": end, "rows": rows, "shifts": listed,
        "days": [{"place": place(pct(a), pct(b) - pct(a)), "label": f"{d:%a} {d.day}",
                  "weekend": d.weekday() >= 5} for d, a, b in zip(days, edges, edges[1:])],
        "now": place(pct(now)) if start <= now < end else None,
        "gaps": len(final) - len(shifts["final"]),
        "gap_warnings": _gap_warnings(coverage.gaps_within(shifts["gaps"], start=now, end=now + coverage.GAPS_AHEAD),
                                      now=now, zone=zone, shown=TIMELINE_DAYS),
    }


# --- Escalation policies -----------------------------------------------------------------------------

@login_required
@require_safe
def policy_list(request: HttpRequest) -> HttpResponse:
    return _render_policy_list(request, PolicyCreateForm(teams=_managed_teams(request.user)))


@login_required
@require_POST
def policy_create(request: HttpRequest) -> HttpResponse:
    teams = _managed_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Only a team's managers create escalation policies.")
    form = PolicyCreateForm(request.POST, teams=teams)
    if form.is_valid():
        try:
            policy = policies.policy_create(team=form.cleaned_data["team"], name=form.cleaned_data["name"],
                                            repeat_count=form.cleaned_data["repeat_count"], by=request.user)
        except policies.PolicyError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"Policy {policy.name} created; add its steps.")
            return redirect("oncall:policy", pk=policy.pk)
    return _render_policy_list(request, form, status=400)


def _render_policy_list(request, form, status=200):
    teams = list(teams_visible_to(request.user).order_by("name"))
    found = policies.policies_visible_to(request.user).order_by("name")
    context = {"teams": [(t, [p for p in found if p.team_id == t.pk]) for t in teams], "form": form,
               "can_create": _managed_teams(request.user).exists()}
    return render(request, "oncall/policy_list.html", context, status=status)


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    policy = get_object_or_404(policies.policies_visible_to(request.user), pk=pk)
    can_manage = user_can_manage(user=request.user, team_id=policy.team_id)
    if request.method != "POST":
        steps = [{"delay_minutes": step.delay_minutes, "targets": [_target_value(t) for t in step.targets.all()]}
                 for step in policy.steps.all()]
        return _render_policy(request, policy, can_manage, PolicyForm(initial={"repeat_count": policy.repeat_count}),
                              _step_forms(request, policy, initial=steps or [{}]))
    if not can_manage:
        raise PermissionDenied("Only the team's managers change escalation policies.")
    form, steps = PolicyForm(request.POST), _step_forms(request, policy, data=request.POST)
    if "add_step" in request.POST:
        # Without JavaScript, "add step" is a round trip: the same form with one more blank row.
        data = request.POST.copy()
        data["steps-TOTAL_FORMS"] = str(min(steps.total_form_count() + 1, StepFormSet.max_num))
        return _render_policy(request, policy, can_manage, PolicyForm(data), _step_forms(request, policy, data=data))
    if form.is_valid() and steps.is_valid():
        kept = [f.step() for f in steps if f.cleaned_data and not f.cleaned_data.get("remove")]
        try:
            policies.policy_update(policy=policy, repeat_count=form.cleaned_data["repeat_count"], steps=kept,
                                   by=request.user)
        except policies.PolicyError as e:
            form.add_error(None, e.message)
            policy.refresh_from_db(fields=["repeat_count"])  # the save was rolled back, not the object
        else:
            messages.success(request, f"Policy {policy.name} saved with {len(kept)} step{pluralize(len(kept))}.")
            return redirect("oncall:policy", pk=policy.pk)
    return _render_policy(request, policy, can_manage, form, steps, status=400)


def _target_value(target) -> str:
    return f"{target.kind}:{target.user_id or target.schedule_id or target.team_id}"


def _step_forms(request, policy, *, data=None, initial=None):
    choices = target_choices(people=User.objects.filter(memberships__team=policy.team).order_by("username"),
                             schedules=policy.team.schedules.order_by("name"),
                             teams=teams_visible_to(request.user).order_by("name"))
    return StepFormSet(data, initial=initial, prefix="steps", form_kwargs={"target_choices": choices})


def _render_policy(request, policy, can_manage, form, steps, status=200):
    context = {"policy": policy, "can_manage": can_manage, "form": form, "steps": steps,
               "saved_steps": policy.steps.all()}
    return render(request, "oncall/policy_detail.html", context, status=status)


# --- My profile -------------------------------------------------------------------------------------

@login_required
@require_safe
def profile(request: HttpRequest) -> HttpResponse:
    return _render_profile(request)


def _render_profile(request, *, new_secret: NewSecret | None = None) -> HttpResponse:
    user = request.user
    methods = _my_methods(user).order_by("kind", "id")
    rules = contacts.notification_rules_visible_to(user).filter(user=user).order_by("delay_minutes", "id")
    zone = contacts.profile_of(user=user).time_zone
    context = {
        "zone": zone, "zone_form": ZoneForm(zone=zone), "methods": methods, "method_form": ContactMethodForm(),
        "rule_form": RuleForm(methods=methods),
        "rules": [(label, [r for r in rules if r.urgency == value])
                  for value, label in NotificationRule.Urgency.choices],
        "pageable": contacts.user_has_usable_rule(user=user, urgency="high"),
        "feeds": schedules.calendar_feeds_visible_to(user).filter(user=user, revoked_at__isnull=True),
        "api_tokens": user.api_tokens.filter(revoked_at__isnull=True),
        "new_secret": new_secret,
    }
    return render(request, "oncall/profile.html", context)


def _profile_post(view):
    """Profile forms act on the person's own rows only; errors come back as messages."""
    return login_required(require_POST(view))


@_profile_post
def profile_time_zone(request: HttpRequest) -> HttpResponse:
    form = ZoneForm(request.POST)
    if _valid(request, form):
        try:
            contacts.profile_time_zone_set(user=request.user, time_zone=form.cleaned_data["zone"])
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"Your time zone is {form.cleaned_data['zone']}.")
    return redirect("oncall:profile")


@_profile_post
def contact_add(request: HttpRequest) -> HttpResponse:
    form = ContactMethodForm(request.POST)
    if _valid(request, form):
        try:
            method = contacts.contact_method_create(user=request.user, **form.cleaned_data)
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"{method} added. Send yourself a code to verify it: "
                                      "until then it is never paged.")
    return redirect("oncall:profile")


@_profile_post
def contact_send_code(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    try:
        contacts.contact_method_verification_start(contact_method=method)
    except contacts.ContactError as e:
        messages.error(request, e.message)
    else:
        messages.info(request, f"A code is on its way to {method}; type it below within 15 minutes.")
    return redirect(reverse("oncall:profile") + f"#method-{method.pk}")


@_profile_post
def contact_verify(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    form = CodeForm(request.POST)
    if _valid(request, form):
        try:
            contacts.contact_method_verify(contact_method=method, code=form.cleaned_data["code"])
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"{method} is verified and can be paged.")
    return redirect(reverse("oncall:profile") + f"#method-{method.pk}")


@_profile_post
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    contacts.contact_method_delete(contact_method=method)
    messages.success(request, f"{method} removed, with the rules that used it.")
    return redirect("oncall:profile")


def _my_methods(user: User):
    # A superuser sees everyone's methods in the API (to vouch for them); a profile is only one's own.
    return contacts.contact_methods_visible_to(user).filter(user=user)


@_profile_post
def rule_add(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST, methods=_my_methods(request.user))
    if _valid(request, form):
        try:
            contacts.notification_rule_create(user=request.user, **form.cleaned_data)
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, "Notification rule added.")
    return redirect("oncall:profile")


@_profile_post
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contacts.notification_rule_delete(rule=get_object_or_404(
        contacts.notification_rules_visible_to(request.user), pk=pk, user=request.user))
    messages.success(request, "Notification rule removed.")
    return redirect("oncall:profile")


@_profile_post
@never_cache
def feed_create(request: HttpRequest) -> HttpResponse:
    feed, token = schedules.calendar_feed_create(user=request.user)
    url = schedules.calendar_feed_url(feed=feed, token=token)
    return _render_profile(request, new_secret=NewSecret("Your calendar feed", url))


@_profile_post
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    schedules.calendar_feed_revoke(feed=get_object_or_404(
        schedules.calendar_feeds_visible_to(request.user), pk=pk, user=request.user))
    messages.success(request, "Calendar feed revoked.")
    return redirect("oncall:profile")


@_profile_post
@never_cache
def api_token_add(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:100] or "Personal token"
    _token, raw = api_token_create(user=request.user, name=name)
    return _render_profile(request, new_secret=NewSecret(f"Your API token “{name}”", raw))


@_profile_post
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    api_token_revoke(token=get_object_or_404(request.user.api_tokens, pk=pk))
    messages.success(request, "API token revoked.")
    return redirect("oncall:profile")


def _valid(request, form) -> bool:
    if form.is_valid():
        return True
    for field, errors in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ").capitalize() if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else errors[0])
    return False
