"""What the resources of oncall's API share: roles, error responses, the fields and mixins of
their request bodies, and the query-string helpers."""
import re
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_kit import (
    MAX_ID,
    ApiViewSet,
    JsonParser,
    StrictSerializer,
    VigilAutoSchema,
    error_responses,
    int_query_param,
)

from ..access import require_role, teams_visible_to
from ..models import Membership, Team, time_zone_problem
from ..schedules import schedules_visible_to


MANAGER, RESPONDER = Membership.Role.MANAGER, Membership.Role.RESPONDER
LIST_ERRORS = error_responses(400, 401, 404)  # 404: a page number past the end
READ_ERRORS = error_responses(401, 404)
CREATE_ERRORS = error_responses(400, 401, 403, 415)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)
DELETE_ERRORS = error_responses(401, 403, 404)
SCHEDULE_FILTER = OpenApiParameter("schedule", OpenApiTypes.INT, description="Only this schedule's (schedule id).")
USER_FILTER = OpenApiParameter(
    "user", OpenApiTypes.INT, description="Superusers: someone else's (user id). Default: your own."
)
# Far enough either way for any real rota, near enough that date arithmetic never overflows.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)
TEXT_MAX = 10_000
DEFAULT_SHIFTS_RANGE = timedelta(days=14)


class TimeZoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "An IANA time zone name, e.g. Europe/Berlin.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        problem = time_zone_problem(name)
        if problem:
            raise serializers.ValidationError(problem)
        return name


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601. A time without an offset is taken as UTC; answers are always in UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def to_internal_value(self, value):
        at = super().to_internal_value(value)
        if not EARLIEST <= at < LATEST:
            raise serializers.ValidationError("Must be between 1970 and 2999.")
        return at


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "09:00"})
class ClockTimeField(serializers.TimeField):
    """A local wall-clock time, "HH:MM"."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST.date() <= day < LATEST.date():
            raise serializers.ValidationError("Must be between 1970 and 2999.")
        return day


# An item of a nested list, checked whole even inside a PATCH: DRF skips missing required fields
# (and defaults) all the way down when the outer request is partial. (A comment, not a docstring:
# OpenAPI would copy it into the schemas of every subclass.)
class WholeItemSerializer(StrictSerializer):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if getattr(self.root, "partial", False):
            missing = {}
            for name, field in self.fields.items():
                if field.read_only or name in value:
                    continue
                if field.required:
                    missing[name] = [field.error_messages["required"]]
                elif field.default is not serializers.empty:
                    # Not field.get_default(): it raises SkipField inside a partial request.
                    value[name] = field.default() if callable(field.default) else field.default
            if missing:
                raise serializers.ValidationError(missing)
        return value


# Limits the `schedule` field to the schedules the caller can see (others read as unknown ids).
class ScheduleScopedMixin:
    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["schedule"].queryset = schedules_visible_to(user)

    def validate_schedule(self, schedule):
        if self.instance is not None and schedule.pk != self.instance.schedule_id:
            raise serializers.ValidationError("Cannot move to another schedule.")
        return schedule


def user_id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def team_members(*, team: Team, ids: list[int]) -> list[User]:
    """The active members of `team` with these ids, in the order given. The refusal names only the
    ids, and reads the same for someone of another team as for an id nobody has: it must not
    tell a writer which ids exist elsewhere, nor whose they are."""
    found = {u.pk: u for u in User.objects.filter(pk__in=set(ids), is_active=True, memberships__team=team)}
    missing = [str(pk) for pk in dict.fromkeys(ids) if pk not in found]
    if missing:
        if len(missing) == 1:
            raise serializers.ValidationError(f"User {missing[0]} is not a member of {team}.")
        raise serializers.ValidationError(f"Not members of {team}: users {', '.join(missing)}.")
    return [found[pk] for pk in ids]


class TeamOwnedMixin:
    """Serializers of things a team owns under a unique name (schedules, policies): the team must
    be one the user sees, cannot change, and the name is free in it (the error names the field)."""

    owned_model: type
    noun: str

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["team"].queryset = teams_visible_to(user)

    def validate_team(self, team):
        if self.instance is not None and team.pk != self.instance.team_id:
            raise serializers.ValidationError(f"A {self.noun} cannot move to another team.")
        return team

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        name = attrs.get("name")
        if team is not None and name is not None:
            taken = self.owned_model.objects.filter(team=team, name=name)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError({"name": f"{team} already has a {self.noun} named {name!r}."})
        return attrs


def from_query(serializer_class, query_params, names):
    # An unencoded "+" in a query string arrives as a space: "…T09:00:00 01:00" meant "+01:00".
    data = {name: re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", query_params[name]) for name in names if name in query_params}
    return serializer_class(data=data)


def parsed_query(request, serializer_class) -> dict:
    query = serializer_class.from_query(request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def filtered_by(request, queryset, name: str):
    value = int_query_param(request, name)
    return queryset if value is None else queryset.filter(**{f"{name}_id": value})


class ApiView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]


def mine_or_superuser(request, owner, to: str) -> None:
    if owner.pk != request.user.pk and not request.user.is_superuser:
        raise exceptions.PermissionDenied(f"Only superusers can {to} for someone else.")


class PersonalViewSet(ApiViewSet):
    def list(self, request):
        owner = int_query_param(request, "user") or request.user.pk
        return self.paginated(self.get_queryset().filter(user_id=owner), self.serializer_class)

    def retrieve(self, request, pk=None):
        return Response(self.serializer_class(self.get_object()).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


# Rows that a schedule's responders and managers add and remove by hand (overrides, shadow
# shifts): listed by schedule, read, created and removed. A subclass names its serializers, what a
# refusal calls its rows, and the three calls below. (A comment, not a docstring: drf-spectacular
# would put a docstring into every operation's description.)
class ScheduleEntryViewSet(ApiViewSet):
    create_serializer_class: type
    noun = ""  # "overrides", "shadow shifts"

    def visible_to(self, user):
        raise NotImplementedError

    def entry_create(self, data: dict, *, by):
        raise NotImplementedError

    def entry_remove(self, entry) -> None:
        raise NotImplementedError

    def get_queryset(self):
        return self.visible_to(self.request.user)

    def list(self, request):
        return self.paginated(filtered_by(request, self.get_queryset(), "schedule"), self.serializer_class)

    def retrieve(self, request, pk=None):
        return Response(self.serializer_class(self.get_object()).data)

    def create(self, request):
        body = self.create_serializer_class(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["schedule"].team, role=RESPONDER, to=f"add {self.noun}")
        entry = self.entry_create(data, by=request.user)
        return Response(self.serializer_class(entry).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        entry = self.get_object()
        require_role(user=request.user, team=entry.schedule.team, role=RESPONDER, to=f"remove {self.noun}")
        self.entry_remove(entry)
        return Response(status=status.HTTP_204_NO_CONTENT)
