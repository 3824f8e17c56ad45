"""/api/v1/schedules/<id>/handoff/: a schedule's hand-off report over a period, as JSON.

Times are UTC; `from` and `to` are ISO 8601 (one without an offset is taken as UTC), both or
neither (neither: the last completed shift). Another team's schedule is a 404."""
from datetime import UTC

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api_kit import error_responses
from incidents.models import ActionItem, Incident
from oncall.api.common import ApiView
from oncall.schedules import schedules_visible_to

from .period import period_from_query
from .report import LIST_LIMIT, handoff_report


class PersonField(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = serializers.CharField(source="zone.key", help_text="The person's own zone, which says what is night.")


class ShiftLineSerializer(serializers.Serializer):
    person = PersonField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class IncidentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    service = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices, help_text="The incident's state now.")
    triggered_at = serializers.DateTimeField()
    acknowledged_by = serializers.CharField(help_text="Empty when nobody acknowledged it.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    is_open = serializers.BooleanField()


class PageLineSerializer(serializers.Serializer):
    person = PersonField()
    at = serializers.DateTimeField()
    local_time = serializers.SerializerMethodField(help_text="When, on the person's own clock (ISO 8601 with offset).")
    night = serializers.BooleanField(help_text="Between 22:00 and 07:00 in the person's zone.")
    incident = serializers.IntegerField(source="incident_id")
    incident_number = serializers.IntegerField()
    incident_title = serializers.CharField()

    def get_local_time(self, line) -> str:
        return line.local.isoformat()


class PersonPagesSerializer(serializers.Serializer):
    person = PersonField()
    pages = serializers.IntegerField()
    night_pages = serializers.IntegerField()


class ActionItemLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner = serializers.CharField(help_text="Empty when it has no owner yet.")
    due_on = serializers.DateField(allow_null=True)
    # Plain strings, not enums: the action items' own API names those enums.
    priority = serializers.CharField(help_text=f"One of {', '.join(ActionItem.Priority.values)}.")
    status = serializers.CharField(help_text=f"One of {', '.join(ActionItem.OPEN_STATUSES)}: only open ones are listed.")
    incident_number = serializers.IntegerField()
    overdue = serializers.BooleanField()


class HandoffReportSerializer(serializers.Serializer):
    schedule = serializers.IntegerField(source="schedule_id")
    schedule_name = serializers.CharField()
    time_zone = serializers.CharField(help_text="The schedule's zone.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    quiet = serializers.BooleanField(help_text="No incidents and no pages in the period.")
    shifts = ShiftLineSerializer(many=True, help_text="Who was on call, earliest first.")
    incidents_total = serializers.IntegerField()
    still_open_total = serializers.IntegerField()
    incidents = IncidentLineSerializer(many=True, help_text=f"Most recent first, at most {LIST_LIMIT}.")
    still_open = IncidentLineSerializer(many=True, help_text="Those of `incidents` not resolved yet.")
    pages_total = serializers.IntegerField()
    night_pages_total = serializers.IntegerField()
    pages_by_person = PersonPagesSerializer(many=True)
    pages = PageLineSerializer(many=True, help_text=f"Earliest first, at most {LIST_LIMIT}.")
    action_items_total = serializers.IntegerField()
    action_items = ActionItemLineSerializer(many=True, help_text=f"The team's open ones, at most {LIST_LIMIT}.")


PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Start of the period (ISO 8601; UTC without an offset)."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="End of the period, at most 31 days after `from`."),
]


@extend_schema(tags=["schedules"])
class HandoffReportView(ApiView):
    @extend_schema(
        summary="A schedule's hand-off report: incidents, pages, night pages, open action items",
        description="Give `from` and `to` (at most 31 days apart), or neither for the last completed shift.",
        parameters=PERIOD, responses={200: HandoffReportSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, id):
        schedule = get_object_or_404(schedules_visible_to(request.user), pk=id)
        now = timezone.now()
        start, end = period_from_query(request.query_params, schedule=schedule, zone=UTC, now=now)
        return Response(HandoffReportSerializer(handoff_report(schedule=schedule, start=start, end=end, now=now)).data)
