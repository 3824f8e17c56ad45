"""/api/v1/services/: what can break, with its escalation policy, runbook and Slack channel."""
from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictModelSerializer, error_responses, int_query_param
from oncall.access import require_role, teams_visible_to
from oncall.models import EscalationPolicy

from ..models import Service
from ..selectors import services_visible_to
from ..services import service_create, service_delete, service_update
from .common import CREATE_ERRORS, LIST_ERRORS, MANAGER, READ_ERRORS, UPDATE_ERRORS


TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's services (team id).")


class ServiceSerializer(StrictModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), allow_null=True, required=False,
        help_text="Who is paged for its incidents: a policy of the service's team (id); null for nobody.",
    )
    major_incident_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), allow_null=True, required=False,
        help_text="Also paged (its first step, once) when an incident becomes SEV1 or SEV2: a policy of the "
                  "service's team (id); null for nobody.",
    )

    class Meta:
        model = Service
        fields = ["id", "team", "team_name", "name", "description", "runbook_url", "escalation_policy",
                  "slack_channel", "ack_timeout_minutes", "major_incident_policy", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slack_channel": {"help_text": "A Slack channel id (C…) where each incident gets a message "
                                                       "kept up to date; empty for none."}}

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["team"].queryset = teams_visible_to(user)
            self.fields["escalation_policy"].queryset = EscalationPolicy.objects.filter(team__in=teams_visible_to(user))
            self.fields["major_incident_policy"].queryset = self.fields["escalation_policy"].queryset

    def validate_team(self, team):
        if self.instance is not None and team.pk != self.instance.team_id:
            # Its incidents stay numbered in, and visible to, the team that handled them.
            raise serializers.ValidationError("A service cannot move to another team.")
        return team

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        for field in ("escalation_policy", "major_incident_policy"):
            policy = attrs.get(field)
            if policy is not None and team is not None and policy.team_id != team.pk:
                raise serializers.ValidationError({field: f"Policy '{policy}' belongs to another team."})
        return attrs


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
