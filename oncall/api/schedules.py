"""/api/v1/schedules/: schedules, who is on call in one, and its shifts over a range.

Reads are scoped to the caller's teams (another team's schedule is a 404); managers change
schedules, viewers only read. `at`, `start` and `end` are ISO 8601; one without an offset is taken
as UTC, and an unencoded "+" of an offset (which arrives as a space) is read as the "+" it was
meant to be."""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_kit import ApiViewSet, Conflict, StrictModelSerializer, error_responses

from ..access import require_role
from ..coverage import schedules_oncall_with_gaps
from ..models import Schedule
from ..policies import PolicyError, schedule_delete
from ..schedules import (
    MAX_SHIFTS_RANGE,
    calendar_feed_create,
    calendar_feed_url,
    schedule_create,
    schedule_layer_labels,
    schedule_shadows,
    schedule_timeline,
    schedules_shadows_at,
    shadows_beside,
    schedule_update,
    schedules_visible_to,
    usernames_by_id,
)
from .common import (
    CREATE_ERRORS,
    DEFAULT_SHIFTS_RANGE,
    LIST_ERRORS,
    MANAGER,
    READ_ERRORS,
    RESPONDER,
    TEXT_MAX,
    UPDATE_ERRORS,
    TeamOwnedMixin,
    TimeZoneField,
    UtcDateTimeField,
    filtered_by,
    from_query,
    parsed_query,
)
from .feeds import CalendarFeedSecretSerializer
from .layers import LayerSerializer


AT = OpenApiParameter("at", OpenApiTypes.DATETIME, description="ISO 8601; without an offset, UTC. Default: now.")
START = OpenApiParameter("start", OpenApiTypes.DATETIME, description="ISO 8601; without an offset, UTC. Default: now.")
END = OpenApiParameter("end", OpenApiTypes.DATETIME,
                       description="ISO 8601; default start + 14 days; at most 366 days after start.")
TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's (team id).")


class AtQuerySerializer(serializers.Serializer):
    at = UtcDateTimeField(required=False)

    @classmethod
    def from_query(cls, query_params) -> "AtQuerySerializer":
        return from_query(cls, query_params, ["at"])

    def validate(self, attrs):
        return {"at": attrs.get("at") or timezone.now()}


class RangeQuerySerializer(serializers.Serializer):
    start = UtcDateTimeField(required=False)
    end = UtcDateTimeField(required=False)

    @classmethod
    def from_query(cls, query_params) -> "RangeQuerySerializer":
        return from_query(cls, query_params, ["start", "end"])

    def validate(self, attrs):
        start = attrs.get("start") or timezone.now()
        end = attrs.get("end") or start + DEFAULT_SHIFTS_RANGE
        if end <= start:
            raise serializers.ValidationError({"end": "Must be after start."})
        if end - start > MAX_SHIFTS_RANGE:
            raise serializers.ValidationError({"end": f"Must be at most {MAX_SHIFTS_RANGE.days} days after start."})
        return {"start": start, "end": end}


class ShadowPersonSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()


class ShiftSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    source = serializers.CharField(help_text='"layer N" (N counts the layers from the bottom, 1 first) or "override".')
    layer = serializers.IntegerField(allow_null=True, help_text="The layer's id; null for an override.")
    layer_name = serializers.CharField(allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: nothing ever ends this shift.")
    shadows = ShadowPersonSerializer(
        many=True, help_text="People shadowing this shift: copied on its pages, never responsible for them. "
                             "Listed for who is on call and for a schedule's final shifts; empty for layers.")


def shift_data(shift, *, usernames: dict[int, str], labels: list, shadows=()) -> dict:
    """A rotation.Shift as the API shows it; `labels` are schedules.schedule_layer_labels' for its schedule."""
    override = shift.source == "override"
    # The labels are read a moment after the shifts: a layer added in between is not in them.
    label = None if override or shift.source >= len(labels) else labels[shift.source]
    return {
        "user": shift.person, "username": usernames.get(shift.person, ""),
        "source": "override" if override else f"layer {label.number}" if label else "layer",
        "layer": label and label.id, "layer_name": label and label.name,
        "start": shift.start, "end": shift.end,
        "shadows": [{"user": person, "username": usernames.get(person, "")} for person in shadows],
    }


def gaps_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ListField(child=serializers.DateTimeField(), min_length=2, max_length=2),
        help_text=help_text)


GAPS_AHEAD_HELP = ("[start, end) stretches of the 7 days from `at` when nobody is on call (layers, restrictions "
                   "and overrides counted), earliest first; empty when someone is on call throughout. A gap that "
                   "ends 7 days after `at` may go on beyond.")


class ScheduleOncallSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    at = serializers.DateTimeField()
    oncall = ShiftSerializer(many=True, help_text="Empty when nobody is on call.")
    gaps = gaps_field(GAPS_AHEAD_HELP)


class ScheduleShiftsSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    final = ShiftSerializer(many=True, help_text="Who is on call when, overrides and layers combined.")
    layers = serializers.ListField(
        child=ShiftSerializer(many=True),
        help_text="Each layer's own shifts, lowest layer first (an empty layer's list is empty; shifts carry "
                  "the layer's id).",
    )
    gaps = gaps_field("[start, end) stretches when nobody is on call.")


