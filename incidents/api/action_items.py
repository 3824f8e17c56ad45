"""/api/v1/action-items/: postmortem action items of the caller's teams: list (filters owner=me,
status, overdue, team), read, create on a postmortem, change (partial update, status included)."""
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictSerializer, int_query_param
from oncall.access import require_role, team_scoped

from ..models import ActionItem, Postmortem
from ..services.action_items import (
    TITLE_LIMIT,
    URL_LIMIT,
    action_item_add,
    action_item_update,
)
from .common import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, RESPONDER, UPDATE_ERRORS, via_of


class ActionItemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="postmortem.incident_id", read_only=True)
    owner_username = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Open or in progress, and past its due date.")
    # A string, not a "uri": empty when the item has no ticket.
    ticket_url = serializers.CharField(read_only=True, help_text="The ticket's http(s) link; empty for none.")

    class Meta:
        model = ActionItem
        fields = ["id", "postmortem", "incident", "team", "title", "owner", "owner_username", "due_on", "priority",
                  "status", "ticket_url", "overdue", "incident_task", "created_by", "created_at", "completed_at"]
        read_only_fields = fields

    def get_overdue(self, item: ActionItem) -> bool:
        return bool(item.due_on and item.due_on < timezone.localdate() and item.status in ActionItem.OPEN_STATUSES)


class _ItemFields(StrictSerializer):
    title = serializers.CharField(max_length=TITLE_LIMIT, help_text="What will be done.")
    owner = serializers.IntegerField(min_value=1, allow_null=True, required=False,
                                     help_text="The user id of a member of the postmortem's team; null for nobody yet.")
    due_on = serializers.DateField(allow_null=True, required=False, help_text="YYYY-MM-DD; null for no date.")
    priority = serializers.ChoiceField(choices=ActionItem.Priority.choices, required=False)
    ticket_url = serializers.CharField(max_length=URL_LIMIT, allow_blank=True, required=False,
                                       help_text="An http:// or https:// link to the ticket; empty for none.")

    def validate_owner(self, value):
        if value is None:
            return None
        owner = User.objects.filter(pk=value, is_active=True).first()
        if owner is None:
            raise serializers.ValidationError("No active user has this id.")
        return owner


class ActionItemCreateSerializer(_ItemFields):
    postmortem = serializers.PrimaryKeyRelatedField(queryset=Postmortem.objects.none(),
                                                    help_text="The postmortem (id) the item comes from.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["postmortem"].queryset = team_scoped(Postmortem.objects.select_related("team", "incident"), user)


class ActionItemUpdateSerializer(_ItemFields):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False,
                                     help_text="done and wont_do set completed_at; open and in_progress clear it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False


FILTERS = [
    OpenApiParameter("owner", OpenApiTypes.STR, description="`me`, or a user id: only that person's items."),
    OpenApiParameter("status", OpenApiTypes.STR,
                     description=f"Only items in this status: {', '.join(ActionItem.Status.values)}."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only overdue items (true) or the others (false)."),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's items."),
    OpenApiParameter("postmortem", OpenApiTypes.INT, description="Only this postmortem's items."),
]


@extend_schema_view(
    list=extend_schema(summary="Action items of your teams' postmortems, by due date (undated last)",
                       parameters=FILTERS, responses={200: ActionItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ActionItemSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add an action item to a postmortem", request=ActionItemCreateSerializer,
                         responses={201: ActionItemSerializer, **CREATE_ERRORS}),
    partial_update=extend_schema(summary="Change an action item: its fields, its status, or both",
                                 request=ActionItemUpdateSerializer,
                                 responses={200: ActionItemSerializer, **UPDATE_ERRORS}),
)
@extend_schema(tags=["postmortems"])
class ActionItemViewSet(ApiViewSet):
    serializer_class = ActionItemSerializer

    def get_queryset(self):
        items = ActionItem.objects.select_related("owner", "created_by", "postmortem")
        return team_scoped(items, self.request.user).order_by(F("due_on").asc(nulls_last=True), "id")

    def list(self, request):
        return self.paginated(self._filtered(self.get_queryset(), request.query_params), ActionItemSerializer)

    def _filtered(self, items, params):
        owner = params.get("owner")
        if owner == "me":
            items = items.filter(owner=self.request.user)
        elif owner:
            items = items.filter(owner_id=int_query_param(self.request, "owner"))
        if "status" in params:
            if params["status"] not in ActionItem.Status.values:
                raise serializers.ValidationError({"status": [f"Use one of {', '.join(ActionItem.Status.values)}."]})
            items = items.filter(status=params["status"])
        if "overdue" in params:
            if params["overdue"] not in ("true", "false"):
                raise serializers.ValidationError({"overdue": ["Use true or false."]})
            overdue = {"status__in": ActionItem.OPEN_STATUSES, "due_on__lt": timezone.localdate()}
            items = items.filter(**overdue) if params["overdue"] == "true" else items.exclude(**overdue)
        for name in ("team", "postmortem"):
            value = int_query_param(self.request, name)
            if value is not None:
                items = items.filter(**{f"{name}_id": value})
        return items

    def retrieve(self, request, pk=None):
        return Response(ActionItemSerializer(self.get_object()).data)

    def create(self, request):
        body = ActionItemCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        postmortem = data.pop("postmortem")
        require_role(user=request.user, team=postmortem.team, role=RESPONDER, to="add action items")
        item = action_item_add(postmortem=postmortem, by=request.user, via=via_of(request), **data)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        item = self.get_object()
        require_role(user=request.user, team=item.postmortem.team, role=RESPONDER, to="change action items")
        body = ActionItemUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = action_item_update(item=item, by=request.user, changes=dict(body.validated_data), via=via_of(request))
        return Response(ActionItemSerializer(item).data)
