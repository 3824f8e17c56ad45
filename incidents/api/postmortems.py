"""/api/v1/postmortems/: the team's postmortems, starting one for a resolved incident, changing its
sections and owner, moving its review along, and the whole document as Markdown (issue 12 §3).

Reads are scoped by team (another team's postmortem is a 404); writes need a responder's role."""
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from config.api_kit import MAX_ID, ApiViewSet, StrictSerializer, error_responses
from oncall.access import require_role

from ..markdown import render_markdown
from ..models import Incident, Postmortem
from ..models.postmortem import SECTIONS
from ..postmortem_export import export_filename, postmortem_markdown, postmortems_listed, postmortems_visible_to
from ..response_review import response_review
from ..selectors import incidents_visible_to, reassign_targets_for
from ..services.postmortems import (
    SECTION_LIMIT,
    postmortem_create,
    postmortem_status_set,
    postmortem_update,
    review_overdue,
)
from .common import LIST_ERRORS, READ_ERRORS, RESPONDER, UPDATE_ERRORS, via_of

SECTION_NAMES = [name for name, _ in SECTIONS]


class MeasureSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["acknowledged", "first_update", "mitigated", "resolved"])
    label = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True, help_text="When it first happened (resolved: the final time).")
    seconds = serializers.IntegerField(allow_null=True, help_text="Since the incident was first triggered; "
                                       "null if it never happened.")


class ResponseReviewSerializer(serializers.Serializer):
    measures = MeasureSerializer(many=True)
    reopened = serializers.IntegerField(help_text="How many times the incident was reopened; times still run from "
                                        "the first trigger.")
    evidence_before_change = serializers.IntegerField(help_text="Evidence recorded before the first change "
                                                      "(mitigation).")
    evidence_after_change = serializers.IntegerField()
    evidence_first = serializers.BooleanField(allow_null=True, help_text="Evidence was gathered before the first "
                                              "change; null when none was recorded.")


class PostmortemSerializer(serializers.ModelSerializer):
    incident_number = serializers.IntegerField(source="incident.number", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    severity = serializers.CharField(source="incident.severity", read_only=True)
    owner_username = serializers.SlugRelatedField(source="owner", slug_field="username", read_only=True,
                                                  allow_null=True)
    review_overdue = serializers.SerializerMethodField(help_text="Past its review date and not yet reviewed.")

    class Meta:
        model = Postmortem
        fields = ["id", "incident", "incident_number", "incident_title", "team", "severity", "status", "owner",
                  "owner_username", "review_due_on", "review_overdue", "created_at", "updated_at", "reviewed_at",
                  "closed_at"]
        read_only_fields = fields

    def get_review_overdue(self, postmortem) -> bool:
        return review_overdue(postmortem)


class PostmortemDetailSerializer(PostmortemSerializer):
    sections_html = serializers.SerializerMethodField(help_text="Each section rendered and sanitized, as the page "
                                                      "shows it.")
    response_review = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = [*PostmortemSerializer.Meta.fields, *SECTION_NAMES, "sections_html", "response_review"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_sections_html(self, postmortem) -> dict:
        return {name: str(render_markdown(getattr(postmortem, name))) for name in SECTION_NAMES}

    @extend_schema_field(ResponseReviewSerializer)
    def get_response_review(self, postmortem) -> dict:
        review = response_review(incident=postmortem.incident)
        return ResponseReviewSerializer({
            "measures": [{"key": m.key, "label": m.label, "at": m.at,
                          "seconds": int(m.after.total_seconds()) if m.after is not None else None}
                         for m in review.measures],
            "reopened": review.reopened, "evidence_before_change": review.evidence_before_change,
            "evidence_after_change": review.evidence_after_change, "evidence_first": review.evidence_first,
        }).data


class PostmortemCreateSerializer(StrictSerializer):
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.none(), help_text="A resolved incident of your teams (id).",
        error_messages={"does_not_exist": "No incident with id {pk_value} in your teams."})

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["incident"].queryset = incidents_visible_to(user)


def _section(heading: str) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=SECTION_LIMIT, trim_whitespace=False,
                                 help_text=f"{heading}, in Markdown.")


