"""/api/v1/teams/: the teams themselves (members: memberships.py)."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictModelSerializer, error_responses

from ..access import require_role, teams_visible_to
from ..models import Team
from ..services import team_create, team_update
from .common import MANAGER, READ_ERRORS, UPDATE_ERRORS


class TeamSerializer(StrictModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


@extend_schema_view(
    list=extend_schema(responses={200: TeamSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: TeamSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Create a team (superusers); its creator becomes a manager", request=TeamSerializer,
        responses={201: TeamSerializer, **error_responses(400, 401, 403, 415)},
    ),
    update=extend_schema(request=TeamSerializer, responses={200: TeamSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(request=TeamSerializer, responses={200: TeamSerializer, **UPDATE_ERRORS}),
)
@extend_schema(tags=["teams"])
class TeamViewSet(ApiViewSet):
    serializer_class = TeamSerializer

    def get_queryset(self):
        return teams_visible_to(self.request.user)

    def list(self, request):
        return self.paginated(self.get_queryset(), TeamSerializer)

    def retrieve(self, request, pk=None):
        return Response(TeamSerializer(self.get_object()).data)

    def create(self, request):
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied("Only superusers can create teams.")
        body = TeamSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = team_create(**body.validated_data, manager=request.user)
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        team = self.get_object()
        require_role(user=request.user, team=team, role=MANAGER, to="change the team")
        body = TeamSerializer(team, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        return Response(TeamSerializer(team_update(team=team, **body.validated_data)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)
