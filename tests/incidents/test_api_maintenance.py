from datetime import timedelta

from django.utils import timezone

from incidents.models import MaintenanceWindow
from tests.factories import ApiClient, MembershipFactory, ServiceFactory


def test_responder_starts_and_ends_maintenance_for_their_service(db):
    service = ServiceFactory()
    api = ApiClient(MembershipFactory(team=service.team, role="responder").user)
    now = timezone.now()
    created = api.post("/api/v1/maintenance-windows/", {
        "service": service.pk, "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "reason": "database upgrade"})
    assert created.status_code == 201, created.content
    assert api.get("/api/v1/maintenance-windows/", {"active": "true"}).json()["count"] == 1
    ended = api.client.delete(f"/api/v1/maintenance-windows/{created.json()['id']}/")
    assert ended.status_code == 204
    window = MaintenanceWindow.objects.get()
    assert window.ends_at <= timezone.now()  # an ongoing window ends now and stays on record
    assert api.get("/api/v1/maintenance-windows/", {"active": "true"}).json()["count"] == 0


def test_maintenance_windows_are_scoped_and_validated(db):
    service, theirs = ServiceFactory(), ServiceFactory()
    now = timezone.now()
    other_window = MaintenanceWindow.objects.create(service=theirs, starts_at=now, ends_at=now + timedelta(hours=1))
    api = ApiClient(MembershipFactory(team=service.team).user)
    assert api.get(f"/api/v1/maintenance-windows/{other_window.pk}/").status_code == 404
    assert api.get("/api/v1/maintenance-windows/").json()["count"] == 0
    backwards = api.post("/api/v1/maintenance-windows/", {
        "service": service.pk, "starts_at": now.isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()})
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["errors"]
    viewer = ApiClient(MembershipFactory(team=service.team, role="viewer").user)
    refused = viewer.post("/api/v1/maintenance-windows/", {
        "service": service.pk, "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()})
    assert refused.status_code == 403
