"""/api/v1/contact-methods/: a person's phones, email addresses and Slack ids, and their
verification."""
from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_kit import StrictSerializer, error_responses

from ..contacts import (
    ContactError,
    contact_method_create,
    contact_method_delete,
    contact_method_update,
    contact_method_verification_start,
    contact_method_verify,
    contact_method_verify_by_admin,
    contact_methods_visible_to,
    verification_retry_after,
)
from ..models import ContactMethod
from .common import (
    CREATE_ERRORS,
    DELETE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    UPDATE_ERRORS,
    USER_FILTER,
    PersonalViewSet,
    mine_or_superuser,
)


class ContactMethodSerializer(serializers.ModelSerializer):
    verified = serializers.SerializerMethodField()
    usable = serializers.BooleanField(read_only=True, help_text="Verified and not disabled: pages reach it.")

    class Meta:
        model = ContactMethod
        fields = ["id", "user", "kind", "value", "label", "verified", "verified_at", "usable", "disabled_at",
                  "disabled_reason", "created_at"]
        read_only_fields = fields

    def get_verified(self, method) -> bool:
        return method.verified_at is not None


class ContactMethodCreateSerializer(StrictSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text="Whose method: yourself when left out; only superusers may name someone else.",
    )
    kind = serializers.ChoiceField(choices=ContactMethod.Kind.choices)
    value = serializers.CharField(
        max_length=254, help_text="A phone number in international form (+14155550100), an email address, or a "
        "Slack member id (U012AB3CD).",
    )
    label = serializers.CharField(max_length=50, allow_blank=True, default="")


class ContactMethodUpdateSerializer(StrictSerializer):
    value = serializers.CharField(max_length=254, help_text="A new address must be verified again.")
    label = serializers.CharField(max_length=50, allow_blank=True, required=False)


class VerifySerializer(StrictSerializer):
    code = serializers.RegexField(r"^\d{6}$", max_length=6, help_text="The six digits that were sent.",
                                  error_messages={"invalid": "Must be the six digits that were sent."})


class VerificationSentSerializer(serializers.Serializer):
    contact_method = serializers.IntegerField()
    expires_at = serializers.DateTimeField(help_text="The code works until then.")
    detail = serializers.CharField()


@extend_schema_view(
    list=extend_schema(summary="Your contact methods", parameters=[USER_FILTER],
                       responses={200: ContactMethodSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ContactMethodSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Add a contact method; it is paged only once verified", request=ContactMethodCreateSerializer,
        responses={201: ContactMethodSerializer, **CREATE_ERRORS},
    ),
    update=extend_schema(request=ContactMethodUpdateSerializer,
                         responses={200: ContactMethodSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(
        summary="Change the address (it must be verified again) or the label", request=ContactMethodUpdateSerializer,
        responses={200: ContactMethodSerializer, **UPDATE_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a contact method and the rules that use it",
                          responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["contact methods"])
class ContactMethodViewSet(PersonalViewSet):
    serializer_class = ContactMethodSerializer

    def get_queryset(self):
        return contact_methods_visible_to(self.request.user)

    def create(self, request):
        body = ContactMethodCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        owner = data.get("user", request.user)
        mine_or_superuser(request, owner, "add contact methods")
        method = contact_method_create(user=owner, kind=data["kind"], value=data["value"], label=data["label"])
        return Response(ContactMethodSerializer(method).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        method = self.get_object()
        body = ContactMethodUpdateSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        method = contact_method_update(contact_method=method, **body.validated_data)
        return Response(ContactMethodSerializer(method).data)

    def destroy(self, request, pk=None):
        contact_method_delete(contact_method=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, summary="Send a verification code to the address",
        description="At most 3 codes an hour per contact method; the 429 carries `Retry-After`.",
        responses={202: VerificationSentSerializer, **error_responses(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path="send-code")
    def send_code(self, request, pk=None):
        method = self.get_object()
        try:
            code = contact_method_verification_start(contact_method=method)
        except ContactError as e:
            wait = verification_retry_after(contact_method=method)
            if not wait:
                raise
            raise exceptions.Throttled(wait=wait, detail=e.message) from None
        sent = {"contact_method": method.pk, "expires_at": code.expires_at, "detail": f"A code is on its way to {method}."}
        return Response(VerificationSentSerializer(sent).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=VerifySerializer, summary="Verify with the code that was sent",
        description="A wrong code costs one of five tries; the first verified method gets default rules.",
        responses={200: ContactMethodSerializer, **UPDATE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        method = self.get_object()
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        method = contact_method_verify(contact_method=method, code=body.validated_data["code"])
        return Response(ContactMethodSerializer(method).data)

    @extend_schema(
        request=None, summary="Vouch for an email address or Slack id (superusers)",
        responses={200: ContactMethodSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="verify-as-admin")
    def verify_as_admin(self, request, pk=None):
        method = self.get_object()
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied("Only superusers can verify a contact method without a code.")
        return Response(ContactMethodSerializer(contact_method_verify_by_admin(contact_method=method)).data)
