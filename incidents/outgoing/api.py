"""/api/v1/webhooks/: a team's outgoing webhook endpoints (managers write, members read) and
each endpoint's delivery log."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictModelSerializer, StrictSerializer, error_responses
from oncall.access import require_role, teams_visible_to
from oncall.models import Membership

from ..selectors import services_visible_to
from .models import EVENT_NAMES, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_update

EVENTS_HELP = "Events to send; empty or omitted: all of them."


class WebhookEndpointSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(source="secret_masked", read_only=True,
                                   help_text="Masked; the whole secret is shown once, when the endpoint is created.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES), help_text=EVENTS_HELP)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "team", "service", "url", "description", "events", "enabled", "disabled_reason",
                  "failing_since", "secret", "created_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Signs every request. Shown only this once.")


class WebhookEndpointWriteSerializer(StrictModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES), required=False,
                                   max_length=len(EVENT_NAMES), help_text=EVENTS_HELP)

    class Meta:
        model = WebhookEndpoint
        fields = ["team", "service", "url", "description", "events", "enabled"]
        extra_kwargs = {"service": {"required": False, "allow_null": True}, "enabled": {"required": False}}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["team"].queryset = teams_visible_to(user)
            self.fields["service"].queryset = services_visible_to(user)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "duration_ms", "error"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)
    # A plain string: another `status` enum would collide with the incidents' in the schema.
    status = serializers.CharField(read_only=True, help_text="pending, sending, delivered or failed.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "incident", "event", "event_id", "status", "attempts", "due_at", "delivered_at",
                  "last_status_code", "error", "created_at", "attempt_log"]


class _Empty(StrictSerializer):
    pass


@extend_schema_view(
    list=extend_schema(responses={200: WebhookEndpointSerializer(many=True), **error_responses(401, 404)}),
    retrieve=extend_schema(responses={200: WebhookEndpointSerializer, **error_responses(401, 404)}),
    create=extend_schema(request=WebhookEndpointWriteSerializer,
                         responses={201: WebhookEndpointCreatedSerializer, **error_responses(400, 401, 403, 415)}),
    partial_update=extend_schema(request=WebhookEndpointWriteSerializer,
                                 responses={200: WebhookEndpointSerializer, **error_responses(400, 401, 403, 404, 415)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
    deliveries=extend_schema(responses={200: WebhookDeliverySerializer(many=True), **error_responses(401, 404)}),
)
@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(ApiViewSet):
    serializer_class = WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(team__in=teams_visible_to(self.request.user)).select_related("team")

    def list(self, request):
        return self.paginated(self.get_queryset(), WebhookEndpointSerializer)

    def retrieve(self, request, pk=None):
        return Response(WebhookEndpointSerializer(self.get_object()).data)

    def create(self, request):
        body = WebhookEndpointWriteSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["team"], role=Membership.Role.MANAGER, to="add webhooks")
        endpoint, secret = webhook_endpoint_create(
            team=data["team"], service=data.get("service"), url=data["url"], events=data.get("events"),
            description=data.get("description", ""), created_by=request.user)
        shown = WebhookEndpointSerializer(endpoint).data | {"secret": secret}
        return Response(shown, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        require_role(user=request.user, team=endpoint.team, role=Membership.Role.MANAGER, to="change webhooks")
        body = WebhookEndpointWriteSerializer(endpoint, data=request.data, partial=True, user=request.user)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.pop("team", endpoint.team) != endpoint.team:
            raise serializers.ValidationError({"team": ["A webhook cannot move to another team."]})
        changes = {k: data[k] for k in ("url", "events", "description", "enabled") if k in data}
        if "service" in data:
            changes["service"] = data["service"]
        return Response(WebhookEndpointSerializer(webhook_endpoint_update(endpoint=endpoint, **changes)).data)

    def destroy(self, request, pk=None):
        endpoint = self.get_object()
        require_role(user=request.user, team=endpoint.team, role=Membership.Role.MANAGER, to="remove webhooks")
        webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log: newest first, each with every request's status code and time taken."""
        endpoint = self.get_object()
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("attempt_log")
        return self.paginated(rows, WebhookDeliverySerializer)
