"""/api/v1/audit/: read only. Team managers read their teams' entries, everyone the changes to
their own contact methods, rules, tokens and feeds."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from config.api_kit import ApiViewSet, error_responses, int_query_param

from .models import AuditEntry
from .recording import AUDITED
from .selectors import audit_entries_filtered, audit_entries_visible_to


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", help_text="User name; empty for the system.")
    changes = serializers.DictField(child=serializers.ListField(), help_text="{field: [before, after]}; "
                                    "secrets show as ****.")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "via", "action", "object_type", "object_id", "object_repr", "team_id",
                  "owner_id", "changes"]


FILTERS = [
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's entries."),
    OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only changes to your own things."),
    OpenApiParameter("object_type", OpenApiTypes.STR, enum=sorted(AUDITED), description="Only this kind of object."),
    OpenApiParameter("via", OpenApiTypes.STR, enum=AuditEntry.Via.values, description="Only changes made this way."),
    OpenApiParameter("actor", OpenApiTypes.STR, description="Only changes by this user name."),
]


@extend_schema_view(
    list=extend_schema(parameters=FILTERS, responses={200: AuditEntrySerializer(many=True),
                                                      **error_responses(400, 401, 404)}),
    retrieve=extend_schema(responses={200: AuditEntrySerializer, **error_responses(401, 404)}),
)
@extend_schema(tags=["audit"])
class AuditEntryViewSet(ApiViewSet):
    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        return audit_entries_visible_to(self.request.user)

    def list(self, request):
        params = request.query_params
        mine = params.get("mine")
        if mine not in (None, "", "true", "false"):
            raise serializers.ValidationError({"mine": ["Use true or false."]})
        for name, allowed in (("object_type", AUDITED), ("via", AuditEntry.Via.values)):
            if params.get(name) and params[name] not in allowed:
                raise serializers.ValidationError({name: [f"Use one of {', '.join(sorted(allowed))}."]})
        entries = audit_entries_filtered(
            self.get_queryset(), team=int_query_param(request, "team"),
            mine_of=request.user if mine == "true" else None, object_type=params.get("object_type", ""),
            via=params.get("via", ""), actor=params.get("actor", ""))
        return self.paginated(entries, AuditEntrySerializer)

    def retrieve(self, request, pk=None):
        return Response(AuditEntrySerializer(self.get_object()).data)
