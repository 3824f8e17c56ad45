"""/api/v1/incidents/<id>/roles/, /findings/ and /tasks/: the Communicate → Learn → Act workflow
for scripts and bots. Reads are scoped (another team's incident is a 404); writes need the
responder role (403); every change goes through incidents/workflow.py and is on the timeline."""
from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictSerializer, error_responses
from oncall.access import require_role
from oncall.models import Membership

from ..models import Incident, IncidentFinding, IncidentRole, IncidentTask
from ..panel import responders_of
from ..selectors import incidents_visible_to
from .common import via_of
from ..workflow import (
    MAX_TEXT,
    MAX_URL,
    incident_action_choose,
    incident_finding_add,
    incident_finding_remove,
    incident_role_assign,
    incident_task_add,
    incident_task_remove,
    incident_task_toggle,
)

INCIDENT_ID = OpenApiParameter("incident_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident's id.")
ROW_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
ROLE = OpenApiParameter("role", OpenApiTypes.STR, OpenApiParameter.PATH, enum=IncidentRole.Role.values)
KIND_FILTER = OpenApiParameter("kind", OpenApiTypes.STR, enum=IncidentFinding.Kind.values,
                               description="Only findings of this kind.")


def _username(**kwargs):
    return serializers.CharField(read_only=True, allow_null=True, **kwargs)


class RoleSerializer(serializers.ModelSerializer):
    username = _username(source="user.username")
    assigned_by = _username(source="assigned_by.username")

    class Meta:
        model = IncidentRole
        fields = ["role", "user", "username", "assigned_by", "assigned_at"]
        read_only_fields = fields


class RoleAssignSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=IncidentRole.Role.choices)
    user = serializers.IntegerField(min_value=1, help_text="A responder or manager of the incident's team.")


class FindingSerializer(serializers.ModelSerializer):
    owner_username = _username(source="owner.username")
    created_by = _username(source="created_by.username")

    class Meta:
        model = IncidentFinding
        fields = ["id", "kind", "text", "url", "owner", "owner_username", "chosen", "created_by", "created_at"]
        read_only_fields = fields


class FindingCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=IncidentFinding.Kind.choices)
    text = serializers.CharField(max_length=MAX_TEXT)
    url = serializers.CharField(max_length=MAX_URL, required=False, default="", allow_blank=True,
                                help_text="An http(s) link to the evidence.")
    owner = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                     help_text="Hypotheses only: who tests it (default: you).")


class FindingUpdateSerializer(StrictSerializer):
    chosen = serializers.BooleanField(help_text="Candidate actions only: the one the responders take.")


class TaskSerializer(serializers.ModelSerializer):
    owner_username = _username(source="owner.username")
    created_by = _username(source="created_by.username")
    done = serializers.BooleanField(source="is_done", read_only=True)

    class Meta:
        model = IncidentTask
        fields = ["id", "title", "owner", "owner_username", "done", "done_at", "created_by", "created_at"]
        read_only_fields = fields


class TaskCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=500)
    owner = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class TaskUpdateSerializer(StrictSerializer):
    done = serializers.BooleanField()


class _IncidentPart(ApiViewSet):
    pagination_class = None  # a few rows per incident, at most 200 (incidents/workflow.py)

    def incident(self, *, write: str | None = None) -> Incident:
        incident = get_object_or_404(incidents_visible_to(self.request.user), pk=self.kwargs["incident_id"])
        if write:
            require_role(user=self.request.user, team=incident.team, role=Membership.Role.RESPONDER, to=write)
        return incident

    def person(self, incident: Incident, user_id: int | None, field: str) -> User | None:
        if user_id is None:
            return None
        person = responders_of(incident).filter(pk=user_id).first()
        if person is None:
            raise serializers.ValidationError({field: [f"Must be a responder or manager of team {incident.team}."]})
        return person

    def body(self, serializer_class):
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data


@extend_schema(tags=["incidents"], parameters=[INCIDENT_ID])
class IncidentRoleViewSet(_IncidentPart):
    serializer_class = RoleSerializer

    @extend_schema(summary="Who holds each role", responses={200: RoleSerializer(many=True), **error_responses(401, 404)})
    def list(self, request, incident_id):
        return Response(RoleSerializer(self.incident().roles.select_related("user", "assigned_by"), many=True).data)

    @extend_schema(summary="Give a role to a team member (replacing whoever held it)", request=RoleAssignSerializer,
                   responses={201: RoleSerializer, **error_responses(400, 401, 403, 404, 415)})
    def create(self, request, incident_id):
        incident = self.incident(write="assign incident roles")
        data = self.body(RoleAssignSerializer)
        held = incident_role_assign(incident=incident, role=data["role"], user=self.person(incident, data["user"], "user"),
                                    by=request.user, via=via_of(request))
        return Response(RoleSerializer(held).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Leave a role unassigned", parameters=[ROLE],
                   responses={204: None, **error_responses(401, 403, 404)})
    def destroy(self, request, incident_id, role):
        incident = self.incident(write="assign incident roles")
        get_object_or_404(IncidentRole, incident=incident, role=role)
        incident_role_assign(incident=incident, role=role, user=None, by=request.user, via=via_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["incidents"], parameters=[INCIDENT_ID])
