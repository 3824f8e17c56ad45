"""Request and response shapes of /api/v1/contact-methods/, notification-rules/, profile/ and
the on-call readiness endpoints."""
from django.contrib.auth.models import User
from rest_framework import serializers

from config.api import StrictSerializer

from .contacts import contact_methods_visible_to
from .models import ContactMethod, Membership, NotificationRule
from .serializers_schedules import TimeZoneField


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


class ProfileSerializer(StrictSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    time_zone = TimeZoneField(help_text="Your IANA time zone, e.g. Europe/Berlin; times are shown in it.")
    notify_on_resolve = serializers.BooleanField(
        required=False, help_text="Tell me (low-urgency rules) when incidents I acknowledged or follow are resolved.")


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
