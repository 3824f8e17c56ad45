"""/api/v1/shadows/: shadow shifts, someone learning beside whoever is on call (or beside one
person's shifts). Responders and managers add and remove them, as for overrides."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from config.api_kit import MAX_ID, StrictSerializer

from ..models import Schedule, Shadow
from ..schedules import shadow_cancel, shadow_create, shadows_visible_to
from .common import (
    CREATE_ERRORS,
    DELETE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    SCHEDULE_FILTER,
    ScheduleEntryViewSet,
    ScheduleScopedMixin,
    UtcDateTimeField,
    team_members,
    user_id_field,
)


class ShadowSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    shadowing_username = serializers.CharField(source="shadowing.username", read_only=True, allow_null=True,
                                               default=None)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Shadow
        fields = ["id", "schedule", "user", "username", "shadowing", "shadowing_username", "layer", "starts_at",
                  "ends_at", "created_by", "created_at"]
        read_only_fields = fields


class ShadowCreateSerializer(ScheduleScopedMixin, StrictSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.none())
    user = user_id_field(help_text="The shadow: a member of the schedule's team (user id).")
    shadowing = user_id_field(help_text="Only beside this person's shifts (user id); left out or null: beside "
                                        "whoever is on call.", required=False, allow_null=True, default=None)
    layer = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None,
                                     help_text="Only beside the shifts this layer of the schedule decides (layer id).")
    starts_at = UtcDateTimeField()
    ends_at = UtcDateTimeField(help_text="After starts_at, at most 366 days later.")

    def validate(self, attrs):
        if attrs.get("layer") is not None:
            attrs["layer"] = attrs["schedule"].layers.filter(pk=attrs["layer"]).first()
            if attrs["layer"] is None:
                raise serializers.ValidationError({"layer": "Must be a layer of the schedule."})
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "Must be after starts_at."})
        for field in ("user", "shadowing"):
            if attrs.get(field) is None:
                continue
            try:
                [attrs[field]] = team_members(team=attrs["schedule"].team, ids=[attrs[field]])
            except serializers.ValidationError as e:
                raise serializers.ValidationError({field: e.detail}) from None
        return attrs


@extend_schema_view(
    list=extend_schema(parameters=[SCHEDULE_FILTER], responses={200: ShadowSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ShadowSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Someone shadows the person on call between two instants: a copy of every page, never "
                "responsible (responders and managers)",
        request=ShadowCreateSerializer, responses={201: ShadowSerializer, **CREATE_ERRORS},
    ),
    destroy=extend_schema(summary="End a running shadow shift now, or delete an upcoming one",
                          responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["schedules"])
class ShadowViewSet(ScheduleEntryViewSet):
    serializer_class = ShadowSerializer
    create_serializer_class = ShadowCreateSerializer
    noun = "shadow shifts"

    def visible_to(self, user):
        return shadows_visible_to(user)

    def entry_create(self, data: dict, *, by):
        return shadow_create(**data, created_by=by)

    def entry_remove(self, entry) -> None:
        shadow_cancel(shadow=entry)  # a shadow shift that is over stays: ScheduleError, a 400
