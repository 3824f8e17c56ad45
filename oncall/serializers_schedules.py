"""Request and response shapes of /api/v1/schedules/, layers/, overrides/, oncall and feeds/."""
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import MAX_ID, StrictModelSerializer, StrictSerializer

from .access import teams_visible_to
from .models import CalendarFeed, Layer, Override, Restriction, Schedule, Team
from .schedules import MAX_SHIFTS_RANGE, schedules_visible_to

# Far enough either way for any real rota, near enough that date arithmetic never overflows.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)
TEXT_MAX = 10_000
DEFAULT_SHIFTS_RANGE = timedelta(days=14)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


class TimeZoneField(serializers.CharField):
    # Checked against the zone list rather than by loading it: ZoneInfo("America") raises
    # IsADirectoryError, not the ZoneInfoNotFoundError the services expect.
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "An IANA time zone name, e.g. Europe/Berlin.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        if name not in _zone_names():
            raise serializers.ValidationError(f"Unknown time zone {name!r}; use an IANA name like Europe/Berlin.")
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


def _user_id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _team_members(*, team: Team, ids: list[int]) -> list[User]:
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
        child=_user_id_field(), required=False,
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
                attrs["participants"] = _team_members(team=schedule.team, ids=attrs["participants"])
            except serializers.ValidationError as e:
                raise serializers.ValidationError({"participants": e.detail}) from None
        return attrs


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


class OverrideSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Override
        fields = ["id", "schedule", "user", "username", "starts_at", "ends_at", "created_by", "created_at"]
        read_only_fields = fields


class OverrideCreateSerializer(ScheduleScopedMixin, StrictSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.none())
    user = _user_id_field(help_text="Who takes the shift: a member of the schedule's team (user id).")
    starts_at = UtcDateTimeField()
    ends_at = UtcDateTimeField(help_text="After starts_at, at most 366 days later.")

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "Must be after starts_at."})
        try:
            [attrs["user"]] = _team_members(team=attrs["schedule"].team, ids=[attrs["user"]])
        except serializers.ValidationError as e:
            raise serializers.ValidationError({"user": e.detail}) from None
        return attrs


# --- Who is on call -----------------------------------------------------------------------------

def _from_query(serializer_class, query_params, names):
    # An unencoded "+" in a query string arrives as a space: "…T09:00:00 01:00" meant "+01:00".
    data = {name: re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", query_params[name]) for name in names if name in query_params}
    return serializer_class(data=data)


class AtQuerySerializer(serializers.Serializer):
    at = UtcDateTimeField(required=False)

    @classmethod
    def from_query(cls, query_params) -> "AtQuerySerializer":
        return _from_query(cls, query_params, ["at"])

    def validate(self, attrs):
        return {"at": attrs.get("at") or timezone.now()}


class RangeQuerySerializer(serializers.Serializer):
    start = UtcDateTimeField(required=False)
    end = UtcDateTimeField(required=False)

    @classmethod
    def from_query(cls, query_params) -> "RangeQuerySerializer":
        return _from_query(cls, query_params, ["start", "end"])

    def validate(self, attrs):
        start = attrs.get("start") or timezone.now()
        end = attrs.get("end") or start + DEFAULT_SHIFTS_RANGE
        if end <= start:
            raise serializers.ValidationError({"end": "Must be after start."})
        if end - start > MAX_SHIFTS_RANGE:
            raise serializers.ValidationError({"end": f"Must be at most {MAX_SHIFTS_RANGE.days} days after start."})
        return {"start": start, "end": end}


class ShiftSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    source = serializers.CharField(help_text='"layer N" (N counts the layers from the bottom, 1 first) or "override".')
    layer = serializers.IntegerField(allow_null=True, help_text="The layer's id; null for an override.")
    layer_name = serializers.CharField(allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: nothing ever ends this shift.")


def shift_data(shift, *, usernames: dict[int, str], labels: list) -> dict:
    """A rotation.Shift as the API shows it; `labels` are schedules.schedule_layer_labels' for its schedule."""
    override = shift.source == "override"
    # The labels are read a moment after the shifts: a layer added in between is not in them.
    label = None if override or shift.source >= len(labels) else labels[shift.source]
    return {
        "user": shift.person, "username": usernames.get(shift.person, ""),
        "source": "override" if override else f"layer {label.number}" if label else "layer",
        "layer": label and label.id, "layer_name": label and label.name,
        "start": shift.start, "end": shift.end,
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


class OncallScheduleSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = serializers.CharField()
    oncall = ShiftSerializer(many=True)
    gaps = gaps_field(GAPS_AHEAD_HELP)


class OncallTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    schedules = OncallScheduleSerializer(many=True)


class OncallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    teams = OncallTeamSerializer(many=True)


# --- Calendar feeds ------------------------------------------------------------------------------

class CalendarFeedSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField(
        help_text='"schedule": a schedule\'s shifts; "person": one person\'s shifts in every schedule.')
    schedule_name = serializers.CharField(source="schedule.name", read_only=True, allow_null=True, default=None)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = CalendarFeed
        fields = ["id", "kind", "schedule", "schedule_name", "user", "created_at", "revoked_at", "is_active"]
        read_only_fields = fields

    def get_kind(self, feed) -> str:
        return "schedule" if feed.schedule_id else "person"

    def get_is_active(self, feed) -> bool:
        return feed.revoked_at is None


class CalendarFeedSecretSerializer(CalendarFeedSerializer):
    """Shown once: only the token's hash is stored."""

    # The context carries `url` (schedules.calendar_feed_url).
    url = serializers.SerializerMethodField(help_text="The iCalendar subscription URL; keep it secret.")

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, feed) -> str:
        return self.context["url"]

