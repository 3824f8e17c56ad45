"""/api/v1/feeds/ and /api/v1/me/feed/: iCal subscription feeds, their URLs shown once."""
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, error_responses

from ..access import require_role
from ..models import CalendarFeed, Membership
from ..schedules import calendar_feed_create, calendar_feed_revoke, calendar_feed_url, calendar_feeds_visible_to
from .common import DELETE_ERRORS, READ_ERRORS, ApiView


class CalendarFeedSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField(
        help_text='"schedule": a schedule\'s shifts; "person": one person\'s shifts in every schedule.')
    schedule_name = serializers.CharField(source="schedule.name", read_only=True, allow_null=True, default=None)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = CalendarFeed
        fields = ["id", "kind", "schedule", "schedule_name", "user", "created_at", "revoked_at", "is_active"]
        read_only_fields = fields

    def get_kind(self, feed) -> str:
        return "schedule" if feed.schedule_id else "person"

    def get_is_active(self, feed) -> bool:
        return feed.revoked_at is None


class CalendarFeedSecretSerializer(CalendarFeedSerializer):
    """Shown once: only the token's hash is stored."""

    # The context carries `url` (schedules.calendar_feed_url).
    url = serializers.SerializerMethodField(help_text="The iCalendar subscription URL; keep it secret.")

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, feed) -> str:
        return self.context["url"]


FEED_CREATED = OpenApiResponse(CalendarFeedSecretSerializer, description="The only response that shows the URL.")


@extend_schema(tags=["calendar feeds"])
class MyFeedView(ApiView):
    @extend_schema(request=None, summary="A calendar feed of your own shifts in every schedule",
                   responses={201: FEED_CREATED, **error_responses(401, 403)})
    def post(self, request):
        feed, token = calendar_feed_create(user=request.user)
        url = calendar_feed_url(feed=feed, token=token)
        return Response(CalendarFeedSecretSerializer(feed, context={"url": url}).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Your personal feeds and your schedules' feeds, without their URLs",
                       responses={200: CalendarFeedSerializer(many=True), **error_responses(401, 404)}),
    retrieve=extend_schema(responses={200: CalendarFeedSerializer, **READ_ERRORS}),
    destroy=extend_schema(summary="Revoke a feed: its URL stops working at once",
                          responses={204: None, **DELETE_ERRORS}),
)
@extend_schema(tags=["calendar feeds"])
class CalendarFeedViewSet(ApiViewSet):
    serializer_class = CalendarFeedSerializer

    def get_queryset(self):
        return calendar_feeds_visible_to(self.request.user)

    def list(self, request):
        feeds = self.get_queryset().filter(Q(user=request.user) | Q(schedule__isnull=False))
        return self.paginated(feeds, CalendarFeedSerializer)

    def retrieve(self, request, pk=None):
        return Response(CalendarFeedSerializer(self.get_object()).data)

    def destroy(self, request, pk=None):
        feed = self.get_object()
        if feed.schedule_id is not None:
            require_role(user=request.user, team=feed.schedule.team, role=Membership.Role.RESPONDER,
                         to="revoke schedule feeds")
        calendar_feed_revoke(feed=feed)
        return Response(status=status.HTTP_204_NO_CONTENT)
