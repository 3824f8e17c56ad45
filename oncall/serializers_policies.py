"""Request and response shapes of /api/v1/escalation-policies/."""
from rest_framework import serializers

from config.api import MAX_ID, StrictSerializer

from .models import EscalationPolicy, EscalationStep, StepTarget, Team
from .serializers_schedules import TeamOwnedMixin, WholeItemSerializer

TEXT_MAX = 10_000


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
