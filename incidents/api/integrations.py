"""/api/v1/integrations/: where monitors send alerts; a token is shown once, when it is made."""
from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_kit import ApiViewSet, JsonObjectField, StrictModelSerializer, error_responses, int_query_param
from oncall.access import require_role

from ..integration_config import config_merged, config_problems, config_shown
from ..models import Integration, Service
from ..selectors import integration_urls, integrations_visible_to, services_visible_to
from ..services import integration_create, integration_delete, integration_rotate_token, integration_update
from .common import CREATE_ERRORS, LIST_ERRORS, MANAGER, READ_ERRORS, UPDATE_ERRORS


class IntegrationSerializer(serializers.ModelSerializer):
    config = serializers.SerializerMethodField(help_text="Options of the integration's kind; secrets are masked.")

    class Meta:
        model = Integration
        fields = ["id", "service", "kind", "name", "enabled", "config", "token_prefix", "created_at", "last_seen_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def get_config(self, integration) -> dict:
        return config_shown(integration.kind, integration.config)


def _checked_config(*, kind: str, stored: dict, given: dict) -> dict:
    problems = config_problems(kind, config_merged(kind, stored=stored, given=given))
    if problems:
        raise serializers.ValidationError({"config": problems})
    return given


class IntegrationCreateSerializer(StrictModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.none())
    config = JsonObjectField(
        required=False, help_text="Options of the integration's kind; unknown options are refused. Secrets "
        "(grafana: secret; email: mailgun_signing_key, basic_auth) are write-only and read back masked.",
    )

    class Meta:
        model = Integration
        fields = ["service", "kind", "name", "config"]

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = services_visible_to(user)

    def validate(self, attrs):
        if "config" in attrs:
            _checked_config(kind=attrs["kind"], stored={}, given=attrs["config"])
        return attrs


class IntegrationUpdateSerializer(StrictModelSerializer):
    config = JsonObjectField(
        required=False, help_text="Replaces the options, except secrets it omits or sends back masked, which are "
        "kept; a secret set to null is removed.",
    )

    class Meta:
        model = Integration
        fields = ["name", "enabled", "config"]

    def validate_config(self, config):
        return _checked_config(kind=self.instance.kind, stored=self.instance.config, given=config)


class IntegrationSecretSerializer(IntegrationSerializer):
    """Shown once, when the token is made: the database keeps only its hash. The context
    carries `token` and `urls` (incidents.selectors.integration_urls)."""

    token = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="Where the monitor sends its alerts.")
    routing_key = serializers.SerializerMethodField(
        help_text="PagerDuty Events API v2 routing key; null for other kinds."
    )
    address = serializers.SerializerMethodField(
        help_text="Email integrations: <token>@VIGIL_EMAIL_DOMAIN, for a local MTA; null without that setting "
                  "and for other kinds."
    )

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "token", "url", "routing_key", "address"]
        read_only_fields = fields

    def get_token(self, integration) -> str:
        return self.context["token"]

    def get_url(self, integration) -> str:
        return self.context["urls"]["url"]

    def get_routing_key(self, integration) -> str | None:
        return self.context["urls"].get("routing_key")

    def get_address(self, integration) -> str | None:
        return self.context["urls"].get("address")


INTEGRATION_SERVICE_FILTER = OpenApiParameter("service", OpenApiTypes.INT, description="Only this service's integrations.")
SECRET_RESPONSE = OpenApiResponse(
    IntegrationSecretSerializer, description="The only response that shows the token and the URL built from it."
)


@extend_schema_view(
    list=extend_schema(parameters=[INTEGRATION_SERVICE_FILTER], responses={200: IntegrationSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: IntegrationSerializer, **READ_ERRORS}),
    create=extend_schema(request=IntegrationCreateSerializer, responses={201: SECRET_RESPONSE, **CREATE_ERRORS}),
    update=extend_schema(request=IntegrationUpdateSerializer, responses={200: IntegrationSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(
        request=IntegrationUpdateSerializer, responses={200: IntegrationSerializer, **UPDATE_ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["integrations"])
class IntegrationViewSet(ApiViewSet):
    serializer_class = IntegrationSerializer

    def get_queryset(self):
        return integrations_visible_to(self.request.user)

    def list(self, request):
        integrations = self.get_queryset()
        service = int_query_param(request, "service")
        if service is not None:
            integrations = integrations.filter(service_id=service)
        return self.paginated(integrations, IntegrationSerializer)

    def retrieve(self, request, pk=None):
        return Response(IntegrationSerializer(self.get_object()).data)

    def create(self, request):
        body = IntegrationCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(user=request.user, team=data["service"].team, role=MANAGER, to="add integrations")
        integration, token = integration_create(
            service=data["service"], kind=data["kind"], name=data["name"], config=data.get("config"),
        )
        return Response(self._with_secret(integration, token), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        integration = self._managed(request, "change integrations")
        body = IntegrationUpdateSerializer(integration, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        integration = integration_update(integration=integration, **body.validated_data)
        return Response(IntegrationSerializer(integration).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        integration_delete(integration=self._managed(request, "delete integrations"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, summary="Replace the token: the old URL stops working at once",
        responses={200: SECRET_RESPONSE, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def rotate_token(self, request, pk=None):
        integration = self._managed(request, "rotate integration tokens")
        token = integration_rotate_token(integration=integration)
        return Response(self._with_secret(integration, token))

    def _managed(self, request, to: str):
        integration = self.get_object()
        require_role(user=request.user, team=integration.service.team, role=MANAGER, to=to)
        return integration

    @staticmethod
    def _with_secret(integration, token: str) -> dict:
        urls = integration_urls(integration=integration, token=token)
        return IntegrationSecretSerializer(integration, context={"token": token, "urls": urls}).data
