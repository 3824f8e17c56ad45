"""/api/v1/oncall/: who is on call now and next in every schedule the caller can see."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_kit import JsonParser, VigilAutoSchema, error_responses

from ..coverage import schedules_oncall_with_gaps
from ..schedules import schedule_layer_labels, schedules_shadows_at, schedules_visible_to, usernames_by_id
from .common import filtered_by, parsed_query
from .schedules import AT, GAPS_AHEAD_HELP, TEAM_FILTER, AtQuerySerializer, ShiftSerializer, gaps_field, shift_data


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
        at = parsed_query(request, AtQuerySerializer)["at"]
        schedules = filtered_by(request, schedules_visible_to(request.user), "team")
        found = schedules_oncall_with_gaps(schedules, at=at)
        shifts = {pk: f.shift for pk, f in found.items()}
        labels = schedule_layer_labels(list(shifts))
        shadows = schedules_shadows_at(shifts, at=at)
        usernames = usernames_by_id([s.person for s in shifts.values() if s is not None]
                                    + [person for people in shadows.values() for person in people])
        teams: dict[int, dict] = {}
        for schedule in schedules.order_by("team__name", "name"):
            if schedule.pk not in shifts:
                continue  # created a moment ago, after the on-call query
            team = teams.setdefault(schedule.team_id, {"team": schedule.team_id, "team_name": schedule.team.name,
                                                       "schedules": []})
            shift = shifts[schedule.pk]
            oncall = [] if shift is None else [shift_data(shift, usernames=usernames, labels=labels[schedule.pk],
                                                          shadows=shadows[schedule.pk])]
            team["schedules"].append({"schedule": schedule.pk, "name": schedule.name, "time_zone": schedule.time_zone,
                                      "oncall": oncall, "gaps": found[schedule.pk].gaps})
        return Response(OncallSerializer({"at": at, "teams": list(teams.values())}).data)
