"""/api/v1/notification-rules/: how and when each contact method is used for a page."""
from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import StrictSerializer

from ..contacts import (
    contact_methods_visible_to,
    notification_rule_create,
    notification_rule_delete,
    notification_rule_update,
    notification_rules_visible_to,
)
from ..models import ContactMethod, NotificationRule
from .common import CREATE_ERRORS, DELETE_ERRORS, LIST_ERRORS, READ_ERRORS, UPDATE_ERRORS, USER_FILTER, PersonalViewSet


class NotificationRuleSerializer(serializers.ModelSerializer):
    contact_method_kind = serializers.CharField(source="contact_method.kind", read_only=True)
    contact_method_label = serializers.CharField(source="contact_method.label", read_only=True)
    usable = serializers.BooleanField(source="contact_method.usable", read_only=True,
                                      help_text="Its contact method is verified and not disabled.")

    class Meta:
        model = NotificationRule
        fields = ["id", "user", "urgency", "contact_method", "contact_method_kind", "contact_method_label",
                  "usable", "delay_minutes"]
        read_only_fields = fields


class NotificationRuleWriteSerializer(StrictSerializer):
    urgency = serializers.ChoiceField(choices=NotificationRule.Urgency.choices)
    contact_method = serializers.PrimaryKeyRelatedField(
        queryset=ContactMethod.objects.none(),
        help_text="One of your contact methods; the rule belongs to the method's owner.",
    )
    delay_minutes = serializers.IntegerField(
        min_value=0, max_value=1440, required=False, help_text="Minutes after the page starts (default 0)."
    )

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["contact_method"].queryset = contact_methods_visible_to(user)


@extend_schema_view(
    list=extend_schema(summary="Your notification rules", parameters=[USER_FILTER],
                       responses={200: NotificationRuleSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: NotificationRuleSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Add a rule: page this contact method, this many minutes into a page of this urgency",
        request=NotificationRuleWriteSerializer, responses={201: NotificationRuleSerializer, **CREATE_ERRORS},
    ),
    update=extend_schema(request=NotificationRuleWriteSerializer,
                         responses={200: NotificationRuleSerializer, **UPDATE_ERRORS}),
    partial_update=extend_schema(request=NotificationRuleWriteSerializer,
                                 responses={200: NotificationRuleSerializer, **UPDATE_ERRORS}),
    destroy=extend_schema(responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["notification rules"])
class NotificationRuleViewSet(PersonalViewSet):
    serializer_class = NotificationRuleSerializer

    def get_queryset(self):
        return notification_rules_visible_to(self.request.user)

    def create(self, request):
        body = NotificationRuleWriteSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rule = notification_rule_create(user=data["contact_method"].user, urgency=data["urgency"],
                                        contact_method=data["contact_method"],
                                        delay_minutes=data.get("delay_minutes", 0))
        return Response(NotificationRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        rule = self.get_object()
        body = NotificationRuleWriteSerializer(data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        rule = notification_rule_update(rule=rule, **body.validated_data)
        return Response(NotificationRuleSerializer(rule).data)

    def destroy(self, request, pk=None):
        notification_rule_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
