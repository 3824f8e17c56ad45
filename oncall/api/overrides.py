"""/api/v1/overrides/: someone taking a shift; responders and managers add and remove them, as
taking a shift or swapping is everyday work."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from config.api_kit import StrictSerializer

from ..models import Override, Schedule
from ..schedules import override_create, override_delete, overrides_visible_to
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


class OverrideSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Override
        fields = ["id", "schedule", "user", "username", "starts_at", "ends_at", "created_by", "created_at"]
        read_only_fields = fields


class OverrideCreateSerializer(ScheduleScopedMixin, StrictSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.none())
    user = user_id_field(help_text="Who takes the shift: a member of the schedule's team (user id).")
    starts_at = UtcDateTimeField()
    ends_at = UtcDateTimeField(help_text="After starts_at, at most 366 days later.")

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "Must be after starts_at."})
        try:
            [attrs["user"]] = team_members(team=attrs["schedule"].team, ids=[attrs["user"]])
        except serializers.ValidationError as e:
            raise serializers.ValidationError({"user": e.detail}) from None
        return attrs


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
class OverrideViewSet(ScheduleEntryViewSet):
    serializer_class = OverrideSerializer
    create_serializer_class = OverrideCreateSerializer
    noun = "overrides"

    def visible_to(self, user):
        return overrides_visible_to(user)

    def entry_create(self, data: dict, *, by):
        return override_create(**data, created_by=by)

    def entry_remove(self, entry) -> None:
        override_delete(override=entry)
