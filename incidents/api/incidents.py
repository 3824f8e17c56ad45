"""/api/v1/incidents/: the list with its filters, opening one by hand, and every step of its
life (acknowledge, mitigate, resolve, reopen, escalate, reassign, notes, severity).

Views parse input and call selectors and services. Reads are scoped (another team's incident is a
404); writes need a role (else 403)."""
from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from config.api_kit import MAX_ID, ApiViewSet, JsonObjectField, StrictSerializer, error_responses
from oncall.access import require_role
from oncall.models import EscalationPolicy

from ..models import Incident, Service, Severity, TimelineEvent, Urgency
from ..selectors import (
    incident_timeline,
    incidents_matching,
    incidents_visible_to,
    reassign_targets_for,
    services_visible_to,
)
from ..services import (
    incident_acknowledge,
    incident_escalate_now,
    incident_mitigate,
    incident_note_add,
    incident_reassign,
    incident_reopen,
    incident_resolve,
    incident_severity_set,
    incident_trigger,
    incident_unacknowledge,
)
from .common import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, RESPONDER, UPDATE_ERRORS, via_of


NOTE_MAX = 10_000


def _username_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True, **kwargs)


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = _username_field(help_text="Who did it; null for the system and integrations.")
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "at", "kind", "actor", "via", "text", "data"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    acknowledged_by = _username_field()
    resolved_by = _username_field()
    assignee = _username_field(help_text="The person the incident was reassigned to, paged before its policy.")

    class Meta:
        model = Incident
        fields = [
            "id", "number", "title", "status", "severity", "urgency", "team", "service", "service_name",
            "dedup_key", "source", "triggered_at", "acknowledged_at", "acknowledged_by", "mitigated_at",
            "resolved_at", "resolved_by", "reopened_at", "alert_count", "last_alert_at", "updated_at",
            "assignee", "escalation_policy", "paging_round", "unreachable_since",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "escalation_policy": {"help_text": "The policy it was reassigned to; null: its service's policy."},
            "paging_round": {"help_text": "Counts restarts of paging (reopen, un-acknowledge, reassign, "
                                          "escalate now, an expired acknowledgement)."},
            "unreachable_since": {"help_text": "Since when paging has reached nobody (no policy, nobody on "
                                               "call, no usable notification rule); null once someone is paged "
                                               "or the incident is acknowledged."},
        }


class IncidentDetailSerializer(IncidentSerializer):
    details = serializers.JSONField(read_only=True, help_text="What the latest alert said.")
    links = serializers.JSONField(read_only=True)
    timeline = serializers.SerializerMethodField(help_text="Oldest first.")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "details", "links", "timeline"]
        read_only_fields = fields

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, incident):
        return TimelineEventSerializer(incident_timeline(incident=incident), many=True).data


class IncidentCreateSerializer(StrictSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.none())
    title = serializers.CharField(max_length=1024)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.HIGH)
    dedup_key = serializers.CharField(
        max_length=255, required=False,
        help_text="An open incident of the service with this key absorbs the request (200) instead of "
        "opening a new one (201).",
    )
    details = JsonObjectField(required=False)

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = services_visible_to(user)


class AcknowledgeSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class MitigateSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX,
                                 help_text="What stopped the impact.")


class ResolveSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX,
                                 help_text="Resolution summary.")


class ReopenSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class EscalateSerializer(StrictSerializer):
    pass


class UnacknowledgeSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class ReassignSerializer(StrictSerializer):
    """Exactly one target, from the caller's own teams. Another team's person or policy gets the
    same answer as one that does not exist."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, help_text="A person to page at once (id).",
        error_messages={"does_not_exist": "No person with id {pk_value} in your teams."})
    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), required=False,
        help_text="A policy to page from its first step (id).",
        error_messages={"does_not_exist": "No escalation policy with id {pk_value} in your teams."})

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["user"].queryset, self.fields["escalation_policy"].queryset = reassign_targets_for(user)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError("Give either user or escalation_policy.")
        return {"to_user": attrs.get("user"), "to_policy": attrs.get("escalation_policy")}


class NoteSerializer(StrictSerializer):
    text = serializers.CharField(max_length=NOTE_MAX)


class SeveritySerializer(StrictSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class _ChoiceList(serializers.ListField):
    """A query parameter given repeatedly (?status=a&status=b) or as a comma list (?status=a,b)."""

    def __init__(self, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), required=False, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value([v for raw in data for v in raw.split(",") if v])


class IncidentFilterSerializer(serializers.Serializer):
    status = _ChoiceList(Incident.Status.choices)
    severity = _ChoiceList(Severity.choices)
    urgency = _ChoiceList(Urgency.choices)
    service = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    LISTS = ("status", "severity", "urgency")

    @classmethod
    def from_query(cls, query_params) -> "IncidentFilterSerializer":
        data = {name: query_params.getlist(name) for name in cls.LISTS if name in query_params}
        data |= {name: query_params[name] for name in ("service", "team", "since", "until") if name in query_params}
        return cls(data=data)

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Must be later than since."})
        return attrs


def _list_param(name: str, choices: list[str], what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, many=True, explode=True, enum=choices,
        description=f"Only incidents with this {what}; repeat the parameter or give a comma list for several.",
    )


INCIDENT_FILTERS = [
    _list_param("status", Incident.Status.values, "status"),
    _list_param("severity", Severity.values, "severity"),
    _list_param("urgency", Urgency.values, "urgency"),
    OpenApiParameter("service", OpenApiTypes.INT, description="Only this service's incidents (service id)."),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's incidents (team id)."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Triggered at or after (ISO 8601)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Triggered before (ISO 8601)."),
]


class IncidentPagination(CursorPagination):
    ordering = ("-triggered_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _transition_schema(body, summary: str):
    return extend_schema(
        request=body, summary=summary,
        responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="List incidents, newest first", parameters=INCIDENT_FILTERS,
        responses={200: IncidentSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="An incident with its timeline", responses={200: IncidentDetailSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="Open an incident by hand", request=IncidentCreateSerializer,
        responses={
            201: IncidentDetailSerializer,
            200: OpenApiResponse(
                IncidentDetailSerializer, description="Counted on the open incident with the same dedup_key."
            ),
            **CREATE_ERRORS,
        },
    ),
)
@extend_schema(tags=["incidents"])
class IncidentViewSet(ApiViewSet):
    serializer_class = IncidentSerializer
    pagination_class = IncidentPagination

    def get_queryset(self):
        return incidents_visible_to(self.request.user)

    def list(self, request):
        filters = IncidentFilterSerializer.from_query(request.query_params)
        filters.is_valid(raise_exception=True)
        incidents = incidents_matching(user=request.user, **filters.validated_data)
        return self.paginated(incidents, IncidentSerializer)

    def retrieve(self, request, pk=None):
        return Response(IncidentDetailSerializer(self.get_object()).data)

    def create(self, request):
        body = IncidentCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["service"].team, role=RESPONDER, to="open incidents")
        incident, created = incident_trigger(
            service=data["service"], title=data["title"], dedup_key=data.get("dedup_key"),
            severity=data["severity"], urgency=data["urgency"], details=data.get("details"),
            by=request.user, via=via_of(request),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(IncidentDetailSerializer(incident).data, status=code)

    def _act(self, request, body_class, to: str, **body_kwargs):
        """The incident, after the 404 and 403 checks, and the action's validated body."""
        incident = self.get_object()
        require_role(user=request.user, team=incident.team, role=RESPONDER, to=to)
        body = body_class(data=request.data, **body_kwargs)
        body.is_valid(raise_exception=True)
        return incident, {"by": request.user, "via": via_of(request), **body.validated_data}

    def _done(self, incident: Incident) -> Response:
        return Response(IncidentDetailSerializer(incident).data)

    @_transition_schema(AcknowledgeSerializer, "Acknowledge: stop paging")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        incident, args = self._act(request, AcknowledgeSerializer, "acknowledge incidents")
        return self._done(incident_acknowledge(incident=incident, **args))

    @_transition_schema(MitigateSerializer, "Mitigate: the impact is over")
    @action(detail=True, methods=["post"])
    def mitigate(self, request, pk=None):
        incident, args = self._act(request, MitigateSerializer, "mitigate incidents")
        return self._done(incident_mitigate(incident=incident, **args))

    @_transition_schema(ResolveSerializer, "Resolve")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident, args = self._act(request, ResolveSerializer, "resolve incidents")
        return self._done(incident_resolve(incident=incident, **args))

    @_transition_schema(ReopenSerializer, "Reopen a resolved incident: paging starts again")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        incident, args = self._act(request, ReopenSerializer, "reopen incidents")
        return self._done(incident_reopen(incident=incident, **args))

    @_transition_schema(EscalateSerializer, "Escalate now: page the next step at once (an acknowledged "
                        "incident is triggered again)")
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        incident, args = self._act(request, EscalateSerializer, "escalate incidents")
        return self._done(incident_escalate_now(incident=incident, **args))

    @_transition_schema(ReassignSerializer, "Reassign to a person (paged at once, then the policy) or to "
                        "another escalation policy (paged from its first step)")
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        incident, args = self._act(request, ReassignSerializer, "reassign incidents", user=request.user)
        return self._done(incident_reassign(incident=incident, **args))

    @_transition_schema(UnacknowledgeSerializer, "Un-acknowledge: back to triggered, paging resumes at the "
                        "step that was paging")
    @action(detail=True, methods=["post"])
    def unacknowledge(self, request, pk=None):
        incident, args = self._act(request, UnacknowledgeSerializer, "un-acknowledge incidents")
        return self._done(incident_unacknowledge(incident=incident, **args))

    @extend_schema(
        request=SeveritySerializer, summary="Set the severity",
        responses={200: IncidentDetailSerializer, **UPDATE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def severity(self, request, pk=None):
        incident, args = self._act(request, SeveritySerializer, "change the severity")
        return self._done(incident_severity_set(incident=incident, **args))

    @extend_schema(
        request=NoteSerializer, summary="Add a note to the timeline",
        responses={201: TimelineEventSerializer, **UPDATE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        incident, args = self._act(request, NoteSerializer, "add notes")
        event = incident_note_add(incident=incident, **args)
        return Response(TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)