class IncidentFindingViewSet(_IncidentPart):
    serializer_class = FindingSerializer

    @extend_schema(summary="Symptoms, scope, evidence, hypotheses, candidate actions and verifications",
                   parameters=[KIND_FILTER], responses={200: FindingSerializer(many=True), **error_responses(400, 401, 404)})
    def list(self, request, incident_id):
        findings = self.incident().findings.select_related("owner", "created_by")
        kind = request.query_params.get("kind")
        if kind is not None:
            if kind not in IncidentFinding.Kind.values:
                raise serializers.ValidationError({"kind": [f"Use one of {', '.join(IncidentFinding.Kind.values)}."]})
            findings = findings.filter(kind=kind)
        return Response(FindingSerializer(findings, many=True).data)

    @extend_schema(summary="Record a finding (stamped with the time it is recorded)", request=FindingCreateSerializer,
                   responses={201: FindingSerializer, **error_responses(400, 401, 403, 404, 415)})
    def create(self, request, incident_id):
        incident = self.incident(write="record findings")
        data = self.body(FindingCreateSerializer)
        finding = incident_finding_add(
            incident=incident, kind=data["kind"], text=data["text"], url=data["url"],
            owner=self.person(incident, data["owner"], "owner"), by=request.user, via=via_of(request))
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Choose a candidate action, or undo the choice", parameters=[ROW_ID],
                   request=FindingUpdateSerializer, responses={200: FindingSerializer, **error_responses(400, 401, 403, 404, 415)})
    def partial_update(self, request, incident_id, pk):
        incident = self.incident(write="choose actions")
        finding = get_object_or_404(IncidentFinding, incident=incident, pk=pk)
        data = self.body(FindingUpdateSerializer)
        finding = incident_action_choose(finding=finding, chosen=data["chosen"], by=request.user, via=via_of(request))
        return Response(FindingSerializer(finding).data)

    @extend_schema(summary="Remove a finding (the timeline keeps what it said)", parameters=[ROW_ID],
                   responses={204: None, **error_responses(401, 403, 404)})
    def destroy(self, request, incident_id, pk):
        incident = self.incident(write="remove findings")
        finding = get_object_or_404(IncidentFinding, incident=incident, pk=pk)
        incident_finding_remove(finding=finding, by=request.user, via=via_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["incidents"], parameters=[INCIDENT_ID])
class IncidentTaskViewSet(_IncidentPart):
    serializer_class = TaskSerializer

    @extend_schema(summary="The incident's tasks", responses={200: TaskSerializer(many=True), **error_responses(401, 404)})
    def list(self, request, incident_id):
        return Response(TaskSerializer(self.incident().tasks.select_related("owner", "created_by"), many=True).data)

    @extend_schema(summary="Add a task", request=TaskCreateSerializer,
                   responses={201: TaskSerializer, **error_responses(400, 401, 403, 404, 415)})
    def create(self, request, incident_id):
        incident = self.incident(write="add tasks")
        data = self.body(TaskCreateSerializer)
        task = incident_task_add(incident=incident, title=data["title"], owner=self.person(incident, data["owner"], "owner"),
                                 by=request.user, via=via_of(request))
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Mark a task done, or not done", parameters=[ROW_ID], request=TaskUpdateSerializer,
                   responses={200: TaskSerializer, **error_responses(400, 401, 403, 404, 415)})
    def partial_update(self, request, incident_id, pk):
        incident = self.incident(write="update tasks")
        task = get_object_or_404(IncidentTask, incident=incident, pk=pk)
        data = self.body(TaskUpdateSerializer)
        task = incident_task_toggle(task=task, done=data["done"], by=request.user, via=via_of(request))
        return Response(TaskSerializer(task).data)

    @extend_schema(summary="Remove a task", parameters=[ROW_ID], responses={204: None, **error_responses(401, 403, 404)})
    def destroy(self, request, incident_id, pk):
        incident = self.incident(write="remove tasks")
        task = get_object_or_404(IncidentTask, incident=incident, pk=pk)
        incident_task_remove(task=task, by=request.user, via=via_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Included under /api/v1/incidents/<incident_id>/ by config/api_urls.py.
urlpatterns = [
    path("roles/", IncidentRoleViewSet.as_view({"get": "list", "post": "create"}), name="api-incident-roles"),
    path("roles/<str:role>/", IncidentRoleViewSet.as_view({"delete": "destroy"}), name="api-incident-role"),
    path("findings/", IncidentFindingViewSet.as_view({"get": "list", "post": "create"}), name="api-incident-findings"),
    path("findings/<int:pk>/", IncidentFindingViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
         name="api-incident-finding"),
    path("tasks/", IncidentTaskViewSet.as_view({"get": "list", "post": "create"}), name="api-incident-tasks"),
    path("tasks/<int:pk>/", IncidentTaskViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
         name="api-incident-task"),
]
