"""/api/v1/maintenance-windows/: while one is on, a service's alerts are kept but page no one."""
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api_kit import ApiViewSet, StrictModelSerializer, error_responses, int_query_param
from oncall.access import require_role
from oncall.models import Membership

from ..models import MaintenanceWindow
from ..selectors import maintenance_windows_visible_to, services_visible_to
from ..services import maintenance_window_create, maintenance_window_delete, maintenance_window_update


MAX_LENGTH_DAYS = 30


class MaintenanceWindowSerializer(StrictModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "service", "service_name", "starts_at", "ends_at", "reason", "created_by", "created_at"]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = services_visible_to(user)

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": ["The window must end after it starts."]})
        if starts and ends and (ends - starts).days >= MAX_LENGTH_DAYS:
            raise serializers.ValidationError({"ends_at": [f"A window lasts at most {MAX_LENGTH_DAYS} days."]})
        return attrs


SERVICE_FILTER = OpenApiParameter("service", OpenApiTypes.INT, description="Only this service's windows.")
ACTIVE_FILTER = OpenApiParameter("active", OpenApiTypes.BOOL, description="Only windows on now (true) or not (false).")


@extend_schema_view(
    list=extend_schema(parameters=[SERVICE_FILTER, ACTIVE_FILTER],
                       responses={200: MaintenanceWindowSerializer(many=True), **error_responses(400, 401, 404)}),
    retrieve=extend_schema(responses={200: MaintenanceWindowSerializer, **error_responses(401, 404)}),
    create=extend_schema(responses={201: MaintenanceWindowSerializer, **error_responses(400, 401, 403, 415)}),
    update=extend_schema(responses={200: MaintenanceWindowSerializer, **error_responses(400, 401, 403, 404, 415)}),
    partial_update=extend_schema(responses={200: MaintenanceWindowSerializer,
                                            **error_responses(400, 401, 403, 404, 415)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
)
@extend_schema(tags=["maintenance"])
class MaintenanceWindowViewSet(ApiViewSet):
    serializer_class = MaintenanceWindowSerializer

    def get_queryset(self):
        return maintenance_windows_visible_to(self.request.user)

    def list(self, request):
        windows = self.get_queryset()
        service = int_query_param(request, "service")
        if service is not None:
            windows = windows.filter(service_id=service)
        active = request.query_params.get("active")
        if active is not None:
            flag = serializers.BooleanField().run_validation(active) if active in ("true", "false") else None
            if flag is None:
                raise serializers.ValidationError({"active": ["Use true or false."]})
            now = timezone.now()
            on = Q(starts_at__lte=now, ends_at__gt=now)
            windows = windows.filter(on) if flag else windows.exclude(on)
        return self.paginated(windows, MaintenanceWindowSerializer)

    def retrieve(self, request, pk=None):
        return Response(MaintenanceWindowSerializer(self.get_object()).data)

    def create(self, request):
        body = MaintenanceWindowSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        require_role(user=request.user, team=body.validated_data["service"].team, role=Membership.Role.RESPONDER,
                     to="start maintenance")
        window = maintenance_window_create(**body.validated_data, created_by=request.user)
        return Response(MaintenanceWindowSerializer(window).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        window = self.get_object()
        require_role(user=request.user, team=window.service.team, role=Membership.Role.RESPONDER, to="change maintenance")
        body = MaintenanceWindowSerializer(window, data=request.data, partial=partial, user=request.user)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("service", window.service) != window.service:
            raise serializers.ValidationError({"service": ["A window cannot move to another service."]})
        changes = {k: v for k, v in body.validated_data.items() if k != "service"}
        return Response(MaintenanceWindowSerializer(maintenance_window_update(window=window, **changes)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        window = self.get_object()
        require_role(user=request.user, team=window.service.team, role=Membership.Role.RESPONDER, to="end maintenance")
        maintenance_window_delete(window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)
