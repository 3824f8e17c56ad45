"""/api/v1/ schedules, layers, overrides, and who is on call.

Reads are scoped to the caller's teams (another team's schedule is a 404). Managers change
schedules and their layers; responders and managers add and remove overrides (taking a shift or
swapping is everyday work) and create schedule calendar feeds; viewers only read.

`at`, `start` and `end` are ISO 8601; one without an offset is taken as UTC, and an unencoded "+"
of an offset (which arrives as a space) is read as the "+" it was meant to be.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    ApiViewSet,
    Conflict,
    JsonParser,
    VigilAutoSchema,
    error_responses,
    int_query_param,
)

from .access import require_role
from .coverage import schedules_oncall_with_gaps
from .models import Membership
from .policies import PolicyError, schedule_delete
from .schedules import (
    calendar_feed_create,
    calendar_feed_url,
    layer_create,
    layer_delete,
    layer_update,
    layers_visible_to,
    override_create,
    override_delete,
    overrides_visible_to,
    schedule_create,
    schedule_layer_labels,
    schedule_timeline,
    schedule_update,
    schedules_visible_to,
    usernames_by_id,
)
from .serializers_schedules import (
    AtQuerySerializer,
    CalendarFeedSecretSerializer,
    LayerSerializer,
    LayerWriteSerializer,
    OncallSerializer,
    OverrideCreateSerializer,
    OverrideSerializer,
    RangeQuerySerializer,
    ScheduleOncallSerializer,
    ScheduleSerializer,
    ScheduleShiftsSerializer,
    shift_data,
)

MANAGER, RESPONDER = Membership.Role.MANAGER, Membership.Role.RESPONDER
LIST_ERRORS = error_responses(400, 401, 404)  # 404: a page number past the end
READ_ERRORS = error_responses(401, 404)
CREATE_ERRORS = error_responses(400, 401, 403, 415)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)
DELETE_ERRORS = error_responses(401, 403, 404)

AT = OpenApiParameter("at", OpenApiTypes.DATETIME, description="ISO 8601; without an offset, UTC. Default: now.")
START = OpenApiParameter("start", OpenApiTypes.DATETIME, description="ISO 8601; without an offset, UTC. Default: now.")
END = OpenApiParameter("end", OpenApiTypes.DATETIME,
                       description="ISO 8601; default start + 14 days; at most 366 days after start.")
TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's (team id).")
SCHEDULE_FILTER = OpenApiParameter("schedule", OpenApiTypes.INT, description="Only this schedule's (schedule id).")


def _by_query(request, serializer_class) -> dict:
    query = serializer_class.from_query(request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _filtered(request, queryset, name: str):
    value = int_query_param(request, name)
    return queryset if value is None else queryset.filter(**{f"{name}_id": value})


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
        return self.paginated(_filtered(request, self.get_queryset(), "team"), ScheduleSerializer)

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
        at = _by_query(request, AtQuerySerializer)["at"]
        found = schedules_oncall_with_gaps(schedules_visible_to(request.user).filter(pk=schedule.pk), at=at)
        shift, gaps = found[schedule.pk].shift, found[schedule.pk].gaps
        oncall = []
        if shift is not None:
            labels = schedule_layer_labels([schedule.pk])[schedule.pk]
            oncall = [shift_data(shift, usernames=usernames_by_id([shift.person]), labels=labels)]
        return Response(ScheduleOncallSerializer({"schedule": schedule.pk, "at": at, "oncall": oncall,
                                                  "gaps": gaps}).data)

    @extend_schema(summary="The shifts between two instants: final, per layer, and the gaps",
                   parameters=[START, END], responses={200: ScheduleShiftsSerializer, **error_responses(400, 401, 404)})
    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        schedule = self.get_object()
        span = _by_query(request, RangeQuerySerializer)
        found = schedule_timeline(schedule=schedule, **span)
        labels = schedule_layer_labels([schedule.pk])[schedule.pk]
        usernames = usernames_by_id({s.person for s in found["final"]} | {s.person for ss in found["layers"] for s in ss})

        def shown(shifts):
            return [shift_data(s, usernames=usernames, labels=labels) for s in shifts]

        data = {"schedule": schedule.pk, **span, "final": shown(found["final"]),
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


@extend_schema_view(
    list=extend_schema(parameters=[SCHEDULE_FILTER], responses={200: LayerSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: LayerSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a rotation layer to a schedule (managers)", request=LayerWriteSerializer,
                         responses={201: LayerSerializer, **CREATE_ERRORS}),
    update=extend_schema(request=LayerWriteSerializer, responses={200: LayerSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(
        summary="Change a layer; participants and restrictions, when given, replace the old ones",
        request=LayerWriteSerializer, responses={200: LayerSerializer, **UPDATE_ERRORS},
    ),
    destroy=extend_schema(responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["schedules"])
class LayerViewSet(ApiViewSet):
    serializer_class = LayerSerializer

    def get_queryset(self):
        return layers_visible_to(self.request.user)

    def list(self, request):
        return self.paginated(_filtered(request, self.get_queryset(), "schedule"), LayerSerializer)

    def retrieve(self, request, pk=None):
        return Response(LayerSerializer(self.get_object()).data)

    def create(self, request):
        body = LayerWriteSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        schedule = data.pop("schedule")
        require_role(user=request.user, team=schedule.team, role=MANAGER, to="change schedules")
        layer = layer_create(schedule=schedule, participants=data.pop("participants", []),
                             restrictions=data.pop("restrictions", []), **data)
        return Response(LayerSerializer(self.get_queryset().get(pk=layer.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        layer = self._managed(request)
        body = LayerWriteSerializer(layer, data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "schedule"}
        layer = layer_update(layer=layer, **changes)
        # Re-read: the instance's prefetched participants are the old ones.
        return Response(LayerSerializer(self.get_queryset().get(pk=layer.pk)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        layer_delete(layer=self._managed(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _managed(self, request):
        layer = self.get_object()
        require_role(user=request.user, team=layer.schedule.team, role=MANAGER, to="change schedules")
        return layer


@extend_schema_view(
    list=extend_schema(parameters=[SCHEDULE_FILTER], responses={200: OverrideSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: OverrideSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Someone takes the shift between two instants, above every layer (responders and managers)",
        request=OverrideCreateSerializer, responses={201: OverrideSerializer, **CREATE_ERRORS},
    ),
    destroy=extend_schema(responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["schedules"])
class OverrideViewSet(ApiViewSet):
    serializer_class = OverrideSerializer

    def get_queryset(self):
        return overrides_visible_to(self.request.user)

    def list(self, request):
        return self.paginated(_filtered(request, self.get_queryset(), "schedule"), OverrideSerializer)

    def retrieve(self, request, pk=None):
        return Response(OverrideSerializer(self.get_object()).data)

    def create(self, request):
        body = OverrideCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["schedule"].team, role=RESPONDER, to="add overrides")
        override = override_create(**data, created_by=request.user)
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        override = self.get_object()
        require_role(user=request.user, team=override.schedule.team, role=RESPONDER, to="remove overrides")
        override_delete(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["schedules"])
class OncallView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]

    @extend_schema(
        summary="Who is on call in every schedule you can see, by team, and when nobody is in the next 7 days",
        description="A fixed number of queries however many schedules there are. Each schedule's `gaps` lists "
                    "the stretches of the 7 days from `at` when nobody is on call, so they can be filled "
                    "before a page reaches no one.",
        parameters=[AT, TEAM_FILTER], responses={200: OncallSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        at = _by_query(request, AtQuerySerializer)["at"]
        schedules = _filtered(request, schedules_visible_to(request.user), "team")
        found = schedules_oncall_with_gaps(schedules, at=at)
        shifts = {pk: f.shift for pk, f in found.items()}
        labels = schedule_layer_labels(list(shifts))
        usernames = usernames_by_id(s.person for s in shifts.values() if s is not None)
        teams: dict[int, dict] = {}
        for schedule in schedules.order_by("team__name", "name"):
            if schedule.pk not in shifts:
                continue  # created a moment ago, after the on-call query
            team = teams.setdefault(schedule.team_id, {"team": schedule.team_id, "team_name": schedule.team.name,
                                                       "schedules": []})
            shift = shifts[schedule.pk]
            oncall = [] if shift is None else [shift_data(shift, usernames=usernames, labels=labels[schedule.pk])]
            team["schedules"].append({"schedule": schedule.pk, "name": schedule.name, "time_zone": schedule.time_zone,
                                      "oncall": oncall, "gaps": found[schedule.pk].gaps})
        return Response(OncallSerializer({"at": at, "teams": list(teams.values())}).data)