class ScheduleSerializer(TeamOwnedMixin, StrictModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    description = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, required=False)
    time_zone = TimeZoneField(required=False, help_text="Hand-offs happen in this IANA zone (default UTC).")
    layers = LayerSerializer(many=True, read_only=True)

    class Meta:
        model = Schedule
        fields = ["id", "team", "team_name", "name", "description", "time_zone", "layers", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # the (team, name) check below names the field

    owned_model, noun = Schedule, "schedule"


@extend_schema_view(
    list=extend_schema(parameters=[TEAM_FILTER], responses={200: ScheduleSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="A schedule with its layers", responses={200: ScheduleSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Create a schedule (managers); add layers at /api/v1/layers/",
                         request=ScheduleSerializer, responses={201: ScheduleSerializer, **CREATE_ERRORS}),
    update=extend_schema(request=ScheduleSerializer, responses={200: ScheduleSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(request=ScheduleSerializer, responses={200: ScheduleSerializer, **UPDATE_ERRORS}),
    destroy=extend_schema(
        summary="Delete a schedule (managers); refused while an escalation policy pages it",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    ),
)
@extend_schema(tags=["schedules"])
class ScheduleViewSet(ApiViewSet):
    serializer_class = ScheduleSerializer

    def get_queryset(self):
        return schedules_visible_to(self.request.user).prefetch_related("layers__participants__user",
                                                                        "layers__restrictions")

    def list(self, request):
        return self.paginated(filtered_by(request, self.get_queryset(), "team"), ScheduleSerializer)

    def retrieve(self, request, pk=None):
        return Response(ScheduleSerializer(self.get_object()).data)

    def create(self, request):
        body = ScheduleSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        require_role(user=request.user, team=body.validated_data["team"], role=MANAGER, to="create schedules")
        schedule = schedule_create(**body.validated_data)
        return Response(ScheduleSerializer(self.get_queryset().get(pk=schedule.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        schedule = self.get_object()
        require_role(user=request.user, team=schedule.team, role=MANAGER, to="change schedules")
        body = ScheduleSerializer(schedule, data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "team"}
        return Response(ScheduleSerializer(schedule_update(schedule=schedule, **changes)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        schedule = self.get_object()
        require_role(user=request.user, team=schedule.team, role=MANAGER, to="delete schedules")
        try:
            schedule_delete(schedule=schedule)
        except PolicyError as e:
            raise Conflict(e.message) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Who is on call at an instant, and when nobody is in the 7 days after it", parameters=[AT],
                   responses={200: ScheduleOncallSerializer, **error_responses(400, 401, 404)})
    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        schedule = self.get_object()
        at = parsed_query(request, AtQuerySerializer)["at"]
        found = schedules_oncall_with_gaps(schedules_visible_to(request.user).filter(pk=schedule.pk), at=at)
        shift, gaps = found[schedule.pk].shift, found[schedule.pk].gaps
        oncall = []
        if shift is not None:
            labels = schedule_layer_labels([schedule.pk])[schedule.pk]
            shadows = schedules_shadows_at({schedule.pk: shift}, at=at)[schedule.pk]
            oncall = [shift_data(shift, usernames=usernames_by_id([shift.person, *shadows]), labels=labels,
                                 shadows=shadows)]
        return Response(ScheduleOncallSerializer({"schedule": schedule.pk, "at": at, "oncall": oncall,
                                                  "gaps": gaps}).data)

    @extend_schema(summary="The shifts between two instants: final, per layer, and the gaps",
                   parameters=[START, END], responses={200: ScheduleShiftsSerializer, **error_responses(400, 401, 404)})
    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        schedule = self.get_object()
        span = parsed_query(request, RangeQuerySerializer)
        found = schedule_timeline(schedule=schedule, **span)
        labels = schedule_layer_labels([schedule.pk])[schedule.pk]
        specs = schedule_shadows([schedule.pk], **span).get(schedule.pk, [])
        shadows = {s: shadows_beside(specs, s) for s in found["final"]}
        usernames = usernames_by_id({s.person for s in found["final"]} | {s.person for ss in found["layers"] for s in ss}
                                    | {person for people in shadows.values() for person in people})

        def shown(shifts, shadows=None):
            return [shift_data(s, usernames=usernames, labels=labels, shadows=shadows[s] if shadows else ())
                    for s in shifts]

        data = {"schedule": schedule.pk, **span, "final": shown(found["final"], shadows),
                "layers": [shown(shifts) for shifts in found["layers"]], "gaps": found["gaps"]}
        return Response(ScheduleShiftsSerializer(data).data)

    @extend_schema(
        request=None, summary="Create a calendar feed of this schedule (responders and managers)",
        responses={201: OpenApiResponse(CalendarFeedSecretSerializer, description="The only response that shows "
                                        "the URL."), **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def feed(self, request, pk=None):
        schedule = self.get_object()
        require_role(user=request.user, team=schedule.team, role=RESPONDER, to="create calendar feeds")
        feed, token = calendar_feed_create(schedule=schedule)
        url = calendar_feed_url(feed=feed, token=token)
        return Response(CalendarFeedSecretSerializer(feed, context={"url": url}).data, status=status.HTTP_201_CREATED)
