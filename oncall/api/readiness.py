"""Whether people can be paged: /api/v1/me/oncall-readiness/ and /api/v1/teams/<id>/readiness/."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api_kit import error_responses

from ..access import memberships_visible_to, teams_visible_to
from ..contacts import users_readiness
from ..models import Membership
from .common import ApiView


class ReadinessSerializer(serializers.Serializer):
    has_usable_rule = serializers.BooleanField(
        help_text="A high-urgency notification rule uses a verified, working contact method: a page reaches you."
    )
    problems = serializers.ListField(child=serializers.CharField(), help_text="What to fix; empty when all is well.")


class MemberReadinessSerializer(ReadinessSerializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamReadinessSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    members = MemberReadinessSerializer(many=True)


@extend_schema(tags=["me"])
class ReadinessView(ApiView):
    @extend_schema(summary="Whether a high-urgency page would reach you, and what to fix",
                   responses={200: ReadinessSerializer, **error_responses(401)})
    def get(self, request):
        readiness = users_readiness(user_ids=[request.user.pk])[request.user.pk]
        return Response(ReadinessSerializer(readiness).data)


@extend_schema(tags=["teams"])
class TeamReadinessView(ApiView):
    @extend_schema(
        summary="Which members a high-urgency page would reach",
        description="Problems name contact methods by kind, id and label, never by address.",
        responses={200: TeamReadinessSerializer, **error_responses(401, 404)},
    )
    def get(self, request, id):
        team = get_object_or_404(teams_visible_to(request.user), pk=id)
        memberships = list(memberships_visible_to(request.user).filter(team=team))
        readiness = users_readiness(user_ids=[m.user_id for m in memberships])
        members = [{"user": m.user_id, "username": m.user.username, "role": m.role,
                    "has_usable_rule": readiness[m.user_id].has_usable_rule,
                    "problems": readiness[m.user_id].problems} for m in memberships]
        return Response(TeamReadinessSerializer({"team": team.pk, "team_name": team.name, "members": members}).data)
