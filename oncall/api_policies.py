"""/api/v1/escalation-policies/: who is paged at each step. Reads are scoped to the caller's
teams; managers create, change and delete; a policy a service uses cannot be deleted (409)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from config.api import ApiViewSet, Conflict, error_responses, int_query_param

from .access import require_role
from .models import Membership
from .policies import PolicyError, policies_visible_to, policy_create, policy_delete, policy_update
from .serializers_policies import EscalationPolicySerializer, EscalationPolicyWriteSerializer

MANAGER = Membership.Role.MANAGER
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)
TEAM_FILTER = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's policies (team id).")


@extend_schema_view(
    list=extend_schema(parameters=[TEAM_FILTER],
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
