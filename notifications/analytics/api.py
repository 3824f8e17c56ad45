"""/api/v1/analytics/…: the analytics page's figures as JSON, with the same filters, scoped to the
caller's teams. Durations are seconds."""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_kit import JsonParser, VigilAutoSchema, error_responses
from incidents.models import Severity

from .figures import Group
from .filters import MAX_DAYS, AnalyticsFilters, parse_filters
from .report import Report, analytics_report

FILTERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (UTC) of the period, by when incidents were "
                     "triggered. Default: 12 weeks before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description=f"Last day (UTC), included. Default: today. At most "
                     f"{MAX_DAYS} days after `from`."),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's incidents (one of yours)."),
    OpenApiParameter("service", OpenApiTypes.INT, description="Only this service's incidents (one of your teams')."),
    OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values,
                     description="Only incidents of this severity."),
]


class AnalyticsSpreadSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Incidents that got this far; the others are not in the figures.")
    mean = serializers.FloatField(allow_null=True, help_text="Seconds; null when count is 0.")
    median = serializers.FloatField(allow_null=True, help_text="Seconds (50th percentile, interpolated).")
    p90 = serializers.FloatField(allow_null=True, help_text="Seconds (90th percentile, interpolated).")


class AnalyticsFiguresSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    escalated = serializers.IntegerField(
        help_text="Incidents whose escalation reached a second step: someone was paged at a later step or loop "
                  "because the first page went unanswered.")
    time_to_acknowledge = AnalyticsSpreadSerializer(help_text="From trigger to acknowledgement (MTTA is its mean).")
    time_to_mitigate = AnalyticsSpreadSerializer(help_text="From trigger to mitigation, or to resolution for an incident "
                                                  "resolved without a mitigation step.")
    time_to_resolve = AnalyticsSpreadSerializer(help_text="From trigger to resolution (MTTR is its mean).")


class AnalyticsWeekSerializer(AnalyticsFiguresSerializer):
    week = serializers.DateField(help_text="The Monday (UTC) the week starts on.")


class AnalyticsServiceSerializer(AnalyticsFiguresSerializer):
    service = serializers.IntegerField()
    service_name = serializers.CharField()


class AnalyticsTeamSerializer(AnalyticsFiguresSerializer):
    team = serializers.IntegerField()
    team_name = serializers.CharField()


class AnalyticsSeveritySerializer(AnalyticsFiguresSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class AnalyticsPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day (UTC): `from`, or its default.")
    end = serializers.DateField(help_text="Last day (UTC), included: `to`, or its default.")
    team = serializers.IntegerField(allow_null=True)
    service = serializers.IntegerField(allow_null=True)
    severity = serializers.CharField(allow_null=True)


class AnalyticsResponseTimesSerializer(serializers.Serializer):
    filters = AnalyticsPeriodSerializer()
    overall = AnalyticsFiguresSerializer()
    by_week = AnalyticsWeekSerializer(
        many=True, help_text="Every week the period touches, in order, empty ones included.")
    by_service = AnalyticsServiceSerializer(many=True, help_text="Most incidents first.")
    by_team = AnalyticsTeamSerializer(many=True, help_text="Most incidents first.")
    by_severity = AnalyticsSeveritySerializer(many=True, help_text="Most incidents first.")


class AnalyticsResponderSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField()
    pages = serializers.IntegerField(help_text="Pages sent to the person for the period's incidents.")
    night_pages = serializers.IntegerField(
        help_text="Of those, sent between 22:00 and 07:00 on the person's clock (their profile's zone, else UTC).")
    second_step_pages = serializers.IntegerField(help_text="Of those, sent at a later step or loop of a policy.")


class AnalyticsRespondersSerializer(serializers.Serializer):
    filters = AnalyticsPeriodSerializer()
    responders = AnalyticsResponderSerializer(many=True, help_text="Most paged first.")


def _filters_of(request) -> tuple[AnalyticsFilters, Report]:
    filters = parse_filters(user=request.user, params=request.query_params, today=timezone.now().date())
    return filters, analytics_report(user=request.user, filters=filters)


def _echo(filters: AnalyticsFilters) -> dict:
    return {"start": filters.period.start, "end": filters.period.end, "team": filters.team and filters.team.pk,
            "service": filters.service and filters.service.pk, "severity": filters.severity}


def _figures(group: Group) -> dict:
    return {"incidents": group.incidents, "escalated": group.escalated,
            "time_to_acknowledge": vars(group.acknowledge), "time_to_mitigate": vars(group.mitigate),
            "time_to_resolve": vars(group.resolve)}


class AnalyticsView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]


@extend_schema(tags=["analytics"])
class ResponseTimesView(AnalyticsView):
    @extend_schema(
        summary="Incidents, escalations and response times (MTTA, time to mitigate, MTTR) per week, service, "
                "team and severity",
        description="Only incidents of your teams; a team or service not among yours is refused like an unknown one.",
        parameters=FILTERS, responses={200: AnalyticsResponseTimesSerializer, **error_responses(400, 401)})
    def get(self, request):
        filters, report = _filters_of(request)
        by = report.figures.by
        return Response(AnalyticsResponseTimesSerializer({
            "filters": _echo(filters), "overall": _figures(report.figures.overall),
            "by_week": [{"week": g.key, **_figures(g)} for g in by["week"]],
            "by_service": [{"service": g.key, "service_name": report.label("service", g.key), **_figures(g)}
                           for g in by["service"]],
            "by_team": [{"team": g.key, "team_name": report.label("team", g.key), **_figures(g)} for g in by["team"]],
            "by_severity": [{"severity": g.key, **_figures(g)} for g in by["severity"]],
        }).data)


@extend_schema(tags=["analytics"])
class RespondersView(AnalyticsView):
    @extend_schema(
        summary="On-call load: pages per responder, at night on their own clock, and at a later step",
        description="Pages sent for incidents of your teams triggered in the period.",
        parameters=FILTERS, responses={200: AnalyticsRespondersSerializer, **error_responses(400, 401)})
    def get(self, request):
        filters, report = _filters_of(request)
        return Response(AnalyticsRespondersSerializer({
            "filters": _echo(filters), "responders": [vars(r) for r in report.responders]}).data)
