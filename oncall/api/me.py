"""/api/v1/me/ and /api/v1/profile/: who the caller is, their teams, and their time zone."""
from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_kit import JsonParser, StrictSerializer, VigilAutoSchema, error_responses

from ..access import memberships_visible_to
from ..contacts import profile_of, profile_time_zone_set
from ..models import Membership
from ..preferences import profile_notify_on_resolve_set
from .common import ApiView, TimeZoneField


class MyMembershipSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="team.id", read_only=True)
    name = serializers.CharField(source="team.name", read_only=True)
    slug = serializers.CharField(source="team.slug", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "slug", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_superuser", "teams"]
        read_only_fields = fields

    @extend_schema_field(MyMembershipSerializer(many=True))
    def get_teams(self, user):
        return MyMembershipSerializer(self.context["memberships"], many=True).data


@extend_schema(tags=["me"])
class MeView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]

    @extend_schema(summary="Who you are, your teams and your role in each",
                   responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        memberships = memberships_visible_to(request.user).filter(user=request.user)
        return Response(MeSerializer(request.user, context={"memberships": memberships}).data)


class ProfileSerializer(StrictSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    time_zone = TimeZoneField(help_text="Your IANA time zone, e.g. Europe/Berlin; times are shown in it.")
    notify_on_resolve = serializers.BooleanField(
        required=False, help_text="Tell me (low-urgency rules) when incidents I acknowledged or follow are resolved.")


@extend_schema(tags=["me"])
class ProfileView(ApiView):
    @extend_schema(summary="Your profile", responses={200: ProfileSerializer, **error_responses(401)})
    def get(self, request):
        return Response(ProfileSerializer(profile_of(user=request.user)).data)

    @extend_schema(summary="Set your time zone or preferences", request=ProfileSerializer,
                   responses={200: ProfileSerializer, **error_responses(400, 401, 403, 415)})
    def patch(self, request):
        body = ProfileSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        profile = profile_of(user=request.user)
        if "time_zone" in body.validated_data:
            profile = profile_time_zone_set(user=request.user, time_zone=body.validated_data["time_zone"])
        if "notify_on_resolve" in body.validated_data:
            profile = profile_notify_on_resolve_set(user=request.user, on=body.validated_data["notify_on_resolve"])
        return Response(ProfileSerializer(profile).data)
