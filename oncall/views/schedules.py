"""A schedule's pages: the list (who is on call in each), and one schedule with its 14-day
timeline, layers, overrides ("take this shift"), shadow shifts and calendar feeds."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import contacts, schedules
from ..access import user_can_manage, user_can_respond
from ..forms import WEEKDAYS, LayerForm, OverrideForm, ScheduleForm, ShadowForm, TakeShiftForm, person_label
from ..models import Schedule
from ..secrets_once import NewSecret
from ..viewer_zone import viewer_zone as zone_of_viewer
from .now import oncall_page_context
from .shadows import shadows_context
from .teams import TeamListPage
from .timeline import timeline_for

WEEKDAY_NAMES = dict(WEEKDAYS)


def _schedule_list_context(request: HttpRequest) -> dict:
    return oncall_page_context(request, timezone.now())


def _create_schedule(request: HttpRequest, data: dict) -> HttpResponse:
    schedule = schedules.schedule_create(team=data["team"], name=data["name"].strip(), time_zone=data["zone"])
    messages.success(request, f"Schedule {schedule.name} created; add a layer to say who is on call.")
    return redirect("oncall:schedule", pk=schedule.pk)


schedule_list, schedule_create = TeamListPage(
    template="oncall/schedule_list.html", context=_schedule_list_context, form_class=ScheduleForm,
    create=_create_schedule, refusal="Only a team's managers create schedules.").views()


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
def shadow_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="respond")
    form = ShadowForm(request.POST, members=_members(schedule), layers=schedule.layers.all(),
                      zone=ZoneInfo(schedule.time_zone))
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedules.shadow_create(schedule=schedule, user=data["user"], shadowing=data["shadowing"],
                                    layer=data["layer"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                                    created_by=request.user)
        except schedules.ScheduleError as e:
            form.add_error(None, e.message)
        else:
            beside = person_label(data["shadowing"]) if data["shadowing"] else "whoever is on call"
            beside += f" on layer {data['layer']}" if data["layer"] else ""
            messages.success(request, f"{person_label(data['user'])} shadows {beside} from "
                                      f"{_local(data['starts_at'], schedule)} to {_local(data['ends_at'], schedule)}.")
            return redirect("oncall:schedule", pk=schedule.pk)
    return _render_schedule(request, schedule, shadow_form=form, status=400)


@login_required
@require_POST
def shadow_end(request: HttpRequest, pk: int, shadow_id: int) -> HttpResponse:
    schedule = _schedule(request, pk, need="respond")
    shadow = get_object_or_404(schedules.shadows_visible_to(request.user), pk=shadow_id, schedule=schedule)
    try:
        schedules.shadow_cancel(shadow=shadow)
    except schedules.ScheduleError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "Shadow shift removed.")
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


def _render_schedule(request, schedule, *, override_form=None, layer_form=None, shadow_form=None, new_secret=None,
                     status=200):
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
    # The profile's zone, else the browser's; someone with neither gets no extra column.
    viewer_zone = getattr(zone_of_viewer(request), "key", schedule.time_zone)
    layers = list(schedules.layers_visible_to(user).filter(schedule=schedule).order_by("position", "id"))
    context = {
        "schedule": schedule, "can_respond": can_respond, "can_manage": can_manage,
        "timeline": timeline_for(schedule, layers, now, me=user.pk, can_take=can_respond),
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
        **shadows_context(schedule, user=user, now=now, form=shadow_form),
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
