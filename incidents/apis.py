"""/api/v1/ incidents, services and integrations. Views parse input and call selectors and
services. Reads are scoped (another team's object is a 404); writes need a role (else 403)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from config.api import ApiViewSet, error_responses, int_query_param
from oncall.access import require_role
from oncall.models import ApiToken, Membership

from .models import Incident, Severity, TimelineEvent, Urgency
from .selectors import (
    incidents_matching,
    incidents_visible_to,
    integration_urls,
    integrations_visible_to,
    services_visible_to,
)
from .serializers import (
    AcknowledgeSerializer,
    EscalateSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    IntegrationCreateSerializer,
    IntegrationSecretSerializer,
    IntegrationSerializer,
    IntegrationUpdateSerializer,
    MitigateSerializer,
    NoteSerializer,
    ReassignSerializer,
    ReopenSerializer,
    ResolveSerializer,
    ServiceSerializer,
    SeveritySerializer,
    TimelineEventSerializer,
    UnacknowledgeSerializer,
)
from .services import (
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
    integration_create,
    integration_delete,
    integration_rotate_token,
    integration_update,
    service_create,
    service_delete,
    service_update,
)

RESPONDER = Membership.Role.RESPONDER
MANAGER = Membership.Role.MANAGER
LIST_ERRORS = error_responses(400, 401, 404)
READ_ERRORS = error_responses(401, 404)
CREATE_ERRORS = error_responses(400, 401, 403, 415)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)


def via_of(request) -> str:
    """Timeline entries say how a change was made: with a token ("api") or from a browser session."""
    return TimelineEvent.Via.API if isinstance(request.auth, ApiToken) else TimelineEvent.Via.WEB


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


TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's services (team id).")
SERVICE_FILTER = OpenApiParameter("service", OpenApiTypes.INT, description="Only this service's integrations.")


@extend_schema_view(
    list=extend_schema(parameters=[TEAM_FILTER], responses={200: ServiceSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ServiceSerializer, **READ_ERRORS}),
    create=extend_schema(request=ServiceSerializer, responses={201: ServiceSerializer, **CREATE_ERRORS}),
    update=extend_schema(request=ServiceSerializer, responses={200: ServiceSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(request=ServiceSerializer, responses={200: ServiceSerializer, **UPDATE_ERRORS}),
    destroy=extend_schema(
        summary="Delete a service that never had an incident",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    ),
)
@extend_schema(tags=["services"])
class ServiceViewSet(ApiViewSet):
    serializer_class = ServiceSerializer

    def get_queryset(self):
        return services_visible_to(self.request.user)

    def list(self, request):
        services = self.get_queryset()
        team = int_query_param(request, "team")
        return self.paginated(services if team is None else services.filter(team_id=team), ServiceSerializer)

    def retrieve(self, request, pk=None):
        return Response(ServiceSerializer(self.get_object()).data)

    def create(self, request):
        body = ServiceSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        require_role(user=request.user, team=body.validated_data["team"], role=MANAGER, to="create services")
        service = service_create(**body.validated_data)
        return Response(ServiceSerializer(service).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        service = self.get_object()
        require_role(user=request.user, team=service.team, role=MANAGER, to="change services")
        body = ServiceSerializer(service, data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "team"}
        return Response(ServiceSerializer(service_update(service=service, **changes)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        service = self.get_object()
        require_role(user=request.user, team=service.team, role=MANAGER, to="delete services")
        service_delete(service=service)
        return Response(status=status.HTTP_204_NO_CONTENT)


SECRET_RESPONSE = OpenApiResponse(
    IntegrationSecretSerializer, description="The only response that shows the token and the URL built from it."
)


@extend_schema_view(
    list=extend_schema(parameters=[SERVICE_FILTER], responses={200: IntegrationSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: IntegrationSerializer, **READ_ERRORS}),
    create=extend_schema(request=IntegrationCreateSerializer, responses={201: SECRET_RESPONSE, **CREATE_ERRORS}),
    update=extend_schema(request=IntegrationUpdateSerializer, responses={200: IntegrationSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(
        request=IntegrationUpdateSerializer, responses={200: IntegrationSerializer, **UPDATE_ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["integrations"])
class IntegrationViewSet(ApiViewSet):
    serializer_class = IntegrationSerializer

    def get_queryset(self):
        return integrations_visible_to(self.request.user)

    def list(self, request):
        integrations = self.get_queryset()
        service = int_query_param(request, "service")
        if service is not None:
            integrations = integrations.filter(service_id=service)
        return self.paginated(integrations, IntegrationSerializer)

    def retrieve(self, request, pk=None):
        return Response(IntegrationSerializer(self.get_object()).data)

    def create(self, request):
        body = IntegrationCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["service"].team, role=MANAGER, to="add integrations")
        integration, token = integration_create(
            service=data["service"], kind=data["kind"], name=data["name"], config=data.get("config"),
        )
        return Response(self._with_secret(integration, token), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        integration = self._managed(request, "change integrations")
        body = IntegrationUpdateSerializer(integration, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        integration = integration_update(integration=integration, **body.validated_data)
        return Response(IntegrationSerializer(integration).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        integration_delete(integration=self._managed(request, "delete integrations"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, summary="Replace the token: the old URL stops working at once",
        responses={200: SECRET_RESPONSE, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def rotate_token(self, request, pk=None):
        integration = self._managed(request, "rotate integration tokens")
        token = integration_rotate_token(integration=integration)
        return Response(self._with_secret(integration, token))

    def _managed(self, request, to: str):
        integration = self.get_object()
        require_role(user=request.user, team=integration.service.team, role=MANAGER, to=to)
        return integration

    @staticmethod
    def _with_secret(integration, token: str) -> dict:
        urls = integration_urls(integration=integration, token=token)
        return IntegrationSecretSerializer(integration, context={"token": token, "urls": urls}).data
