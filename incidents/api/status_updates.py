"""/api/v1/incidents/<id>/status-updates/ and /subscription/: what an incident has told its
stakeholders, posting the next update (responders), and following it (anyone who can see it)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_kit import JsonParser, StrictSerializer, VigilAutoSchema, error_responses
from oncall.access import require_role
from oncall.models import Membership

from ..models import StatusUpdate
from ..selectors import incidents_visible_to
from ..status_updates import (
    FIELD_LIMIT,
    incident_status_updates,
    incident_subscribe,
    incident_unsubscribe,
    status_update_post,
    update_due,
)
from .common import via_of

LIST_LIMIT = 200


class StatusUpdateSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                          help_text="Who posted it; null if their account is gone.")

    class Meta:
        model = StatusUpdate
        fields = ["id", "incident", "author", "conditions", "actions", "needs", "via", "created_at", "published_at"]
        read_only_fields = fields


class StatusUpdateCreateSerializer(StrictSerializer):
    conditions = serializers.CharField(max_length=FIELD_LIMIT, help_text="What is happening and who is affected.")
    actions = serializers.CharField(max_length=FIELD_LIMIT, help_text="What is being done about it.")
    needs = serializers.CharField(max_length=FIELD_LIMIT, required=False, allow_blank=True, default="",
                                  help_text="Help or decisions wanted; may be empty.")


class StatusUpdateListSerializer(serializers.Serializer):
    next_update_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next update is due by the severity's cadence; null for none.")
    overdue = serializers.BooleanField(help_text="The next update is past due.")
    results = StatusUpdateSerializer(many=True, help_text=f"Newest first, at most {LIST_LIMIT}.")


class SubscriptionSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    subscribed = serializers.BooleanField(help_text="You get its status updates and resolution by email.")


class _IncidentApiView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]

    def incident(self, request, id: int):
        return get_object_or_404(incidents_visible_to(request.user), pk=id)


@extend_schema(tags=["incidents"])
class StatusUpdatesView(_IncidentApiView):
    @extend_schema(summary="An incident's status updates, and when the next one is due",
                   responses={200: StatusUpdateListSerializer, **error_responses(401, 404)})
    def get(self, request, id: int):
        incident = self.incident(request, id)
        due = update_due(incident=incident)
        return Response(StatusUpdateListSerializer({
            "next_update_due_at": due.at if due else None, "overdue": bool(due and due.overdue),
            "results": incident_status_updates(incident=incident)[:LIST_LIMIT],
        }).data)

    @extend_schema(summary="Post a status update: to the timeline, the incident's Slack channel and its followers",
                   request=StatusUpdateCreateSerializer,
                   responses={201: StatusUpdateSerializer, **error_responses(400, 401, 403, 404, 415)})
    def post(self, request, id: int):
        incident = self.incident(request, id)
        require_role(user=request.user, team=incident.team, role=Membership.Role.RESPONDER, to="post status updates")
        body = StatusUpdateCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        update = status_update_post(incident=incident, by=request.user, via=via_of(request), **body.validated_data)
        return Response(StatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["incidents"])
class SubscriptionView(_IncidentApiView):
    @extend_schema(summary="Whether you follow the incident",
                   responses={200: SubscriptionSerializer, **error_responses(401, 404)})
    def get(self, request, id: int):
        incident = self.incident(request, id)
        return self._answer(incident, incident.subscriptions.filter(user=request.user).exists())

    @extend_schema(summary="Follow the incident: its status updates and resolution by email", request=None,
                   responses={200: SubscriptionSerializer, **error_responses(401, 403, 404)})
    def put(self, request, id: int):
        incident = self.incident(request, id)
        incident_subscribe(incident=incident, user=request.user)
        return self._answer(incident, True)

    @extend_schema(summary="Stop following the incident", request=None,
                   responses={200: SubscriptionSerializer, **error_responses(401, 403, 404)})
    def delete(self, request, id: int):
        incident = self.incident(request, id)
        incident_unsubscribe(incident=incident, user=request.user)
        return self._answer(incident, False)

    @staticmethod
    def _answer(incident, subscribed: bool) -> Response:
        return Response(SubscriptionSerializer({"incident": incident.pk, "subscribed": subscribed}).data)
