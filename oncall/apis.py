"""/api/v1/ teams, memberships, the caller's own profile and API tokens."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    ApiViewSet,
    Conflict,
    JsonParser,
    VigilAutoSchema,
    error_responses,
    int_query_param,
)

from .access import api_tokens_of, memberships_visible_to, require_role, teams_visible_to

from .models import Membership
from .policies import PolicyError, member_remove_check
from .serializers import (
    ApiTokenCreateSerializer,
    ApiTokenSecretSerializer,
    ApiTokenSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    MeSerializer,
    TeamSerializer,
)
from .services import (
    api_token_create,
    api_token_revoke,
    membership_add,
    membership_change_role,
    membership_remove,
    team_create,
    team_update,
)

MANAGER = Membership.Role.MANAGER
LIST_ERRORS = error_responses(401, 404)
READ_ERRORS = error_responses(401, 404)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)


@extend_schema_view(
    list=extend_schema(responses={200: TeamSerializer(many=True), **LIST_ERRORS}),
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


TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's members (team id).")


@extend_schema_view(
    list=extend_schema(
        parameters=[TEAM_FILTER], responses={200: MembershipSerializer(many=True), **error_responses(400, 401, 404)}
    ),
    retrieve=extend_schema(responses={200: MembershipSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Add someone to a team (managers)", request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, **error_responses(400, 401, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a member's role (managers)", request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, **UPDATE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Remove a member (managers), or leave a team yourself",
        description="Refused (409) while an escalation policy or a schedule rotation of the team names them.",
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    ),
)
@extend_schema(tags=["memberships"])
class MembershipViewSet(ApiViewSet):
    serializer_class = MembershipSerializer

    def get_queryset(self):
        return memberships_visible_to(self.request.user)

    def list(self, request):
        memberships = self.get_queryset()
        team = int_query_param(request, "team")
        return self.paginated(memberships if team is None else memberships.filter(team_id=team), MembershipSerializer)

    def retrieve(self, request, pk=None):
        return Response(MembershipSerializer(self.get_object()).data)

    def create(self, request):
        body = MembershipCreateSerializer(data=request.data, by=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["team"], role=MANAGER, to="add members")
        membership = membership_add(team=data["team"], user=data["user"], role=data["role"])
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        membership = self.get_object()
        require_role(user=request.user, team=membership.team, role=MANAGER, to="change roles")
        body = MembershipUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = membership_change_role(membership=membership, role=body.validated_data["role"])
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, pk=None):
        membership = self.get_object()
        if membership.user_id != request.user.pk:
            require_role(user=request.user, team=membership.team, role=MANAGER, to="remove members")
        try:
            member_remove_check(team=membership.team, user=membership.user)
        except PolicyError as e:
            raise Conflict(e.message) from None
        membership_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Your API tokens, without their secrets",
                       responses={200: ApiTokenSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ApiTokenSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=ApiTokenCreateSerializer,
        responses={
            201: OpenApiResponse(ApiTokenSecretSerializer, description="The only response that shows the token."),
            **error_responses(400, 401, 403, 415),
        },
    ),
    destroy=extend_schema(summary="Revoke a token", responses={204: None, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["tokens"])
class ApiTokenViewSet(ApiViewSet):
    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        return api_tokens_of(user=self.request.user)

    def list(self, request):
        return self.paginated(self.get_queryset(), ApiTokenSerializer)

    def retrieve(self, request, pk=None):
        return Response(ApiTokenSerializer(self.get_object()).data)

    def create(self, request):
        body = ApiTokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = api_token_create(user=request.user, name=body.validated_data["name"])
        data = ApiTokenSecretSerializer(token, context={"token": raw}).data
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        api_token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["me"])
class MeView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]

    @extend_schema(summary="Who you are, your teams and your role in each",
                   responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        memberships = memberships_visible_to(request.user).filter(user=request.user)
        return Response(MeSerializer(request.user, context={"memberships": memberships}).data)
