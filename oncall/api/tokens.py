"""/api/v1/tokens/: the caller's own API tokens, each shown once."""
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictModelSerializer, error_responses

from ..access import api_tokens_of
from ..models import ApiToken
from ..services import api_token_create, api_token_revoke
from .common import READ_ERRORS


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


@extend_schema_view(
    list=extend_schema(summary="Your API tokens, without their secrets",
                       responses={200: ApiTokenSerializer(many=True), **READ_ERRORS}),
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
