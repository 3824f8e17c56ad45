"""/api/v1/layers/: a schedule's rotations (managers change them)."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictSerializer

from ..access import require_role
from ..models import Layer, Restriction, Schedule
from ..schedules import layer_create, layer_delete, layer_update, layers_visible_to
from .common import (
    CREATE_ERRORS,
    DELETE_ERRORS,
    LIST_ERRORS,
    MANAGER,
    READ_ERRORS,
    SCHEDULE_FILTER,
    UPDATE_ERRORS,
    BoundedDateField,
    ClockTimeField,
    ScheduleScopedMixin,
    UtcDateTimeField,
    WholeItemSerializer,
    filtered_by,
    team_members,
    user_id_field,
)


class RestrictionSerializer(WholeItemSerializer):
    kind = serializers.ChoiceField(choices=Restriction.Kind.choices, default=Restriction.Kind.DAILY)
    start_weekday = serializers.IntegerField(
        min_value=0, max_value=6, required=False, allow_null=True, help_text="Weekly windows: 0 = Monday … 6 = Sunday."
    )
    start_time = ClockTimeField()
    end_weekday = serializers.IntegerField(min_value=0, max_value=6, required=False, allow_null=True)
    end_time = ClockTimeField(help_text="At or before the start: the window wraps past midnight (or Sunday).")

    def validate(self, attrs):
        days = (attrs.get("start_weekday"), attrs.get("end_weekday"))
        if attrs["kind"] == Restriction.Kind.WEEKLY and None in days:
            raise serializers.ValidationError({"start_weekday": "A weekly window needs start_weekday and end_weekday."})
        if attrs["kind"] == Restriction.Kind.DAILY and days != (None, None):
            raise serializers.ValidationError({"start_weekday": "A daily window has no weekdays."})
        return attrs


class LayerSerializer(serializers.ModelSerializer):
    handoff_time = ClockTimeField(read_only=True)
    participants = serializers.SerializerMethodField(help_text="User ids in rotation order.")
    participant_usernames = serializers.SerializerMethodField()
    restrictions = RestrictionSerializer(many=True, read_only=True)

    class Meta:
        model = Layer
        fields = ["id", "schedule", "name", "position", "turn_length", "turn_unit", "handoff_time", "start_date",
                  "end_at", "participants", "participant_usernames", "restrictions"]
        read_only_fields = fields

    def get_participants(self, layer) -> list[int]:
        return [p.user_id for p in layer.participants.all()]

    def get_participant_usernames(self, layer) -> list[str]:
        return [p.user.username for p in layer.participants.all()]


class LayerWriteSerializer(ScheduleScopedMixin, StrictSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.none())
    name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    position = serializers.IntegerField(
        min_value=0, max_value=1000, required=False,
        help_text="Higher wins where layers overlap; new layers go on top by default.",
    )
    turn_length = serializers.IntegerField(min_value=1, max_value=1000, required=False, help_text="Default 1.")
    turn_unit = serializers.ChoiceField(choices=Layer.TurnUnit.choices, required=False, help_text="Default weeks.")
    handoff_time = ClockTimeField(required=False, help_text="Local time of the hand-off in the schedule's zone "
                                  "(default 09:00).")
    start_date = BoundedDateField(help_text="The first turn starts on this day at handoff_time.")
    end_at = UtcDateTimeField(required=False, allow_null=True, help_text="When the layer stops; null: never.")
    participants = serializers.ListField(
        child=user_id_field(), required=False,
        help_text="User ids in rotation order (members of the schedule's team; repeats allowed).",
    )
    restrictions = RestrictionSerializer(many=True, required=False, max_length=50,
                                         help_text="Windows when the layer is on; none: always.")

    def validate_participants(self, ids):
        if len(ids) > 100:
            raise serializers.ValidationError("At most 100 turns in a rotation.")
        return ids

    def validate(self, attrs):
        if "participants" in attrs:
            schedule = attrs.get("schedule") or self.instance.schedule
            try:
                attrs["participants"] = team_members(team=schedule.team, ids=attrs["participants"])
            except serializers.ValidationError as e:
                raise serializers.ValidationError({"participants": e.detail}) from None
        return attrs


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
        return self.paginated(filtered_by(request, self.get_queryset(), "schedule"), LayerSerializer)

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
