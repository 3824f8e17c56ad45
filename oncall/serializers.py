from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictModelSerializer, StrictSerializer

from .access import teams_visible_to
from .models import ApiToken, Membership, Team


class TeamSerializer(StrictModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "team", "team_name", "user", "username", "role", "created_at"]
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


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "key_prefix", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = fields


class ApiTokenCreateSerializer(StrictModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["name"]


class ApiTokenSecretSerializer(ApiTokenSerializer):
    """Shown once: only the token's hash is stored."""

    token = serializers.SerializerMethodField()

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["token"]


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
