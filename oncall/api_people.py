"""/api/v1/ contact methods, notification rules, profile, on-call readiness and calendar feeds.

Contact methods, rules, the profile and personal feeds belong to a person, not to a team, so team
roles do not apply: each person manages their own, and a superuser can reach everyone's by id (to
set someone up, or to vouch for an email address or Slack id). Lists show the caller's own; a
superuser passes `?user=` for someone else's.
"""
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiViewSet, JsonParser, VigilAutoSchema, error_responses, int_query_param, require_role
from incidents.selectors import memberships_visible_to, teams_visible_to

from .contacts import (
    ContactError,
    contact_method_create,
    contact_method_delete,
    contact_method_update,
    contact_method_verification_start,
    contact_method_verify,
    contact_method_verify_by_admin,
    contact_methods_visible_to,
    notification_rule_create,
    notification_rule_delete,
    notification_rule_update,
    notification_rules_visible_to,
    profile_of,
    profile_time_zone_set,
    users_readiness,
    verification_retry_after,
)
from .models import Membership
from .preferences import profile_notify_on_resolve_set
from .schedules import calendar_feed_create, calendar_feed_revoke, calendar_feed_url, calendar_feeds_visible_to
from .serializers_people import (
    ContactMethodCreateSerializer,
    ContactMethodSerializer,
    ContactMethodUpdateSerializer,
    NotificationRuleSerializer,
    NotificationRuleWriteSerializer,
    ProfileSerializer,
    ReadinessSerializer,
    TeamReadinessSerializer,
    VerificationSentSerializer,
    VerifySerializer,
)
from .serializers_schedules import CalendarFeedSecretSerializer, CalendarFeedSerializer

LIST_ERRORS = error_responses(400, 401, 404)  # 404: a page number past the end
READ_ERRORS = error_responses(401, 404)
CREATE_ERRORS = error_responses(400, 401, 403, 415)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)
DELETE_ERRORS = error_responses(401, 403, 404)
USER_FILTER = OpenApiParameter(
    "user", OpenApiTypes.INT, description="Superusers: someone else's (user id). Default: your own."
)


def _mine_or_superuser(request, owner, to: str) -> None:
    if owner.pk != request.user.pk and not request.user.is_superuser:
        raise exceptions.PermissionDenied(f"Only superusers can {to} for someone else.")


class _PersonalViewSet(ApiViewSet):
    def list(self, request):
        owner = int_query_param(request, "user") or request.user.pk
        return self.paginated(self.get_queryset().filter(user_id=owner), self.serializer_class)

    def retrieve(self, request, pk=None):
        return Response(self.serializer_class(self.get_object()).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


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
class ContactMethodViewSet(_PersonalViewSet):
    serializer_class = ContactMethodSerializer

    def get_queryset(self):
        return contact_methods_visible_to(self.request.user)

    def create(self, request):
        body = ContactMethodCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        owner = data.get("user", request.user)
        _mine_or_superuser(request, owner, "add contact methods")
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
class NotificationRuleViewSet(_PersonalViewSet):
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


class _ApiView(APIView):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]


@extend_schema(tags=["me"])
class ProfileView(_ApiView):
    @extend_schema(summary="Your profile", responses={200: ProfileSerializer, **error_responses(401)})
    def get(self, request):
        return Response(ProfileSerializer(profile_of(user=request.user)).data)

    @extend_schema(summary="Set your time zone or preferences", request=ProfileSerializer,
                   responses={200: ProfileSerializer, **error_responses(400, 401, 403, 415)})
    def patch(self, request):
        body = ProfileSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        profile = profile_of(user=request.user)
        if "time_zone" in body.validated_data:
            profile = profile_time_zone_set(user=request.user, time_zone=body.validated_data["time_zone"])
        if "notify_on_resolve" in body.validated_data:
            profile = profile_notify_on_resolve_set(user=request.user, on=body.validated_data["notify_on_resolve"])
        return Response(ProfileSerializer(profile).data)


@extend_schema(tags=["me"])
class ReadinessView(_ApiView):
    @extend_schema(summary="Whether a high-urgency page would reach you, and what to fix",
                   responses={200: ReadinessSerializer, **error_responses(401)})
    def get(self, request):
        readiness = users_readiness(user_ids=[request.user.pk])[request.user.pk]
        return Response(ReadinessSerializer(readiness).data)


@extend_schema(tags=["teams"])
class TeamReadinessView(_ApiView):
    @extend_schema(
        summary="Which members a high-urgency page would reach",
        description="Problems name contact methods by kind, id and label, never by address.",
        responses={200: TeamReadinessSerializer, **error_responses(401, 404)},
    )
    def get(self, request, id):
        team = get_object_or_404(teams_visible_to(request.user), pk=id)
        memberships = list(memberships_visible_to(request.user).filter(team=team))
        readiness = users_readiness(user_ids=[m.user_id for m in memberships])
        members = [{"user": m.user_id, "username": m.user.username, "role": m.role,
                    "has_usable_rule": readiness[m.user_id].has_usable_rule,
                    "problems": readiness[m.user_id].problems} for m in memberships]
        return Response(TeamReadinessSerializer({"team": team.pk, "team_name": team.name, "members": members}).data)


FEED_CREATED = OpenApiResponse(CalendarFeedSecretSerializer, description="The only response that shows the URL.")


@extend_schema(tags=["calendar feeds"])
class MyFeedView(_ApiView):
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