class PostmortemUpdateSerializer(StrictSerializer):
    summary = _section("Summary")
    impact = _section("Impact")
    detection = _section("Detection")
    root_causes = _section("Trigger and root causes")
    resolution = _section("Resolution")
    timeline = _section("Timeline (pre-filled from the incident's timeline)")
    went_well = _section("What went well")
    went_badly = _section("What went badly")
    got_lucky = _section("Where we got lucky")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False,
        help_text="A responder or manager of the postmortem's team (id).",
        error_messages={"does_not_exist": "No person with id {pk_value} in your teams."})

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["owner"].queryset = reassign_targets_for(user)[0]

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give at least one section or the owner.")
        return attrs


class PostmortemStatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(
        choices=Postmortem.Status.choices,
        help_text="draft → in_review → reviewed → closed; in_review may go back to draft, reviewed to in_review, "
                  "closed is reopened as draft. Closing needs every action item to have an owner.")


class PostmortemFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Postmortem.Status.choices, required=False)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class PostmortemPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class MarkdownRenderer(renderers.BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (str, bytes)) else str(data)


@extend_schema_view(
    list=extend_schema(
        summary="List postmortems, newest first",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Postmortem.Status.values,
                             description="Only postmortems with this status."),
            OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's postmortems (team id)."),
        ],
        responses={200: PostmortemSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="A postmortem with its sections and response review",
                           responses={200: PostmortemDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Start the postmortem of a resolved incident (its existing one if it has one)",
        request=PostmortemCreateSerializer,
        responses={201: PostmortemDetailSerializer,
                   200: OpenApiResponse(PostmortemDetailSerializer, description="The incident already had one."),
                   **error_responses(400, 401, 403, 409, 415)},
    ),
    partial_update=extend_schema(
        summary="Change sections (Markdown) and/or the owner", request=PostmortemUpdateSerializer,
        responses={200: PostmortemDetailSerializer, **UPDATE_ERRORS},
    ),
)
@extend_schema(tags=["postmortems"])
class PostmortemViewSet(ApiViewSet):
    serializer_class = PostmortemSerializer
    pagination_class = PostmortemPagination

    def get_queryset(self):
        return postmortems_visible_to(self.request.user)

    def list(self, request):
        filters = PostmortemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginated(postmortems_listed(user=request.user, **filters.validated_data), PostmortemSerializer)

    def retrieve(self, request, pk=None):
        return Response(PostmortemDetailSerializer(self.get_object()).data)

    def create(self, request):
        body = PostmortemCreateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        incident = body.validated_data["incident"]
        require_role(user=request.user, team=incident.team, role=RESPONDER, to="start postmortems")
        postmortem, created = postmortem_create(incident=incident, by=request.user, via=via_of(request))
        return Response(PostmortemDetailSerializer(postmortem).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request, pk=None):
        postmortem = self._writable(request, "edit postmortems")
        body = PostmortemUpdateSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        changes = {"owner": data.pop("owner")} if "owner" in data else {}
        postmortem_update(postmortem=postmortem, by=request.user, via=via_of(request), sections=data, **changes)
        return Response(PostmortemDetailSerializer(self.get_queryset().get(pk=postmortem.pk)).data)

    @extend_schema(summary="Move the review along (or back)", request=PostmortemStatusSerializer,
                   responses={200: PostmortemDetailSerializer, **error_responses(400, 401, 403, 404, 409, 415)})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        postmortem = self._writable(request, "review postmortems")
        body = PostmortemStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        postmortem_status_set(postmortem=postmortem, to=body.validated_data["status"], by=request.user,
                              via=via_of(request))
        return Response(PostmortemDetailSerializer(self.get_queryset().get(pk=postmortem.pk)).data)

    @extend_schema(summary="The postmortem as one Markdown document (what the page's download gives)",
                   responses={(200, "text/markdown"): OpenApiTypes.STR, **READ_ERRORS})
    @action(detail=True, methods=["get"], renderer_classes=[MarkdownRenderer, renderers.JSONRenderer])
    def markdown(self, request, pk=None):
        postmortem = self.get_object()
        response = HttpResponse(postmortem_markdown(postmortem=postmortem, zone=timezone.get_current_timezone()),
                                content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_filename(postmortem)}"'
        return response

    def _writable(self, request, to: str) -> Postmortem:
        postmortem = self.get_object()
        require_role(user=request.user, team=postmortem.team, role=RESPONDER, to=to)
        return postmortem
