"""/api/v1/escalation-policies/: who is paged at each step, saved whole."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import MAX_ID, ApiViewSet, Conflict, StrictSerializer, error_responses, int_query_param

from ..access import require_role
from ..models import EscalationPolicy, EscalationStep, StepTarget, Team
from ..policies import PolicyError, policies_visible_to, policy_create, policy_delete, policy_update
from .common import MANAGER, TEXT_MAX, UPDATE_ERRORS, TeamOwnedMixin, WholeItemSerializer


class StepTargetSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField(help_text="The person's, schedule's or team's id, by kind.")
    name = serializers.SerializerMethodField(help_text="Username, schedule name or team name.")

    class Meta:
        model = StepTarget
        fields = ["kind", "id", "name"]
        read_only_fields = fields

    def get_id(self, target) -> int:
        return {"user": target.user_id, "schedule": target.schedule_id, "team": target.team_id}[target.kind]

    def get_name(self, target) -> str:
        if target.kind == StepTarget.Kind.USER:
            return target.user.username
        return (target.schedule if target.kind == StepTarget.Kind.SCHEDULE else target.team).name


class EscalationStepSerializer(serializers.ModelSerializer):
    number = serializers.SerializerMethodField(help_text="1 for the first step.")
    targets = StepTargetSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationStep
        fields = ["number", "delay_minutes", "targets"]
        read_only_fields = fields

    def get_number(self, step) -> int:
        return step.position + 1


class EscalationPolicySerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    steps = EscalationStepSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "team", "team_name", "name", "description", "repeat_count", "steps", "created_at"]
        read_only_fields = fields


class StepTargetWriteSerializer(WholeItemSerializer):
    kind = serializers.ChoiceField(choices=StepTarget.Kind.choices)
    id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID,
        help_text="A member of the policy's team (user), one of its schedules (schedule), or one of your teams "
        "(team: its responders and managers).",
    )


class EscalationStepWriteSerializer(WholeItemSerializer):
    delay_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, default=15, help_text="Minutes to wait after this step pages before the next."
    )
    targets = StepTargetWriteSerializer(many=True, min_length=1, max_length=50)


class EscalationPolicyWriteSerializer(TeamOwnedMixin, StrictSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, required=False)
    repeat_count = serializers.IntegerField(
        min_value=0, max_value=20, required=False, help_text="How many more times the whole policy runs (default 0)."
    )
    steps = EscalationStepWriteSerializer(
        many=True, required=False, max_length=50, help_text="Replaces every step when given, in order."
    )

    owned_model, noun = EscalationPolicy, "policy"


POLICY_TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's policies (team id).")


@extend_schema_view(
    list=extend_schema(parameters=[POLICY_TEAM_FILTER],
                       responses={200: EscalationPolicySerializer(many=True), **error_responses(400, 401, 404)}),
    retrieve=extend_schema(summary="A policy with its steps and their targets",
                           responses={200: EscalationPolicySerializer, **error_responses(401, 404)}),
    create=extend_schema(summary="Create a policy with its steps (managers)", request=EscalationPolicyWriteSerializer,
                         responses={201: EscalationPolicySerializer, **error_responses(400, 401, 403, 415)}),
    update=extend_schema(request=EscalationPolicyWriteSerializer,
                         responses={200: EscalationPolicySerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(
        summary="Change a policy; steps, when given, replace all of them", request=EscalationPolicyWriteSerializer,
        responses={200: EscalationPolicySerializer, **UPDATE_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a policy (managers); refused while a service uses it",
                          responses={204: None, **error_responses(401, 403, 404, 409)}),
)
@extend_schema(tags=["escalation policies"])
class EscalationPolicyViewSet(ApiViewSet):
    serializer_class = EscalationPolicySerializer

    def get_queryset(self):
        return policies_visible_to(self.request.user)

    def list(self, request):
        policies = self.get_queryset()
        team = int_query_param(request, "team")
        return self.paginated(policies if team is None else policies.filter(team_id=team), EscalationPolicySerializer)

    def retrieve(self, request, pk=None):
        return Response(EscalationPolicySerializer(self.get_object()).data)

    def create(self, request):
        body = EscalationPolicyWriteSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        require_role(user=request.user, team=body.validated_data["team"], role=MANAGER, to="create escalation policies")
        policy = policy_create(**body.validated_data, by=request.user)
        return Response(self._read(policy), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        policy = self.get_object()
        require_role(user=request.user, team=policy.team, role=MANAGER, to="change escalation policies")
        body = EscalationPolicyWriteSerializer(policy, data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "team"}
        return Response(self._read(policy_update(policy=policy, **changes, by=request.user)))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        policy = self.get_object()
        require_role(user=request.user, team=policy.team, role=MANAGER, to="delete escalation policies")
        try:
            policy_delete(policy=policy)
        except PolicyError as e:
            raise Conflict(e.message) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _read(self, policy) -> dict:
        # Re-read: the steps were replaced after the instance's prefetch.
        return EscalationPolicySerializer(self.get_queryset().get(pk=policy.pk)).data
