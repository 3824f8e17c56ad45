"""/api/v1/memberships/: who is in which team, with which role."""
from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, Conflict, StrictSerializer, error_responses, int_query_param

from ..access import memberships_visible_to, require_role, teams_visible_to
from ..models import Membership, Team
from ..policies import PolicyError, member_remove_check
from ..services import membership_add, membership_change_role, membership_remove
from .common import MANAGER, READ_ERRORS, UPDATE_ERRORS


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Membership
        # from_sso_groups: granted by the identity provider's groups, so each login resets it (README "Single sign-on").
        fields = ["id", "team", "team_name", "user", "username", "role", "from_sso_groups", "created_at"]
        read_only_fields = fields


class MembershipCreateSerializer(StrictSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text="The person's user id, or give username.",
    )
    username = serializers.CharField(max_length=150, required=False, help_text="The person's username, or give user.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.RESPONDER)

    def __init__(self, *args, by: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if by is not None:
            self.fields["team"].queryset = teams_visible_to(by)

    def validate(self, attrs):
        if ("user" in attrs) == ("username" in attrs):
            raise serializers.ValidationError({"user": "Give exactly one of user (an id) or username."})
        if "username" in attrs:
            attrs["user"] = User.objects.filter(username=attrs.pop("username"), is_active=True).first()
            if attrs["user"] is None:
                raise serializers.ValidationError({"username": "No active user has this username."})
        return attrs


class MembershipUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


MEMBER_TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's members (team id).")


@extend_schema_view(
    list=extend_schema(
        parameters=[MEMBER_TEAM_FILTER], responses={200: MembershipSerializer(many=True), **error_responses(400, 401, 404)}
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
